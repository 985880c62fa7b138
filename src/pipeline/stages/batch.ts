// batch: decoded images -> batches of the size in use (the last may be short), in order.

import type { Stage } from '../operator.ts';
import type { TensorPool } from '../tensors.ts';
import type { DecodedImage } from './decode.ts';

export function batchStage(tensors: TensorPool, sessions: number): Stage<DecodedImage, DecodedImage[]> {
  let batch: DecodedImage[] = [];
  return {
    name: 'batch',
    // Tensors waiting to be batched: one more batch than the sessions are working on.
    capacity: tensors.batchSize * (sessions + 1),
    budget: 1,
    async work(item, _lease, { emit }) {
      batch.push(item);
      if (batch.length < tensors.batchSize) return;
      const full = batch;
      batch = [];
      await emit(full);
    },
    async flush({ emit }) {
      if (batch.length) await emit(batch);
    },
  };
}
