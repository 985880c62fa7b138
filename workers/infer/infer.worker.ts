// Inference worker: owns one model session; classifies one batch at a time.

import { expose } from 'comlink';
import { reasonOf } from '../shared/results.ts';
import type { Classified, InferApi, Loaded, SessionSettings } from './api.ts';
import { classifyBatch } from './classify.ts';
import { openSession, type Session } from './session.ts';

let loading: Promise<{ session: Session; settings: SessionSettings; loaded: Loaded }> | null = null;

function isOutOfMemory(reason: string): boolean {
  return /out of memory|OOM|allocat|maxBufferSize|exceeds|too large/i.test(reason);
}

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
    const size = 3 * settings.inputWidth * settings.inputHeight;
    const pixels = tensors.length === 1 ? tensors[0]! : new Float32Array(size * tensors.length);
    if (tensors.length > 1) tensors.forEach((t, i) => pixels.set(t, i * size));
    const started = performance.now();
    try {
      const logits = await session.run(pixels, tensors.length);
      return {
        ok: true,
        predictions: classifyBatch(logits, tensors.length, topK, settings.labels),
        inferMs: performance.now() - started,
      };
    } catch (error) {
      const reason = reasonOf(error);
      return { ok: false, reason, outOfMemory: isOutOfMemory(reason) };
    }
  },
} satisfies InferApi;

expose(api);
