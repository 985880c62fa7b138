// A PNG's chunks as Pillow reads them, before any decoder sees the file. Pillow checks the
// checksum of every chunk before the image data (the first IDAT, or fdAT) and refuses the file
// when one is wrong; it ignores what the others say about colour (iCCP, gAMA, sRGB, cHRM, sBIT).
// png.ts reads the file's chunks itself, as Pillow does. The browser's decoder gets the file as it
// is (a copy costs a tenth of a millisecond a photo), but for sBIT, which it might honour: that
// file keeps only the chunks that make the pixels, IHDR, PLTE, IDAT and IEND (tRNS, alpha only, is
// dropped too: convert('RGB') keeps the stored colour either way).

const KEEP = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

let table: Uint32Array | null = null;

function crc32(b: Uint8Array, from: number, to: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

interface Chunk {
  type: string;
  start: number;
  end: number;
}

/** The whole chunks of the file, checksums checked up to the image data; or Pillow's reason to refuse it. */
function chunks(b: Uint8Array): { ok: true; list: Chunk[]; end: number } | { ok: false; reason: string } {
  const list: Chunk[] = [];
  let beforeImage = true;
  let pos = 8;
  while (pos + 12 <= b.length) {
    const length = u32be(b, pos);
    const end = pos + 12 + length;
    if (end > b.length) break;
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    if (type === 'IDAT' || type === 'fdAT') beforeImage = false;
    if (beforeImage && crc32(b, pos + 4, pos + 8 + length) !== u32be(b, pos + 8 + length)) {
      return { ok: false, reason: `broken PNG file: bad checksum in its ${type} chunk` };
    }
    list.push({ type, start: pos, end });
    pos = end;
    if (type === 'IEND') break;
  }
  return { ok: true, list, end: pos };
}

/** The file with only the chunks that make the pixels; what follows the last whole chunk stays, so a cut file still fails as cut. */
function kept(b: Uint8Array, list: Chunk[], end: number): Uint8Array {
  const keep = list.filter((c) => KEEP.has(c.type));
  if (keep.length === list.length) return b;
  const tail = b.subarray(end);
  const out = new Uint8Array(8 + keep.reduce((n, c) => n + c.end - c.start, 0) + tail.length);
  out.set(b.subarray(0, 8));
  let o = 8;
  for (const c of keep) {
    out.set(b.subarray(c.start, c.end), o);
    o += c.end - c.start;
  }
  out.set(tail, o);
  return out;
}

/** Whether Pillow gets past the chunks before the image data; if not, its reason. */
export function pngChecked(b: Uint8Array): { ok: true } | { ok: false; reason: string } {
  const found = chunks(b);
  return found.ok ? { ok: true } : found;
}

/** The file the browser's decoder should see: without sBIT, which it might honour. */
export function pngForBrowser(b: Uint8Array): Uint8Array {
  const found = chunks(b);
  return found.ok && found.list.some((c) => c.type === 'sBIT') ? kept(b, found.list, found.end) : b;
}
