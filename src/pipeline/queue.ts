// A bounded FIFO between two stages: the only buffer in the pipeline. A full queue makes the
// producer wait, which is all the backpressure there is.

import { createWaiters } from './waiters.ts';

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

export function createQueue<T>(capacity: number): Queue<T> {
  if (!(capacity >= 1)) throw new RangeError(`queue capacity must be at least 1, got ${capacity}`);
  const items: T[] = [];
  const notFull = createWaiters();
  const notEmpty = createWaiters();
  let closed = false;
  let pushed = 0;
  let popped = 0;
  let highWater = 0;

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
      while (items.length >= capacity && !closed) await notFull.wait(signal);
      if (closed) throw new Error('push to a closed queue');
      items.push(item);
      pushed++;
      highWater = Math.max(highWater, items.length);
      notEmpty.wakeOne();
    },
    async pop(signal) {
      while (items.length === 0 && !closed) await notEmpty.wait(signal);
      if (items.length === 0) return CLOSED;
      const item = items.shift()!;
      popped++;
      notFull.wakeOne();
      return item;
    },
    drain(n) {
      const taken = items.splice(0, Math.max(0, n));
      popped += taken.length;
      for (let i = 0; i < taken.length; i++) notFull.wakeOne();
      return taken;
    },
    close() {
      closed = true;
      notEmpty.wakeAll();
      notFull.wakeAll();
    },
  };
}
