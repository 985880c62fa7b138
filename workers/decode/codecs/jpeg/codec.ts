// JPEG: decoded by the browser, never in JavaScript. Through WebCodecs' ImageDecoder it comes as
// its Y, Cb and Cr planes before upsampling, which the kernels (kernels/pixels.c) finish exactly
// as libjpeg-turbo, Pillow's decoder, does. Without ImageDecoder, and when too large to decode
// whole, through createImageBitmap (at a reduced size if need be), which would apply the EXIF
// orientation that Pillow ignores: it sees a copy whose orientation says "as stored".

import { bytesAt } from '../bytes.ts';
import type { Codec } from '../codec.ts';
import { jpegComplete } from './complete.ts';
import { withoutOrientation } from './exif.ts';
import { jpegHeader } from './header.ts';

/** The JPEG scale (1, 1/2, 1/4, 1/8: libjpeg's scaled IDCT) that fits the full-decode budget. */
export function jpegScale(width: number, height: number, budget: number): number | null {
  for (const k of [1, 2, 4, 8]) if (Math.ceil(width / k) * Math.ceil(height / k) <= budget) return k;
  return null;
}

export const jpeg: Codec = {
  format: 'jpeg',
  sniff: (b) => bytesAt(b, 0, 0xff, 0xd8, 0xff),
  cutShort: (b) => b[0] === 0xff && b[1] === 0xd8,
  readHeader: jpegHeader,
  refusal: (b) => (jpegComplete(b) ? null : `truncated JPEG: no end-of-image marker (${b.byteLength} bytes)`),
  imageDecoder: { type: 'image/jpeg', planes: true },
  imageBitmap: { bytes: withoutOrientation, reducedScale: jpegScale },
};
