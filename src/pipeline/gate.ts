// Pause and resume: admission waits at the gate while it is closed. Work already admitted runs
// to its end, so a paused run holds no half-done item.

export interface Gate {
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** Resolves at once when open; otherwise when resumed, or rejects when the signal aborts. */
  wait(signal?: AbortSignal): Promise<void>;
}

export function createGate(): Gate {
  let paused = false;
  let waiters: Array<() => void> = [];
  return {
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const w = waiters;
      waiters = [];
      for (const wake of w) wake();
    },
    wait(signal) {
      if (!paused) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
  };
}
