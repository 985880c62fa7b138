// decode: bytes -> the model's tensor and the gallery's thumbnail, on the least busy decode
// worker (a few images in flight on each). A worker that hangs is replaced; a file that does not
// decode is its image's row.

import { transfer } from 'comlink';
import { failure, reasonOf } from '../../core/outcome.ts';
import type { DecodeApi, DecodeStep, Prepared } from '../../../workers/decode/api.ts';
import type { Stage } from '../operator.ts';
import type { Lease, Pool } from '../pool.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import { race, WorkerTimeout } from '../worker-call.ts';
import type { FetchedItem } from './fetch.ts';

export interface Decoded {
  item: FetchedItem['item'];
  seq: number;
  tensor: Float32Array;
  width: number;
  height: number;
  thumb?: Uint8Array;
}

/** However slow the machine, a decode that takes this long has hung. */
export const DECODE_TIMEOUT_MS = 120_000;

export function decodeStage(pool: Pool<DecodeApi>, state: RunState, fetched: Queue<FetchedItem>, decoded: Queue<Decoded>, timeoutMs = DECODE_TIMEOUT_MS): Stage<FetchedItem, Lease<DecodeApi>> {
  return {
    name: 'decode',
    input: fetched,
    async admit(_item, signal) {
      const lease = await pool.acquire(signal);
      return { lease, release: () => lease.release() };
    },
    async work(next, lease, signal) {
      const into = state.spareTensor();
      const call = lease.api.prepare(transfer(next.bytes, [next.bytes.buffer]), into && transfer(into, [into.buffer]));
      const p = await race<Prepared>(call, lease, timeoutMs, 'the decode worker').catch((error): Prepared => {
        if (error instanceof WorkerTimeout) pool.replace(lease, error.message);
        return { ...failure('decode_failed', reasonOf(error)), decodeMs: 0 };
      });
      for (const [step, ms] of Object.entries(p.steps ?? {}) as Array<[DecodeStep, number]>) state.addMs(step, ms);
      const { item, seq } = next;
      if (!p.ok) return () => state.finish(item, seq, failure(p.cause, p.reason));
      return () => decoded.push({ item, seq, tensor: p.tensor, width: p.width, height: p.height, thumb: p.thumb }, signal);
    },
    end: () => decoded.close(),
  };
}
