// What every image format tench recognises provides: its magic bytes, what its header says
// before anything is decoded (enough to refuse a decompression bomb by its size), and the ways
// it may be decoded to Pillow's pixels. registry.ts holds them all; nothing else asks a file's
// format what to do.

export type Format = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'tiff' | 'ico';

export interface Header {
  format: Format;
  width: number;
  height: number;
  /** EXIF orientation, 1 (as stored) to 8; 1 when there is none. */
  orientation: number;
  /** Byte offset of the orientation value in a JPEG, to neutralise it. */
  orientationAt: { offset: number; littleEndian: boolean } | null;
  /** May hold transparency, which a 2D canvas would premultiply away. */
  alpha: boolean;
  /**
   * A GIF's first frame where it makes the image larger than the logical screen (Pillow grows
   * the canvas to hold it): width and height are then the grown image's, and a refusal names the frame.
   */
  frame?: { x: number; y: number; width: number; height: number };
}

/** A header of a format with nothing to say but its size and whether it may hold alpha. */
export function plainHeader(format: Format, width: number, height: number, alpha = false): Header | null {
  return width > 0 && height > 0 ? { format, width, height, orientation: 1, orientationAt: null, alpha } : null;
}

/** Packed 8-bit RGB, as Pillow's convert('RGB') leaves it. */
export interface Rgb {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** A file its decoder refuses, as Pillow would: the message says where it breaks. */
export class CorruptError extends Error {}

/** A file refused as too large rather than as corrupt: what decoding it would cost is out of proportion. */
export class TooLargeError extends Error {}

/** How the browser's WebCodecs ImageDecoder may decode a format to Pillow's pixels. */
export interface ImageDecoderUse {
  type: string;
  /** Whether its output is Pillow's for this file; every file of the format where absent. */
  takes?(b: Uint8Array): boolean;
  /** The bytes it should see, where they differ from the file's. */
  bytes?(b: Uint8Array): Uint8Array;
  /**
   * Whether a frame of Y, Cb and Cr planes is finished here as Pillow's decoder finishes it
   * (JPEG's, by the kernels, as libjpeg-turbo does); other formats' are refused.
   */
  planes: boolean;
}

/** How createImageBitmap may decode a format (what has neither `decode` nor an ImageDecoder that takes the file). */
export interface ImageBitmapUse {
  /** The bytes it should see, where they differ from the file's. */
  bytes?(b: Uint8Array, header: Header): Uint8Array;
  /** The 1/k a too large image may be decoded at, within `budget` pixels; null where it cannot be. */
  reducedScale?(width: number, height: number, budget: number): number | null;
}

export interface Codec {
  readonly format: Format;
  /** Whether the file starts with the format's magic bytes. */
  sniff(b: Uint8Array): boolean;
  /** Whether the file starts as one of the format's does but ends before its magic bytes are whole. */
  cutShort?(b: Uint8Array): boolean;
  /** What the header says; null where it cannot be read, or where tench reads no file of the format. */
  readHeader(b: Uint8Array): Header | null;
  /** Why a file whose header reads is refused before decoding (cut short, a bad checksum); null if it is not. */
  refusal?(b: Uint8Array): string | null;
  /** Why no file of the format is decoded, where none is. */
  unsupported?: string;
  /**
   * Pillow's decoder, in JavaScript, for formats the browser decodes otherwise than Pillow: the
   * only way they are decoded. Throws CorruptError or TooLargeError.
   */
  decode?(b: Uint8Array): Rgb;
  imageDecoder?: ImageDecoderUse;
  imageBitmap?: ImageBitmapUse;
}
