// One record per image of a run, keyed by (run, path): writing the same image twice replaces it.

import type { DatasetSpec } from '../datasets/spec.ts';
import type { ErrorCause } from '../core/outcome.ts';
import type { ItemResult } from '../pipeline/types.ts';
import type { TenchDB } from './db.ts';
import { imageKey, type ResultRow, type Thumb } from './records.ts';

export { imageKey, type ResultRow, type Thumb };

/** The picture's bytes, whichever way it was stored. */
async function thumbBytes(thumb: Thumb | undefined): Promise<Uint8Array | undefined> {
  return thumb?.image ?? thumb?.webp ?? (thumb?.blob ? new Uint8Array(await thumb.blob.arrayBuffer()) : undefined);
}

export function toRow(runId: string, fingerprint: string, dataset: DatasetSpec, r: ItemResult, order: number): ResultRow {
  const top = r.outcome.ok ? r.outcome.topK[0] : undefined;
  return {
    runId,
    path: r.item.path,
    seq: r.seq,
    order,
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
    imageKey: imageKey(dataset, r.item.path, r.item.version),
    // Kept only where the path does not say it already.
    ...(r.item.source.kind === 'url' && r.item.source.url !== r.item.path ? { url: r.item.source.url } : {}),
    ...(r.outcome.ok && r.outcome.embedding ? { embedding: r.outcome.embedding } : {}),
    ...(r.item.columns ? { columns: r.item.columns } : {}),
    doneAt: Date.now(),
  };
}

/** One transaction for the whole group, thumbnails included: either all of it is stored or none. */
export async function putRows(db: TenchDB, rows: readonly ResultRow[], thumbs: readonly Thumb[] = []): Promise<void> {
  const tx = db.transaction(['results', 'thumbs'], 'readwrite');
  const results = tx.objectStore('results');
  const thumbStore = tx.objectStore('thumbs');
  for (const row of rows) void results.put(row);
  for (const thumb of thumbs) void thumbStore.put(thumb);
  await tx.done;
}

/** Rows of a run in listing order, from position `afterSeq` (exclusive), at most `limit`. */
export async function readRows(db: TenchDB, runId: string, afterSeq = -1, limit = 1000): Promise<ResultRow[]> {
  const range = IDBKeyRange.bound([runId, afterSeq], [runId, Infinity], true, false);
  return db.getAllFromIndex('results', 'bySeq', range, limit);
}

/** Every row of a run, a page at a time, in listing order. */
export async function* eachRow(db: TenchDB, runId: string, page = 2000): AsyncGenerator<ResultRow> {
  let after = -1;
  for (;;) {
    const rows = await readRows(db, runId, after, page);
    yield* rows;
    if (rows.length < page) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/** Rows of a run in the order they were stored, after position `afterOrder`, at most `limit`. */
export async function rowsByOrder(db: TenchDB, runId: string, afterOrder = -1, limit = 1000): Promise<ResultRow[]> {
  return db.getAllFromIndex('results', 'byOrder', IDBKeyRange.bound([runId, afterOrder], [runId, Infinity], true, false), limit);
}

/** The position the next stored row of a run takes. */
export async function nextOrder(db: TenchDB, runId: string): Promise<number> {
  const range = IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);
  const last = await db.transaction('results').store.index('byOrder').openCursor(range, 'prev');
  return last ? last.value.order + 1 : 0;
}

/**
 * Where a row stands in the store order: its position, and how many of the run's rows (or of its
 * failed rows alone) come up to it. Null when the run has no row at that path.
 */
export async function standing(db: TenchDB, runId: string, path: string, failuresOnly: boolean): Promise<{ order: number; upTo: number } | null> {
  const row = await getRow(db, runId, path);
  if (!row) return null;
  const range = IDBKeyRange.bound([runId, -Infinity], [runId, row.order]);
  if (!failuresOnly) return { order: row.order, upTo: await db.countFromIndex('results', 'byOrder', range) };
  let upTo = 0;
  for (let cursor = await db.transaction('results').store.index('byOrder').openCursor(range); cursor; cursor = await cursor.continue()) {
    if (cursor.value.error !== null) upTo++;
  }
  return { order: row.order, upTo };
}

/** The paths a run has rows for, in key order: keys only, a page at a time, no row read. */
export async function* storedPaths(db: TenchDB, runId: string, page = 10_000): AsyncGenerator<string> {
  let range = IDBKeyRange.bound([runId], [runId, []]);
  for (;;) {
    const keys = await db.getAllKeys('results', range, page);
    for (const key of keys) yield key[1];
    if (keys.length < page) return;
    range = IDBKeyRange.bound(keys[keys.length - 1]!, [runId, []], true);
  }
}

/** Per run, how many rows it has stored and how many of them failed: what Past runs shows. */
export async function storedCounts(db: TenchDB, runIds: readonly string[]): Promise<Map<string, { stored: number; failed: number }>> {
  const tx = db.transaction('results');
  const out = new Map<string, { stored: number; failed: number }>();
  await Promise.all(runIds.map(async (id) => {
    const [stored, failed] = await Promise.all([
      tx.store.count(IDBKeyRange.bound([id], [id, []])),
      // The cause index holds the failed rows alone.
      tx.store.index('byCause').count(IDBKeyRange.bound([id], [id, []])),
    ]);
    out.set(id, { stored, failed });
  }));
  return out;
}

export async function countRows(db: TenchDB, runId: string): Promise<number> {
  return db.countFromIndex('results', 'bySeq', IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]));
}

export async function getThumb(db: TenchDB, runId: string, path: string): Promise<Blob | undefined> {
  const thumb = await db.get('thumbs', [runId, path]);
  if (thumb?.blob) return thumb.blob;
  const bytes = thumb?.image ?? thumb?.webp;
  if (!bytes) return undefined;
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg' : 'image/webp' });
}

export async function getRow(db: TenchDB, runId: string, path: string): Promise<ResultRow | undefined> {
  return db.get('results', [runId, path]);
}

/** The run's rows by path, with what resuming needs of each, read a page at a time. */
export interface StoredOutcome {
  version: string | null;
  fingerprint: string;
  cause: ErrorCause | null;
}

export async function storedOutcomes(db: TenchDB, runId: string): Promise<Map<string, StoredOutcome>> {
  const out = new Map<string, StoredOutcome>();
  for await (const row of eachRow(db, runId, 5000)) out.set(row.path, { version: row.version, fingerprint: row.fingerprint, cause: row.cause });
  return out;
}

/** Image keys already answered under this fingerprint, in any run. */
export async function knownImages(db: TenchDB, fingerprint: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const range = IDBKeyRange.bound([fingerprint], [fingerprint, []]);
  let cursor = await db.transaction('results').store.index('byImage').openKeyCursor(range);
  for (; cursor; cursor = await cursor.continue()) keys.add((cursor.key as [string, string])[1]);
  return keys;
}

/** A row answered before, for the same image under the same fingerprint, with its thumbnail. */
export async function findByImage(db: TenchDB, fingerprint: string, key: string): Promise<{ row: ResultRow; thumb: Uint8Array | undefined } | undefined> {
  const tx = db.transaction(['results', 'thumbs']);
  const row = await tx.objectStore('results').index('byImage').get([fingerprint, key]);
  if (!row) return undefined;
  const thumb = await tx.objectStore('thumbs').get([row.runId, row.path]);
  return { row, thumb: await thumbBytes(thumb) };
}
