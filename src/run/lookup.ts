// What the store already answers for a run: its own rows when it resumes, and other runs' rows
// for the same image under the same model and preprocessing, copied rather than computed again.

import type { Item } from '../core/item.ts';
import type { Known } from '../pipeline/types.ts';
import type { TenchDB } from '../store/db.ts';
import { findByImage, imageKey, knownImages, storedOutcomes } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import type { Continuation } from './types.ts';

/**
 * A resumed run's own rows (same version, same fingerprint) are skipped, failed ones too unless
 * retrying them; any other run's successful row for the same image and fingerprint is copied.
 */
export async function lookup(db: TenchDB, run: RunRecord, retry: Continuation['retry'] | null, topK: number): Promise<(item: Item) => Promise<Known | null>> {
  const stored = retry ? await storedOutcomes(db, run.id) : new Map();
  const seen = await knownImages(db, run.fingerprint);
  return async (item) => {
    const own = stored.get(item.path);
    if (own && own.fingerprint === run.fingerprint && own.version === (item.version ?? null) && !(retry === 'failed' && own.cause)) {
      return own.cause ? { kind: 'stored', ok: false, cause: own.cause } : { kind: 'stored', ok: true };
    }
    const key = imageKey(run.dataset, item.path, item.version);
    if (!key || !seen.has(key)) return null;
    const hit = await findByImage(db, run.fingerprint, key);
    if (!hit || hit.row.runId === run.id || hit.row.error !== null || hit.row.topK.length < topK) return null;
    const top = hit.row.topK.slice(0, topK);
    return {
      kind: 'copied',
      // Under the same fingerprint, a row has an embedding exactly when this run asks for one.
      outcome: hit.row.embedding ? { ok: true, topK: top, embedding: hit.row.embedding } : { ok: true, topK: top },
      width: hit.row.width ?? undefined,
      height: hit.row.height ?? undefined,
      thumb: hit.thumb,
    };
  };
}
