// Which backend runs the model, and why: what the browser offers (probed once, in the page), and
// pure functions over those facts, so the choice is tested with made-up adapters. Nothing else in
// tench asks navigator.gpu or navigator.ml.

import type { Device, Dtype, RequestedDevice } from '../core/device.ts';

/** What we learned of navigator.ml: whether a CPU context opens, and the browser's words if not. */
export interface WebnnFacts {
  present: boolean;
  /** Why there is none, as the browser put it; empty when there is. */
  reason: string;
}

export const NO_WEBNN: WebnnFacts = Object.freeze({ present: false, reason: 'this browser has no navigator.ml' });

/** What we learned from navigator.gpu (and navigator.ml), reduced to the facts the choice depends on. */
export interface AdapterFacts {
  present: boolean;
  /** A software adapter (SwiftShader): WebGPU runs, far slower than WASM. */
  fallback: boolean;
  description: string;
  shaderF16: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Absent where nobody asked the browser: then there is no WebNN to choose. */
  webnn?: WebnnFacts;
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

/** Half-precision weights, which a WebGPU adapter runs only with shader-f16. */
function needsShaderF16(dtype: Dtype): boolean {
  return dtype === 'fp16' || dtype === 'q4f16';
}

/** What the same weights run as without shader-f16: fp16 as fp32, q4f16 as q4. */
function withoutF16(dtype: Dtype): Dtype {
  return dtype === 'q4f16' ? 'q4' : 'fp32';
}

function resolveWebgpu(dtype: Dtype, adapter: AdapterFacts): Resolved {
  if (!adapter.present) {
    return { ok: false, reason: 'WebGPU was asked for but this browser has no WebGPU adapter (try --device wasm, or a Chromium with --enable-unsafe-webgpu)' };
  }
  if (needsShaderF16(dtype) && !adapter.shaderF16) {
    const runs = withoutF16(dtype);
    return { ok: true, device: 'webgpu', dtype: runs, reason: `the WebGPU adapter (${adapter.description}) has no shader-f16, so ${dtype} runs as ${runs}` };
  }
  return { ok: true, device: 'webgpu', dtype, reason: `WebGPU was asked for (${adapter.description})` };
}

function resolveWebnn(dtype: Dtype, webnn: WebnnFacts): Resolved {
  if (webnn.present) return { ok: true, device: 'webnn', dtype, reason: 'WebNN was asked for' };
  return { ok: true, device: 'wasm', dtype, reason: `WebNN was asked for but this browser has none (${webnn.reason})` };
}

/** Why a WebGPU adapter is passed over in `auto`, or null when it is the one to use. */
function adapterPassedOver(dtype: Dtype, adapter: AdapterFacts): string | null {
  if (!adapter.present) return 'no WebGPU adapter';
  if (adapter.fallback) return `the only WebGPU adapter is a software one (${adapter.description}), slower than WASM`;
  if (needsShaderF16(dtype) && !adapter.shaderF16) return `the WebGPU adapter (${adapter.description}) has no shader-f16 for an ${dtype} model`;
  return null;
}

/**
 * `auto`: a hardware WebGPU adapter first; else WebNN where the browser opens a context for it
 * (the CPU through the browser's own kernels, faster than ONNX Runtime's WebAssembly); else WASM.
 */
export function resolveRuntime(requested: RequestedDevice, dtype: Dtype, adapter: AdapterFacts): Resolved {
  if (requested === 'wasm') return { ok: true, device: 'wasm', dtype, reason: 'WASM was asked for' };
  if (requested === 'webgpu') return resolveWebgpu(dtype, adapter);
  const webnn = adapter.webnn ?? NO_WEBNN;
  if (requested === 'webnn') return resolveWebnn(dtype, webnn);
  const passedOver = adapterPassedOver(dtype, adapter);
  if (passedOver === null) return { ok: true, device: 'webgpu', dtype, reason: `WebGPU adapter ${adapter.description}` };
  if (webnn.present) return { ok: true, device: 'webnn', dtype, reason: `WebNN on the CPU (${passedOver})` };
  return { ok: true, device: 'wasm', dtype, reason: passedOver };
}

/** Reads the WebGPU adapter once, in the page. */
async function probeGpu(): Promise<AdapterFacts> {
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

/**
 * Opens a WebNN context on the CPU, as ONNX Runtime's WebNN provider will, and lets it go. A
 * browser that shows navigator.ml may still have no backend for it: then createContext throws,
 * and its message says why.
 */
export async function probeWebnn(): Promise<WebnnFacts> {
  type Ml = { createContext(options: { deviceType: string }): Promise<{ destroy?(): void }> };
  const ml = (globalThis.navigator as (Navigator & { ml?: Ml }) | undefined)?.ml;
  if (!ml) return NO_WEBNN;
  try {
    const context = await ml.createContext({ deviceType: 'cpu' });
    context.destroy?.();
    return { present: true, reason: '' };
  } catch (error) {
    return { present: false, reason: browserWords(error) };
  }
}

/** The browser's sentence without its "Failed to execute 'createContext' on 'ML': " frame. */
function browserWords(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Failed to execute '[^']*' on '[^']*':\s*/, '').replace(/\.$/, '') || 'createContext failed';
}

/** Reads what the browser offers to compute on, once, in the page. */
export async function probeAdapter(): Promise<AdapterFacts> {
  const [gpu, webnn] = await Promise.all([probeGpu(), probeWebnn()]);
  return { ...gpu, webnn };
}
