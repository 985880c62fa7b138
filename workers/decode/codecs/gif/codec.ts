// GIF: decoded in JavaScript as Pillow decodes it (decode.ts), never by the browser, whose
// decoders compose frames and make a transparent index transparent black.

import { asciiAt, u16le } from '../bytes.ts';
import type { Codec, Header } from '../codec.ts';
import { gifToRgb } from './decode.ts';
import { gifFirstFrame } from './frame.ts';

/**
 * A GIF's size is its first frame's canvas: the screen, grown to hold the frame. A 35-byte file
 * can declare a 1x1 screen and a 65535x65535 frame; the frame is what would be allocated.
 */
function gifHeader(b: Uint8Array): Header | null {
  if (b.byteLength < 10) return null;
  const screen = { width: u16le(b, 6), height: u16le(b, 8) };
  let size = screen;
  let frame: Header['frame'];
  try {
    const f = gifFirstFrame(b);
    size = { width: f.canvasWidth, height: f.canvasHeight };
    if (size.width > screen.width || size.height > screen.height) frame = { x: f.x, y: f.y, width: f.width, height: f.height };
  } catch {
    // No frame to be found: the decoder says why, later.
  }
  if (!(size.width > 0 && size.height > 0)) return null;
  return { format: 'gif', width: size.width, height: size.height, orientation: 1, orientationAt: null, alpha: true, ...(frame ? { frame } : {}) };
}

export const gif: Codec = {
  format: 'gif',
  sniff: (b) => asciiAt(b, 0, 'GIF87a') || asciiAt(b, 0, 'GIF89a'),
  readHeader: gifHeader,
  decode: gifToRgb,
};
