// Inference worker: owns one model session; classifies one batch at a time.

import { expose, transfer } from 'comlink';
import type { Classified, InferApi, Loaded, SessionSettings } from './api.ts';
import { classifyInChunks, type ChunkOutcome } from './classify.ts';
import { openSession, type Session } from './session.ts';
import { reasonOf } from '../../src/core/outcome.ts';

let loading: Promise<{ session: Session; settings: SessionSettings; loaded: Loaded }> | null = null;
let lostReason: string | null = null;
/** Calls waiting on a run; told if the device goes. Not a race against `session.lost`, which
 * would leave a reaction, and with it the call's batch, on that promise for every call. */
const onLoss = new Set<(reason: string) => void>();

async function open(settings: SessionSettings) {
  const started = performance.now();
  const session = await openSession(settings);
  void session.lost.then((reason) => {
    lostReason = reason;
    for (const listener of onLoss) listener(reason);
  });
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
    // A broken session hands the batch back, so that a fresh worker can run it.
    const broken = (reason: string): Classified => transfer({ ok: false, reason, outOfMemory: false, broken: true, tensors }, tensors.map((t) => t.buffer));
    if (lostReason !== null) return broken(`the GPU device was lost (${lostReason})`);
    const started = performance.now();
    // A run on a lost device may never settle: the loss itself ends the wait.
    let listener: (reason: string) => void = () => {};
    const out = await new Promise<ChunkOutcome>((resolve) => {
      listener = (reason) => resolve({ ok: false, reason: `the GPU device was lost (${reason})`, outOfMemory: false });
      onLoss.add(listener);
      classifyInChunks(tensors, (pixels, n) => session.run(pixels, n), topK, settings.labels)
        .then(resolve, (error: unknown) => resolve({ ok: false, reason: reasonOf(error), outOfMemory: false }));
    }).finally(() => onLoss.delete(listener));
    if (out.ok) return transfer({ ...out, inferMs: performance.now() - started, tensors }, tensors.map((t) => t.buffer));
    if (out.outOfMemory) return out;
    // A run that failed because the device went away says so, not what ONNX Runtime saw of it:
    // the loss is reported a moment after the failed run.
    if (lostReason === null) await new Promise((r) => setTimeout(r, 100));
    return broken(lostReason !== null ? `the GPU device was lost (${lostReason})` : out.reason);
  },
} satisfies InferApi;

expose(api);
