// A JPEG's size and EXIF orientation, from the segments before its first scan.

import { u16be } from '../bytes.ts';
import type { Header } from '../codec.ts';
import { exifOrientation, type Orientation } from './exif.ts';

/**
 * The segments of a JPEG header, walked as Pillow walks them: bytes that are not a marker are
 * passed over one at a time (libjpeg does the same, with a warning), as are fill bytes and
 * escaped 0xFF00 pairs, so a segment whose length is short of its content or junk between two
 * segments does not stop the reading.
 */
export function jpegHeader(b: Uint8Array): Header | null {
  let pos = 2;
  let width = 0;
  let height = 0;
  let orientation: Orientation | null = null;
  while (pos + 4 <= b.byteLength) {
    if (b[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = b[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0x00) {
      pos += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const length = u16be(b, pos + 2);
    const end = Math.min(pos + 2 + length, b.byteLength);
    if (marker === 0xe1 && !orientation && b[pos + 4] === 0x45 && b[pos + 5] === 0x78 && b[pos + 6] === 0x69 && b[pos + 7] === 0x66) {
      orientation = exifOrientation(b, pos + 10, end);
    }
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc && pos + 9 <= b.byteLength) {
      height = u16be(b, pos + 5);
      width = u16be(b, pos + 7);
    }
    pos += 2 + length;
  }
  if (!width || !height) return null;
  return {
    format: 'jpeg',
    width,
    height,
    orientation: orientation?.value ?? 1,
    orientationAt: orientation ? { offset: orientation.offset, littleEndian: orientation.littleEndian } : null,
    alpha: false,
  };
}
