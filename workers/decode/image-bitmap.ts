// Decoding through createImageBitmap, for what neither tench's own decoders nor WebCodecs take:
// lossy WebP, ICO, very large JPEGs (at a reduced size), and every browser-decoded format where
// there is no ImageDecoder. No premultiplication and no colour management are asked for; the
// pixels are read back as readback.ts reads them.

import { bitmapPixels } from './readback.ts';
import type { Pixels } from './resample.ts';
import type { Stopwatch } from './stopwatch.ts';

export async function bitmapDecode(bytes: Uint8Array, alpha: boolean, resize: { width: number; height: number } | null, clock?: Stopwatch): Promise<Pixels | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
      ...(resize ? { resizeWidth: resize.width, resizeHeight: resize.height, resizeQuality: 'pixelated' as const } : {}),
    });
  } catch {
    return null;
  }
  clock?.lap('decode');
  try {
    const data = bitmapPixels(bitmap, alpha);
    clock?.lap('readback');
    return data ? { data, channels: 4, width: bitmap.width, height: bitmap.height } : null;
  } finally {
    bitmap.close();
  }
}
