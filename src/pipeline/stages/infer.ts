// infer: batches -> top-k, one batch per session at a time. A session that fails is replaced and
// the batch, handed back by a worker still alive, runs once more on a fresh one; a batch that
// ran out of memory ran in halves, and the size that fitted is used from then on.

import { transfer } from 'comlink';
import { failure, reasonOf, type Outcome } from '../../core/outcome.ts';
import type { Classified, InferApi } from '../../../workers/infer/api.ts';
import type { Stage } from '../operator.ts';
import type { Lease, Pool } from '../pool.ts';
import type { TensorPool } from '../tensors.ts';
import { race } from '../worker-call.ts';
import type { DecodedImage } from './decode.ts';

/** However slow the machine, a batch that takes this long has hung... */
export const INFER_TIMEOUT_MS = 120_000;
/** ...unless it may take this many times the slowest per-image time seen so far. */
const INFER_TIMEOUT_FACTOR = 20;

/** The lease a batch holds now: a retry moves it to another worker. */
interface Holder {
  lease: Lease<InferApi>;
}

export interface InferOptions {
  /** Inference workers, one batch each at a time. */
  sessions: number;
  topK: number;
  timeoutMs?: number;
}

export function inferStage(pool: Pool<InferApi>, tensors: TensorPool, options: InferOptions): Stage<DecodedImage[], never, Holder> {
  const timeoutMs = options.timeoutMs ?? INFER_TIMEOUT_MS;
  let slowestPerImageMs = 0;
  const stepMs: { infer?: number } = {};
  let retriedBatches = 0;
  const classify = (lease: Lease<InferApi>, batch: Float32Array[]) => {
    const limit = Math.max(timeoutMs, INFER_TIMEOUT_FACTOR * slowestPerImageMs * batch.length);
    const call = lease.api.classify(transfer(batch, batch.map((t) => t.buffer)), options.topK);
    return race<Classified>(call, lease, limit, 'the inference worker')
      .catch((error): Classified => ({ ok: false, reason: reasonOf(error), outOfMemory: false, broken: true }));
  };
  /** The batch on a session, and once more on a fresh one if the first broke and handed it back. */
  const run = async (batch: DecodedImage[], holder: Holder, signal: AbortSignal): Promise<Classified> => {
    let sent = batch.map((d) => d.tensor);
    for (let attempt = 1; ; attempt++) {
      const out = await classify(holder.lease, sent);
      if (out.ok) {
        stepMs.infer = (stepMs.infer ?? 0) + out.inferMs;
        tensors.recycle(out.tensors);
        slowestPerImageMs = Math.max(slowestPerImageMs, out.inferMs / sent.length);
        return out;
      }
      if (out.broken) pool.replace(holder.lease, out.reason);
      // A worker that died took the batch with it; one still alive handed it back.
      if (attempt >= 2 || !out.tensors?.length) return out;
      sent = out.tensors;
      holder.lease.release();
      holder.lease = await pool.acquire(signal);
      retriedBatches++;
    }
  };
  return {
    name: 'infer',
    // Batches waiting for a session.
    capacity: options.sessions,
    budget: options.sessions,
    async admit(_batch, signal) {
      const holder: Holder = { lease: await pool.acquire(signal) };
      return { lease: holder, release: () => holder.lease.release() };
    },
    weight: (batch) => batch.length,
    async work(batch, holder, { answer, signal }) {
      const out = await run(batch, holder, signal);
      if (out.ok && out.fitted !== null && out.fitted < tensors.batchSize) tensors.batchSize = out.fitted;
      for (let i = 0; i < batch.length; i++) {
        const d = batch[i]!;
        const outcome: Outcome = !out.ok ? failure('infer_failed', out.reason)
          : out.embeddings ? { ok: true, topK: out.predictions[i]!, embedding: out.embeddings[i]! }
          : { ok: true, topK: out.predictions[i]! };
        await answer({ item: d.item, seq: d.seq, outcome, width: d.width, height: d.height, thumb: d.thumb });
      }
    },
    stats: () => {
      const { count, reason } = pool.replaced();
      return { busyMs: pool.busyMs(), stepMs: { ...stepMs }, retriedBatches, replaced: count, replacedReason: reason };
    },
  };
}
