// A counting semaphore: at most n tasks hold a slot; the rest wait their turn, in order.

import { createWaiters } from './waiters.ts';

export interface Slots {
  readonly capacity: number;
  readonly held: number;
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
}

export function createSlots(capacity: number): Slots {
  if (!(capacity >= 1)) throw new RangeError(`slots must be at least 1, got ${capacity}`);
  let held = 0;
  const waiters = createWaiters();
  return {
    capacity,
    get held() {
      return held;
    },
    async acquire(signal) {
      if (held < capacity && waiters.length === 0) {
        held++;
        return;
      }
      // Woken by release(), which hands its slot over as it is: held stays as it was.
      await waiters.wait(signal);
    },
    release() {
      if (!waiters.wakeOne()) held--;
    },
  };
}
