// A pool of workers of one kind. A worker counts as ready only once its init (a model load, a
// configure) has finished; work goes to the least busy ready worker under its in-flight cap.

import type { Remote } from 'comlink';
import type { Bridge } from './bridge.ts';

export interface WorkerState {
  ready: boolean;
  inFlight: number;
}

/**
 * The worker to give the next task to, or -1 when every worker is full or still starting.
 * Least busy first; among equals the lowest index, so work stays on few workers when light.
 */
export function pick(workers: readonly WorkerState[], maxInFlight: number): number {
  let best = -1;
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i]!;
    if (!w.ready || w.inFlight >= maxInFlight) continue;
    if (best < 0 || w.inFlight < workers[best]!.inFlight) best = i;
  }
  return best;
}

export interface Lease<A> {
  api: Remote<A>;
  died: Promise<never>;
  index: number;
  release(): void;
}

export interface Pool<A> {
  readonly states: readonly WorkerState[];
  /** Resolves once every worker is ready; rejects with the first init failure. */
  readonly ready: Promise<void>;
  /** Waits for a ready worker with room; the caller must release the lease. */
  acquire(signal?: AbortSignal): Promise<Lease<A>>;
  /** Total busy time of the pool's workers, in ms, for the progress figures. */
  busyMs(): number;
  terminate(): void;
}

export interface PoolOptions<A> {
  size: number;
  maxInFlight: number;
  spawn: () => Bridge<A>;
  init: (api: Remote<A>) => Promise<unknown>;
}

export function createPool<A>(options: PoolOptions<A>): Pool<A> {
  const bridges = Array.from({ length: options.size }, () => options.spawn());
  const states: WorkerState[] = bridges.map(() => ({ ready: false, inFlight: 0 }));
  const busySince: number[] = bridges.map(() => 0);
  let busyTotal = 0;
  let waiters: Array<() => void> = [];
  let failed: unknown = null;

  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const wake of w) wake();
  };

  const ready = Promise.all(
    bridges.map(async (b, i) => {
      await Promise.race([options.init(b.api), b.died]);
      states[i]!.ready = true;
      wakeAll();
    }),
  ).then(() => undefined);
  ready.catch((error) => {
    failed = error;
    wakeAll();
  });

  return {
    states,
    ready,
    async acquire(signal) {
      for (;;) {
        if (failed) throw failed;
        signal?.throwIfAborted();
        const i = pick(states, options.maxInFlight);
        if (i >= 0) {
          const state = states[i]!;
          if (state.inFlight++ === 0) busySince[i] = performance.now();
          let released = false;
          return {
            api: bridges[i]!.api,
            died: bridges[i]!.died,
            index: i,
            release() {
              if (released) return;
              released = true;
              if (--state.inFlight === 0) busyTotal += performance.now() - busySince[i]!;
              wakeAll();
            },
          };
        }
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal!.reason);
          signal?.addEventListener('abort', onAbort, { once: true });
          waiters.push(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
    },
    busyMs() {
      const now = performance.now();
      return busyTotal + states.reduce((sum, s, i) => sum + (s.inFlight > 0 ? now - busySince[i]! : 0), 0);
    },
    terminate() {
      for (const b of bridges) b.terminate();
      failed ??= new Error('pool terminated');
      wakeAll();
    },
  };
}
