// The decode worker's API, shared by the worker and the page's bridge.

import type { PreprocessSpec } from '../../src/model/preprocessor.ts';
import type { Failure } from '../../src/core/outcome.ts';

export interface DecodeSettings {
  preprocess: PreprocessSpec;
  /** Images larger than this are refused, by their header, before any decoding. */
  maxPixels: number;
  /** Images larger than this are decoded at a reduced size where the format allows (JPEG). */
  fullDecodePixels: number;
  /** Turn images as their EXIF orientation says; off by default, as Pillow (the reference) is. */
  applyExifOrientation: boolean;
  /** The longer side of the gallery thumbnail made from the decoded pixels; 0 makes none. */
  thumbnail: number;
}

/** The steps of preparing an image, timed in the worker (ms), for the pipeline's counters. */
export type DecodeStep = 'header' | 'decode' | 'readback' | 'pixels' | 'resize' | 'normalize' | 'thumbnail';
export type StepTimes = Partial<Record<DecodeStep, number>>;

export type Prepared =
  | { ok: true; tensor: Float32Array; width: number; height: number; steps?: StepTimes; thumb?: Uint8Array }
  | ({ ok: false; steps?: StepTimes } & Failure);

export interface DecodeApi {
  configure(settings: DecodeSettings): void;
  /**
   * Encoded bytes (transferred in) -> the model's input tensor (transferred out), written into
   * `into` when it is given and of the tensor's size: buffers go round decoders, page and
   * sessions instead of being made per image, since every fresh page of a new buffer costs a
   * fault when first written (about 0.35 ms for a 224x224 tensor).
   */
  prepare(bytes: Uint8Array, into?: Float32Array): Promise<Prepared>;
}
