// The first frame of a GIF as Pillow 9 reads it, then convert('RGB'): palette indices, never
// colours with alpha. Browsers give a transparent index transparent black and compose frames on
// a background; Pillow keeps the palette colour of the transparent index, fills the canvas
// outside the frame with that index (or 0 when there is none), grows the canvas to hold a frame
// larger than the screen, and maps indices past a short palette to grey (i, i, i). The frame, not
// the screen, sizes what is allocated: header.ts reads it (gifFirstFrame) so that the limits are
// checked against it before anything is decoded.

export class GifError extends Error {}

const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);

/** A palette of n RGB entries, entries past it grey, as Pillow's palettes are. */
function palette(b: Uint8Array, at: number, entries: number): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) p[i * 3] = p[i * 3 + 1] = p[i * 3 + 2] = i;
  p.set(b.subarray(at, Math.min(at + entries * 3, b.length, at + 768)));
  return p;
}

/** Sub-blocks from `at` (length byte, data), concatenated, to the empty one; and where they end. */
function subBlocks(b: Uint8Array, at: number): { data: Uint8Array; end: number; complete: boolean } {
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

/** GIF's LZW: codes of growing width, least significant bit first, into `count` indices at most. */
function lzw(data: Uint8Array, minCode: number, count: number): { indices: Uint8Array; filled: number; ended: boolean } {
  const out = new Uint8Array(count);
  if (minCode < 1 || minCode > 11) throw new GifError(`LZW code size ${minCode} is out of range`);
  const clear = 1 << minCode;
  const end = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    length[i] = 1;
  }
  let width = minCode + 1;
  let next = clear + 2;
  let prev = -1;
  let acc = 0;
  let bits = 0;
  let pos = 0;
  let filled = 0;
  const stack = new Uint8Array(4096);
  while (filled < count) {
    while (bits < width && pos < data.length) {
      acc |= data[pos++]! << bits;
      bits += 8;
    }
    if (bits < width) return { indices: out, filled, ended: false };
    const code = acc & ((1 << width) - 1);
    acc >>>= width;
    bits -= width;
    if (code === clear) {
      width = minCode + 1;
      next = clear + 2;
      prev = -1;
      continue;
    }
    if (code === end) return { indices: out, filled, ended: true };
    let entry: number;
    if (prev === -1) {
      if (code >= clear) throw new GifError('broken LZW data');
      out[filled++] = code;
      prev = code;
      continue;
    }
    if (code < next) entry = code;
    else if (code === next) entry = prev;
    else throw new GifError('broken LZW data');
    // The string of `entry`, last character first.
    let n = 0;
    for (let c = entry; ; c = prefix[c]!) {
      stack[n++] = suffix[c]!;
      if (length[c] === 1) break;
    }
    const first = stack[n - 1]!;
    if (code === next) {
      // The string of prev plus its own first character.
      for (let i = n; i > 0; i--) stack[i] = stack[i - 1]!;
      stack[0] = first;
      n++;
    }
    for (let i = n - 1; i >= 0 && filled < count; i--) out[filled++] = stack[i]!;
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = first;
      length[next] = length[prev]! + 1;
      next++;
      if (next === 1 << width && width < 12) width++;
    }
    prev = code;
  }
  return { indices: out, filled, ended: true };
}

/** Rows of an interlaced frame in the order they are stored. */
function interlacedRows(height: number): number[] {
  const rows: number[] = [];
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]] as const) for (let y = start; y < height; y += step) rows.push(y);
  return rows;
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
  if (b.length < 13) throw new GifError('the header is cut short');
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
    if (pos >= b.length || b[pos] === 0x3b) throw new GifError('it holds no image');
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
    if (pos + 10 > b.length) throw new GifError('the image descriptor is cut short');
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

/** A GIF's first frame as RGB; the caller has checked its size (gifFirstFrame) against the limits. */
export function gifToRgb(b: Uint8Array): { rgb: Uint8Array; width: number; height: number } {
  const f = gifFirstFrame(b);
  const { x: x0, y: y0, width: fw, height: fh, canvasWidth: width, canvasHeight: height } = f;
  if (f.data >= b.length) throw new GifError('the image data is missing');
  const minCode = b[f.data]!;
  const blocks = subBlocks(b, f.data + 1);
  const decoded = lzw(blocks.data, minCode, fw * fh);
  if (decoded.filled < fw * fh && !decoded.ended) throw new GifError(`image file is truncated (${decoded.filled} of ${fw * fh} pixels)`);
  const canvas = new Uint8Array(width * height).fill(f.transparent ?? 0);
  const rows = f.interlaced ? interlacedRows(fh) : null;
  for (let r = 0; r < fh; r++) {
    const y = y0 + (rows ? rows[r]! : r);
    canvas.set(decoded.indices.subarray(r * fw, (r + 1) * fw), y * width + x0);
  }
  // No palette at all: the indices are grey levels (Pillow's mode L), as the grey default gives.
  const p = f.palette ?? palette(b, 0, 0);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < canvas.length; i++) {
    const c = canvas[i]! * 3;
    rgb[i * 3] = p[c]!;
    rgb[i * 3 + 1] = p[c + 1]!;
    rgb[i * 3 + 2] = p[c + 2]!;
  }
  return { rgb, width, height };
}
