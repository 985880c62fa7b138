// PNG -> RGB exactly as Pillow 9's Image.open(...).convert('RGB'): alpha dropped with the stored
// colour kept (a canvas would premultiply it away), palettes expanded (indices past a short
// palette are grey, as in Pillow's palettes), low bit depths scaled, 16-bit colour reduced to its
// high byte, and 16-bit grey clipped at 255 (Pillow opens it as mode "I", whose conversion to RGB
// clips rather than scales).
//
// The chunks are read as Pillow's PngImagePlugin reads them, which decides what an animated PNG
// shows: frame 0, never composed with another. Pillow reads chunks up to the first IDAT (or
// fdAT); an fcTL before it puts that image data in its rectangle, on a blank canvas (index 0 of a
// palette image), while an IDAT before any fcTL is the "default image", shown whole. Sequence
// numbers and frame rectangles are checked as Pillow checks them, and only where it does.
//
// The image data is inflated into a buffer of the size IHDR (or the frame) needs and no further
// (inflate.ts), so a decompression bomb costs its image's size: Pillow, too, decodes the image
// and leaves the data past it unread.

import { inflateInto } from './inflate.ts';

export class PngError extends Error {}
/** Image data larger than any encoder makes of the image: refused as too large, never inflated. */
export class PngTooLarge extends PngError {}

const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/** Channels by colour type; bit depths Pillow opens by colour type (its _MODES table). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7's passes: first column and row, column and row steps. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Pillow reads image data 64 KB at a time (ImageFile's MAXBLOCK), never across a chunk's end. */
const READ = 65536;

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

function passes(width: number, height: number, interlaced: boolean): Pass[] {
  if (!interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, width: Math.ceil((width - x0) / dx), height: Math.ceil((height - y0) / dy) })).filter((p) => p.width > 0 && p.height > 0);
}

const rowBytes = (width: number, channels: number, depth: number) => Math.ceil((width * channels * depth) / 8);

/**
 * Bytes the image data of a width x height image inflates to: each row of each pass with its
 * filter byte. Nothing a decoder needs is larger.
 */
export function imageDataBytes(width: number, height: number, depth: number, colorType: number, interlaced: boolean): number {
  const channels = CHANNELS[colorType] ?? 4;
  return passes(width, height, interlaced).reduce((n, p) => n + p.height * (1 + rowBytes(p.width, channels, depth)), 0);
}

/**
 * The most image data an encoder makes of an image that inflates to n bytes: deflate's stored
 * blocks add 5 bytes in 65535, fixed Huffman codes at worst an eighth. More than this is data the
 * image does not need (which no decoder should inflate: frames.ts keeps such files from the
 * browser's decoder).
 */
export const imageDataBound = (n: number) => n + Math.ceil(n / 8) + 1024;

interface Chunk {
  type: string;
  /** Offset of its data, and the length its header gives (the file may hold less). */
  data: number;
  length: number;
  /** Offset of the next chunk's header: after the data and the checksum. */
  next: number;
}

/** The chunk at `pos`, or null where fewer than 8 bytes are left (Pillow's struct.error). */
function chunkAt(b: Uint8Array, pos: number): Chunk | null {
  if (pos + 8 > b.length) return null;
  const length = u32be(b, pos);
  const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
  return { type, data: pos + 8, length, next: pos + 12 + length };
}

/** A chunk type Pillow reads on (its regular expression \w\w\w\w); others stop it. */
const validType = (type: string) => /^[A-Za-z0-9_]{4}$/.test(type);

/** The whole of a chunk's data is in the file, as Pillow's _safe_read insists. */
function whole(b: Uint8Array, c: Chunk): void {
  if (c.data + c.length > b.length) throw new PngError(`Truncated File Read in its ${c.type} chunk`);
}

/** What Pillow's APNG chunk handlers keep: the frame count and the last sequence number. */
interface Animation {
  frames: number | null;
  seq: number | null;
}

