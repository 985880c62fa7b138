// The one way the page talks to a worker: comlink over a typed API, plus a promise that rejects
// when the worker dies, so no call waits forever on a dead worker.

import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type { DecodeApi } from '../../workers/decode/api.ts';
import type { InferApi } from '../../workers/infer/api.ts';

export interface Bridge<A> {
  api: Remote<A>;
  /** Rejects with a readable reason if the worker crashes or cannot start. */
  died: Promise<never>;
  terminate(): void;
}

export function bridge<A>(worker: Worker, name: string): Bridge<A> {
  const api = wrap<A>(worker);
  let fail: (reason: Error) => void = () => {};
  const died = new Promise<never>((_, reject) => {
    fail = reject;
  });
  died.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    fail(new Error(`${name} worker crashed: ${event.message || 'it failed to load'}`));
  });
  worker.addEventListener('messageerror', () => fail(new Error(`${name} worker got a message it could not read`)));
  let stopped = false;
  return {
    api,
    died,
    // Once: a released proxy throws when released again.
    terminate() {
      if (stopped) return;
      stopped = true;
      fail(new Error(`${name} worker was stopped`));
      api[releaseProxy]();
      worker.terminate();
    },
  };
}

/** A function a worker may call back, passed as an argument of a call. */
export function callback<F extends (...args: never[]) => unknown>(fn: F): F {
  return proxy(fn);
}

// Vite finds and bundles workers only from these literal `new Worker(new URL(...))` forms.
export function spawnDecoder(): Bridge<DecodeApi> {
  return bridge<DecodeApi>(
    new Worker(new URL('../../workers/decode/decode.worker.ts', import.meta.url), { type: 'module', name: 'tench-decode' }),
    'decode',
  );
}

export function spawnInferrer(): Bridge<InferApi> {
  return bridge<InferApi>(
    new Worker(new URL('../../workers/infer/infer.worker.ts', import.meta.url), { type: 'module', name: 'tench-infer' }),
    'inference',
  );
}
