// Runs as records: what was asked, on what, and how it went. The page rebuilds from these.

import type { DatasetSpec } from '../datasets/dataset.ts';
import type { Counters } from '../pipeline/scheduler.ts';
import type { JobRequest } from '../job.ts';
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
  /** When this run (or its latest resumption) first stored a row (ms since the epoch). */
  firstRowAt?: number | null;
  counts: RunCounts | null;
  error: string | null;
  /** What was asked, as given: a resume or a retry runs it again. */
  request: StoredRequest;
}

export type RunCounts = Pick<Counters, 'listed' | 'written' | 'resumed' | 'cached' | 'ok' | 'failed' | 'byCause'>;

/** The request without what cannot be stored (file handles, credentials). */
export type StoredRequest = Omit<JobRequest, 'dataset'>;

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

/** Removes a run, its rows and its thumbnails, in one transaction. */
export async function deleteRun(db: TenchDB, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'results', 'thumbs'], 'readwrite');
  // [id] sorts before every [id, path] and [id, []] after all of them: arrays sort after strings.
  const range = IDBKeyRange.bound([id], [id, []]);
  await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('results').delete(range), tx.objectStore('thumbs').delete(range), tx.done]);
}

export async function clearAll(db: TenchDB): Promise<void> {
  const tx = db.transaction(['runs', 'results', 'thumbs'], 'readwrite');
  await Promise.all([tx.objectStore('runs').clear(), tx.objectStore('results').clear(), tx.objectStore('thumbs').clear(), tx.done]);
}

// A running run holds a Web Lock for as long as its page lives. A record that says 'running'
// with nobody holding its lock was left by a closed or crashed tab: it is interrupted, and can resume.
const lockName = (id: string) => `tench-run-${id}`;

/** Holds the run's lock until `work` settles. */
export function holdingRunLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  if (!navigator.locks) return work();
  return navigator.locks.request(lockName(id), work);
}

async function heldLocks(): Promise<Set<string>> {
  return new Set(navigator.locks ? ((await navigator.locks.query()).held ?? []).flatMap((l) => (l.name ? [l.name] : [])) : []);
}

/** Whether a page (this one or another tab) is running the run now. */
export async function runIsLive(id: string): Promise<boolean> {
  return (await heldLocks()).has(lockName(id));
}

/** Runs whose record says running, held by no page: stopped by a closed tab, a crash or a kill. */
export async function interruptedRuns(runs: readonly RunRecord[]): Promise<Set<string>> {
  const running = runs.filter((r) => r.state === 'running');
  if (!running.length) return new Set();
  const held = await heldLocks();
  return new Set(running.filter((r) => !held.has(lockName(r.id))).map((r) => r.id));
}
