// Encoded bytes -> what the pipeline keeps of an image: the model's tensor, made as transformers'
// image processors make it (resize, center crop, rescale, normalize), and the gallery's
// thumbnail. Pixels go from the decoder into pixels.wasm's memory and stay there until the
// tensor comes out; only the window a crop keeps is resized.

import type { PreprocessSpec } from '../../src/model/preprocessor.ts';
import { failure } from '../../src/core/outcome.ts';
import type { DecodeSettings, Prepared } from './api.ts';
import { decodePixels, type DecodeOptions } from './decode.ts';
import { inspect, type Refusal } from './inspect.ts';
import type { Kernels, Raster } from './kernels/kernels.ts';
import { applyOrientation } from './orientation.ts';
import { resizeTarget, toTensor } from './preprocess.ts';
import type { Pixels } from './resample.ts';
import { stopwatch, type Stopwatch } from './stopwatch.ts';
import { thumbnailSize } from './thumbnail.ts';
import { decodeFrame, framesCanDecode, releaseFrame, type Frame } from './webcodecs.ts';

/** JPEG quality of the thumbnails: at 96 pixels, as sharp as the picture needs. */
const THUMBNAIL_QUALITY = 85;

export function fromFrame(k: Kernels, frame: Frame): Raster {
  if (frame.kind === 'rgba') return k.put(frame.data, frame.width, frame.height, 4, frame.bgr);
  const base = k.copyIn(frame.data);
  const [y, cb, cr] = frame.planes.map((p) => ({ ptr: base + p.offset, stride: p.stride }));
  return k.yccToRgb(y!, cb!, cr!, frame.width, frame.height, frame.hsub, frame.vsub);
}

export function fromPixels(k: Kernels, p: Pixels): Raster {
  return k.put(p.data, p.width, p.height, p.channels);
}

/** Packed RGB of an image, out of the kernels' memory. */
export function rgbOf(k: Kernels, image: Raster): Uint8Array {
  const rgb = k.resize(image, image.width, image.height, 'box');
  const out = new Uint8Array(rgb.width * rgb.height * 3);
  out.set(k.view(rgb.ptr, out.length));
  return out;
}

/** The image turned as EXIF orientation `o` says (ImageOps.exif_transpose). */
export function orient(k: Kernels, image: Raster, o: number): Raster {
  if (o < 2) return image;
  const turned = applyOrientation(rgbOf(k, image), image.width, image.height, o);
  return k.put(turned.rgb, turned.width, turned.height, 3);
}

export function tensorOf(k: Kernels, image: Raster, spec: PreprocessSpec, table: Float32Array, lap: (step: 'resize') => void = () => {}, into?: Float32Array): Float32Array {
  const target = resizeTarget(image.width, image.height, spec);
  const crop = spec.crop ?? { width: target.width, height: target.height };
  const cropWindow = { x: Math.floor((target.width - crop.width) / 2), y: Math.floor((target.height - crop.height) / 2), ...crop };
  // Nearest-neighbour, and a crop larger than the image (zero padding), take the reference's path.
  if (spec.resample === 'nearest' || cropWindow.x < 0 || cropWindow.y < 0) {
    const tensor = toTensor({ data: rgbOf(k, image), channels: 3, width: image.width, height: image.height }, spec, table);
    lap('resize');
    return tensor;
  }
  if (crop.width !== spec.inputWidth || crop.height !== spec.inputHeight) {
    throw new Error(`preprocessing produced ${crop.width}x${crop.height}, the model takes ${spec.inputWidth}x${spec.inputHeight}`);
  }
  const rgb = k.resize(image, target.width, target.height, spec.resample, cropWindow);
  lap('resize');
  return k.tensor(rgb, table, into);
}

/** A JPEG of at most `longest` pixels a side, from the decoded pixels (never a second download). */
export function thumbnailOf(k: Kernels, image: Raster, longest: number): Uint8Array {
  const size = thumbnailSize(image.width, image.height, longest);
  return k.jpeg(k.reduce(image, size.width, size.height), THUMBNAIL_QUALITY);
}

/** What the decoders made of a file, before it enters the kernels' memory; or why not. */
type Source = { ok: true; frame: Frame | null; pixels: Pixels | null; orientation: number } | Refusal;

/** Bytes -> decoded pixels, by whichever decoder gives Pillow's (every await of an image is here). */
async function decodeSource(file: Uint8Array, s: DecodeOptions, clock: Stopwatch): Promise<Source> {
  const inspected = inspect(file, s);
  clock.lap('header');
  if (!inspected.ok) return inspected;
  const { header, bytes } = inspected;
  const whole = header.width * header.height <= s.fullDecodePixels;
  const frame = whole && framesCanDecode(header.format, bytes) ? await decodeFrame(bytes, header, clock) : null;
  if (frame) return { ok: true, frame, pixels: null, orientation: s.applyExifOrientation ? header.orientation : 1 };
  const pixels = await decodePixels(bytes, header, s, clock);
  return pixels.ok ? { ok: true, frame: null, pixels, orientation: 1 } : pixels;
}

/**
 * Decoded pixels into the kernels' memory, which this starts over. Synchronous, as is all that
 * uses the image after it: with several images in flight, none can touch the memory in between.
 */
function enter(k: Kernels, source: Extract<Source, { ok: true }>): Raster {
  k.reset();
  let image = source.frame ? fromFrame(k, source.frame) : fromPixels(k, source.pixels!);
  if (source.frame) releaseFrame(source.frame);
  image = orient(k, image, source.orientation);
  return image;
}

/** Bytes -> the image in the kernels' memory, as Pillow decodes it; or why not (for tests and tools). */
export async function decodeImage(file: Uint8Array, s: DecodeOptions, kernels: () => Promise<Kernels>): Promise<{ ok: true; k: Kernels; image: Raster } | Refusal> {
  const source = await decodeSource(file, s, stopwatch());
  if (!source.ok) return source;
  const k = await kernels();
  return { ok: true, k, image: enter(k, source) };
}

/** The whole of it for one image: decoded, then the tensor (into `into` if given) and the thumbnail. */
export async function prepareImage(bytes: Uint8Array, s: DecodeSettings, table: Float32Array, kernels: () => Promise<Kernels>, into?: Float32Array): Promise<Prepared> {
  const clock = stopwatch();
  const source = await decodeSource(bytes, s, clock);
  if (!source.ok) return { ...failure(source.tooLarge ? 'too_large' : 'decode_failed', source.reason), steps: clock.steps };
  const k = await kernels();
  // From here to the return, nothing awaits.
  const image = enter(k, source);
  clock.lap('pixels');
  const tensor = tensorOf(k, image, s.preprocess, table, clock.lap, into);
  clock.lap('normalize');
  // A thumbnail that fails to encode costs the gallery a picture, never the row.
  let thumb: Uint8Array | null = null;
  try {
    thumb = s.thumbnail > 0 ? thumbnailOf(k, image, s.thumbnail) : null;
  } catch {
    thumb = null;
  }
  clock.lap('thumbnail');
  return { ok: true, tensor, width: image.width, height: image.height, steps: clock.steps, ...(thumb ? { thumb } : {}) };
}
