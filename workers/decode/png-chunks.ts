// A PNG's chunks as Pillow reads them, before any decoder sees the file. Pillow checks the
// checksum of every chunk before the image data and refuses the file when one is wrong; it
// ignores what the others say about colour (iCCP, gAMA, sRGB, cHRM) and passes over damaged
// ancillary chunks (a broken zlib stream in iCCP or zTXt) that a browser or fast-png would stop
// at. So the decoders get the file with only the chunks that make the pixels: IHDR, PLTE, IDAT
// and IEND (tRNS, alpha only, is dropped too: convert('RGB') keeps the stored colour either way).

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

/** The file a decoder should see, or the reason Pillow refuses it. A cut file is left as it is. */
export function pngForDecoding(b: Uint8Array): { ok: true; bytes: Uint8Array } | { ok: false; reason: string } {
  const kept: Array<[number, number]> = [];
  let dropped = false;
  let beforeImage = true;
  let pos = 8;
  while (pos + 12 <= b.length) {
    const length = u32be(b, pos);
    const end = pos + 12 + length;
    if (end > b.length) break;
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    if (type === 'IDAT') beforeImage = false;
    if (beforeImage && crc32(b, pos + 4, pos + 8 + length) !== u32be(b, pos + 8 + length)) {
      return { ok: false, reason: `broken PNG file: bad checksum in its ${type} chunk` };
    }
    if (KEEP.has(type)) kept.push([pos, end]);
    else dropped = true;
    pos = end;
    if (type === 'IEND') break;
  }
  if (!dropped) return { ok: true, bytes: b };
  // What follows the last whole chunk (a cut one) stays, so a cut file still fails as cut.
  const tail = pos < b.length ? b.subarray(pos) : new Uint8Array(0);
  const size = 8 + kept.reduce((n, [s, e]) => n + e - s, 0) + tail.length;
  const out = new Uint8Array(size);
  out.set(b.subarray(0, 8));
  let o = 8;
  for (const [s, e] of kept) {
    out.set(b.subarray(s, e), o);
    o += e - s;
  }
  out.set(tail, o);
  return { ok: true, bytes: out };
}
