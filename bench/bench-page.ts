// The benchmark page. Every scenario reports a steady-state rate: images counted from the end of
// the first batch to the end of the last, so model loading, kernel compilation and queues that
// filled while the model loaded count for no scenario.

import { env, pipeline } from '@huggingface/transformers';
// The same module transformers.js imports (one copy in the bundle): the graph scenario below needs
// ONNX Runtime's own session options and logs.
import * as ort from 'onnxruntime-web/webgpu';
import { transfer } from 'comlink';
import { newControl } from '../src/run/control.ts';
import { hostFacts, runJob } from '../src/run/run.ts';
import { planRun } from '../src/run/plan.ts';
import { modelRefFromInput } from '../src/model/model.ts';
import { loadModelInfo } from '../src/model/model.ts';
import { spawnInferrer } from '../src/pipeline/bridge.ts';
import { probeAdapter } from '../src/run/backend.ts';
import { openStore } from '../src/store/db.ts';
import type { Device } from '../src/core/device.ts';
import { ortWasmPaths } from '../workers/infer/ort-files.ts';
import type { PreprocessResult, PreprocessTask } from './preprocess.worker.ts';
import { devices } from './devices-page.ts';

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
  const asked = { sessions: s.sessions ?? null, decoders: s.decoders ?? null, batchSize: s.batchSize ?? null, threads: s.threads ?? null, fetchConcurrency: 1, maxPixels: 1 };
  const plan = planRun(asked, s.device, info.value.shape, hostFacts(), await probeAdapter());
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

// ---- WebGPU: where ONNX Runtime places a graph, and what its kernels cost (npm run bench -- --webgpu)

/** Every line the page's console prints, kept from before ONNX Runtime's wasm binds console. */
function captureConsole(): string[] {
  const lines: string[] = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
      if (level === 'error' || level === 'warn') original(...args);
    };
  }
  return lines;
}

/** A compute pass's state at one dispatch, replayed later in a pass of its own. */
interface Dispatch {
  pipeline: GPUComputePipeline;
  groups: Map<number, [GPUBindGroup | null, number[]]>;
  size: [number, number, number];
}

/** A replayed pass's timestamps, to be read once its commands were submitted. */
interface Timed {
  buffer: GPUBuffer;
  pipelines: GPUComputePipeline[];
}

/** GPU time per ORT program, from timestamp queries around every dispatch. */
interface KernelClock {
  /** ns per program name, once every resolved query set has been read. */
  read(): Promise<Map<string, { ns: number; dispatches: number }>>;
}

/**
 * ORT's WebGPU provider keeps many dispatches in one compute pass and has no per-kernel profile in
 * its wasm build (its profiler writes to a file the wasm build never opens), so each pass is
 * recorded here and replayed with one dispatch per pass, timestamps before and after. The program
 * a pipeline runs is named by ORT's verbose log, which prints each program's shader code.
 */
