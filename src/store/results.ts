// One record per image of a run, keyed by (run, path): writing the same image twice replaces it.

import type { ErrorCause, Prediction } from '../../workers/shared/results.ts';
import type { ItemResult } from '../pipeline/scheduler.ts';
import type { TenchDB } from './db.ts';

export interface ResultRow {
  runId: string;
  path: string;
  /** Position in the listing: exports come out in the dataset's order. */
  seq: number;
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
  doneAt: number;
}

export function toRow(runId: string, fingerprint: string, r: ItemResult): ResultRow {
  const top = r.outcome.ok ? r.outcome.topK[0] : undefined;
  return {
    runId,
    path: r.item.path,
    seq: r.seq,
    label: top?.label ?? null,
    score: top?.score ?? null,
    topK: r.outcome.ok ? r.outcome.topK : [],
    error: r.outcome.ok ? null : r.outcome.reason,
    cause: r.outcome.ok ? null : r.outcome.cause,
    trueLabel: r.item.label ?? null,
    width: r.width ?? null,
    height: r.height ?? null,
    size: r.item.size ?? null,
    version: r.item.version ?? null,
    fingerprint,
    doneAt: Date.now(),
  };
}

/** One transaction for the whole group: either every row is stored or none is. */
export async function putRows(db: TenchDB, rows: readonly ResultRow[]): Promise<void> {
  const tx = db.transaction('results', 'readwrite');
  for (const row of rows) void tx.store.put(row);
  await tx.done;
}

/** Rows of a run in listing order, from position `afterSeq` (exclusive), at most `limit`. */
export async function readRows(db: TenchDB, runId: string, afterSeq = -1, limit = 1000): Promise<ResultRow[]> {
  const range = IDBKeyRange.bound([runId, afterSeq], [runId, Infinity], true, false);
  return db.getAllFromIndex('results', 'bySeq', range, limit);
}

export async function countRows(db: TenchDB, runId: string): Promise<number> {
  return db.countFromIndex('results', 'bySeq', IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]));
}
