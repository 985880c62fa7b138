// A pool of workers of one kind. A worker counts as ready only once its init (a model load, a
// configure) has finished; work goes to the least busy ready worker under its in-flight cap. A
// worker that dies, hangs or loses its GPU is replaced by a fresh one in the same slot.

import type { Remote } from 'comlink';
import type { Bridge } from './bridge.ts';
import { createWaiters } from './waiters.ts';

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
  /**
   * Calls back if the worker dies; returns the way to stop listening. A listener, unlike a
   * Promise.race against the worker's `died`, is let go when the call ends: a race leaves a
   * reaction on that long-lived promise for every call, and each keeps its call's result alive.
   */
  onDeath(listener: (error: unknown) => void): () => void;
  index: number;
  /** The worker itself: a replacement asked for through an old lease leaves its successor alone. */
  worker: Bridge<A>;
  release(): void;
}

export interface Pool<A> {
  readonly states: readonly WorkerState[];
  /** Resolves once every first worker is ready; rejects with the first init failure. */
  readonly ready: Promise<void>;
  /** Waits for a ready worker with room; the caller must release the lease. */
  acquire(signal?: AbortSignal): Promise<Lease<A>>;
  /**
   * Stops the worker a lease was on and starts another in its place (its init again): for a
   * worker that crashed, hung, or lost its GPU. Too many replacements fail the pool.
   */
  replace(lease: Lease<A>, reason: string): void;
  /** Workers replaced so far, and the last reason. */
  replaced(): { count: number; reason: string | null };
  /** Total busy time of the pool's workers, in ms, for the progress figures. */
  busyMs(): number;
  terminate(): void;
}

export interface PoolOptions<A> {
  size: number;
  maxInFlight: number;
  spawn: () => Bridge<A>;
  init: (api: Remote<A>) => Promise<unknown>;
  /** What the workers are called in a failure's reason. */
  name?: string;
  /** Replacements allowed before the pool gives up (default: twice its size, at least 4). */
  maxReplacements?: number;
}

interface DeathWatch {
  listen: Lease<unknown>['onDeath'];
  die(error: unknown): void;
}

/** One worker's death, told to whoever listens at the time, or at once to a late listener. */
function deathWatch(): DeathWatch {
  const listeners = new Set<(error: unknown) => void>();
  let dead: { error: unknown } | null = null;
  return {
    listen(listener) {
      if (dead) {
        const { error } = dead;
        queueMicrotask(() => listener(error));
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    die(error) {
      dead = { error };
      for (const listener of listeners) listener(error);
      listeners.clear();
    },
  };
}

export function createPool<A>(options: PoolOptions<A>): Pool<A> {
  const bridges: Bridge<A>[] = [];
  const deaths: DeathWatch[] = [];
  const states: WorkerState[] = [];
  const busySince: number[] = [];
  const maxReplacements = options.maxReplacements ?? Math.max(4, options.size * 2);
  let replacedCount = 0;
  let lastReason: string | null = null;
  let busyTotal = 0;
  const waiters = createWaiters();
  let failed: unknown = null;

  const wakeAll = () => waiters.wakeAll();
  const fail = (error: unknown) => {
    failed ??= error;
    wakeAll();
  };

  /** Starts a worker in slot i; resolves when it is ready. A worker that dies on its own is replaced. */
  const start = async (i: number): Promise<void> => {
    const b = options.spawn();
    const death = deathWatch();
    bridges[i] = b;
    deaths[i] = death;
    states[i] = { ready: false, inFlight: states[i]?.inFlight ?? 0 };
    b.died.catch((error) => {
      death.die(error ?? new Error('the worker died'));
      if (!failed) replaceWorker(i, b, error instanceof Error ? error.message : String(error));
    });
    await Promise.race([options.init(b.api), b.died]);
    if (bridges[i] !== b) return;
    states[i]!.ready = true;
    wakeAll();
  };

  function replaceWorker(i: number, worker: Bridge<A>, reason: string): void {
    if (failed || bridges[i] !== worker) return;
    replacedCount++;
    lastReason = reason;
    const old = bridges[i]!;
    states[i]!.ready = false;
    if (replacedCount > maxReplacements) {
      old.terminate();
      fail(new Error(`the ${options.name ?? 'worker'}s kept failing (${replacedCount} replaced); the last reason: ${reason}`));
      return;
    }
    // The new bridge goes in first, so the old one's death is not taken for a second failure.
    start(i).catch(fail);
    old.terminate();
  }

  for (let i = 0; i < options.size; i++) busySince.push(0);
  const ready = Promise.all(Array.from({ length: options.size }, (_, i) => start(i))).then(() => undefined);
  ready.catch(fail);

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
            onDeath: deaths[i]!.listen,
            index: i,
            worker: bridges[i]!,
            release() {
              if (released) return;
              released = true;
              // The slot's current state: a replacement keeps the count of calls still out.
              const now = states[i]!;
              if (--now.inFlight === 0) busyTotal += performance.now() - busySince[i]!;
              wakeAll();
            },
          };
        }
        await waiters.wait(signal);
      }
    },
    replace: (lease, reason) => replaceWorker(lease.index, lease.worker, reason),
    replaced: () => ({ count: replacedCount, reason: lastReason }),
    busyMs() {
      const now = performance.now();
      return busyTotal + states.reduce((sum, s, i) => sum + (s.inFlight > 0 ? now - busySince[i]! : 0), 0);
    },
    terminate() {
      failed ??= new Error('pool terminated');
      for (const b of bridges) b.terminate();
      wakeAll();
    },
  };
}
