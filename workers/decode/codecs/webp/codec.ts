// WebP: decoded by the browser. Lossless WebP comes out of WebCodecs' ImageDecoder as RGBA with
// the stored colour; lossy WebP comes as YUV, which only libwebp's own conversion turns into
// Pillow's colours, so it goes through createImageBitmap instead.

import { asciiAt, fourCC, u16le, u24le, u32le } from '../bytes.ts';
import { plainHeader, type Codec } from '../codec.ts';

/** Width, height and whether it carries alpha, from the first chunk of a WebP. */
function webpSize(b: Uint8Array): [number, number, boolean] | null {
  const kind = fourCC(b, 12);
  if (kind === 'VP8 ' && b.byteLength >= 30) return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff, false];
  if (kind === 'VP8L' && b.byteLength >= 25) {
    const bits = u32le(b, 21);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, (bits & 0x10000000) !== 0];
  }
  if (kind === 'VP8X' && b.byteLength >= 30) return [u24le(b, 24) + 1, u24le(b, 27) + 1, (b[20]! & 0x10) !== 0];
  return null;
}

/** Whether a WebP holds as many bytes as its RIFF header says. */
export function webpComplete(b: Uint8Array): boolean {
  return b.byteLength >= 12 && u32le(b, 4) + 8 <= b.byteLength;
}

export const webp: Codec = {
  format: 'webp',
  sniff: (b) => asciiAt(b, 0, 'RIFF') && asciiAt(b, 8, 'WEBP'),
  readHeader(b) {
    const size = webpSize(b);
    return size ? plainHeader('webp', size[0], size[1], size[2]) : null;
  },
  refusal: (b) => (webpComplete(b) ? null : `truncated WebP (${b.byteLength} bytes)`),
  imageDecoder: { type: 'image/webp', planes: false },
};
