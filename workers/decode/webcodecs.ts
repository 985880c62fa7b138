// Decoding through WebCodecs' ImageDecoder, which hands over the decoder's own output with no
// canvas in between: a JPEG as its Y, Cb and Cr planes before upsampling (kernels/pixels.c
// finishes them exactly as libjpeg-turbo would), everything else as 8-bit RGBA or BGRA with the
// stored colour (no premultiplication, no colour management). Only for the formats and files
// whose codec says that output is Pillow's to the byte (checked by test/browser/pixels.test.ts);
// everything else, and every failure, goes the other way (decode.ts), which also says best why a
// file does not decode.

import type { Format, Header } from './codecs/codec.ts';
import { codecFor } from './codecs/registry.ts';
import type { Stopwatch } from './stopwatch.ts';

export type Frame =
  /** A JPEG's planes, chroma at 1/hsub x 1/vsub, at their offsets and strides in `data`. */
  | { kind: 'ycc'; data: Uint8Array; planes: Array<{ offset: number; stride: number }>; width: number; height: number; hsub: 1 | 2; vsub: 1 | 2 }
  | { kind: 'rgba'; data: Uint8Array; width: number; height: number; bgr: boolean };

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

/** Whether this file can go through ImageDecoder here, before trying. */
export function framesCanDecode(format: Format, bytes: Uint8Array): boolean {
  const use = codecFor(format).imageDecoder;
  if (typeof ImageDecoder === 'undefined' || !use) return false;
  return use.takes?.(bytes) ?? true;
}

/** The decoded frame's pixels, copied out: as planes where the codec finishes them, else as RGBA or BGRA. */
async function copyFrame(frame: VideoFrame, planes: boolean, clock?: Stopwatch): Promise<Frame | null> {
  const width = frame.visibleRect?.width ?? frame.codedWidth;
  const height = frame.visibleRect?.height ?? frame.codedHeight;
  const format = frame.format ?? '';
  const sampling = SUBSAMPLING[format];
  if (sampling) {
    if (!planes) return null;
    const data = scratchBuffer(frame.allocationSize());
    const layout = await frame.copyTo(data);
    clock?.lap('readback');
    return { kind: 'ycc', data, planes: layout.map((p) => ({ offset: p.offset, stride: p.stride })), width, height, hsub: sampling[0], vsub: sampling[1] };
  }
  if (!/^(RGBA|RGBX|BGRA|BGRX)$/.test(format)) return null;
  const data = scratchBuffer(width * height * 4);
  await frame.copyTo(data, { layout: [{ offset: 0, stride: width * 4 }] });
  clock?.lap('readback');
  return { kind: 'rgba', data, width, height, bgr: format.startsWith('BGR') };
}

/**
 * The first frame, or null where this path does not apply (a lossy WebP comes as YUV, which only
 * libwebp's own conversion turns into Pillow's colours) or the browser could not decode it.
 */
export async function decodeFrame(bytes: Uint8Array, header: Header, clock?: Stopwatch): Promise<Frame | null> {
  const use = codecFor(header.format).imageDecoder;
  if (!use) return null;
  let decoder: ImageDecoder | null = null;
  let frame: VideoFrame | null = null;
  try {
    // premultiplyAlpha is in the WebCodecs spec and in Chromium, not yet in TypeScript's DOM types.
    const init = { data: use.bytes?.(bytes) ?? bytes, type: use.type, colorSpaceConversion: 'none', premultiplyAlpha: 'none' } as ImageDecoderInit;
    decoder = new ImageDecoder(init);
    frame = (await decoder.decode({ frameIndex: 0 })).image;
    clock?.lap('decode');
    const width = frame.visibleRect?.width ?? frame.codedWidth;
    const height = frame.visibleRect?.height ?? frame.codedHeight;
    if (width !== header.width || height !== header.height) return null;
    return await copyFrame(frame, use.planes, clock);
  } catch {
    return null;
  } finally {
    frame?.close();
    decoder?.close();
  }
}