function clockKernels(lines: string[]): KernelClock {
  const moduleCode = new WeakMap<GPUShaderModule, string>();
  const pipelineCode = new WeakMap<GPUComputePipeline, string>();
  const createModule = GPUDevice.prototype.createShaderModule;
  GPUDevice.prototype.createShaderModule = function (this: GPUDevice, d: GPUShaderModuleDescriptor) {
    const m = createModule.call(this, d);
    moduleCode.set(m, d.code);
    return m;
  };
  const createPipeline = GPUDevice.prototype.createComputePipeline;
  GPUDevice.prototype.createComputePipeline = function (this: GPUDevice, d: GPUComputePipelineDescriptor) {
    const p = createPipeline.call(this, d);
    pipelineCode.set(p, moduleCode.get(d.compute.module) ?? '');
    return p;
  };
  // ORT may build its pipelines either way.
  const createPipelineAsync = GPUDevice.prototype.createComputePipelineAsync;
  GPUDevice.prototype.createComputePipelineAsync = async function (this: GPUDevice, d: GPUComputePipelineDescriptor) {
    const p = await createPipelineAsync.call(this, d);
    pipelineCode.set(p, moduleCode.get(d.compute.module) ?? '');
    return p;
  };
  const byCommands = new WeakMap<GPUCommandBuffer, Timed[]>();
  const encoders = new WeakMap<GPUCommandEncoder, Timed[]>();
  const begin = GPUCommandEncoder.prototype.beginComputePass;
  GPUCommandEncoder.prototype.beginComputePass = function (this: GPUCommandEncoder) {
    const encoder = this;
    const dispatches: Dispatch[] = [];
    let pipeline: GPUComputePipeline | null = null;
    const groups = new Map<number, [GPUBindGroup | null, number[]]>();
    const recorder = {
      label: '',
      setPipeline(p: GPUComputePipeline) { pipeline = p; },
      setBindGroup(i: number, g: GPUBindGroup | null, offsets?: Iterable<number>) { groups.set(i, [g, [...(offsets ?? [])]]); },
      dispatchWorkgroups(x: number, y = 1, z = 1) { dispatches.push({ pipeline: pipeline!, groups: new Map(groups), size: [x, y, z] }); },
      pushDebugGroup() {}, popDebugGroup() {}, insertDebugMarker() {},
      end() {
        const reads = replay(encoder, begin, dispatches);
        if (reads) (encoders.get(encoder) ?? encoders.set(encoder, []).get(encoder)!).push(reads);
      },
    };
    return recorder as unknown as GPUComputePassEncoder;
  };
  const finish = GPUCommandEncoder.prototype.finish;
  GPUCommandEncoder.prototype.finish = function (this: GPUCommandEncoder, d?: GPUCommandBufferDescriptor) {
    const commands = finish.call(this, d);
    byCommands.set(commands, encoders.get(this) ?? []);
    return commands;
  };
  const submit = GPUQueue.prototype.submit;
  const mapped: Array<Promise<void>> = [];
  const totals = new Map<string, { ns: number; dispatches: number }>();
  GPUQueue.prototype.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    const list = [...buffers];
    submit.call(this, list);
    for (const reads of list.flatMap((b) => byCommands.get(b) ?? [])) mapped.push(readTimes(reads, (p) => pipelineCode.get(p) ?? '', totals));
  };
  return {
    async read() {
      await Promise.all(mapped);
      const names = programNames(lines);
      const byName = new Map<string, { ns: number; dispatches: number }>();
      for (const [code, t] of totals) {
        const name = names.get(squeeze(code)) ?? 'unnamed';
        const sum = byName.get(name) ?? { ns: 0, dispatches: 0 };
        byName.set(name, { ns: sum.ns + t.ns, dispatches: sum.dispatches + t.dispatches });
      }
      return byName;
    },
  };
}

/** The recorded dispatches, one pass each with timestamps; their query results copied out. */
function replay(encoder: GPUCommandEncoder, begin: GPUCommandEncoder['beginComputePass'], dispatches: Dispatch[]): Timed | null {
  const device = globalThis.benchGpuDevice;
  if (!dispatches.length || !device) return null;
  const count = dispatches.length * 2;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolved = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const buffer = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  dispatches.forEach((d, i) => {
    const pass = begin.call(encoder, { timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    pass.setPipeline(d.pipeline);
    for (const [index, [group, offsets]] of d.groups) pass.setBindGroup(index, group, offsets);
    pass.dispatchWorkgroups(...d.size);
    pass.end();
  });
  encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
  encoder.copyBufferToBuffer(resolved, 0, buffer, 0, count * 8);
  return { buffer, pipelines: dispatches.map((d) => d.pipeline) };
}

const squeeze = (code: string) => code.replace(/\s+/g, '');

/**
 * Shader code to ORT program name, from the verbose log's "=== WebGPU Shader code [NAME, Key=...]
 * Start ===" ... "End ===" blocks (program_manager.cc), matched on the code itself: the log and the
 * module's creation need not come in a fixed order.
 */
function programNames(lines: string[]): Map<string, string> {
  const names = new Map<string, string>();
  let open: { name: string; code: string[] } | null = null;
  for (const line of lines.flatMap((l) => l.split('\n'))) {
    // Keys hold brackets of their own ("Transpose[0-2-3-1]"): the name is what comes before them.
    const mark = /=== WebGPU Shader code \[([^,\][]+).*\] (Start|End) ===/.exec(line);
    if (mark?.[2] === 'Start') open = { name: mark[1]!, code: [line.slice(line.indexOf('Start ===') + 9)] };
    else if (mark && open) {
      names.set(squeeze(open.code.join('\n')), open.name);
      open = null;
    } else open?.code.push(line);
  }
  return names;
}

/** Adds one replayed pass's GPU times, by the code of each dispatch's pipeline. */
async function readTimes(reads: Timed, codeOf: (p: GPUComputePipeline) => string, totals: Map<string, { ns: number; dispatches: number }>): Promise<void> {
  await reads.buffer.mapAsync(GPUMapMode.READ);
  const times = new BigUint64Array(reads.buffer.getMappedRange());
  reads.pipelines.forEach((pipeline, i) => {
    const name = codeOf(pipeline);
    const t = totals.get(name) ?? { ns: 0, dispatches: 0 };
    t.ns += Number(times[2 * i + 1]! - times[2 * i]!);
    t.dispatches++;
    totals.set(name, t);
  });
  reads.buffer.unmap();
  reads.buffer.destroy();
}

export interface GraphReport {
  /** "Node placements" from ORT's verbose log: provider, node count, and each node's "OpType (name)". */
  placements: Array<{ provider: string; nodes: number; list: string[] }>;
  /** Why the session could not be made, in ORT's words; null when it was. */
  error: string | null;
  /** GPU ms per ORT program over one run; null when not asked for. */
  kernels: Array<{ name: string; ms: number; dispatches: number }> | null;
  runMs: number | null;
  timestampQuery: boolean;
}

/** Placement lines of ORT's verbose log (session_state.cc's VerifyEachNodeIsAssignedToAnEp). */
function placementsOf(lines: string[]): GraphReport['placements'] {
  const out: GraphReport['placements'] = [];
  for (const line of lines.filter((l) => l.includes('VerifyEachNodeIsAssignedToAnEp'))) {
    const head = /placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (head) out.push({ provider: head[1]!, nodes: Number(head[2]), list: [] });
    else if (out.length && /\]   \S/.test(line)) out.at(-1)!.list.push(line.replace(/^.*\]   /, ''));
  }
  return out;
}

