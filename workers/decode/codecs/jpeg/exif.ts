// EXIF orientation. Pillow (and so the Python reference) ignores it; browsers always apply it.
// tench decodes as Pillow does by setting the tag to 1 in a copy of the bytes, and applies the
// orientation itself when asked (orientation.ts), as ImageOps.exif_transpose would.

import { u16be, u16le, u32be, u32le } from '../bytes.ts';
import type { Header } from '../codec.ts';

export type Orientation = NonNullable<Header['orientationAt']> & { value: number };

/** The Orientation tag (0x0112) of IFD0 in an Exif APP1 payload starting at `tiff`. */
export function exifOrientation(b: Uint8Array, tiff: number, end: number): Orientation | null {
  if (tiff + 8 > end) return null;
  const le = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!le && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return null;
  const r16 = (i: number) => (le ? u16le(b, i) : u16be(b, i));
  const r32 = (i: number) => (le ? u32le(b, i) : u32be(b, i));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return null;
  const count = r16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > end) return null;
    if (r16(entry) === 0x0112) {
      const value = r16(entry + 8);
      return { offset: entry + 8, littleEndian: le, value: value >= 1 && value <= 8 ? value : 1 };
    }
  }
  return null;
}

/** A copy of a JPEG whose EXIF orientation says "as stored", or the bytes themselves if none. */
export function withoutOrientation(bytes: Uint8Array, header: Header): Uint8Array {
  if (!header.orientationAt || header.orientation === 1) return bytes;
  const copy = bytes.slice();
  const { offset, littleEndian } = header.orientationAt;
  copy[offset] = littleEndian ? 1 : 0;
  copy[offset + 1] = littleEndian ? 0 : 1;
  return copy;
}
