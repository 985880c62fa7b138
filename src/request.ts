// What a run is asked to do: the dataset, the model and every setting, as the page and the CLI
// hand it to runJob and as a run keeps it to be resumed.

import type { DatasetSpec } from './datasets/dataset.ts';
import type { Sample } from './datasets/sample.ts';
import type { Shard } from './datasets/shard.ts';
import type { ModelRef } from './model/model.ts';
import type { LabelSource } from './model/synsets.ts';
import type { RequestedDevice } from './pipeline/runtime.ts';
import type { Dtype } from './core/device.ts';

export interface JobRequest {
  dataset: DatasetSpec;
  model: ModelRef;
  device: RequestedDevice;
  dtype: Dtype;
  /** Inference sessions (one worker each); null picks from the machine. */
  sessions: number | null;
  decoders: number | null;
  batchSize: number | null;
  /** Downloads in flight; null picks the default. */
  fetchConcurrency?: number | null;
  /** WASM threads per session; null shares the cores among the sessions. */
  threads?: number | null;
  topK: number;
  limit: number | null;
  /** Turn images as their EXIF orientation says. Off by default: the Python reference does not. */
  applyExifOrientation?: boolean;
  /** Longer side of the gallery thumbnails kept per image; 0 keeps none. Default 96. */
  thumbnails?: number;
  /** Only the images whose path hashes to this shard (after the limit); null or absent: all. */
  shard?: Shard | null;
  /** Where true labels come from (default 'auto'), and the user's map from class names to model labels. */
  labelsFrom?: LabelSource;
  labelMap?: Record<string, string>;
  /** A reproducible random subset of the listing (after the limit, before the shard). */
  sample?: Sample | null;
  /** Which files are images, by extension; null or absent: Ray's defaults. Kept, so a resume lists the same files. */
  extensions?: string[] | null;
  /** Larger objects are an error for their row, never downloaded whole. Default 256 MiB. */
  maxObjectBytes?: number | null;
  /** Images whose header gives more pixels are an error for their row, never decoded. Default 1e9. */
  maxPixels?: number | null;
  /** A request that receives nothing for this long is abandoned and tried again. Default 30 s. */
  requestTimeoutMs?: number | null;
  /** A list of images longer than this many bytes stops the run. Default 2 GiB. */
  maxListBytes?: number | null;
  /** A list line (a CSV record) longer than this many bytes stops the run. Default 64 KiB. */
  maxListLineBytes?: number | null;
}
