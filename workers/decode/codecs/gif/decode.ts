// The first frame of a GIF as Pillow 9 reads it, then convert('RGB'): palette indices, never
// colours with alpha. Browsers give a transparent index transparent black and compose frames on
// a background; Pillow keeps the palette colour of the transparent index, fills the canvas
// outside the frame with that index (or 0 when there is none), grows the canvas to hold a frame
// larger than the screen, and maps indices past a short palette to grey (i, i, i).

import { CorruptError, type Rgb } from '../codec.ts';
import { gifFirstFrame, palette, subBlocks } from './frame.ts';
import { lzw } from './lzw.ts';

/** Rows of an interlaced frame in the order they are stored. */
function interlacedRows(height: number): number[] {
  const rows: number[] = [];
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]] as const) for (let y = start; y < height; y += step) rows.push(y);
  return rows;
}

/** A GIF's first frame as RGB; the caller has checked its size (gifFirstFrame) against the limits. */
export function gifToRgb(b: Uint8Array): Rgb {
  const f = gifFirstFrame(b);
  const { x: x0, y: y0, width: fw, height: fh, canvasWidth: width, canvasHeight: height } = f;
  if (f.data >= b.length) throw new CorruptError('the image data is missing');
  const minCode = b[f.data]!;
  const blocks = subBlocks(b, f.data + 1);
  const decoded = lzw(blocks.data, minCode, fw * fh);
  if (decoded.filled < fw * fh && !decoded.ended) throw new CorruptError(`image file is truncated (${decoded.filled} of ${fw * fh} pixels)`);
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
