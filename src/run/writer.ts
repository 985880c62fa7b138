// The run's writes to the store, one transaction a group, each row given its place in the order
// stored. A full store pauses the run with the figures, and resuming tries the same write again:
// a full disk loses nothing.

import type { ItemResult } from '../pipeline/types.ts';
import type { Gate } from '../pipeline/gate.ts';
import type { TenchDB } from '../store/db.ts';
import { isQuotaError, storageFigures } from '../store/quota.ts';
import { nextOrder, putRows, toRow, type ResultRow, type Thumb } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';

export interface WriterEvents {
  /** After the run's first row is stored: the first answer shows then, not at the next tick. */
  firstRow(): void;
  /** The store is full (a sentence with the figures) and the run paused; null once it goes on. */
  full(note: string | null): void;
}

export async function createWriter(db: TenchDB, run: RunRecord, gate: Gate, signal: AbortSignal, events: WriterEvents): Promise<(results: ItemResult[]) => Promise<ResultRow[]>> {
  let order = await nextOrder(db, run.id);
  return async (results) => {
    const rows = results.map((r) => toRow(run.id, run.fingerprint, run.dataset, r, order++));
    const thumbs: Thumb[] = results.flatMap((r) => (r.thumb ? [{ runId: run.id, path: r.item.path, image: r.thumb }] : []));
    for (;;) {
      try {
        await putRows(db, rows, thumbs);
        if (!run.firstRowAt) {
          run.firstRowAt = Date.now();
          events.firstRow();
        }
        return rows;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        gate.pause();
        events.full(`storage is full (${await storageFigures()}): paused; delete old runs or free disk space, then resume`);
        await gate.wait(signal);
        events.full(null);
      }
    }
  };
}
