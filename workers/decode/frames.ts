// Decoding through WebCodecs' ImageDecoder, which hands over the decoder's own output with no
// canvas in between: a JPEG as its Y, Cb and Cr planes before upsampling (kernels/pixels.c
// finishes them exactly as libjpeg-turbo would), everything else as 8-bit RGBA or BGRA with the
// stored colour (no premultiplication, no colour management). Only where that output is Pillow's
// to the byte (checked by test/browser/pixels.test.ts); everything else, and every failure, goes
// the other way (decode.ts), which also says best why a file does not decode.

import type { Format, Header } from './header.ts';
import { imageDataBound, imageDataBytes } from './png.ts';
import { pngForBrowser } from './png-chunks.ts';
import type { Stopwatch } from './stopwatch.ts';

export type Frame =
  /** A JPEG's planes, chroma at 1/hsub x 1/vsub, at their offsets and strides in `data`. */
  | { kind: 'ycc'; data: Uint8Array; planes: Array<{ offset: number; stride: number }>; width: number; height: number; hsub: 1 | 2; vsub: 1 | 2 }
  | { kind: 'rgba'; data: Uint8Array; width: number; height: number; bgr: boolean };

// GIF and BMP never come here: the browser's decoders compose and fill them otherwise than Pillow
// (gif.ts, bmp.ts).
const TYPES: Partial<Record<Format, string>> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

const SUBSAMPLING: Readonly<Record<string, [1 | 2, 1 | 2]>> = Object.freeze({ I420: [2, 2], I422: [2, 1], I444: [1, 1] });

/**
 * Buffers the frames are copied into, kept for the next images: a new one per image would fault
 * in each of its pages when written (about 0.2 ms for a 500x375 photo). One per image in flight.
 */
const scratch: Uint8Array[] = [];
/** A buffer larger than this (a 4-megapixel RGBA frame) is not kept: a huge image's stays its own. */
const KEEP_BYTES = 16 * 1024 * 1024;

function scratchBuffer(length: number): Uint8Array {
  // The smallest that fits, so a small image does not take the one a large image needs.
  let best = -1;
  for (let i = 0; i < scratch.length; i++) if (scratch[i]!.length >= length && (best < 0 || scratch[i]!.length < scratch[best]!.length)) best = i;
  const buffer = best >= 0 ? scratch.splice(best, 1)[0]! : new Uint8Array(length);
  return buffer.subarray(0, length);
}

/** The frame's pixels are copied elsewhere: its buffer serves the next one. */
export function releaseFrame(frame: Frame): void {
  if (scratch.length < 4 && frame.data.buffer.byteLength <= KEEP_BYTES) scratch.push(new Uint8Array(frame.data.buffer));
}

const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/**
 * Whether the browser's PNG decoder gives Pillow's pixels for this file (its sBIT chunk dropped,
 * png-chunks.ts): it does for every 8-bit kind, palettes included, and for 16-bit colour (the
 * high byte); not for 16-bit grey, which Pillow clips rather than scales, nor for a palette with
 * fewer entries than the bit depth can index (Pillow shows grey past its end). Not for an
 * animated PNG: the browser shows the animation's first frame, Pillow the IDAT image (png.ts).
 * Only with its image data in one run of IDAT chunks, as Pillow reads it, and no longer than the
 * image needs (imageDataBound): the browser's decoder would inflate the rest (a 2 GiB bomb of a
 * 16x16 PNG takes it about a second), where Pillow and png.ts stop at the image's end. And only
 * for a whole file: a cut one must fail as Pillow fails, not decode half-grey.
 */
export function pngFitsBrowser(b: Uint8Array): boolean {
  if (b.byteLength < 33) return false;
  const depth = b[24]!;
  const colorType = b[25]!;
  if (depth === 16 && (colorType === 0 || colorType === 4)) return false;
  let data = 0;
  let ended = false;
  let palette = 0;
  for (let pos = 8; pos + 12 <= b.byteLength; ) {
    const length = u32be(b, pos);
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    pos += 12 + length;
    if (type === 'acTL' || type === 'fcTL' || type === 'fdAT') return false;
    if (type === 'PLTE') palette = length;
    if (type === 'IDAT') {
      if (ended) return false;
      data += length;
    } else if (data > 0) {
      ended = true;
    }
    if (type === 'IEND') {
      if (colorType === 3 && palette < 3 << depth) return false;
      return pos <= b.byteLength && data <= imageDataBound(imageDataBytes(u32be(b, 16), u32be(b, 20), depth, colorType, b[28] !== 0));
    }
  }
  return false;
}

/** Whether this file can go through ImageDecoder here, before trying. */
export function framesCanDecode(format: Format, bytes: Uint8Array): boolean {
  if (typeof ImageDecoder === 'undefined' || !TYPES[format]) return false;
  return format !== 'png' || pngFitsBrowser(bytes);
}

/**
 * The first frame, or null where this path does not apply (a lossy WebP comes as YUV, which only
 * libwebp's own conversion turns into Pillow's colours) or the browser could not decode it.
 */
export async function decodeFrame(bytes: Uint8Array, header: Header, clock?: Stopwatch): Promise<Frame | null> {
  let decoder: ImageDecoder | null = null;
  let frame: VideoFrame | null = null;
  try {
    // premultiplyAlpha is in the WebCodecs spec and in Chromium, not yet in TypeScript's DOM types.
    const init = { data: header.format === 'png' ? pngForBrowser(bytes) : bytes, type: TYPES[header.format]!, colorSpaceConversion: 'none', premultiplyAlpha: 'none' } as ImageDecoderInit;
    decoder = new ImageDecoder(init);
    frame = (await decoder.decode({ frameIndex: 0 })).image;
    clock?.lap('decode');
    const width = frame.visibleRect?.width ?? frame.codedWidth;
    const height = frame.visibleRect?.height ?? frame.codedHeight;
    if (width !== header.width || height !== header.height) return null;
    const format = frame.format ?? '';
    const sampling = SUBSAMPLING[format];
    if (sampling) {
      if (header.format !== 'jpeg') return null;
      const data = scratchBuffer(frame.allocationSize());
      const planes = await frame.copyTo(data);
      clock?.lap('readback');
      return { kind: 'ycc', data, planes: planes.map((p) => ({ offset: p.offset, stride: p.stride })), width, height, hsub: sampling[0], vsub: sampling[1] };
    }
    if (!/^(RGBA|RGBX|BGRA|BGRX)$/.test(format)) return null;
    const data = scratchBuffer(width * height * 4);
    await frame.copyTo(data, { layout: [{ offset: 0, stride: width * 4 }] });
    clock?.lap('readback');
    return { kind: 'rgba', data, width, height, bgr: format.startsWith('BGR') };
  } catch {
    return null;
  } finally {
    frame?.close();
    decoder?.close();
  }
}
