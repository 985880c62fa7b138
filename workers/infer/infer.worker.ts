// Inference worker: owns one model session; classifies one batch at a time.

import { expose } from 'comlink';
import type { Classified, InferApi, Loaded, SessionSettings } from './api.ts';
import { classifyInChunks } from './classify.ts';
import { openSession, type Session } from './session.ts';

let loading: Promise<{ session: Session; settings: SessionSettings; loaded: Loaded }> | null = null;

async function open(settings: SessionSettings) {
  const started = performance.now();
  const session = await openSession(settings);
  const loadMs = performance.now() - started;
  // Kernels compile on the first run; do it now so the pool counts this worker ready only then.
  await session.run(new Float32Array(3 * settings.inputWidth * settings.inputHeight), 1);
  return { session, settings, loaded: { loadMs, warmupMs: performance.now() - started - loadMs } };
}

const api = {
  load(settings) {
    if (!loading) {
      loading = open(settings);
      // A failed load is forgotten so that the next call can try again.
      loading.catch(() => {
        loading = null;
      });
    }
    return loading.then((s) => s.loaded);
  },

  async classify(tensors, topK): Promise<Classified> {
    if (!loading) throw new Error('inference worker used before load()');
    const { session, settings } = await loading;
    const started = performance.now();
    const out = await classifyInChunks(tensors, (pixels, n) => session.run(pixels, n), topK, settings.labels);
    return out.ok ? { ...out, inferMs: performance.now() - started } : out;
  },
} satisfies InferApi;

expose(api);
