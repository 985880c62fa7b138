// Inference worker: owns one model session; classifies one batch at a time.

import { expose, transfer } from 'comlink';
import type { Classified, InferApi, LoadProgress, Loaded, SessionSettings } from './api.ts';
import { classifyInChunks, fixedBatch, type ChunkOutcome } from './classify.ts';
import { openSession, type Bytes, type Session } from './session.ts';
import { reasonOf } from '../../src/core/outcome.ts';
import { WEBNN_BATCH } from '../../src/core/device.ts';

type Run = Session['run'];

let loading: Promise<{ run: Run; settings: SessionSettings; loaded: Loaded }> | null = null;
let lostReason: string | null = null;
/** Calls waiting on a run; told if the device goes. Not a race against `session.lost`, which
 * would leave a reaction, and with it the call's batch, on that promise for every call. */
const onLoss = new Set<(reason: string) => void>();

/** How often the download's progress crosses to the page, at most. */
const PROGRESS_EVERY_MS = 250;

/**
 * Passes the download on, now and then, and once more when all has come: the sum over all the
 * files where transformers.js gives it; until then the bytes of the files heard of so far, with
 * the total unknown (0), as more files may follow.
 */
function downloadMeter(onProgress: ((p: LoadProgress) => void) | undefined) {
  const files = new Map<string, LoadProgress>();
  let whole: LoadProgress | null = null;
  let last = 0;
  return (b: Bytes) => {
    if (!onProgress) return;
    if (b.file === undefined) whole = { loaded: b.loaded, total: b.total };
    else files.set(b.file, { loaded: b.loaded, total: b.total });
    const sum = whole ?? { loaded: [...files.values()].reduce((n, f) => n + f.loaded, 0), total: 0 };
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS && !(sum.total > 0 && sum.loaded >= sum.total)) return;
    last = now;
    void Promise.resolve(onProgress(sum)).catch(() => {});
  };
}

/** The session's forward pass; on WebNN, whose shapes are fixed, always at the fixed batch. */
function runnerOf(session: Session, settings: SessionSettings): Run {
  const run: Run = (pixels, n) => session.run(pixels, n);
  if (settings.device !== 'webnn') return run;
  return fixedBatch(run, settings.batchSize ?? WEBNN_BATCH, 3 * settings.inputWidth * settings.inputHeight);
}

async function open(settings: SessionSettings, onProgress?: (p: LoadProgress) => void) {
  const started = performance.now();
  const session = await openSession(settings, downloadMeter(onProgress));
  void session.lost.then((reason) => {
    lostReason = reason;
    for (const listener of onLoss) listener(reason);
  });
  const loadMs = performance.now() - started;
  // Kernels compile on the first run; do it now so the pool counts this worker ready only then.
  const run = runnerOf(session, settings);
  await run(new Float32Array(3 * settings.inputWidth * settings.inputHeight), 1);
  return { run, settings, loaded: { loadMs, warmupMs: performance.now() - started - loadMs } };
}

const api = {
  load(settings, onProgress) {
    if (!loading) {
      loading = open(settings, onProgress);
      // A failed load is forgotten so that the next call can try again.
      loading.catch(() => {
        loading = null;
      });
    }
    return loading.then((s) => s.loaded);
  },

  async classify(tensors, topK): Promise<Classified> {
    if (!loading) throw new Error('inference worker used before load()');
    const { run, settings } = await loading;
    // A broken session hands the batch back, so that a fresh worker can run it.
    const broken = (reason: string): Classified => transfer({ ok: false, reason, outOfMemory: false, broken: true, tensors }, tensors.map((t) => t.buffer));
    if (lostReason !== null) return broken(`the GPU device was lost (${lostReason})`);
    const started = performance.now();
    // A run on a lost device may never settle: the loss itself ends the wait.
    let listener: (reason: string) => void = () => {};
    const out = await new Promise<ChunkOutcome>((resolve) => {
      listener = (reason) => resolve({ ok: false, reason: `the GPU device was lost (${reason})`, outOfMemory: false });
      onLoss.add(listener);
      classifyInChunks(tensors, run, topK, settings.labels)
        .then(resolve, (error: unknown) => resolve({ ok: false, reason: reasonOf(error), outOfMemory: false }));
    }).finally(() => onLoss.delete(listener));
    if (out.ok) {
      const buffers = [...tensors, ...(out.embeddings ?? [])].map((t) => t.buffer);
      return transfer({ ...out, inferMs: performance.now() - started, tensors }, buffers);
    }
    if (out.outOfMemory) return out;
    // A run that failed because the device went away says so, not what ONNX Runtime saw of it:
    // the loss is reported a moment after the failed run.
    if (lostReason === null) await new Promise((r) => setTimeout(r, 100));
    return broken(lostReason !== null ? `the GPU device was lost (${lostReason})` : out.reason);
  },
} satisfies InferApi;

expose(api);
