// What an image file says about itself before it is decoded: its format, its size, its EXIF
// orientation, whether it is whole. Enough to refuse a decompression bomb, to decode a huge JPEG
// at a reduced size, and to give a broken file a specific reason.

import { bmpInfo } from './bmp.ts';
import { gifFirstFrame } from './gif.ts';

export type Format = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'tiff' | 'ico';

export function sniffFormat(b: Uint8Array): Format | null {
  const at = (i: number, ...values: number[]) => values.every((v, k) => b[i + k] === v);
  const ascii = (i: number, text: string) => [...text].every((ch, k) => b[i + k] === ch.charCodeAt(0));
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'BM') && b.byteLength > 26) return 'bmp';
  if (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis'))) return 'avif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0, 0, 1, 0)) return 'ico';
  return null;
}

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

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
const u32le = (b: Uint8Array, i: number) => b[i]! + (b[i + 1]! << 8) + (b[i + 2]! << 16) + ((b[i + 3]! << 24) >>> 0);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

/** The Orientation tag (0x0112) of IFD0 in an Exif APP1 payload starting at `tiff`. */
function exifOrientation(b: Uint8Array, tiff: number, end: number): Header['orientationAt'] & { value: number } | null {
  if (tiff + 8 > end) return null;
  const le = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!le && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return null;
  const r16 = (i: number) => (le ? u16le(b, i) : u16be(b, i));
  const r32 = (i: number) => (le ? u32le(b, i) : u32be(b, i));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return null;
  const count = r16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > end) return null;
    if (r16(entry) === 0x0112) {
      const value = r16(entry + 8);
      return { offset: entry + 8, littleEndian: le, value: value >= 1 && value <= 8 ? value : 1 };
    }
  }
  return null;
}

/**
 * The segments of a JPEG header, walked as Pillow walks them: bytes that are not a marker are
 * passed over one at a time (libjpeg does the same, with a warning), as are fill bytes and
 * escaped 0xFF00 pairs, so a segment whose length is short of its content or junk between two
 * segments does not stop the reading.
 */
function jpegHeader(b: Uint8Array): Header | null {
  let pos = 2;
  let width = 0;
  let height = 0;
  let orientation: ReturnType<typeof exifOrientation> = null;
  while (pos + 4 <= b.byteLength) {
    if (b[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = b[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0x00) {
      pos += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const length = u16be(b, pos + 2);
    const end = Math.min(pos + 2 + length, b.byteLength);
    if (marker === 0xe1 && !orientation && b[pos + 4] === 0x45 && b[pos + 5] === 0x78 && b[pos + 6] === 0x69 && b[pos + 7] === 0x66) {
      orientation = exifOrientation(b, pos + 10, end);
    }
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc && pos + 9 <= b.byteLength) {
      height = u16be(b, pos + 5);
      width = u16be(b, pos + 7);
    }
    pos += 2 + length;
  }
  if (!width || !height) return null;
  return {
    format: 'jpeg',
    width,
    height,
    orientation: orientation?.value ?? 1,
    orientationAt: orientation ? { offset: orientation.offset, littleEndian: orientation.littleEndian } : null,
    alpha: false,
  };
}

/** Width, height and whether it carries alpha, from the first chunk of a WebP. */
function webpSize(b: Uint8Array): [number, number, boolean] | null {
  const kind = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
  if (kind === 'VP8 ' && b.byteLength >= 30) return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff, false];
  if (kind === 'VP8L' && b.byteLength >= 25) {
    const bits = u32le(b, 21);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, (bits & 0x10000000) !== 0];
  }
  if (kind === 'VP8X' && b.byteLength >= 30) return [u24le(b, 24) + 1, u24le(b, 27) + 1, (b[20]! & 0x10) !== 0];
  return null;
}

/**
 * A GIF's size is its first frame's canvas: the screen, grown to hold the frame. A 35-byte file
 * can declare a 1x1 screen and a 65535x65535 frame; the frame is what would be allocated.
 */
