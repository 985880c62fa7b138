// Pause and resume: admission waits at the gate while it is closed. Work already admitted runs
// to its end, so a paused run holds no half-done item.

import { createWaiters } from './waiters.ts';

export interface Gate {
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** Resolves at once when open; otherwise when resumed, or rejects when the signal aborts. */
  wait(signal?: AbortSignal): Promise<void>;
}

export function createGate(): Gate {
  let paused = false;
  const waiters = createWaiters();
  return {
    get paused() {
      return paused;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      waiters.wakeAll();
    },
    async wait(signal) {
      if (paused) await waiters.wait(signal);
    },
  };
}
