// sink: what each store transaction stored -> the run's outputs (the CLI's --out), one group at a
// time and in the order stored, so that an output cut short is a prefix of the store's order. A
// slow output holds the store back, and through it every stage before.

import { oneAtATime, type Stage } from '../operator.ts';
import type { Queue } from '../queue.ts';

export interface Stored<S> {
  stored: S;
  /** Images in the group. */
  count: number;
}

export function sinkStage<S>(sink: (stored: S) => Promise<void>, input: Queue<Stored<S>>): Stage<Stored<S>> {
  return {
    name: 'sink',
    input,
    admit: oneAtATime(),
    weight: (group) => group.count,
    async work(group) {
      await sink(group.stored);
    },
    end: () => {},
  };
}