declare global {
  var benchGpuDevice: GPUDevice | undefined;
}

/**
 * A session of the model on WebGPU with ORT's verbose log (where it places each node), and with
 * `profile`, one run of a random batch of one with each kernel timed. `optimization` 'disabled'
 * keeps the file's nodes as they are, so that placements name the graph's own op types.
 */
async function webgpuGraph(a: { url: string; optimization: 'all' | 'disabled'; profile: boolean; input?: number[] }): Promise<GraphReport> {
  const lines = captureConsole();
  const clock = a.profile ? clockKernels(lines) : null;
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, d?: GPUDeviceDescriptor) {
    const device = await requestDevice.call(this, d);
    globalThis.benchGpuDevice = device;
    return device;
  };
  ort.env.wasm.wasmPaths = ortWasmPaths('webgpu');
  ort.env.logLevel = 'verbose';
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(a.url, { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0, graphOptimizationLevel: a.optimization });
  } catch (error) {
    return { placements: placementsOf(lines), error: error instanceof Error ? error.message : String(error), kernels: null, runMs: null, timestampQuery: false };
  }
  const timestampQuery = globalThis.benchGpuDevice?.features.has('timestamp-query') ?? false;
  let kernels: GraphReport['kernels'] = null;
  let runMs: number | null = null;
  if (clock && a.input && timestampQuery) {
    const dims = a.input;
    const pixels = new ort.Tensor('float32', new Float32Array(dims.reduce((x, y) => x * y)).map(() => Math.random() * 2 - 1), dims);
    const started = performance.now();
    await session.run({ [session.inputNames[0]!]: pixels });
    runMs = performance.now() - started;
    kernels = [...(await clock.read())].map(([name, t]) => ({ name, ms: t.ns / 1e6, dispatches: t.dispatches })).sort((x, y) => y.ms - x.ms);
  }
  await session.release();
  return { placements: placementsOf(lines), error: null, kernels, runMs, timestampQuery };
}

// ---- the inference worker's GPU buffers over many batches (driven by Playwright, which reads the
// worker's tenchGpuBytes between calls)

let held: { worker: ReturnType<typeof spawnInferrer>; tensors: Float32Array[] } | null = null;

async function gpuMemoryStart(s: { model: string; batchSize: number }): Promise<void> {
  const ref = modelRefFromInput(s.model, location.origin);
  const info = await loadModelInfo(ref);
  if (!info.ok) throw new Error(info.reason);
  const p = info.value.preprocess;
  const worker = spawnInferrer();
  await worker.api.load({ model: ref, device: 'webgpu', dtype: 'fp32', numThreads: 1, labels: info.value.labels, inputWidth: p.inputWidth, inputHeight: p.inputHeight });
  held = { worker, tensors: Array.from({ length: s.batchSize }, () => new Float32Array(3 * p.inputWidth * p.inputHeight).map(() => Math.random() * 2 - 1)) };
}

/** Runs `batches` more batches; returns the top-1 label of the last batch's first image. */
async function gpuMemoryRun(batches: number): Promise<string> {
  if (!held) throw new Error('gpuMemoryStart first');
  let label = '';
  for (let i = 0; i < batches; i++) {
    const out = await held.worker.api.classify(transfer(held.tensors, held.tensors.map((t) => t.buffer)), 1);
    if (!out.ok) throw new Error(out.reason);
    held.tensors = out.tensors ?? held.tensors;
    label = out.predictions[0]![0]!.label;
  }
  return label;
}

const bench = { modelOnly, endToEnd, naive, adapter, preprocess, webgpuGraph, gpuMemoryStart, gpuMemoryRun, devices };
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
