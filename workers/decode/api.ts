// The decode worker's API, shared by the worker and the page's bridge.

import type { ItemSource } from '../../src/datasets/item.ts';
import type { S3Access } from '../../src/datasets/s3-client.ts';
import type { PreprocessSpec } from '../../src/model/preprocessor.ts';
import type { Failure } from '../shared/results.ts';

export interface DecodeSettings {
  preprocess: PreprocessSpec;
  s3?: S3Access;
  /** Objects larger than this are not downloaded. */
  maxBytes: number;
  /** Images larger than this are refused, by their header, before any decoding. */
  maxPixels: number;
  /** Images larger than this are decoded at a reduced size where the format allows (JPEG). */
  fullDecodePixels: number;
  /** Turn images as their EXIF orientation says; off by default, as Pillow (the reference) is. */
  applyExifOrientation: boolean;
}

export interface Timing {
  fetchMs: number;
  decodeMs: number;
  bytes: number;
}

export type Prepared =
  | ({ ok: true; tensor: Float32Array; width: number; height: number } & Timing)
  | ({ ok: false } & Failure & Timing);

export interface DecodeApi {
  configure(settings: DecodeSettings): void;
  /** Fetch, decode and preprocess one image. The tensor is transferred, never copied. */
  prepare(source: ItemSource): Promise<Prepared>;
}
