// Which backend runs the model, how many threads each session gets, and why: pure functions
// over what the browser reports, so they are tested with made-up adapters.

import type { Device, Dtype } from '../core/device.ts';

export type RequestedDevice = 'auto' | Device;

/** Downloads in flight unless the run says: enough to hide a remote store's latency. */
export const FETCH_CONCURRENCY = 16;

/** What we learned from navigator.gpu, reduced to the facts the choice depends on. */
export interface AdapterFacts {
  present: boolean;
  /** A software adapter (SwiftShader): WebGPU runs, far slower than WASM. */
  fallback: boolean;
  description: string;
  shaderF16: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export const NO_ADAPTER: AdapterFacts = Object.freeze({
  present: false,
  fallback: false,
  description: 'none',
  shaderF16: false,
  maxBufferSize: 0,
  maxStorageBufferBindingSize: 0,
});

export type Resolved = { ok: true; device: Device; dtype: Dtype; reason: string } | { ok: false; reason: string };

export function resolveRuntime(requested: RequestedDevice, dtype: Dtype, adapter: AdapterFacts): Resolved {
  if (requested === 'wasm') return { ok: true, device: 'wasm', dtype, reason: 'WASM was asked for' };
  if (requested === 'webgpu') {
    if (!adapter.present) {
      return { ok: false, reason: 'WebGPU was asked for but this browser has no WebGPU adapter (try --device wasm, or a Chromium with --enable-unsafe-webgpu)' };
    }
    if (dtype === 'fp16' && !adapter.shaderF16) {
      return { ok: true, device: 'webgpu', dtype: 'fp32', reason: `the WebGPU adapter (${adapter.description}) has no shader-f16, so fp16 runs as fp32` };
    }
    return { ok: true, device: 'webgpu', dtype, reason: `WebGPU was asked for (${adapter.description})` };
  }
  if (!adapter.present) return { ok: true, device: 'wasm', dtype, reason: 'no WebGPU adapter' };
  if (adapter.fallback) {
    return { ok: true, device: 'wasm', dtype, reason: `the only WebGPU adapter is a software one (${adapter.description}), slower than WASM` };
  }
  if (dtype === 'fp16' && !adapter.shaderF16) {
    return { ok: true, device: 'wasm', dtype, reason: `the WebGPU adapter (${adapter.description}) has no shader-f16 for an fp16 model` };
  }
  return { ok: true, device: 'webgpu', dtype, reason: `WebGPU adapter ${adapter.description}` };
}

/** WASM threads per session: the cores shared among the sessions, at least one each. */
export function wasmThreads(cores: number, sessions: number, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 1;
  return Math.max(1, Math.floor(Math.max(1, cores) / Math.max(1, sessions)));
}

/** Reads the adapter once, in the page. */
export async function probeAdapter(): Promise<AdapterFacts> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return NO_ADAPTER;
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return NO_ADAPTER;
  }
  if (!adapter) return NO_ADAPTER;
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true
    || (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true
    || /swiftshader|llvmpipe|software/i.test(name);
  return {
    present: true,
    fallback: software,
    description: name,
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

export interface Plan {
  fetchConcurrency: number;
  sessions: number;
  decoders: number;
  batchSize: number;
  threads: number;
}

export interface Machine {
  cores: number;
  crossOriginIsolated: boolean;
  /** The largest batch the adapter's buffers hold for this model (WebGPU only). */
  largestBatch: number;
  /** The model's cost per image, when known (FLOPs). */
  flopsPerImage: number | null;
}

/** Below this a model costs less per image than decoding a photo does (ViT-B/16: 35 GFLOPs). */
export const LIGHT_MODEL_FLOPS = 1e9;

/**
 * Defaults from the machine and the model; every figure can be overridden (measured by
 * npm run bench, see the README).
 * - WebGPU: two sessions, so one batch is staged while the other computes, each batch as large as
 *   the adapter holds; the GPU computes, so every core but one decodes.
 * - WASM, heavy model: one session on every core (several single-threaded sessions lose on small
 *   machines), a quarter of the cores decoding beside it; batches past 8 gain nothing.
 * - WASM, light model: ONNX Runtime's threads cost more than they save on small matrices, so
 *   single-threaded sessions; inference still costs about twice what decoding does (WebAssembly
 *   has no fused multiply-add), so a decoder for every three cores and a session for each other
 *   core plus one: a worker more than the cores, so that no core idles while a stage waits on
 *   the next. Batches of 16 halve the per-batch cost of 8 (npm run bench).
 * - Fetches: enough in flight to hide a round trip to S3 at a few hundred images a second.
 */
export function defaultPlan(device: Device, machine: Machine, overrides: Partial<Plan> = {}): Plan {
  const { cores } = machine;
  const light = machine.flopsPerImage !== null && machine.flopsPerImage < LIGHT_MODEL_FLOPS;
  let sessions: number;
  let decoders: number;
  let threads: number;
  if (device === 'webgpu') {
    sessions = 2;
    decoders = Math.max(1, Math.min(8, cores - 1));
    threads = 1;
  } else if (light) {
    decoders = Math.max(1, Math.round(cores / 3));
    sessions = Math.max(1, cores - decoders + 1);
    threads = 1;
  } else {
    sessions = cores >= 8 ? 2 : 1;
    decoders = Math.max(1, Math.min(4, Math.floor(cores / 4)));
    threads = wasmThreads(cores, sessions, machine.crossOriginIsolated);
  }
  sessions = overrides.sessions ?? sessions;
  if (overrides.sessions !== undefined && !light && device === 'wasm') threads = wasmThreads(cores, sessions, machine.crossOriginIsolated);
  return {
    fetchConcurrency: overrides.fetchConcurrency ?? FETCH_CONCURRENCY,
    sessions,
    decoders: overrides.decoders ?? decoders,
    batchSize: overrides.batchSize ?? (device === 'webgpu' ? machine.largestBatch : light ? 16 : 8),
    threads: overrides.threads ?? threads,
  };
}
