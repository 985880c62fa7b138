// Encoded bytes -> packed 8-bit RGB, as Pillow's Image.open(...).convert('RGB') gives them: no
// EXIF rotation (unless asked), no colour management, alpha dropped keeping the stored colour.
// This is the path for what frames.ts (WebCodecs) does not take: GIF, BMP and the PNGs the browser
// would not give Pillow's pixels for through decoders in JavaScript that do as Pillow does; lossy
// WebP, very large JPEGs (decoded at a reduced size) and browsers without ImageDecoder through
// createImageBitmap and a canvas.

import { jpegComplete, readHeader, sniffFormat, undecodableReason, webpComplete, type Header } from './header.ts';
import { applyOrientation, withoutOrientation } from './orientation.ts';
import { bmpToRgb } from './bmp.ts';
import { gifToRgb } from './gif.ts';
import { PngTooLarge, pngToRgb } from './png.ts';
import { pngChecked } from './png-chunks.ts';
import { bitmapPixels } from './readback.ts';
import { toRgb, type Pixels } from './resample.ts';
import type { Stopwatch } from './stopwatch.ts';

export type Decoded = ({ ok: true; reduced: boolean } & Pixels) | { ok: false; tooLarge: boolean; reason: string };

export interface DecodeLimits {
  /** Larger images (by their header) are refused: decompression bombs, and tabs that would die. */
  maxPixels: number;
  /** Larger images are decoded at a reduced size where the decoder can (JPEG), else refused. */
  fullDecodePixels: number;
}

export interface DecodeOptions extends DecodeLimits {
  /** Turn the pixels as the EXIF orientation says (ImageOps.exif_transpose); Pillow does not. */
  applyExifOrientation: boolean;
}

const refuse = (reason: string, tooLarge = false) => ({ ok: false as const, tooLarge, reason });

/** How a refusal names an image's size: by its frame where a GIF frame makes it larger than its screen. */
export function sizeName(header: Header): string {
  const kind = header.format.toUpperCase();
  const f = header.frame;
  if (!f) return `${header.width}x${header.height} ${kind}`;
  const at = f.x || f.y ? ` at ${f.x},${f.y}` : '';
  const grown = f.width !== header.width || f.height !== header.height ? ` (a ${header.width}x${header.height} image)` : '';
  return `${kind} frame ${f.width}x${f.height}${at}${grown}`;
}

/** The JPEG scale (1, 1/2, 1/4, 1/8: libjpeg's scaled IDCT) that fits the full-decode budget. */
export function jpegScale(width: number, height: number, budget: number): number | null {
  for (const k of [1, 2, 4, 8]) if (Math.ceil(width / k) * Math.ceil(height / k) <= budget) return k;
  return null;
}

async function bitmapDecode(bytes: Uint8Array, alpha: boolean, resize: { width: number; height: number } | null, clock?: Stopwatch): Promise<Pixels | null> {
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

/** A file that passed its checks: what its header says, and the bytes the decoders should see. */
export type Inspected = { ok: true; header: Header; bytes: Uint8Array } | { ok: false; tooLarge: boolean; reason: string };

/**
 * Everything that can be said before decoding: the format, the size against the limits, whether
 * the file is whole. A refusal carries the most specific reason there is.
 */
export function inspect(bytes: Uint8Array, options: DecodeLimits): Inspected {
  const format = sniffFormat(bytes);
  if (!format || format === 'tiff' || format === 'avif') return refuse(undecodableReason(bytes));
  const header: Header | null = readHeader(bytes, format);
  if (!header) return refuse(undecodableReason(bytes));
  const { width, height } = header;
  if (width * height > options.maxPixels) return refuse(`${sizeName(header)} is over the ${options.maxPixels}-pixel limit`, true);
  if (format === 'jpeg' && !jpegComplete(bytes)) return refuse(`truncated JPEG: no end-of-image marker (${bytes.byteLength} bytes)`);
  if (format === 'webp' && !webpComplete(bytes)) return refuse(`truncated WebP (${bytes.byteLength} bytes)`);
  if (format === 'png') {
    const checked = pngChecked(bytes);
    if (!checked.ok) return refuse(checked.reason);
  }
  return { ok: true, header, bytes };
}

/** Bytes that passed inspect() -> packed pixels, through the JavaScript PNG decoder or a canvas. */
export async function decodePixels(bytes: Uint8Array, header: Header, options: DecodeOptions, clock?: Stopwatch): Promise<Decoded> {
  const { width, height, format } = header;
  const kind = format.toUpperCase();
  let decoded: Pixels | null;
  let reduced = false;
  // Formats tench decodes itself, as Pillow does, in JavaScript.
  const own = format === 'png' ? pngToRgb : format === 'gif' ? gifToRgb : format === 'bmp' ? bmpToRgb : null;
  if (own) {
    if (width * height > options.fullDecodePixels) {
      return refuse(`${sizeName(header)} is too large to decode here (limit ${options.fullDecodePixels} pixels)`, true);
    }
    try {
      const out = own(bytes);
      clock?.lap('decode');
      decoded = { data: out.rgb, channels: 3, width: out.width, height: out.height };
    } catch (error) {
      if (error instanceof PngTooLarge) return refuse(error.message, true);
      return refuse(`corrupt or truncated ${kind} (${error instanceof Error ? error.message.replace(/[:.]\s*$/, '') : 'unreadable'})`);
    }
  } else {
    let resize: { width: number; height: number } | null = null;
    if (width * height > options.fullDecodePixels) {
      const k = format === 'jpeg' ? jpegScale(width, height, options.fullDecodePixels) : null;
      if (!k) return refuse(`${sizeName(header)} is too large to decode here (limit ${options.fullDecodePixels} pixels)`, true);
      resize = { width: Math.ceil(width / k), height: Math.ceil(height / k) };
      reduced = true;
    }
    decoded = await bitmapDecode(format === 'jpeg' ? withoutOrientation(bytes, header) : bytes, header.alpha, resize, clock);
    if (!decoded) return refuse(undecodableReason(bytes));
  }
  if (options.applyExifOrientation && header.orientation > 1) {
    const turned = applyOrientation(toRgb(decoded), decoded.width, decoded.height, header.orientation);
    decoded = { data: turned.rgb, channels: 3, width: turned.width, height: turned.height };
  }
  return { ok: true, reduced, ...decoded };
}

export async function decodeRgb(bytes: Uint8Array, options: DecodeOptions): Promise<Decoded> {
  const inspected = inspect(bytes, options);
  return inspected.ok ? decodePixels(inspected.bytes, inspected.header, options) : inspected;
}