function readAcTL(b: Uint8Array, c: Chunk, a: Animation): void {
  whole(b, c);
  if (c.length < 8) throw new PngError('APNG contains truncated acTL chunk');
  if (a.frames !== null) {
    a.frames = null;
    return;
  }
  const n = u32be(b, c.data);
  if (n !== 0 && n <= 0x80000000) a.frames = n;
}

/** An fcTL's rectangle (x0, y0, x1, y1), its sequence number and size checked as Pillow does. */
function readFcTL(b: Uint8Array, c: Chunk, a: Animation, width: number, height: number): [number, number, number, number] {
  whole(b, c);
  if (c.length < 26) throw new PngError('APNG contains truncated fcTL chunk');
  const seq = u32be(b, c.data);
  if ((a.seq === null && seq !== 0) || (a.seq !== null && a.seq !== seq - 1)) throw new PngError('APNG contains frame sequence errors');
  a.seq = seq;
  const w = u32be(b, c.data + 4);
  const h = u32be(b, c.data + 8);
  const x = u32be(b, c.data + 12);
  const y = u32be(b, c.data + 16);
  if (x + w > width || y + h > height) throw new PngError('APNG contains invalid frames');
  return [x, y, x + w, y + h];
}

/** An fdAT's sequence number checked; its image data starts 4 bytes into it. */
function readFdAT(b: Uint8Array, c: Chunk, a: Animation): void {
  if (c.length < 4) throw new PngError('APNG contains truncated fDAT chunk');
  if (c.data + 4 > b.length) throw new PngError('Truncated File Read in its fdAT chunk');
  const seq = u32be(b, c.data);
  if (a.seq === null || a.seq !== seq - 1) throw new PngError('APNG contains frame sequence errors');
  a.seq = seq;
}

interface Opened {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  /** PLTE's bytes (a palette image's only). */
  palette: Uint8Array | null;
  /** Where the image data goes: an fcTL's rectangle, else the whole image. */
  region: [number, number, number, number] | null;
  /** The chunk the image data starts in, and where in it. */
  first: Chunk;
  start: number;
  animation: Animation;
  /** Frames Pillow counts: acTL's, one more for a default image that is not part of the animation. */
  frames: number;
}

/** PngImageFile._open: the chunks up to the image data. */
function open(b: Uint8Array): Opened {
  const a: Animation = { frames: null, seq: null };
  let ihdr: { width: number; height: number; depth: number; colorType: number; interlaced: boolean } | null = null;
  let palette: Uint8Array | null = null;
  let region: Opened['region'] = null;
  for (let pos = 8; ; ) {
    const c = chunkAt(b, pos);
    if (!c) throw new PngError('it holds no image data');
    if (!validType(c.type)) throw new PngError(`broken PNG file (chunk ${JSON.stringify(c.type)})`);
    if (c.type === 'IDAT' || c.type === 'fdAT' || c.type === 'IEND') {
      if (c.type === 'IEND') throw new PngError('it holds no image data');
      if (!ihdr) throw new PngError('no IHDR chunk before the image data');
      const { width, height, depth, colorType } = ihdr;
      if (!(width > 0 && height > 0)) throw new PngError(`its size is ${width}x${height}`);
      if (!DEPTHS[colorType]?.includes(depth)) throw new PngError(`unsupported bit depth ${depth} for colour type ${colorType}`);
      if (c.type === 'fdAT') readFdAT(b, c, a);
      const defaultImage = c.type === 'IDAT' && region === null && a.frames !== null;
      return { ...ihdr, palette, region, first: c, start: c.type === 'fdAT' ? c.data + 4 : c.data, animation: a, frames: (a.frames ?? 1) + (defaultImage ? 1 : 0) };
    }
    whole(b, c);
    if (c.next > b.length) throw new PngError(`broken PNG file (incomplete checksum in its ${c.type} chunk)`);
    if (c.type === 'IHDR') {
      if (c.length < 13) throw new PngError('Truncated IHDR chunk');
      if (b[c.data + 11]) throw new PngError('unknown filter category');
      ihdr = { width: u32be(b, c.data), height: u32be(b, c.data + 4), depth: b[c.data + 8]!, colorType: b[c.data + 9]!, interlaced: b[c.data + 12] !== 0 };
    } else if (c.type === 'PLTE') {
      if (ihdr?.colorType === 3) palette = b.subarray(c.data, c.data + c.length);
    } else if (c.type === 'acTL') {
      readAcTL(b, c, a);
    } else if (c.type === 'fcTL') {
      region = readFcTL(b, c, a, ihdr?.width ?? 0, ihdr?.height ?? 0);
    }
    pos = c.next;
  }
}

