// A counting semaphore: at most n tasks hold a slot; the rest wait their turn, in order.

export interface Slots {
  readonly capacity: number;
  readonly held: number;
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
}

export function createSlots(capacity: number): Slots {
  if (!(capacity >= 1)) throw new RangeError(`slots must be at least 1, got ${capacity}`);
  let held = 0;
  const waiters: Array<() => void> = [];
  return {
    capacity,
    get held() {
      return held;
    },
    acquire(signal) {
      if (held < capacity) {
        held++;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          held++;
          resolve();
        };
        const onAbort = () => {
          const i = waiters.indexOf(wake);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(wake);
      });
    },
    release() {
      held--;
      waiters.shift()?.();
    },
  };
}
