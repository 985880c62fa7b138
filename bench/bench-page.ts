// The benchmark page. Every scenario reports a steady-state rate: images counted from the end of
// the first batch to the end of the last, so model loading, kernel compilation and queues that
// filled while the model loaded count for no scenario.

import { env, pipeline } from '@huggingface/transformers';
import { transfer } from 'comlink';
import { newControl, planFor, runJob } from '../src/job.ts';
import { modelRefFromInput } from '../src/model/model.ts';
import { loadModelInfo } from '../src/model/model.ts';
import { spawnInferrer } from '../src/pipeline/bridge.ts';
import { probeAdapter } from '../src/pipeline/runtime.ts';
import { openStore } from '../src/store/db.ts';
import type { Device } from '../src/core/device.ts';
import { ortWasmPaths } from '../workers/infer/ort-files.ts';
import type { PreprocessResult, PreprocessTask } from './preprocess.worker.ts';

export interface Rate {
  images: number;
  seconds: number;
  rate: number;
  note?: string;
}

/** Steady-state rate from (time, images done) samples: after the first sample, to the last. */
function steady(samples: Array<[number, number]>): Rate {
  const first = samples.find(([, done]) => done > 0);
  const last = samples.at(-1);
  if (!first || !last || last[0] <= first[0]) return { images: last?.[1] ?? 0, seconds: 0, rate: 0 };
  const images = last[1] - first[1];
  const seconds = (last[0] - first[0]) / 1000;
  return { images, seconds, rate: images / seconds };
}

export interface Scenario {
  model: string;
  device: Device;
  images: number;
  /** Left to the plan (as the app would choose) unless given. */
  sessions?: number;
  batchSize?: number;
  threads?: number;
  decoders?: number;
}

