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

// A running run holds a Web Lock for as long as its page lives. A record that says 'running'
// with nobody holding its lock was left by a closed or crashed tab: it is interrupted, and can resume.
const lockName = (id: string) => `tench-run-${id}`;

// The runs this page holds the lock of: a lock says a run is live, not in which tab.
const heldHere = new Set<string>();

/** Holds the run's lock while `work` runs; with `ifIdle`, only if nobody holds it now (else null, and `work` does not run). */
async function locked<T>(id: string, ifIdle: boolean, running: boolean, work: () => Promise<T>): Promise<{ value: T } | null> {
  if (!navigator.locks) return { value: await work() };
  return navigator.locks.request(lockName(id), { ifAvailable: ifIdle }, async (lock) => {
    if (!lock) return null;
    if (running) heldHere.add(id);
    try {
      return { value: await work() };
    } finally {
      if (running) heldHere.delete(id);
    }
  });
}

/** Holds the run's lock while this page runs it, waiting for it if need be. */
export async function holdingRunLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  return (await locked(id, false, true, work))!.value;
}

/**
 * Holds the run's lock while this page goes on with it, if no page holds it now; null, without
 * running `work`, when one does: two pages never run one run.
 */
export function claimingRunLock<T>(id: string, work: () => Promise<T>): Promise<{ value: T } | null> {
  return locked(id, true, true, work);
}

/**
 * Holds the run's lock while `work` (a deletion) runs, if no page holds it now; null, without
 * running `work`, when one does. A page cannot go on with the run meanwhile: it takes the lock first.
 */
function ifRunIdle<T>(id: string, work: () => Promise<T>): Promise<{ value: T } | null> {
  return locked(id, true, false, work);
}

/** Where a run is live, for a sentence: this page or another (tab, window or process). */
export type LiveIn = 'here' | 'elsewhere';

export function liveIn(id: string): LiveIn {
  return heldHere.has(id) ? 'here' : 'elsewhere';
}

/** Removes a run, its rows and its thumbnails, in one transaction, holding its lock; where it runs when a page is running it. */
export async function deleteRun(db: TenchDB, id: string): Promise<{ deleted: true } | { live: LiveIn }> {
  const done = await ifRunIdle(id, () => removeRuns(db, [id]));
  return done ? { deleted: true } : { live: liveIn(id) };
}

/**
 * Removes every run no page is running, with their rows and thumbnails, and rows left by no run;
 * the runs that are running are kept (a deleted run would go on storing rows that nothing lists),
 * and so is a run started meanwhile.
 */
export async function clearAll(db: TenchDB): Promise<{ kept: Array<{ id: string; live: LiveIn }> }> {
  const ids = (await db.getAllKeys('runs')) as string[];
  const kept: Array<{ id: string; live: LiveIn }> = [];
  // Each idle run's lock, taken one inside the other, is held until all of them are removed.
  const next = async (i: number): Promise<void> => {
    if (i === ids.length) return removeAllBut(db, ids, new Set(kept.map((k) => k.id)));
    const id = ids[i]!;
    if (!(await ifRunIdle(id, () => next(i + 1)))) {
      kept.push({ id, live: liveIn(id) });
      await next(i + 1);
    }
  };
  await next(0);
  return { kept };
}

async function removeRuns(db: TenchDB, ids: readonly string[]): Promise<void> {
  const tx = db.transaction(['runs', 'results', 'thumbs'], 'readwrite');
  const work: Array<Promise<unknown>> = [tx.done];
  for (const id of ids) {
    // [id] sorts before every [id, path] and [id, []] after all of them: arrays sort after strings.
    const range = IDBKeyRange.bound([id], [id, []]);
    work.push(tx.objectStore('runs').delete(id), tx.objectStore('results').delete(range), tx.objectStore('thumbs').delete(range));
  }
  await Promise.all(work);
}

/** Removes the runs listed in `listed`, except `keep`, and every row and thumbnail of no run that is left. */
async function removeAllBut(db: TenchDB, listed: readonly string[], keep: ReadonlySet<string>): Promise<void> {
  const tx = db.transaction(['runs', 'results', 'thumbs'], 'readwrite');
  const runs = tx.objectStore('runs');
  // Read in this transaction: a run recorded after the listing is spared, and none can store a
  // row before its record is there.
  const now = (await runs.getAllKeys()) as string[];
  const known = new Set(listed);
  const spare = (id: string) => keep.has(id) || !known.has(id);
  const spared = now.filter(spare).sort();
  const work: Array<Promise<unknown>> = [tx.done];
  for (const id of now) if (!spare(id)) work.push(runs.delete(id));
  // Everything outside the spared runs' key ranges: [id] .. [id, []] holds each run's rows.
  const gaps: IDBKeyRange[] = [];
  let after: [string, never[]] | null = null;
  for (const id of spared) {
    gaps.push(after ? IDBKeyRange.bound(after, [id], true, true) : IDBKeyRange.upperBound([id], true));
    after = [id, []];
  }
  gaps.push(after ? IDBKeyRange.lowerBound(after, true) : IDBKeyRange.lowerBound([]));
  for (const range of gaps) work.push(tx.objectStore('results').delete(range), tx.objectStore('thumbs').delete(range));
  await Promise.all(work);
}

async function heldLocks(): Promise<Set<string>> {
  return new Set(navigator.locks ? ((await navigator.locks.query()).held ?? []).flatMap((l) => (l.name ? [l.name] : [])) : []);
}

/** Runs whose record says running, held by no page: stopped by a closed tab, a crash or a kill. */
export async function interruptedRuns(runs: readonly RunRecord[]): Promise<Set<string>> {
  const running = runs.filter((r) => r.state === 'running');
  if (!running.length) return new Set();
  const held = await heldLocks();
  return new Set(running.filter((r) => !held.has(lockName(r.id))).map((r) => r.id));
}
