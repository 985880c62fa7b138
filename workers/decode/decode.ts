// Encoded bytes -> packed 8-bit RGB, as PIL's Image.open(...).convert('RGB') would give them:
// no EXIF rotation, no colour management.

import { undecodableReason } from './sniff.ts';

export interface Rgb {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export type Decoded = ({ ok: true } & Rgb) | { ok: false; tooLarge: boolean; reason: string };

export async function decodeRgb(bytes: Uint8Array, maxPixels: number): Promise<Decoded> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch {
    return { ok: false, tooLarge: false, reason: undecodableReason(bytes) };
  }
  const { width, height } = bitmap;
  if (width * height > maxPixels) {
    bitmap.close();
    return { ok: false, tooLarge: true, reason: `${width}x${height} is over the ${maxPixels}-pixel limit` };
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) {
    bitmap.close();
    return { ok: false, tooLarge: false, reason: 'no 2D canvas in this worker' };
  }
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return { ok: true, rgb, width, height };
}