/** The image data: the first chunk's and that of the IDAT, DDAT and fdAT chunks right after it. */
interface Run {
  chunks: Chunk[];
  /** Offset of each chunk's data in `data`. */
  offsets: number[];
  data: Uint8Array;
  /** Where Pillow's reads end, in `data`. */
  reads: number[];
  /** Why the run ends: another chunk (truncated, if the image needs more) or a broken header. */
  broken: string | null;
  /** Whether the run holds all its chunks, or stopped at `budget` bytes. */
  complete: boolean;
}

/** The run, its data copied end to end as far as `budget` bytes (whole chunks): a bomb's megabytes stay where they are. */
function imageRun(b: Uint8Array, o: Opened, budget: number): Run {
  const chunks = [o.first];
  const starts = [o.start];
  const lengths = [o.first.length - (o.start - o.first.data)];
  let broken: string | null = null;
  let complete = true;
  let held = lengths[0]!;
  for (let pos = o.first.next; ; ) {
    if (held >= budget) {
      complete = false;
      break;
    }
    const c = chunkAt(b, pos);
    if (!c) break;
    if (!validType(c.type)) {
      broken = `broken PNG file (chunk ${JSON.stringify(c.type)})`;
      break;
    }
    if (c.type !== 'IDAT' && c.type !== 'DDAT' && c.type !== 'fdAT') break;
    if (c.type === 'fdAT' && c.length < 4) {
      broken = 'APNG contains truncated fDAT chunk';
      break;
    }
    chunks.push(c);
    starts.push(c.type === 'fdAT' ? c.data + 4 : c.data);
    lengths.push(c.type === 'fdAT' ? c.length - 4 : c.length);
    held += lengths.at(-1)!;
    pos = c.next;
  }
  const available = starts.map((s, i) => Math.max(0, Math.min(lengths[i]!, b.length - s)));
  const offsets: number[] = [];
  const reads: number[] = [];
  let total = 0;
  for (let i = 0; i < starts.length; i++) {
    offsets.push(total);
    for (let r = READ; r < available[i]!; r += READ) reads.push(total + r);
    total += available[i]!;
    reads.push(total);
  }
  let data: Uint8Array;
  if (chunks.length === 1) {
    data = b.subarray(starts[0], starts[0]! + available[0]!);
  } else {
    data = new Uint8Array(total);
    starts.forEach((s, i) => data.set(b.subarray(s, s + available[i]!), offsets[i]));
  }
  return { chunks, offsets, data, reads, broken, complete };
}

