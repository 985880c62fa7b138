// tench's inference path under Node, for bench/gpu/run.py: workers/infer/session.ts opens the
// model exactly as an inference worker does (transformers.js, ONNX Runtime Web's WebGPU EP on
// navigator.gpu, which Dawn provides here), and workers/infer/classify.ts turns batches of the
// given pixels into top-k predictions. Prints one result line: `tench-result {json}`.

import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installGpu, installWorkerGlobals, type GpuProbe } from './globals.ts';
import type { Device } from '../../workers/infer/api.ts';

interface Options {
  models: string;
  model: string;
  inputs: string;
  images: number;
  batch: number;
  device: Device;
  repeats: number;
  top1: string | null;
}

/** Phases with their times, to stderr, when TENCH_BENCH_DEBUG is set: where a slow run spends it. */
function phase(what: string): void {
  if (process.env.TENCH_BENCH_DEBUG) process.stderr.write(`[${(performance.now() / 1000).toFixed(1)} s] ${what}\n`);
}

function fail(message: string): never {
  process.stderr.write(`tench bench: ${message}\n`);
  process.exit(1);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number above 0, not ${JSON.stringify(value)}.`);
  return n;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      model: { type: 'string' },
      inputs: { type: 'string' },
      images: { type: 'string' },
      batch: { type: 'string' },
      device: { type: 'string', default: 'webgpu' },
      repeats: { type: 'string' },
      top1: { type: 'string' },
    },
  });
  if (!values.models || !values.model || !values.inputs) fail('--models DIR, --model ID and --inputs FILE are needed.');
  if (values.device !== 'webgpu' && values.device !== 'wasm') fail(`--device is webgpu or wasm, not ${values.device}.`);
  return {
    models: resolve(values.models),
    model: values.model,
    inputs: resolve(values.inputs),
    images: positive('images', values.images, 64),
    batch: positive('batch', values.batch, 16),
    device: values.device,
    repeats: positive('repeats', values.repeats, 3),
    top1: values.top1 ?? null,
  };
}

/** The model's labels and input size, from its config files, as the page reads them. */
async function modelShape(dir: string, labelsFrom: (c: Record<string, unknown>) => { ok: true; value: string[] } | { ok: false; reason: string }) {
  const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
  const [config, processor] = await Promise.all([read('config.json'), read('preprocessor_config.json')]);
  const labels = labelsFrom(config);
  if (!labels.ok) fail(labels.reason);
  const size = processor.size as { height?: number; width?: number } | number | undefined;
  const side = Number(config.image_size ?? 224);
  const [h, w] = typeof size === 'object' && size.height && size.width ? [size.height, size.width] : [side, side];
  return { labels: labels.value, height: h, width: w };
}

/** The inputs file: images x 3 x h x w float32, as run.py wrote it; one view per image. */
async function readInputs(file: string, images: number, perImage: number): Promise<Float32Array[]> {
  const bytes = await readFile(file);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (all.length < images * perImage) fail(`${file} holds ${Math.floor(all.length / perImage)} images, fewer than --images ${images}.`);
  return Array.from({ length: images }, (_, i) => all.subarray(i * perImage, (i + 1) * perImage));
}

async function main(): Promise<void> {
  const o = options();
  // The bundle's folder stands for the page: ONNX Runtime's files lie in ort/ beside it.
  installWorkerGlobals(dirname(fileURLToPath(import.meta.url)));
  const gpu: GpuProbe | null = o.device === 'webgpu' ? await installGpu() : null;
  if (gpu && !gpu.ok) fail(gpu.reason);
  phase('globals installed');
  // Only now: transformers.js decides at load time whether WebGPU exists.
  const { openSession } = await import('../../workers/infer/session.ts');
  const { classifyInChunks } = await import('../../workers/infer/classify.ts');
  const { labelsFrom } = await import('../../src/model/model.ts');
  phase('modules loaded');
  const shape = await modelShape(join(o.models, o.model), labelsFrom);
  const tensors = await readInputs(o.inputs, o.images, 3 * shape.height * shape.width);
  const base = pathToFileURL(o.models).href.replace(/\/?$/, '/');
  const t0 = performance.now();
  const session = await openSession({
    model: { id: o.model, base },
    device: o.device,
    dtype: 'fp32',
    // One thread: ONNX Runtime Web starts its threads from a blob: URL of its own script, which
    // Node's module loader cannot import. WebGPU's speed does not hang on it.
    numThreads: 1,
    labels: shape.labels,
    inputWidth: shape.width,
    inputHeight: shape.height,
  });
  const loadMs = performance.now() - t0;
  phase('session open');
  const run = (pixels: Float32Array, n: number) => session.run(pixels, n);
  // The first pass compiles the kernels (and WebGPU's shaders): timed apart, as the app does.
  const t1 = performance.now();
  const warm = await classifyInChunks(tensors.slice(0, Math.min(o.batch, tensors.length)), run, 5, shape.labels);
  const warmupMs = performance.now() - t1;
  if (!warm.ok) fail(`the first batch failed: ${warm.reason}`);
  phase('first batch done');
  const result = await timed(o, tensors, run, shape.labels, classifyInChunks);
  const line = { device: o.device, adapter: gpu?.ok ? gpu.adapter : null, fallbackAdapter: gpu?.ok ? gpu.fallback : null, loadMs, warmupMs, ...result.summary };
  // Written synchronously: an fs promise here waited a minute and more for libuv's thread pool,
  // which Node shares with ONNX Runtime's worker threads, on a busy machine.
  if (o.top1) writeFileSync(o.top1, JSON.stringify(result.top1));
  phase('written');
  process.stdout.write(`tench-result ${JSON.stringify(line)}\n`);
}

type Classify = typeof import('../../workers/infer/classify.ts').classifyInChunks;

/** `repeats` passes over every image in batches of `batch`; the best pass counts (least noise). */
async function timed(o: Options, tensors: Float32Array[], run: (p: Float32Array, n: number) => Promise<{ logits: Float32Array }>, labels: string[], classify: Classify) {
  let best = Infinity;
  let fitted: number | null = null;
  let top1: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const predictions: number[] = [];
    const start = performance.now();
    for (let i = 0; i < tensors.length; i += o.batch) {
      const outcome = await classify(tensors.slice(i, i + o.batch), run, 5, labels);
      if (!outcome.ok) fail(`a batch failed: ${outcome.reason}`);
      fitted = outcome.fitted ?? fitted;
      for (const p of outcome.predictions) predictions.push(p[0]!.index);
    }
    best = Math.min(best, performance.now() - start);
    phase(`pass ${r + 1}: ${(performance.now() - start).toFixed(0)} ms`);
    top1 = predictions;
  }
  return { summary: { images: tensors.length, batch: o.batch, fitted, repeats: o.repeats, bestMs: best, imagesPerSecond: (tensors.length * 1000) / best }, top1 };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // The whole stack only when asked: a reader wants the one sentence.
    if (process.env.TENCH_BENCH_DEBUG) console.error(error);
    fail(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  },
);
