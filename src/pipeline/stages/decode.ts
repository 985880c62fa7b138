// decode: bytes -> the model's tensor and the gallery's thumbnail, on the least busy decode
// worker (a few images in flight on each). A worker that hangs is replaced; a file that does not
// decode is its image's row.

import { transfer } from 'comlink';
import { failure, reasonOf } from '../../core/outcome.ts';
import type { DecodeApi, DecodeStep, Prepared } from '../../../workers/decode/api.ts';
import type { Stage } from '../operator.ts';
import type { Lease, Pool } from '../pool.ts';
import type { TensorPool } from '../tensors.ts';
import { race, WorkerTimeout } from '../worker-call.ts';
import type { FetchedItem } from './fetch.ts';

/** An image made the model's input, on its way to a batch. */
export interface DecodedImage {
  item: FetchedItem['item'];
  seq: number;
  tensor: Float32Array;
  width: number;
  height: number;
  thumb?: Uint8Array;
}

/** However slow the machine, a decode that takes this long has hung. */
export const DECODE_TIMEOUT_MS = 120_000;

export interface DecodeOptions {
  /** Decode workers, and images each may hold at once. */
  workers: number;
  inFlight: number;
  timeoutMs?: number;
}

export function decodeStage(pool: Pool<DecodeApi>, tensors: TensorPool, options: DecodeOptions): Stage<FetchedItem, DecodedImage, Lease<DecodeApi>> {
  const timeoutMs = options.timeoutMs ?? DECODE_TIMEOUT_MS;
  const stepMs: Partial<Record<DecodeStep, number>> = {};
  return {
    name: 'decode',
    // Bytes waiting for a decoder: enough to hand every decoder its next image at once.
    capacity: Math.max(2, options.workers * options.inFlight),
    budget: options.workers,
    async admit(_item, signal) {
      const lease = await pool.acquire(signal);
      return { lease, release: () => lease.release() };
    },
    async work(next, lease, { emit, answer }) {
      const into = tensors.spare();
      const call = lease.api.prepare(transfer(next.bytes, [next.bytes.buffer]), into && transfer(into, [into.buffer]));
      const p = await race<Prepared>(call, lease, timeoutMs, 'the decode worker').catch((error): Prepared => {
        if (error instanceof WorkerTimeout) pool.replace(lease, error.message);
        return failure('decode_failed', reasonOf(error));
      });
      for (const [step, ms] of Object.entries(p.steps ?? {}) as Array<[DecodeStep, number]>) stepMs[step] = (stepMs[step] ?? 0) + ms;
      const { item, seq } = next;
      if (!p.ok) return answer({ item, seq, outcome: failure(p.cause, p.reason) });
      await emit({ item, seq, tensor: p.tensor, width: p.width, height: p.height, thumb: p.thumb });
    },
    stats: () => {
      const { count, reason } = pool.replaced();
      return { busyMs: pool.busyMs(), stepMs: { ...stepMs }, replaced: count, replacedReason: reason };
    },
  };
}
