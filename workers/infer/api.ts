// The inference worker's API, shared by the worker and the page's bridge.

import type { ModelRef } from '../../src/model/model.ts';
import type { Prediction } from '../../src/core/outcome.ts';

import type { Device, Dtype } from '../../src/core/device.ts';

export type { Device, Dtype };

export interface SessionSettings {
  model: ModelRef;
  /** Sent with the model's requests to its hub, and nowhere else; never stored. */
  hubToken?: string;
  device: Device;
  dtype: Dtype;
  /** WASM threads for this session; sessions in other workers run beside it. */
  numThreads: number;
  labels: string[];
  inputWidth: number;
  inputHeight: number;
  /**
   * WebNN only: the batch its shapes are fixed to when the session is made, every run padded or
   * split to it; absent, WEBNN_BATCH (src/core/device.ts), the plan's default.
   */
  batchSize?: number;
  /**
   * Also each image's embedding: the graph's pooler_output, image_embeds or last_hidden_state's
   * [CLS] token, whichever it has first; a graph with none of them fails the load.
   */
  embeddings?: boolean;
}

export interface Loaded {
  loadMs: number;
  /** The first run compiles kernels; counted apart so throughput is not skewed. */
  warmupMs: number;
}

export type Classified =
  /**
   * fitted: the batch size that ran after an out-of-memory error; null when none happened.
   * embeddings: one per image, transferred, when the session was loaded for them.
   */
  | { ok: true; predictions: Prediction[][]; embeddings?: Float32Array[]; inferMs: number; fitted: number | null; tensors?: Float32Array[] }
  /**
   * broken: the session cannot be trusted any more (its GPU was lost, or it failed other than by
   * running out of memory), so the worker should be replaced; tensors: the batch handed back, to
   * be run again elsewhere.
   */
  | { ok: false; reason: string; outOfMemory: boolean; broken?: boolean; tensors?: Float32Array[] };

/** The model's files, in bytes: what came so far and what all of them weigh, as far as known. */
export interface LoadProgress {
  loaded: number;
  total: number;
}

export interface InferApi {
  /**
   * Loads the model once; later calls return the same promise. A failed load may be retried.
   * `onProgress` hears the download now and then (a few times a second at most).
   */
  load(settings: SessionSettings, onProgress?: (p: LoadProgress) => void): Promise<Loaded>;
  /**
   * The batch in one forward pass; the tensors are transferred in, and handed back (transferred)
   * with the answer, to be filled again. A pass that runs out of memory is retried in halves,
   * down to one image, and the size that fitted is reported.
   */
  classify(tensors: Float32Array[], topK: number): Promise<Classified>;
}
