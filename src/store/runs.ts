// Runs as records: what was asked, on what, and how it went. The page rebuilds from these.

import type { DatasetSpec } from '../datasets/dataset.ts';
import type { Counters } from '../pipeline/scheduler.ts';
import type { TenchDB } from './db.ts';

export type RunState = 'running' | 'done' | 'cancelled' | 'failed';

export interface RunSettings {
  device: string;
  dtype: string;
  sessions: number;
  decoders: number;
  batchSize: number;
  topK: number;
  limit: number | null;
}

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
  /** When every session had loaded its model and run once (ms since the epoch). */
  readyAt: number | null;
  counts: Pick<Counters, 'listed' | 'written' | 'ok' | 'failed' | 'byCause'> | null;
  error: string | null;
}

export function newRunId(now = Date.now()): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${random}`;
}

export async function putRun(db: TenchDB, run: RunRecord): Promise<void> {
  await db.put('runs', run);
}

export async function getRun(db: TenchDB, id: string): Promise<RunRecord | undefined> {
  return db.get('runs', id);
}

/** Newest first. */
export async function listRuns(db: TenchDB): Promise<RunRecord[]> {
  return (await db.getAllFromIndex('runs', 'byCreated')).reverse();
}
