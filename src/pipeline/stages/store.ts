// store: answers -> the store, whatever is waiting (up to a group) in one transaction, so that
// what the progress counts as done is durable; what each transaction stored goes on to the sink.

import { tally, type Figures, type Stage } from '../operator.ts';
import type { ItemResult } from '../types.ts';
import type { Stored } from './sink.ts';

export function storeStage<S>(write: (results: ItemResult[]) => Promise<S>, groupSize: number, batchSize: number): Stage<ItemResult, Stored<S>> {
  const figures: Pick<Figures, 'written' | 'ok' | 'failed' | 'byCause'> = { written: 0, ok: 0, failed: 0, byCause: {} };
  const stepMs: { store?: number } = {};
  return {
    name: 'store',
    // Answers waiting to be stored: two groups, or two batches' worth where a batch is larger.
    capacity: Math.max(groupSize * 2, batchSize * 2),
    budget: 1,
    takesAnswers: true,
    async work(first, _lease, { emit, waiting }) {
      const group = [first, ...waiting(groupSize - 1)];
      const started = performance.now();
      const written = await write(group);
      stepMs.store = (stepMs.store ?? 0) + performance.now() - started;
      figures.written += group.length;
      for (const r of group) tally(figures, r.outcome.ok, r.outcome.ok ? undefined : r.outcome.cause);
      await emit({ stored: written, count: group.length });
    },
    stats: () => ({ ...figures, byCause: { ...figures.byCause }, stepMs: { ...stepMs } }),
  };
}
