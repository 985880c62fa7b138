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

/** Time with at least one call out, per worker, summed: what the stage's utilization is made of. */
function busyClock(size: number) {
  const since = new Array<number>(size).fill(0);
  let total = 0;
  return {
    begin(i: number) {
      since[i] = performance.now();
    },
    end(i: number) {
      total += performance.now() - since[i]!;
    },
    ms(states: readonly WorkerState[]) {
      const now = performance.now();
      return total + states.reduce((sum, s, i) => sum + (s.inFlight > 0 ? now - since[i]! : 0), 0);
    },
  };
}

/**
 * The pool's workers, one per slot: started, watched, and replaced in place when one dies or is
 * given up on; past the allowed replacements the whole pool fails.
 */
function workerSlots<A>(options: PoolOptions<A>, pool: { changed(): void; fail(error: unknown): void; failed(): boolean }) {
  const bridges: Bridge<A>[] = [];
  const deaths: DeathWatch[] = [];
  const states: WorkerState[] = [];
  const maxReplacements = options.maxReplacements ?? Math.max(4, options.size * 2);
  let count = 0;
  let lastReason: string | null = null;

  /** Starts a worker in slot i; resolves when it is ready. A worker that dies on its own is replaced. */
  const start = async (i: number): Promise<void> => {
    const b = options.spawn();
    const death = deathWatch();
    bridges[i] = b;
    deaths[i] = death;
    states[i] = { ready: false, inFlight: states[i]?.inFlight ?? 0 };
    b.died.catch((error) => {
      death.die(error ?? new Error('the worker died'));
      if (!pool.failed()) replace(i, b, error instanceof Error ? error.message : String(error));
    });
    await Promise.race([options.init(b.api), b.died]);
    if (bridges[i] !== b) return;
    states[i]!.ready = true;
    pool.changed();
  };

  function replace(i: number, worker: Bridge<A>, reason: string): void {
    if (pool.failed() || bridges[i] !== worker) return;
    count++;
    lastReason = reason;
    const old = bridges[i]!;
    states[i]!.ready = false;
    if (count > maxReplacements) {
      old.terminate();
      pool.fail(new Error(`the ${options.name ?? 'worker'}s kept failing (${count} replaced); the last reason: ${reason}`));
      return;
    }
    // The new bridge goes in first, so the old one's death is not taken for a second failure.
    start(i).catch(pool.fail);
    old.terminate();
  }

  return { bridges, deaths, states, start, replace, replaced: () => ({ count, reason: lastReason }) };
}

export function createPool<A>(options: PoolOptions<A>): Pool<A> {
  const clock = busyClock(options.size);
  const waiters = createWaiters();
  let failed: unknown = null;
  let terminated = false;
  const wakeAll = () => waiters.wakeAll();
  const fail = (error: unknown) => {
    failed ??= error;
    wakeAll();
  };
  const { bridges, deaths, states, start, replace, replaced } = workerSlots(options, { changed: wakeAll, fail, failed: () => failed !== null });

  const ready = Promise.all(Array.from({ length: options.size }, (_, i) => start(i))).then(() => undefined);
  ready.catch(fail);

  const lease = (i: number): Lease<A> => {
    if (states[i]!.inFlight++ === 0) clock.begin(i);
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
        if (--states[i]!.inFlight === 0) clock.end(i);
        wakeAll();
      },
    };
  };

  return {
    states,
    ready,
    async acquire(signal) {
      for (;;) {
        if (failed) throw failed;
        signal?.throwIfAborted();
        const i = pick(states, options.maxInFlight);
        if (i >= 0) return lease(i);
        await waiters.wait(signal);
      }
    },
    replace: (lease, reason) => replace(lease.index, lease.worker, reason),
    replaced,
    busyMs: () => clock.ms(states),
    terminate() {
      if (terminated) return;
      terminated = true;
      failed ??= new Error('pool terminated');
      for (const b of bridges) b.terminate();
      wakeAll();
    },
  };
}
