// sink: what each store transaction stored -> the run's outputs (the CLI's --out), one group at a
// time and in the order stored, so that an output cut short is a prefix of the store's order. A
// slow output holds the store back, and through it every stage before.

import type { Stage } from '../operator.ts';

export interface Stored<S> {
  stored: S;
  /** Images in the group. */
  count: number;
}

export function sinkStage<S>(sink: (stored: S) => Promise<void>): Stage<Stored<S>> {
  return {
    name: 'sink',
    // Stored groups on their way out: a slow output holds the store back after two.
    capacity: 2,
    budget: 1,
    weight: (group) => group.count,
    async work(group) {
      await sink(group.stored);
    },
  };
}
