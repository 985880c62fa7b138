// Everything that can be said of a file before decoding it: its format, its size against the
// limits, whether it is whole. Enough to refuse a decompression bomb by its header, and to give a
// broken file a specific reason.

import type { Header } from './codecs/codec.ts';
import { sniff } from './codecs/registry.ts';
import { undecodableReason } from './undecodable.ts';

export interface DecodeLimits {
  /** Larger images (by their header) are refused: decompression bombs, and tabs that would die. */
  maxPixels: number;
  /** Larger images are decoded at a reduced size where the decoder can (JPEG), else refused. */
  fullDecodePixels: number;
}

/** Why a file is not decoded, and whether for its size. */
export type Refusal = { ok: false; tooLarge: boolean; reason: string };

export const refuse = (reason: string, tooLarge = false): Refusal => ({ ok: false, tooLarge, reason });

/** A file that passed its checks: what its header says, and the bytes the decoders should see. */
export type Inspected = { ok: true; header: Header; bytes: Uint8Array } | Refusal;

/** How a refusal names an image's size: by its frame where a GIF frame makes it larger than its screen. */
export function sizeName(header: Header): string {
  const kind = header.format.toUpperCase();
  const f = header.frame;
  if (!f) return `${header.width}x${header.height} ${kind}`;
  const at = f.x || f.y ? ` at ${f.x},${f.y}` : '';
  const grown = f.width !== header.width || f.height !== header.height ? ` (a ${header.width}x${header.height} image)` : '';
  return `${kind} frame ${f.width}x${f.height}${at}${grown}`;
}

/** The file's header checked against the limits; a refusal carries the most specific reason there is. */
export function inspect(bytes: Uint8Array, limits: DecodeLimits): Inspected {
  const codec = sniff(bytes);
  const header = codec?.readHeader(bytes) ?? null;
  if (!codec || !header) return refuse(undecodableReason(bytes));
  if (header.width * header.height > limits.maxPixels) return refuse(`${sizeName(header)} is over the ${limits.maxPixels}-pixel limit`, true);
  const broken = codec.refusal?.(bytes) ?? null;
  return broken ? refuse(broken) : { ok: true, header, bytes };
}
