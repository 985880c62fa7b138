// store: answers -> the store, whatever is waiting (up to a group) in one transaction, so that
// what the progress counts as done is durable; what each transaction stored goes on to the sink.

import { oneAtATime, type Stage } from '../operator.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import type { ItemResult } from '../types.ts';
import type { Stored } from './sink.ts';

export function storeStage<S>(write: (results: ItemResult[]) => Promise<S>, groupSize: number, state: RunState, results: Queue<ItemResult>, stored: Queue<Stored<S>>): Stage<ItemResult> {
  return {
    name: 'store',
    input: results,
    admit: oneAtATime(),
    async work(first, _lease, signal) {
      const group = [first, ...results.drain(groupSize - 1)];
      const started = performance.now();
      const written = await write(group);
      state.addMs('store', performance.now() - started);
      state.totals.written += group.length;
      for (const r of group) state.tally(r.outcome.ok, r.outcome.ok ? undefined : r.outcome.cause);
      return () => stored.push({ stored: written, count: group.length }, signal);
    },
    end: () => stored.close(),
  };
}
