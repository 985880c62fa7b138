// Browsers decode a cut JPEG and fill the rest with grey; Pillow refuses it, and so does tench.

import { u16be } from '../bytes.ts';

/** Whether a JPEG is whole: an end-of-image marker after the last scan. */
export function jpegComplete(b: Uint8Array): boolean {
  let pos = 2;
  while (pos + 4 <= b.byteLength) {
    if (b[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = b[pos + 1]!;
    if (marker === 0xd9) return true;
    if (marker === 0x00) {
      pos += 2;
      continue;
    }
    if (marker === 0xff || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    pos += 2 + u16be(b, pos + 2);
    if (marker !== 0xda) continue;
    // Entropy-coded data: a marker is 0xFF followed by anything but 0x00 or a restart marker.
    while (pos + 1 < b.byteLength) {
      if (b[pos] === 0xff) {
        const next = b[pos + 1]!;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
      }
      pos++;
    }
  }
  return b[b.byteLength - 2] === 0xff && b[b.byteLength - 1] === 0xd9;
}
