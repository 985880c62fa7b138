// A bounded FIFO between two stages: the only buffer in the pipeline. A full queue makes the
// producer wait, which is all the backpressure there is.

export const CLOSED: unique symbol = Symbol('closed');

export interface Queue<T> {
  readonly capacity: number;
  readonly length: number;
  /** Items ever accepted and ever handed out. */
  readonly pushed: number;
  readonly popped: number;
  /** The most items it ever held: a test reads this to prove the bound. */
  readonly highWater: number;
  /** Waits while the queue is full. Throws if the queue was closed. */
  push(item: T, signal?: AbortSignal): Promise<void>;
  /** Waits while the queue is empty; CLOSED once it is closed and drained. */
  pop(signal?: AbortSignal): Promise<T | typeof CLOSED>;
  /** Up to n items that are already here, without waiting. */
  drain(n: number): T[];
  /** No more pushes; poppers get what is left, then CLOSED. */
  close(): void;
}

type Waiter = { wake: () => void; fail: (reason: unknown) => void };

function wait(waiters: Waiter[], signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      const i = waiters.indexOf(waiter);
      if (i >= 0) waiters.splice(i, 1);
      reject(signal!.reason);
    };
    const waiter: Waiter = {
      wake: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      fail: (reason) => {
        signal?.removeEventListener('abort', onAbort);
        reject(reason);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push(waiter);
  });
}

export function createQueue<T>(capacity: number): Queue<T> {
  if (!(capacity >= 1)) throw new RangeError(`queue capacity must be at least 1, got ${capacity}`);
  const items: T[] = [];
  const notFull: Waiter[] = [];
  const notEmpty: Waiter[] = [];
  let closed = false;
  let pushed = 0;
  let popped = 0;
  let highWater = 0;

  const wakeOne = (waiters: Waiter[]) => waiters.shift()?.wake();

  return {
    capacity,
    get length() {
      return items.length;
    },
    get pushed() {
      return pushed;
    },
    get popped() {
      return popped;
    },
    get highWater() {
      return highWater;
    },
    async push(item, signal) {
      while (items.length >= capacity && !closed) await wait(notFull, signal);
      if (closed) throw new Error('push to a closed queue');
      items.push(item);
      pushed++;
      highWater = Math.max(highWater, items.length);
      wakeOne(notEmpty);
    },
    async pop(signal) {
      while (items.length === 0 && !closed) await wait(notEmpty, signal);
      if (items.length === 0) return CLOSED;
      const item = items.shift()!;
      popped++;
      wakeOne(notFull);
      return item;
    },
    drain(n) {
      const taken = items.splice(0, Math.max(0, n));
      popped += taken.length;
      for (let i = 0; i < taken.length; i++) wakeOne(notFull);
      return taken;
    },
    close() {
      closed = true;
      for (const w of notEmpty.splice(0)) w.wake();
      for (const w of notFull.splice(0)) w.wake();
    },
  };
}
