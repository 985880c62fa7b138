// infer: batches -> top-k, one batch per session at a time. A session that fails is replaced and
// the batch, handed back by a worker still alive, runs once more on a fresh one; a batch that
// ran out of memory ran in halves, and the size that fitted is used from then on.

import { transfer } from 'comlink';
import { failure, reasonOf, type Outcome } from '../../core/outcome.ts';
import type { Classified, InferApi } from '../../../workers/infer/api.ts';
import type { Stage } from '../operator.ts';
import type { Lease, Pool } from '../pool.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import type { ItemResult } from '../types.ts';
import { race } from '../worker-call.ts';
import type { Decoded } from './decode.ts';

/** However slow the machine, a batch that takes this long has hung... */
export const INFER_TIMEOUT_MS = 120_000;
/** ...unless it may take this many times the slowest per-image time seen so far. */
const INFER_TIMEOUT_FACTOR = 20;

/** The lease a batch holds now: a retry moves it to another worker. */
interface Holder {
  lease: Lease<InferApi>;
}

export function inferStage(pool: Pool<InferApi>, state: RunState, topK: number, batches: Queue<Decoded[]>, results: Queue<ItemResult>, timeoutMs = INFER_TIMEOUT_MS): Stage<Decoded[], Holder> {
  let slowestPerImageMs = 0;
  const classify = (lease: Lease<InferApi>, tensors: Float32Array[]) => {
    const limit = Math.max(timeoutMs, INFER_TIMEOUT_FACTOR * slowestPerImageMs * tensors.length);
    const call = lease.api.classify(transfer(tensors, tensors.map((t) => t.buffer)), topK);
    return race<Classified>(call, lease, limit, 'the inference worker')
      .catch((error): Classified => ({ ok: false, reason: reasonOf(error), outOfMemory: false, broken: true }));
  };
  return {
    name: 'infer',
    input: batches,
    async admit(_batch, signal) {
      const holder: Holder = { lease: await pool.acquire(signal) };
      return { lease: holder, release: () => holder.lease.release() };
    },
    weight: (batch) => batch.length,
    async work(batch, holder, signal) {
      let tensors = batch.map((d) => d.tensor);
      let out: Classified;
      for (let attempt = 1; ; attempt++) {
        out = await classify(holder.lease, tensors);
        if (out.ok) {
          state.addMs('infer', out.inferMs);
          state.recycle(out.tensors);
          slowestPerImageMs = Math.max(slowestPerImageMs, out.inferMs / tensors.length);
          break;
        }
        if (out.broken) pool.replace(holder.lease, out.reason);
        // A worker that died took the batch with it; one still alive handed it back.
        if (attempt >= 2 || !out.tensors?.length) break;
        tensors = out.tensors;
        holder.lease.release();
        holder.lease = await pool.acquire(signal);
        state.retriedBatches++;
      }
      if (out.ok && out.fitted !== null && out.fitted < state.batchSize) state.batchSize = out.fitted;
      const answer = out;
      return async () => {
        for (let i = 0; i < batch.length; i++) {
          const d = batch[i]!;
          const outcome: Outcome = answer.ok ? { ok: true, topK: answer.predictions[i]! } : failure('infer_failed', answer.reason);
          await state.finish(d.item, d.seq, outcome, { width: d.width, height: d.height, thumb: d.thumb });
        }
      };
    },
    // The last stage to hand answers over: every stage before it has ended.
    end: () => results.close(),
  };
}