function gifHeader(b: Uint8Array): Header | null {
  const screen = { width: u16le(b, 6), height: u16le(b, 8) };
  let size = screen;
  let frame: Header['frame'];
  try {
    const f = gifFirstFrame(b);
    size = { width: f.canvasWidth, height: f.canvasHeight };
    if (size.width > screen.width || size.height > screen.height) frame = { x: f.x, y: f.y, width: f.width, height: f.height };
  } catch {
    // No frame to be found: the decoder says why, later.
  }
  if (!(size.width > 0 && size.height > 0)) return null;
  return { format: 'gif', width: size.width, height: size.height, orientation: 1, orientationAt: null, alpha: true, ...(frame ? { frame } : {}) };
}

export function readHeader(b: Uint8Array, format: Format): Header | null {
  const plain = (width: number, height: number, alpha = false): Header | null =>
    width > 0 && height > 0 ? { format, width, height, orientation: 1, orientationAt: null, alpha } : null;
  switch (format) {
    case 'jpeg':
      return jpegHeader(b);
    case 'png':
      return b.byteLength >= 24 ? plain(u32be(b, 16), u32be(b, 20)) : null;
    case 'gif':
      return b.byteLength >= 10 ? gifHeader(b) : null;
    case 'webp': {
      const size = webpSize(b);
      return size ? plain(size[0], size[1], size[2]) : null;
    }
    case 'bmp': {
      const info = bmpInfo(b);
      return info ? plain(info.width, info.height) : null;
    }
    case 'ico':
      return b.byteLength >= 8 ? plain(b[6] || 256, b[7] || 256, true) : null;
    case 'avif':
    case 'tiff':
      return null;
  }
}

/**
 * Whether a JPEG is whole: an end-of-image marker after the last scan. Browsers decode a cut
 * JPEG and fill the rest with grey; Pillow refuses it, and so does tench.
 */
export function jpegComplete(b: Uint8Array): boolean {
  let pos = 2;
  while (pos + 4 <= b.byteLength) {
    if (b[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = b[pos + 1]!;
    if (marker === 0xd9) return true;
    if (marker === 0x00) {
      pos += 2;
      continue;
    }
    if (marker === 0xff || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    pos += 2 + u16be(b, pos + 2);
    if (marker !== 0xda) continue;
    // Entropy-coded data: a marker is 0xFF followed by anything but 0x00 or a restart marker.
    while (pos + 1 < b.byteLength) {
      if (b[pos] === 0xff) {
        const next = b[pos + 1]!;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
      }
      pos++;
    }
  }
  return b[b.byteLength - 2] === 0xff && b[b.byteLength - 1] === 0xd9;
}

/** Whether a WebP holds as many bytes as its RIFF header says. */
export function webpComplete(b: Uint8Array): boolean {
  return b.byteLength >= 12 && u32le(b, 4) + 8 <= b.byteLength;
}

/** Why bytes that would not decode did not: the most specific thing we can say. */
export function undecodableReason(b: Uint8Array): string {
  if (b.byteLength === 0) return 'empty file (0 bytes)';
  const format = sniffFormat(b);
  if (format === 'tiff') return 'TIFF images are not decoded by browsers';
  if (format) return `corrupt or truncated ${format.toUpperCase()} (${b.byteLength} bytes)`;
  if (b[0] === 0xff && b[1] === 0xd8) return `truncated JPEG: it ends after ${b.byteLength} bytes`;
  let text: string;
  try {
    // Streaming, so a character cut by the 512-byte window is not taken for invalid UTF-8.
    text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, 512), { stream: true }).trimStart().toLowerCase();
  } catch {
    return 'not an image: unknown format';
  }
  if (/[\x00-\x08\x0e-\x1f]/.test(text)) return 'not an image: unknown format';
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/.test(text)) return 'not an image tench decodes: the file is an SVG drawing';
  if (/^<(!doctype html|html|head|body)[\s>]/.test(text)) return 'not an image: the file is an HTML page';
  return 'not an image: the file is text';
}