/** The chunk of the run that holds byte `at` of its data: the last whose data starts at or before it. */
function chunkHolding(offsets: number[], at: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Index of the first entry of sorted `list` above `at` (the last one if none is). */
function firstAbove(list: number[], at: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The fdAT chunks Pillow read while decoding (up to chunk `last` of the run) have their sequence numbers in order. */
function checkRunSequence(b: Uint8Array, run: Run, last: number, a: Animation): void {
  for (let i = 1; i <= last; i++) if (run.chunks[i]!.type === 'fdAT') readFdAT(b, run.chunks[i]!, a);
}

/**
 * PngImageFile.load_end: the chunks after the image data, up to IEND, or to the next frame's
 * fcTL in an animation. Pillow reads each whole and checks the APNG ones as it goes.
 */
function checkRest(b: Uint8Array, from: number, o: Opened): void {
  const animated = o.frames > 1;
  for (let pos = from; ; ) {
    const c = chunkAt(b, pos);
    if (!c || !validType(c.type) || c.type === 'IEND' || (c.type === 'fcTL' && animated)) return;
    whole(b, c);
    if (c.type === 'fcTL') readFcTL(b, c, o.animation, o.width, o.height);
    else if (c.type === 'fdAT') readFdAT(b, c, o.animation);
    else if (c.type === 'acTL' && c.length < 8) throw new PngError('APNG contains truncated acTL chunk');
    pos = c.next;
  }
}

/** Undoes a row's filter in place; `prev` is the row above, unfiltered (null for a pass's first). */
function unfilter(row: Uint8Array, prev: Uint8Array | null, filter: number, bpp: number): void {
  const n = row.length;
  if (filter === 0) return;
  if (filter > 4) throw new PngError('unrecognized data stream contents when reading image file');
  // The row above a pass's first row is zeros: Up adds nothing, Average and Paeth see only the left.
  if (!prev) {
    if (filter === 1 || filter === 4) for (let i = bpp; i < n; i++) row[i] = row[i]! + row[i - bpp]!;
    else if (filter === 3) for (let i = bpp; i < n; i++) row[i] = row[i]! + (row[i - bpp]! >> 1);
    return;
  }
  if (filter === 1) {
    for (let i = bpp; i < n; i++) row[i] = row[i]! + row[i - bpp]!;
  } else if (filter === 2) {
    for (let i = 0; i < n; i++) row[i] = row[i]! + prev[i]!;
  } else if (filter === 3) {
    for (let i = 0; i < bpp && i < n; i++) row[i] = row[i]! + (prev[i]! >> 1);
    for (let i = bpp; i < n; i++) row[i] = row[i]! + ((row[i - bpp]! + prev[i]!) >> 1);
  } else {
    for (let i = 0; i < bpp && i < n; i++) row[i] = row[i]! + prev[i]!;
    for (let i = bpp; i < n; i++) {
      const a = row[i - bpp]!;
      const b = prev[i]!;
      const c = prev[i - bpp]!;
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      row[i] = row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
  }
}

/** Pillow's 256-entry palette: PLTE's whole entries, then grey (i, i, i); grey throughout without one. */
function paletteTable(plte: Uint8Array | null): Uint8Array {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) p[i * 3] = p[i * 3 + 1] = p[i * 3 + 2] = i;
  if (plte) p.set(plte.subarray(0, Math.min(768, plte.length - (plte.length % 3))));
  return p;
}

/** Writes one unfiltered row of n pixels as RGB, pixel i at rgb[at + i * step]. */
type RowWriter = (row: Uint8Array, n: number, rgb: Uint8Array, at: number, step: number) => void;

function rowWriter(colorType: number, depth: number, palette: Uint8Array): RowWriter {
  const channels = CHANNELS[colorType]!;
  if (depth < 8) {
    const mask = (1 << depth) - 1;
    // Palette indices as they are; grey levels scaled to 8 bits (Pillow's L;2 and L;4, and mode 1).
    const level = colorType === 3 ? (v: number) => v : (v: number) => Math.round((v * 255) / mask);
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const bit = i * depth;
        const v = level((row[bit >> 3]! >> (8 - depth - (bit & 7))) & mask);
        const p = colorType === 3 ? v * 3 : -1;
        rgb[d] = p < 0 ? v : palette[p]!;
        rgb[d + 1] = p < 0 ? v : palette[p + 1]!;
        rgb[d + 2] = p < 0 ? v : palette[p + 2]!;
      }
    };
  }
  if (colorType === 3) {
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const p = row[i]! * 3;
        rgb[d] = palette[p]!;
        rgb[d + 1] = palette[p + 1]!;
        rgb[d + 2] = palette[p + 2]!;
      }
    };
  }
  const size = (channels * depth) / 8;
  if (channels <= 2) {
    // 16-bit grey is mode "I", clipped at 255; 16-bit grey with alpha is "LA", its high byte.
    const clip = depth === 16 && channels === 1;
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const s = i * size;
        const v = clip ? (row[s]! ? 255 : row[s + 1]!) : row[s]!;
        rgb[d] = rgb[d + 1] = rgb[d + 2] = v;
      }
    };
  }
  // Colour: the high byte of each 16-bit sample.
  const sample = depth / 8;
  return (row, n, rgb, at, step) => {
    for (let i = 0, d = at; i < n; i++, d += step) {
      const s = i * size;
      rgb[d] = row[s]!;
      rgb[d + 1] = row[s + sample]!;
      rgb[d + 2] = row[s + 2 * sample]!;
    }
  };
}

