// The only module that touches transformers.js and ONNX Runtime: one session per worker.

import { AutoModelForImageClassification, Tensor, env } from '@huggingface/transformers';
import type { SessionSettings } from './api.ts';
import { embeddingOutput, embeddingRows, noEmbeddings, type Outputs } from './classify.ts';
import { ortWasmPaths } from './ort-files.ts';
import { fileUrl, hubSource } from '../../src/model/model.ts';
import { WEBNN_BATCH } from '../../src/core/device.ts';

export interface Session {
  /** One forward pass over n images of 3 x h x w: the logits, n x classes, and the embeddings,
   * n x dim, when the settings ask for them. */
  run(pixels: Float32Array, n: number): Promise<Outputs>;
  /** Resolves with the reason if the GPU device goes away (driver reset, another tab, destroy()). */
  lost: Promise<string>;
}

declare global {
  /** The worker's GPU device, reachable from devtools and tests: destroying it simulates a lost GPU. */
  var tenchGpuDevice: GPUDevice | undefined;
  /** This worker's GPU buffers now: bytes created and not destroyed, and how many were ever made. */
  var tenchGpuBytes: { live: number; created: number } | undefined;
}

/**
 * Counts the GPU buffers of this worker's realm, from before ONNX Runtime makes its first one, so
 * that the bench and a test can see whether a long run's GPU memory stays flat. A buffer dropped
 * without destroy() stays counted: it holds its memory until collected.
 */
function countGpuBuffers(): void {
  if (globalThis.tenchGpuBytes || typeof GPUDevice === 'undefined') return;
  const counts = { live: 0, created: 0 };
  const sizes = new WeakMap<GPUBuffer, number>();
  const create = GPUDevice.prototype.createBuffer;
  const destroy = GPUBuffer.prototype.destroy;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = create.call(this, descriptor);
    sizes.set(buffer, descriptor.size);
    counts.live += descriptor.size;
    counts.created++;
    return buffer;
  };
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    counts.live -= sizes.get(this) ?? 0;
    sizes.delete(this);
    return destroy.call(this);
  };
  globalThis.tenchGpuBytes = counts;
}

/** The device ONNX Runtime made for this worker's session, when it runs on WebGPU. */
async function gpuDevice(): Promise<GPUDevice | null> {
  const webgpu = (env.backends.onnx as { webgpu?: { device?: Promise<GPUDevice> } }).webgpu;
  try {
    return (await webgpu?.device) ?? null;
  } catch {
    return null;
  }
}

/** The hub's requests with the token; any other request (a redirect to the hub's file store
 * included: browsers drop Authorization on a cross-origin redirect) as they are. */
function withToken(hubPrefix: string, token: string): typeof env.fetch {
  return (input, init) => {
    if (!String(input).startsWith(hubPrefix)) return fetch(input, init);
    const headers = new Headers((init as RequestInit | undefined)?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...(init as RequestInit | undefined), headers });
  };
}

function configureEnv(s: SessionSettings): void {
  const local = s.model.base !== null;
  env.allowLocalModels = local;
  env.allowRemoteModels = !local;
  if (local) env.localModelPath = s.model.base!;
  else {
    const hub = hubSource(s.model.hub);
    env.remoteHost = `${hub.endpoint}/`;
    env.remotePathTemplate = '{model}/resolve/{revision}/';
    if (s.hubToken) env.fetch = withToken(`${hub.endpoint}/`, s.hubToken);
  }
  // The service worker already precaches ONNX Runtime's wasm; a second copy in transformers.js's
  // cache would cost another 27 MB of the origin's quota.
  env.useWasmCache = false;
  // A model the CLI's server serves (a model folder, or the Hugging Face cache it keeps: the
  // tench-local and hub routes of src/server/routes.ts) is on this machine already: another copy
  // in each state folder's browser profile would only fill the disk.
  const url = new URL(fileUrl(s.model, 'config.json'));
  const servedHere = url.origin === self.location.origin && /^\/(hub|models\/tench-local)\//.test(url.pathname);
  env.useBrowserCache = !servedHere;
  env.useCustomCache = servedHere;
  if (servedHere) env.customCache = smallFilesCache();
  const onnx = env.backends.onnx as { wasm?: Record<string, unknown> };
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = ortWasmPaths(s.device);
    onnx.wasm.numThreads = s.numThreads;
    onnx.wasm.proxy = false;
  }
}

/** Files kept in memory, the small ones only (the configs, not the weights). */
const SMALL_FILE_BYTES = 1 << 20;

/**
 * A cache of a model's small files, in this worker's memory. transformers.js sums its download
 * into one total only when it finds one of the model's files cached (config.json, which it reads
 * first); with no cache at all, the page could show bytes but no total.
 */
