// Every format tench recognises, and the one place a file's format is found and asked what to do.

import { avif } from './avif/codec.ts';
import { bmp } from './bmp/codec.ts';
import type { Codec, Format, Header } from './codec.ts';
import { gif } from './gif/codec.ts';
import { ico } from './ico/codec.ts';
import { jpeg } from './jpeg/codec.ts';
import { png } from './png/codec.ts';
import { tiff } from './tiff/codec.ts';
import { webp } from './webp/codec.ts';

/** In the order their magic bytes are tried: an AVIF box size can read as ICO's. */
const CODECS: readonly Codec[] = [jpeg, png, gif, webp, bmp, avif, tiff, ico];

const BY_FORMAT = new Map(CODECS.map((c) => [c.format, c]));

/** The codec whose magic bytes the file starts with. */
export function sniff(b: Uint8Array): Codec | null {
  return CODECS.find((c) => c.sniff(b)) ?? null;
}

export function sniffFormat(b: Uint8Array): Format | null {
  return sniff(b)?.format ?? null;
}

/** The codec whose magic bytes the file starts to spell but stops short of. */
export function cutShort(b: Uint8Array): Codec | null {
  return CODECS.find((c) => c.cutShort?.(b)) ?? null;
}

export function codecFor(format: Format): Codec {
  return BY_FORMAT.get(format)!;
}

/** What the header of a file of `format` says, or null where it cannot be read. */
export function readHeader(b: Uint8Array, format: Format): Header | null {
  return codecFor(format).readHeader(b);
}