/** (a) The sessions alone, as (b) would size them: ready tensors in, as fast as they take them. */
async function modelOnly(s: Scenario): Promise<Rate> {
  const ref = modelRefFromInput(s.model, location.origin);
  const info = await loadModelInfo(ref);
  if (!info.ok) throw new Error(info.reason);
  const p = info.value.preprocess;
  const plan = planFor({ sessions: s.sessions ?? null, decoders: s.decoders ?? null, batchSize: s.batchSize ?? null, threads: s.threads ?? null }, s.device, info.value, await probeAdapter());
  const workers = Array.from({ length: plan.sessions }, () => spawnInferrer());
  try {
    await Promise.all(workers.map((w) => w.api.load({
      model: ref, device: s.device, dtype: 'fp32', numThreads: plan.threads, labels: info.value.labels, inputWidth: p.inputWidth, inputHeight: p.inputHeight,
    })));
    const size = 3 * p.inputWidth * p.inputHeight;
    const samples: Array<[number, number]> = [];
    let done = 0;
    let next = 0;
    const batches = Math.ceil(s.images / plan.batchSize);
    await Promise.all(workers.map(async (w) => {
      // Made once: the sessions hand each batch's tensors back, and they go in again, as in a run.
      let tensors: Float32Array[] = Array.from({ length: plan.batchSize }, () => new Float32Array(size).map(() => Math.random() * 2 - 1));
      while (next < batches) {
        next++;
        const out = await w.api.classify(transfer(tensors, tensors.map((t) => t.buffer)), 1);
        if (!out.ok) throw new Error(out.reason);
        tensors = out.tensors ?? tensors;
        done += plan.batchSize;
        samples.push([performance.now(), done]);
      }
    }));
    return { ...steady(samples), note: `${plan.sessions} session(s), threads ${plan.threads}, batch ${plan.batchSize}` };
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Where the page says it reached steady state, when a bench in Node listens (plain-browser.ts). */
function markSteady(done: number): void {
  const report = new URLSearchParams(location.search).get('report');
  if (report) void fetch(`${report}&mark=1`, { method: 'POST', body: JSON.stringify({ done }) });
}

/** (b) tench end to end: list, fetch, decode, infer, store, through the same runJob as the app. */
export interface EndToEnd extends Rate {
  batchSize: number;
  markedAt: number | null;
  /** From the call (a user's click on Run) to the first stored row. */
  firstRowMs: number | null;
  /** The pipeline's step times, summed over the run (Counters.stepMs). */
  stepMs: Partial<Record<string, number>>;
}

async function endToEnd(s: Scenario & { manifest: string; markAt?: number }): Promise<EndToEnd> {
  const called = Date.now();
  const db = await openStore('tench-bench');
  let stepMs: Partial<Record<string, number>> = {};
  const samples: Array<[number, number]> = [];
  let batchSize = 0;
  let markedAt: number | null = null;
  const run = await runJob(db, {
    dataset: { kind: 'manifest', url: s.manifest },
    model: modelRefFromInput(s.model, location.origin),
    device: s.device,
    dtype: 'fp32',
    sessions: s.sessions ?? null,
    decoders: s.decoders ?? null,
    batchSize: s.batchSize ?? null,
    threads: s.threads ?? null,
    topK: 5,
    limit: s.images,
  }, {}, {
    onProgress(p) {
      if (p.done > (samples.at(-1)?.[1] ?? 0)) samples.push([performance.now(), p.done]);
      batchSize = p.batchSize ?? batchSize;
      stepMs = p.stepMs ?? stepMs;
      if (s.markAt !== undefined && markedAt === null && p.done >= s.markAt) {
        markedAt = p.done;
        markSteady(p.done);
      }
    },
  }, newControl());
  db.close();
  if (run.state !== 'done') throw new Error(`end-to-end run ${run.state}: ${run.error}`);
  return { ...steady(samples), batchSize, markedAt, stepMs, firstRowMs: run.firstRowAt ? run.firstRowAt - called : null, note: `${run.settings.sessions} session(s), threads ${run.runtime?.threads}, batch ${batchSize}, ${run.settings.decoders} decoder(s)` };
}

/** (c) The Ray example ported naively: transformers.js's pipeline on batches of image URLs. */
async function naive(s: Scenario & { urls: string[] }): Promise<Rate> {
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  // A path, not a full URL: transformers.js's file probe (get_file_metadata) skips local files
  // whose path is an http(s) URL, and the pipeline then loads no image processor.
  env.localModelPath = '/models/';
  // Only what it takes to run without a CDN; threads and everything else stay at their defaults.
  (env.backends.onnx as { wasm: { wasmPaths: unknown } }).wasm.wasmPaths = ortWasmPaths(s.device);
  const classifier = await pipeline('image-classification', s.model, { device: s.device, dtype: 'fp32' });
  const samples: Array<[number, number]> = [];
  let done = 0;
  const size = s.batchSize ?? 8;
  for (let i = 0; i < s.images; i += size) {
    const batch = Array.from({ length: Math.min(size, s.images - i) }, (_, k) => s.urls[(i + k) % s.urls.length]!);
    await classifier(batch, { top_k: 1 });
    done += batch.length;
    samples.push([performance.now(), done]);
  }
  await classifier.dispose();
  const onnx = env.backends.onnx as { wasm?: { numThreads?: number } };
  return { ...steady(samples), note: `threads ${onnx.wasm?.numThreads ?? '?'}, batch ${size}` };
}

async function adapter(): Promise<{ present: boolean; fallback: boolean; description: string }> {
  const a = await probeAdapter();
  return { present: a.present, fallback: a.fallback, description: a.description };
}

/** Preprocessing throughput, tench against transformers.js, in one worker. */
function preprocess(o: PreprocessTask): Promise<PreprocessResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./preprocess.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ ok: boolean; result?: PreprocessResult[]; reason?: string }>) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.result!);
      else reject(new Error(e.data.reason));
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(o);
  });
}

const bench = { modelOnly, endToEnd, naive, adapter, preprocess };
export type Bench = typeof bench;

declare global {
  interface Window {
    bench: Bench;
  }
}

window.bench = bench;
document.body.dataset.ready = 'true';

// Opened as bench.html?call=NAME&arg=JSON&report=URL, in a browser no automation is attached to:
// the page runs the call itself and posts the outcome back to the bench.
const query = new URLSearchParams(location.search);
const call = query.get('call') as keyof Bench | null;
const report = query.get('report');
if (call && report) {
  const post = (outcome: unknown) => fetch(report, { method: 'POST', body: JSON.stringify(outcome) });
  (bench[call] as (arg: unknown) => Promise<unknown>)(JSON.parse(query.get('arg') ?? 'null')).then(
    (result) => post({ ok: true, result }),
    (error: unknown) => post({ ok: false, reason: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
}
