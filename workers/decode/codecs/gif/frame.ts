// A GIF's first image as Pillow 9 finds it, without decoding it: where it lies, the canvas it
// makes and the palette it takes. The frame, not the screen, sizes what is allocated, so the
// header (codec.ts) reads it to check the limits against before anything is decoded.

import { u16le } from '../bytes.ts';
import { CorruptError } from '../codec.ts';

/** A palette of n RGB entries, entries past it grey, as Pillow's palettes are. */
export function palette(b: Uint8Array, at: number, entries: number): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) p[i * 3] = p[i * 3 + 1] = p[i * 3 + 2] = i;
  p.set(b.subarray(at, Math.min(at + entries * 3, b.length, at + 768)));
  return p;
}

/** Sub-blocks from `at` (length byte, data), concatenated, to the empty one; and where they end. */
export function subBlocks(b: Uint8Array, at: number): { data: Uint8Array; end: number; complete: boolean } {
  let size = 0;
  let pos = at;
  while (pos < b.length && b[pos] !== 0) {
    size += b[pos]!;
    pos += b[pos]! + 1;
  }
  const complete = pos < b.length;
  const data = new Uint8Array(size);
  let o = 0;
  for (let p = at; p < b.length && b[p] !== 0; p += b[p]! + 1) {
    const part = b.subarray(p + 1, Math.min(p + 1 + b[p]!, b.length));
    data.set(part, o);
    o += part.length;
  }
  return { data: data.subarray(0, o), end: pos + 1, complete: complete && o === size };
}

/** The first image of a GIF, as Pillow finds it: where it is, and what comes before its pixel data. */
export interface GifFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The image Pillow makes: the logical screen grown to hold the frame. */
  canvasWidth: number;
  canvasHeight: number;
  interlaced: boolean;
  palette: Uint8Array | null;
  transparent: number | null;
  /** Offset of the LZW minimum code size byte. */
  data: number;
}

/** The blocks up to the first image descriptor, without decoding anything: enough to size the image. */
export function gifFirstFrame(b: Uint8Array): GifFrame {
  if (b.length < 13) throw new CorruptError('the header is cut short');
  const flags = b[10]!;
  let pos = 13;
  let global: Uint8Array | null = null;
  if (flags & 0x80) {
    const entries = 1 << ((flags & 7) + 1);
    global = palette(b, pos, entries);
    pos += entries * 3;
  }
  let transparent: number | null = null;
  // Blocks up to the first image; Pillow passes over bytes it does not know, one at a time.
  for (;;) {
    if (pos >= b.length || b[pos] === 0x3b) throw new CorruptError('it holds no image');
    const kind = b[pos]!;
    if (kind === 0x21) {
      const label = b[pos + 1];
      const first = subBlocks(b, pos + 2);
      if (label === 0xf9 && first.data.length >= 4 && first.data[0]! & 1) transparent = first.data[3]!;
      pos = first.end;
      continue;
    }
    if (kind !== 0x2c) {
      pos++;
      continue;
    }
    if (pos + 10 > b.length) throw new CorruptError('the image descriptor is cut short');
    const x = u16le(b, pos + 1);
    const y = u16le(b, pos + 3);
    const width = u16le(b, pos + 5);
    const height = u16le(b, pos + 7);
    const fflags = b[pos + 9]!;
    pos += 10;
    let pal = global;
    if (fflags & 0x80) {
      const entries = 1 << ((fflags & 7) + 1);
      pal = palette(b, pos, entries);
      pos += entries * 3;
    }
    const canvasWidth = Math.max(u16le(b, 6), x + width);
    const canvasHeight = Math.max(u16le(b, 8), y + height);
    return { x, y, width, height, canvasWidth, canvasHeight, interlaced: (fflags & 0x40) !== 0, palette: pal, transparent, data: pos };
  }
}
