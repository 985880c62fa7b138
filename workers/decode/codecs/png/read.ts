// The chunks of a PNG in the order and with the checks of Pillow's PngImagePlugin: those before
// the image data (PngImageFile._open), the run of image data chunks, and those after it that
// Pillow reads once the image is decoded (load_end). Which of them an animated PNG shows is
// decided here: frame 0, never composed with another.

import { u32be } from '../bytes.ts';
import { CorruptError } from '../codec.ts';
import { readAcTL, readFcTL, readFdAT, type Animation } from './apng.ts';
import { chunkAt, validType, whole, type Chunk } from './chunks.ts';
import { DEPTHS } from './layout.ts';

/** Pillow reads image data 64 KB at a time (ImageFile's MAXBLOCK), never across a chunk's end. */
const READ = 65536;

export interface Opened {
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
export function open(b: Uint8Array): Opened {
  const a: Animation = { frames: null, seq: null };
  let ihdr: { width: number; height: number; depth: number; colorType: number; interlaced: boolean } | null = null;
  let palette: Uint8Array | null = null;
  let region: Opened['region'] = null;
  for (let pos = 8; ; ) {
    const c = chunkAt(b, pos);
    if (!c) throw new CorruptError('it holds no image data');
    if (!validType(c.type)) throw new CorruptError(`broken PNG file (chunk ${JSON.stringify(c.type)})`);
    if (c.type === 'IDAT' || c.type === 'fdAT' || c.type === 'IEND') {
      if (c.type === 'IEND') throw new CorruptError('it holds no image data');
      if (!ihdr) throw new CorruptError('no IHDR chunk before the image data');
      const { width, height, depth, colorType } = ihdr;
      if (!(width > 0 && height > 0)) throw new CorruptError(`its size is ${width}x${height}`);
      if (!DEPTHS[colorType]?.includes(depth)) throw new CorruptError(`unsupported bit depth ${depth} for colour type ${colorType}`);
      if (c.type === 'fdAT') readFdAT(b, c, a);
      const defaultImage = c.type === 'IDAT' && region === null && a.frames !== null;
      return { ...ihdr, palette, region, first: c, start: c.type === 'fdAT' ? c.data + 4 : c.data, animation: a, frames: (a.frames ?? 1) + (defaultImage ? 1 : 0) };
    }
    whole(b, c);
    if (c.next > b.length) throw new CorruptError(`broken PNG file (incomplete checksum in its ${c.type} chunk)`);
    if (c.type === 'IHDR') {
      if (c.length < 13) throw new CorruptError('Truncated IHDR chunk');
      if (b[c.data + 11]) throw new CorruptError('unknown filter category');
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
export interface Run {
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

/** The run's chunks, as far as `budget` bytes of data (whole chunks); where their data starts and how long it is. */
function runChunks(b: Uint8Array, o: Opened, budget: number): Pick<Run, 'chunks' | 'broken' | 'complete'> & { starts: number[]; lengths: number[] } {
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
  return { chunks, starts, lengths, broken, complete };
}

/** The run, its data copied end to end as far as `budget` bytes (whole chunks): a bomb's megabytes stay where they are. */
export function imageRun(b: Uint8Array, o: Opened, budget: number): Run {
  const { chunks, starts, lengths, broken, complete } = runChunks(b, o, budget);
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
export function chunkHolding(offsets: number[], at: number): number {
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
export function firstAbove(list: number[], at: number): number {
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
export function checkRunSequence(b: Uint8Array, run: Run, last: number, a: Animation): void {
  for (let i = 1; i <= last; i++) if (run.chunks[i]!.type === 'fdAT') readFdAT(b, run.chunks[i]!, a);
}

/**
 * PngImageFile.load_end: the chunks after the image data, up to IEND, or to the next frame's
 * fcTL in an animation. Pillow reads each whole and checks the APNG ones as it goes.
 */
export function checkRest(b: Uint8Array, from: number, o: Opened): void {
  const animated = o.frames > 1;
  for (let pos = from; ; ) {
    const c = chunkAt(b, pos);
    if (!c || !validType(c.type) || c.type === 'IEND' || (c.type === 'fcTL' && animated)) return;
    whole(b, c);
    if (c.type === 'fcTL') readFcTL(b, c, o.animation, o.width, o.height);
    else if (c.type === 'fdAT') readFdAT(b, c, o.animation);
    else if (c.type === 'acTL' && c.length < 8) throw new CorruptError('APNG contains truncated acTL chunk');
    pos = c.next;
  }
}