export function pngToRgb(b: Uint8Array): { rgb: Uint8Array; width: number; height: number } {
  const o = open(b);
  const { width, height, depth, colorType, interlaced } = o;
  // Pillow's decoder extents: (0, 0) to (0, y) means the whole image; anything else must have a size.
  let [x0, y0, x1, y1] = o.region ?? [0, 0, width, height];
  if (x0 === 0 && x1 === 0) [x0, y0, x1, y1] = [0, 0, width, height];
  if (x1 <= x0 || y1 <= y0) throw new PngError('tile cannot extend outside image');
  const fw = x1 - x0;
  const fh = y1 - y0;
  // Pillow's decoder puts interlaced rows at the image's corner, whatever the frame's offset.
  const [left, top] = interlaced ? [0, 0] : [x0, y0];

  const raw = new Uint8Array(imageDataBytes(fw, fh, depth, colorType, interlaced));
  // An encoder's data for the image fits the bound. More is data that is not the image: a
  // decompression bomb's (a 16x16 PNG whose data inflates to 2 GiB), which Pillow would inflate
  // up to the image's end and pass over; tench refuses it, as too large, without inflating it.
  const bound = imageDataBound(raw.length);
  const run = imageRun(b, o, bound + 1);
  if (!run.complete) throw new PngTooLarge(`the PNG's image data is over ${bound} bytes, more than any encoder makes of its ${fw}x${fh} image: data that is not the image (a decompression bomb), never inflated`);
  const inflated = inflateInto(run.data, raw, (at) => run.reads[firstAbove(run.reads, at)]!);
  // Pillow read the run up to where zlib stopped: all of it when the data ran out.
  const reached = !inflated.ok && inflated.truncated ? run.chunks.length - 1 : chunkHolding(run.offsets, Math.max(0, inflated.end - 1));
  checkRunSequence(b, run, reached, o.animation);
  if (!inflated.ok) throw new PngError(inflated.truncated && run.broken ? run.broken : inflated.reason);
  checkRest(b, run.chunks[reached]!.next, o);

  const palette = paletteTable(colorType === 3 ? o.palette : null);
  const rgb = new Uint8Array(width * height * 3);
  // A frame smaller than the image sits on a blank canvas: zeros, palette index 0 for a palette image.
  if ((fw !== width || fh !== height) && colorType === 3) {
    for (let i = 0; i < rgb.length; i += 3) rgb.set(palette.subarray(0, 3), i);
  }
  const channels = CHANNELS[colorType]!;
  const bpp = Math.max(1, (channels * depth) >> 3);
  const write = rowWriter(colorType, depth, palette);
  let at = 0;
  for (const p of passes(fw, fh, interlaced)) {
    const stride = rowBytes(p.width, channels, depth);
    let prev: Uint8Array | null = null;
    for (let r = 0; r < p.height; r++) {
      const row = raw.subarray(at + 1, at + 1 + stride);
      unfilter(row, prev, raw[at]!, bpp);
      const y = top + p.y0 + r * p.dy;
      write(row, p.width, rgb, (y * width + left + p.x0) * 3, p.dx * 3);
      prev = row;
      at += 1 + stride;
    }
  }
  return { rgb, width, height };
}
