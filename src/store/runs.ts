// Runs as records: what was asked, on what, and how it went. The page rebuilds from these.

import type { TenchDB } from './db.ts';
import type { RunCounts, RunRecord, RunSettings, RunState, StoredRequest } from './records.ts';

export type { RunCounts, RunRecord, RunSettings, RunState, StoredRequest };

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
