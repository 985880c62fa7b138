// What the store keeps: the records of runs, of images and of thumbnails, and the image key that
// finds an image again. Types and one pure function, imported by every other store module and by
// none of them back.

import { describe, type DatasetSpec } from '../datasets/spec.ts';
import type { Columns } from '../core/item.ts';
import type { ErrorCause, Prediction } from '../core/outcome.ts';
import type { Counters } from '../pipeline/types.ts';
import type { JobRequest } from '../request.ts';
import type { StoredSettings } from '../settings.ts';

export interface ResultRow {
  runId: string;
  path: string;
  /** Position in the listing: exports come out in the dataset's order. */
  seq: number;
  /**
   * Position in the order the run stored its rows (0, 1, 2, ...; a row stored again gets a new
   * one): the order the CLI streams rows to --out, so a file cut short is a prefix of it.
   */
  order: number;
  label: string | null;
  score: number | null;
  topK: Prediction[];
  error: string | null;
  cause: ErrorCause | null;
  trueLabel: string | null;
  width: number | null;
  height: number | null;
  size: number | null;
  version: string | null;
  /** Model, dtype and preprocessing that produced the row. */
  fingerprint: string;
  /** The image itself, wherever it is listed from: dataset, path and version. Null when the
   * dataset gives no version, so that a changed file is never taken for a known one. */
  imageKey: string | null;
  /** Where the image was fetched from, for a list of URLs whose path is not that URL: the detail
   * view shows it from there. Absent from rows stored before it was kept, and for other sources. */
  url?: string;
  /** The dataset's own columns kept for the outputs (--keep-columns); absent when none. */
  columns?: Columns;
  /** The image's pooled vector, stored only when the run asked for embeddings. */
  embedding?: Float32Array;
  doneAt: number;
}

export interface Thumb {
  runId: string;
  path: string;
  /** The picture's bytes: a JPEG (earlier versions stored a WebP here under `webp`). */
  image?: Uint8Array;
  /** As earlier stores kept it; read as well, never written now. */
  webp?: Uint8Array;
  blob?: Blob;
}

export function imageKey(dataset: DatasetSpec, path: string, version: string | null | undefined): string | null {
  return version ? `${describe(dataset)}\u0000${path}\u0000${version}` : null;
}

export type RunState = 'running' | 'done' | 'cancelled' | 'failed';

/** The settings the table marks stored, as asked (null where the run decides); the run fills in what it decided. */
export type RunSettings = StoredSettings;

export interface RunRecord {
  id: string;
  createdAt: number;
  finishedAt: number | null;
  state: RunState;
  /** Never holds credentials. */
  dataset: DatasetSpec;
  model: string;
  fingerprint: string;
  settings: RunSettings;
  /** The backend that ran, and why it was chosen. */
  runtime: { device: string; dtype: string; reason: string; threads: number } | null;
  /** When this run (or its latest resumption) started, in ms since the epoch: its own time is from here. */
  startedAt?: number;
  /** When every session had loaded its model and run once (ms since the epoch). */
  readyAt: number | null;
  /** When this run (or its latest resumption) first stored a row (ms since the epoch). */
  firstRowAt?: number | null;
  counts: RunCounts | null;
  /**
   * The model's number of classes, and the true labels the dataset gave that are none of them
   * (nor a synonym of one): their images are counted apart in the evaluation. Absent in runs made
   * before it was kept.
   */
  labels?: { classes: number; outside: string[] };
  error: string | null;
  /** What was asked, as given: a resume or a retry runs it again. */
  request: StoredRequest;
}

export type RunCounts = Pick<Counters, 'listed' | 'written' | 'resumed' | 'cached' | 'ok' | 'failed' | 'byCause'>;

/** The request without what cannot be stored (file handles, credentials). */
export type StoredRequest = Omit<JobRequest, 'dataset'>;
