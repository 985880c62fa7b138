// The animation chunks of an APNG, checked as Pillow's handlers check them, and only where they
// do: Pillow shows frame 0 of an animation, and these decide where its data goes and whether it
// is read at all.

import { u32be } from '../bytes.ts';
import { CorruptError } from '../codec.ts';
import { whole, type Chunk } from './chunks.ts';

/** What Pillow's APNG chunk handlers keep: the frame count and the last sequence number. */
export interface Animation {
  frames: number | null;
  seq: number | null;
}

export function readAcTL(b: Uint8Array, c: Chunk, a: Animation): void {
  whole(b, c);
  if (c.length < 8) throw new CorruptError('APNG contains truncated acTL chunk');
  if (a.frames !== null) {
    a.frames = null;
    return;
  }
  const n = u32be(b, c.data);
  if (n !== 0 && n <= 0x80000000) a.frames = n;
}

/** An fcTL's rectangle (x0, y0, x1, y1), its sequence number and size checked as Pillow does. */
export function readFcTL(b: Uint8Array, c: Chunk, a: Animation, width: number, height: number): [number, number, number, number] {
  whole(b, c);
  if (c.length < 26) throw new CorruptError('APNG contains truncated fcTL chunk');
  const seq = u32be(b, c.data);
  if ((a.seq === null && seq !== 0) || (a.seq !== null && a.seq !== seq - 1)) throw new CorruptError('APNG contains frame sequence errors');
  a.seq = seq;
  const w = u32be(b, c.data + 4);
  const h = u32be(b, c.data + 8);
  const x = u32be(b, c.data + 12);
  const y = u32be(b, c.data + 16);
  if (x + w > width || y + h > height) throw new CorruptError('APNG contains invalid frames');
  return [x, y, x + w, y + h];
}

/** An fdAT's sequence number checked; its image data starts 4 bytes into it. */
export function readFdAT(b: Uint8Array, c: Chunk, a: Animation): void {
  if (c.length < 4) throw new CorruptError('APNG contains truncated fDAT chunk');
  if (c.data + 4 > b.length) throw new CorruptError('Truncated File Read in its fdAT chunk');
  const seq = u32be(b, c.data);
  if (a.seq === null || a.seq !== seq - 1) throw new CorruptError('APNG contains frame sequence errors');
  a.seq = seq;
}
