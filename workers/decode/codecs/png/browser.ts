// The PNGs the browser's decoder (WebCodecs' ImageDecoder) gives Pillow's pixels for, and the
// bytes it sees of them. Pillow ignores what chunks say about colour (iCCP, gAMA, sRGB, cHRM,
// sBIT). The browser's decoder gets the file as it is (a copy costs a tenth of a millisecond a
// photo), but for sBIT, which it might honour: that file keeps only the chunks that make the
// pixels, IHDR, PLTE, IDAT and IEND (tRNS, alpha only, is dropped too: convert('RGB') keeps the
// stored colour either way).

import { u32be } from '../bytes.ts';
import { checkedChunks, chunkAt, type Chunk } from './chunks.ts';
import { imageDataBound, imageDataBytes } from './layout.ts';

const KEEP = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/**
 * Whether the browser's PNG decoder gives Pillow's pixels for this file (its sBIT chunk dropped):
 * it does for every 8-bit kind, palettes included, and for 16-bit colour (the high byte); not for
 * 16-bit grey, which Pillow clips rather than scales, nor for a palette with fewer entries than
 * the bit depth can index (Pillow shows grey past its end). Not for an animated PNG: the browser
 * shows the animation's first frame, Pillow the IDAT image (decode.ts). Only with its image data
 * in one run of IDAT chunks, as Pillow reads it, and no longer than the image needs
 * (imageDataBound): the browser's decoder would inflate the rest (a 2 GiB bomb of a 16x16 PNG
 * takes it about a second), where Pillow and decode.ts stop at the image's end. And only for a
 * whole file: a cut one must fail as Pillow fails, not decode half-grey.
 */
export function pngFitsBrowser(b: Uint8Array): boolean {
  if (b.byteLength < 33) return false;
  const depth = b[24]!;
  const colorType = b[25]!;
  if (depth === 16 && (colorType === 0 || colorType === 4)) return false;
  let data = 0;
  let ended = false;
  let palette = 0;
  for (let pos = 8; pos + 12 <= b.byteLength; ) {
    const c = chunkAt(b, pos)!;
    pos = c.next;
    if (c.type === 'acTL' || c.type === 'fcTL' || c.type === 'fdAT') return false;
    if (c.type === 'PLTE') palette = c.length;
    if (c.type === 'IDAT') {
      if (ended) return false;
      data += c.length;
    } else if (data > 0) {
      ended = true;
    }
    if (c.type === 'IEND') {
      if (colorType === 3 && palette < 3 << depth) return false;
      return pos <= b.byteLength && data <= imageDataBound(imageDataBytes(u32be(b, 16), u32be(b, 20), depth, colorType, b[28] !== 0));
    }
  }
  return false;
}

/** The file with only the chunks that make the pixels; what follows the last whole chunk stays, so a cut file still fails as cut. */
function kept(b: Uint8Array, list: Chunk[], end: number): Uint8Array {
  const keep = list.filter((c) => KEEP.has(c.type));
  if (keep.length === list.length) return b;
  const tail = b.subarray(end);
  const out = new Uint8Array(8 + keep.reduce((n, c) => n + c.next - c.start, 0) + tail.length);
  out.set(b.subarray(0, 8));
  let o = 8;
  for (const c of keep) {
    out.set(b.subarray(c.start, c.next), o);
    o += c.next - c.start;
  }
  out.set(tail, o);
  return out;
}

/** The file the browser's decoder should see: without sBIT, which it might honour. */
export function pngForBrowser(b: Uint8Array): Uint8Array {
  const found = checkedChunks(b);
  return found.ok && found.list.some((c) => c.type === 'sBIT') ? kept(b, found.list, found.end) : b;
}
