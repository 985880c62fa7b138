// What decode, batch and infer share, and nothing else does: the tensor buffers that go round
// (a session hands each batch's back, a decoder fills them again) and the batch size in use.

export interface TensorPool {
  /** Images a forward pass takes now: lowered for the rest of the run after an out-of-memory error. */
  batchSize: number;
  /** A buffer handed back by a session, to be filled again, if any. */
  spare(): Float32Array | undefined;
  recycle(tensors: Float32Array[] | undefined): void;
}

/** At most `cap` spare buffers: never more than can be in flight at once. */
export function tensorPool(batchSize: number, cap: number): TensorPool {
  const spare: Float32Array[] = [];
  return {
    batchSize,
    spare: () => spare.pop(),
    recycle(tensors) {
      // A buffer that was transferred away reads as empty: nothing to fill again.
      for (const t of tensors ?? []) if (spare.length < cap && t.byteLength > 0) spare.push(t);
    },
  };
}
