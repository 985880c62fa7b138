// The engine's public types: what the store, the page and the CLI see of a run in progress.
// Nothing here imports the engine back.

import type { Item } from '../core/item.ts';
import type { ErrorCause, Outcome } from '../core/outcome.ts';
import type { DecodeStep } from '../../workers/decode/api.ts';
import type { StageStats } from './progress.ts';

export interface ItemResult {
  item: Item;
  seq: number;
  outcome: Outcome;
  width?: number;
  height?: number;
  /** A small JPEG of the decoded image, for the gallery. */
  thumb?: Uint8Array;
}

/**
 * An item answered before: 'stored' in this run already (a resume skips it), or 'copied' from
 * another run that saw the same image under the same model and preprocessing.
 */
export type Known =
  | { kind: 'stored'; ok: true }
  | { kind: 'stored'; ok: false; cause: ErrorCause }
  | { kind: 'copied'; outcome: Outcome; width?: number; height?: number; thumb?: Uint8Array };

export interface Counters {
  listed: number;
  listingDone: boolean;
  written: number;
  /** Rows this run had stored before it resumed: counted, neither fetched nor written again. */
  resumed: number;
  /** Rows copied from another run of the same image and fingerprint (also in written). */
  cached: number;
  ok: number;
  failed: number;
  byCause: Partial<Record<ErrorCause, number>>;
  /** The batch size in use: the starting one, or less after an out-of-memory error. */
  batchSize: number;
  stages: StageStats[];
  /** Workers replaced after a crash, a hang or a lost GPU, and the last reason. */
  replaced: number;
  replacedReason: string | null;
  /** Batches run again on a fresh session after their first session failed. */
  retriedBatches: number;
  /**
   * Milliseconds spent in each step, summed over the images that went through it: the decode
   * worker's steps (timed in the worker), inference and the store. Wall time in the thread that
   * does the step; the bench sets them beside the CPU time the operating system counts.
   */
  stepMs: Partial<Record<DecodeStep | 'infer' | 'store', number>>;
  /** The model's download (the largest any session reported), and whether a session is warm. */
  model: { loaded: number; total: number; ready: boolean };
  /** The most items each queue ever held, with its bound, by the stage it feeds: the backpressure proof. */
  queues: Record<string, { highWater: number; capacity: number }>;
}
