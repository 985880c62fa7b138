// Encoded bytes -> packed 8-bit RGB, as Pillow's Image.open(...).convert('RGB') gives them: no
// EXIF rotation (unless asked), no colour management, alpha dropped keeping the stored colour.
// This is the path for what webcodecs.ts does not take: formats the browser decodes otherwise
// than Pillow, through tench's own decoders in JavaScript (the codecs' `decode`), and the rest
// through createImageBitmap (image-bitmap.ts).

import { TooLargeError, type Codec, type Header } from './codecs/codec.ts';
import { codecFor } from './codecs/registry.ts';
import { bitmapDecode } from './image-bitmap.ts';
import { inspect, refuse, sizeName, type DecodeLimits, type Refusal } from './inspect.ts';
import { applyOrientation } from './orientation.ts';
import { toRgb, type Pixels } from './resample.ts';
import type { Stopwatch } from './stopwatch.ts';
import { undecodableReason } from './undecodable.ts';

export type DecodeResult = ({ ok: true; reduced: boolean } & Pixels) | Refusal;

export interface DecodeOptions extends DecodeLimits {
  /** Turn the pixels as the EXIF orientation says (ImageOps.exif_transpose); Pillow does not. */
  applyExifOrientation: boolean;
}

/** Pixels, and whether they are of the image at a reduced size. */
type Reduced = Pixels & { reduced: boolean };

const tooLargeHere = (header: Header, budget: number) => refuse(`${sizeName(header)} is too large to decode here (limit ${budget} pixels)`, true);

/** Through the format's own decoder, in JavaScript. */
function decodeOwn(decode: NonNullable<Codec['decode']>, bytes: Uint8Array, header: Header, options: DecodeOptions, clock?: Stopwatch): Reduced | Refusal {
  if (header.width * header.height > options.fullDecodePixels) return tooLargeHere(header, options.fullDecodePixels);
  try {
    const out = decode(bytes);
    clock?.lap('decode');
    return { data: out.rgb, channels: 3, width: out.width, height: out.height, reduced: false };
  } catch (error) {
    if (error instanceof TooLargeError) return refuse(error.message, true);
    return refuse(`corrupt or truncated ${header.format.toUpperCase()} (${error instanceof Error ? error.message.replace(/[:.]\s*$/, '') : 'unreadable'})`);
  }
}

/** Through createImageBitmap, at a reduced size where the image is over the budget and the format allows it. */
async function decodeBitmap(bytes: Uint8Array, header: Header, options: DecodeOptions, clock?: Stopwatch): Promise<Reduced | Refusal> {
  const { width, height } = header;
  const use = codecFor(header.format).imageBitmap;
  let resize: { width: number; height: number } | null = null;
  if (width * height > options.fullDecodePixels) {
    const k = use?.reducedScale?.(width, height, options.fullDecodePixels) ?? null;
    if (!k) return tooLargeHere(header, options.fullDecodePixels);
    resize = { width: Math.ceil(width / k), height: Math.ceil(height / k) };
  }
  const decoded = await bitmapDecode(use?.bytes?.(bytes, header) ?? bytes, header.alpha, resize, clock);
  return decoded ? { ...decoded, reduced: resize !== null } : refuse(undecodableReason(bytes));
}

/** Bytes that passed inspect() -> packed pixels, through the format's own decoder or createImageBitmap. */
export async function decodePixels(bytes: Uint8Array, header: Header, options: DecodeOptions, clock?: Stopwatch): Promise<DecodeResult> {
  const own = codecFor(header.format).decode;
  const found = own ? decodeOwn(own, bytes, header, options, clock) : await decodeBitmap(bytes, header, options, clock);
  if ('ok' in found) return found;
  const { reduced, ...pixels } = found;
  let decoded: Pixels = pixels;
  if (options.applyExifOrientation && header.orientation > 1) {
    const turned = applyOrientation(toRgb(decoded), decoded.width, decoded.height, header.orientation);
    decoded = { data: turned.rgb, channels: 3, width: turned.width, height: turned.height };
  }
  return { ok: true, reduced, ...decoded };
}

export async function decodeRgb(bytes: Uint8Array, options: DecodeOptions): Promise<DecodeResult> {
  const inspected = inspect(bytes, options);
  return inspected.ok ? decodePixels(inspected.bytes, inspected.header, options) : inspected;
}
