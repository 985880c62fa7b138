// What the stages of one run share besides their queues: where a finished image goes, the
// tallies the progress reads, the step times, the tensors that go round, the batch size in use.

import type { Item } from '../core/item.ts';
import type { ErrorCause, Outcome } from '../core/outcome.ts';
import type { Queue } from './queue.ts';
import type { Counters, ItemResult } from './types.ts';

export interface RunState {
  /** Hands an image's answer (or failure) to the store; waits while the store is behind. */
  finish(item: Item, seq: number, outcome: Outcome, extra?: { width?: number; height?: number; thumb?: Uint8Array }): Promise<void>;
  /** Counts a stored (or, on a resume, found) answer. */
  tally(ok: boolean, cause?: ErrorCause): void;
  addMs(step: keyof Counters['stepMs'], ms: number): void;
  /** A tensor buffer handed back by a session, to be filled again, if any. */
  spareTensor(): Float32Array | undefined;
  recycle(tensors: Float32Array[] | undefined): void;
  /** Images a forward pass takes now: lowered for the rest of the run after an out-of-memory error. */
  batchSize: number;
  retriedBatches: number;
  /** Answers handed to the store so far. */
  readonly finished: number;
  readonly totals: Pick<Counters, 'listed' | 'listingDone' | 'written' | 'resumed' | 'cached' | 'ok' | 'failed' | 'byCause' | 'stepMs'>;
}

export function runState(results: Queue<ItemResult>, signal: AbortSignal, batchSize: number, spareCap: number): RunState {
  const totals: RunState['totals'] = { listed: 0, listingDone: false, written: 0, resumed: 0, cached: 0, ok: 0, failed: 0, byCause: {}, stepMs: {} };
  const spare: Float32Array[] = [];
  let finished = 0;
  return {
    totals,
    batchSize,
    retriedBatches: 0,
    get finished() {
      return finished;
    },
    finish(item, seq, outcome, extra) {
      finished++;
      return results.push({ item, seq, outcome, ...extra }, signal);
    },
    tally(ok, cause) {
      if (ok) totals.ok++;
      else {
        totals.failed++;
        totals.byCause[cause!] = (totals.byCause[cause!] ?? 0) + 1;
      }
    },
    addMs(step, ms) {
      totals.stepMs[step] = (totals.stepMs[step] ?? 0) + ms;
    },
    spareTensor: () => spare.pop(),
    recycle(tensors) {
      for (const t of tensors ?? []) if (spare.length < spareCap && t.byteLength > 0) spare.push(t);
    },
  };
}
