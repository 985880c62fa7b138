// batch: decoded images -> batches of the size in use (the last may be short), in order.

import { oneAtATime, type Stage } from '../operator.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import type { Decoded } from './decode.ts';

export function batchStage(state: RunState, decoded: Queue<Decoded>, batches: Queue<Decoded[]>): Stage<Decoded> {
  let batch: Decoded[] = [];
  return {
    name: 'batch',
    input: decoded,
    admit: oneAtATime(),
    async work(item, _lease, signal) {
      batch.push(item);
      if (batch.length < state.batchSize) return;
      const full = batch;
      batch = [];
      return () => batches.push(full, signal);
    },
    async end(signal) {
      if (batch.length) await batches.push(batch, signal);
      batches.close();
    },
  };
}
