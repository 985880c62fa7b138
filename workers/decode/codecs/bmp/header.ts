// A BMP's headers as Pillow's BmpImageFile._bitmap reads them: OS/2 1.x's 12 bytes and Windows'
// 40, 64, 108 and 124, and nothing else.

import { u16le, u32le } from '../bytes.ts';
import { CorruptError } from '../codec.ts';

export interface Layout {
  width: number;
  height: number;
  headerSize: number;
  bits: number;
  compression: number;
  colors: number;
  topDown: boolean;
  offset: number;
  masks: [number, number, number, number] | null;
  paletteEntry: 3 | 4;
}

/** What Pillow's BmpImageFile._bitmap reads, or why it refuses. */
export function layout(b: Uint8Array): Layout {
  if (b.length < 18) throw new CorruptError('the header is cut short');
  let offset = u32le(b, 10);
  const headerSize = u32le(b, 14);
  if (18 + headerSize - 4 > b.length) throw new CorruptError('the header is cut short');
  let width: number;
  let height: number;
  let bits: number;
  let compression = 0;
  let colors = 0;
  let topDown = false;
  let masks: Layout['masks'] = null;
  let paletteEntry: 3 | 4 = 4;
  if (headerSize === 12) {
    width = u16le(b, 18);
    height = u16le(b, 20);
    bits = u16le(b, 24);
    paletteEntry = 3;
  } else if (headerSize === 40 || headerSize === 64 || headerSize === 108 || headerSize === 124) {
    topDown = b[25] === 0xff;
    width = u32le(b, 18);
    height = topDown ? 2 ** 32 - u32le(b, 22) : u32le(b, 22);
    bits = u16le(b, 28);
    compression = u32le(b, 30);
    colors = u32le(b, 46);
    if (compression === 3) {
      // Masks inside the header from 56 bytes on, or just after a 40-byte one: the same place.
      masks = [u32le(b, 54), u32le(b, 58), u32le(b, 62), headerSize >= 56 ? u32le(b, 66) : 0];
    }
  } else {
    throw new CorruptError(`unsupported BMP header type (${headerSize})`);
  }
  colors = colors || 2 ** bits;
  if (offset === 14 + headerSize && bits <= 8) offset += 4 * colors;
  return { width, height, headerSize, bits, compression, colors, topDown, offset, masks, paletteEntry };
}

/** Width and height as Pillow reads them, for the limits; null where it would refuse the header. */
export function bmpSize(b: Uint8Array): { width: number; height: number } | null {
  try {
    const l = layout(b);
    return { width: l.width, height: l.height };
  } catch {
    return null;
  }
}
