// The gallery's picture of an image, made from the pixels already decoded for the model, so the
// gallery never downloads an image a second time.

import { resize, type Pixels } from './resample.ts';

const QUALITY = 0.8;

export function thumbnailSize(width: number, height: number, longest: number): { width: number; height: number } {
  const scale = Math.min(1, longest / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * A WebP of at most `longest` pixels a side, as bytes; null where the worker cannot encode one.
 * Bytes, not the Blob the canvas gives: every Blob alive is held by the browser process until
 * the garbage collector lets it go, and a Blob per image kept that process growing over a run.
 */
export async function thumbnail(pixels: Pixels, longest: number): Promise<Uint8Array | null> {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const size = thumbnailSize(pixels.width, pixels.height, longest);
  const rgb = resize(pixels, size.width, size.height, 'box');
  const rgba = new Uint8ClampedArray(size.width * size.height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i]!;
    rgba[j + 1] = rgb[i + 1]!;
    rgba[j + 2] = rgb[i + 2]!;
    rgba[j + 3] = 255;
  }
  const canvas = new OffscreenCanvas(size.width, size.height);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, size.width, size.height), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/webp', quality: QUALITY });
  return new Uint8Array(await blob.arrayBuffer());
}
