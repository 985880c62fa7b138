// Pillow's BmpRleDecoder, to the byte, quirks included: a delta escape reads two bytes past its
// own, absolute runs are aligned on the file's position, not the pixel data's, and an image whose
// RLE data ends early is refused.

import { CorruptError } from '../codec.ts';

/**
 * The pixel indices in file order, written into a buffer of the image's size. `n` counts what
 * the decoder has produced, which escapes can carry past the image's end: what falls past it is
 * dropped, never held.
 */
export function rle(b: Uint8Array, start: number, width: number, height: number, rle4: boolean): Uint8Array {
  const total = width * height;
  const data = new Uint8Array(total);
  let n = 0;
  const push = (v: number) => {
    if (n < total) data[n] = v;
    n++;
  };
  let x = 0;
  let pos = start;
  const read = (count: number) => {
    const got = b.subarray(pos, Math.min(pos + count, b.length));
    pos += got.length;
    return got;
  };
  while (n < total) {
    const pair = read(2);
    if (pair.length < 2) break;
    let count = pair[0]!;
    const byte = pair[1]!;
    if (count) {
      if (x + count > width) count = Math.max(0, width - x);
      if (rle4) for (let i = 0; i < count; i++) push(i % 2 === 0 ? byte >> 4 : byte & 15);
      else for (let i = 0; i < count; i++) push(byte);
      x += count;
    } else if (byte === 0) {
      // To the end of the row: zeros, which the buffer already holds.
      n += (width - (n % width)) % width;
      x = 0;
    } else if (byte === 1) {
      break;
    } else if (byte === 2) {
      if (read(2).length < 2) break;
      const [right = 0, up = 0] = read(2);
      n += right + up * width;
      x = n % width;
    } else {
      const byteCount = rle4 ? byte >> 1 : byte;
      const got = read(byteCount);
      for (const v of got) {
        if (rle4) {
          push(v >> 4);
          push(v & 15);
        } else {
          push(v);
        }
      }
      if (got.length < byteCount) break;
      x += byte;
      if (pos % 2 !== 0) pos++;
    }
  }
  if (n < total) throw new CorruptError('not enough image data');
  return data;
}
