// Waiting in line, abortably: the one primitive under the queues, slots, gate and pools. A waiter
// whose signal aborts leaves the line at once, so nothing of it stays behind.

export interface Waiters {
  readonly length: number;
  /** Resolves when woken; rejects with the signal's reason if it aborts first (or already has). */
  wait(signal?: AbortSignal): Promise<void>;
  /** Wakes the longest waiting; false when nobody waits. */
  wakeOne(): boolean;
  wakeAll(): void;
}

export function createWaiters(): Waiters {
  const line: Array<() => void> = [];
  return {
    get length() {
      return line.length;
    },
    wait(signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          const i = line.indexOf(wake);
          if (i >= 0) line.splice(i, 1);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        line.push(wake);
      });
    },
    wakeOne() {
      const wake = line.shift();
      wake?.();
      return wake !== undefined;
    },
    wakeAll() {
      for (const wake of line.splice(0)) wake();
    },
  };
}