function smallFilesCache() {
  const kept = new Map<string, { body: ArrayBuffer; headers: Headers }>();
  return {
    async match(request: string) {
      const hit = kept.get(request);
      return hit ? new Response(hit.body.slice(0), { headers: hit.headers }) : undefined;
    },
    async put(request: string, response: Response) {
      const size = Number(response.headers.get('content-length'));
      if (!(size > 0 && size <= SMALL_FILE_BYTES)) return;
      kept.set(request, { body: await response.arrayBuffer(), headers: new Headers(response.headers) });
    },
  };
}

/** Bytes of the model's files as they come: of one file, or (no file) of all of them. */
export type Bytes = { file?: string; loaded: number; total: number };

/**
 * The names exporters give a ViT input's free dimensions (ours: batch; Optimum's: batch_size,
 * num_channels, height, width), fixed for WebNN, which compiles a graph for one shape only: a
 * free dimension left would send its nodes to the CPU. Names a model lacks are ignored.
 */
function fixedDimensions(s: SessionSettings): Record<string, number> {
  const batch = s.batchSize ?? WEBNN_BATCH;
  return { batch, batch_size: batch, num_channels: 3, height: s.inputHeight, width: s.inputWidth };
}

/** transformers.js's device and session options: WebNN on the CPU, its shapes fixed. */
function placement(s: SessionSettings) {
  if (s.device !== 'webnn') return { device: s.device };
  return {
    device: 'webnn-cpu' as const,
    session_options: { executionProviders: [{ name: 'webnn', deviceType: 'cpu' }], freeDimensionOverrides: fixedDimensions(s) },
  };
}

/** What is read here of ONNX Runtime's session and tensors, which transformers.js leaves untyped. */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
  dispose?(): void;
}

interface OrtSession {
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, OrtTensor | undefined>>;
}

/**
 * The outputs a pass fetches: the logits, and the embedding's output when asked for. Fetching
 * only those spares copying the rest (a ViT's whole last hidden state) out of WASM or the GPU.
 * A model without such an output fails the load, not each batch.
 */
async function fetchesFor(s: SessionSettings, session: OrtSession, dispose: () => Promise<unknown>): Promise<string[]> {
  if (!s.embeddings) return ['logits'];
  const embedding = embeddingOutput(session.outputNames);
  if (embedding) return ['logits', embedding];
  await dispose().catch(() => {});
  throw new Error(noEmbeddings(s.model.asked ?? s.model.id, session.outputNames));
}

/** The pass's outputs as this worker's own arrays; the tensors are let go. */
function outputsOf(out: Record<string, OrtTensor | undefined>, fetches: readonly string[]): Outputs {
  const [logits, embedding] = fetches.map((name) => out[name]!);
  try {
    const result: Outputs = { logits: logits!.data as Float32Array };
    if (embedding) result.embeddings = embeddingRows(embedding.data as Float32Array, embedding.dims);
    return result;
  } finally {
    for (const tensor of Object.values(out)) tensor?.dispose?.();
  }
}

/** `onBytes` hears the download: transformers.js sums all the files it expects (their sizes asked
 * first) where it can, and tells each file's progress as well. */
export async function openSession(s: SessionSettings, onBytes?: (b: Bytes) => void): Promise<Session> {
  configureEnv(s);
  if (s.device === 'webgpu') countGpuBuffers();
  const model = await AutoModelForImageClassification.from_pretrained(s.model.id, {
    ...placement(s),
    dtype: s.dtype,
    local_files_only: s.model.base !== null,
    revision: s.model.base === null ? hubSource(s.model.hub).revision : undefined,
    progress_callback: (info) => {
      if (info.status === 'progress_total') onBytes?.({ loaded: info.loaded, total: info.total });
      else if (info.status === 'progress') onBytes?.({ file: info.file, loaded: info.loaded, total: info.total });
    },
  });
  // ONNX Runtime's own session, run directly for its fetches: transformers.js's call would fetch
  // every output the graph has. Its queue of runs is not missed: this worker runs one pass at a time.
  const session = model.sessions.model as OrtSession;
  const fetches = await fetchesFor(s, session, () => model.dispose());
  const shape = [3, s.inputHeight, s.inputWidth] as const;
  const device = s.device === 'webgpu' ? await gpuDevice() : null;
  globalThis.tenchGpuDevice = device ?? undefined;
  return {
    lost: device ? device.lost.then((info) => info.message || info.reason || 'no reason given') : new Promise<string>(() => {}),
    async run(pixels, n) {
      const input = new Tensor('float32', pixels, [n, ...shape]);
      try {
        return outputsOf(await session.run({ pixel_values: input.ort_tensor }, fetches), fetches);
      } finally {
        input.dispose();
      }
    },
  };
}
