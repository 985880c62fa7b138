// The decode worker's API, shared by the worker and the page's bridge.

import type { PreprocessSpec } from '../../src/model/preprocessor.ts';
import type { Failure } from '../shared/results.ts';

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

export type Prepared =
  | { ok: true; tensor: Float32Array; width: number; height: number; decodeMs: number; thumb?: Uint8Array }
  | ({ ok: false; decodeMs: number } & Failure);

export interface DecodeApi {
  configure(settings: DecodeSettings): void;
  /** Encoded bytes (transferred in) -> the model's input tensor (transferred out). */
  prepare(bytes: Uint8Array): Promise<Prepared>;
}
