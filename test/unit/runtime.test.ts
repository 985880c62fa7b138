import { describe, expect, it } from 'vitest';
import { pick } from '../../src/pipeline/pool.ts';
import { defaultPlan, NO_ADAPTER, resolveRuntime, wasmThreads, type AdapterFacts } from '../../src/pipeline/runtime.ts';

const gpu: AdapterFacts = { present: true, fallback: false, description: 'nvidia hopper', shaderF16: true, maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 };
const swiftshader: AdapterFacts = { ...gpu, fallback: true, description: 'google swiftshader', shaderF16: false };

describe('resolveRuntime', () => {
  it('auto picks WebGPU on a hardware adapter, WASM on a software one or none', () => {
    expect(resolveRuntime('auto', 'fp32', gpu)).toMatchObject({ ok: true, device: 'webgpu' });
    expect(resolveRuntime('auto', 'fp32', swiftshader)).toMatchObject({ ok: true, device: 'wasm', reason: expect.stringContaining('software') });
    expect(resolveRuntime('auto', 'fp32', NO_ADAPTER)).toMatchObject({ ok: true, device: 'wasm', reason: 'no WebGPU adapter' });
  });

  it('honours an explicit device, and refuses WebGPU without an adapter', () => {
    expect(resolveRuntime('webgpu', 'fp32', swiftshader)).toMatchObject({ ok: true, device: 'webgpu' });
    expect(resolveRuntime('wasm', 'fp32', gpu)).toMatchObject({ ok: true, device: 'wasm' });
    expect(resolveRuntime('webgpu', 'fp32', NO_ADAPTER)).toMatchObject({ ok: false, reason: expect.stringContaining('no WebGPU adapter') });
  });

  it('runs an fp16 model as fp32 on WebGPU without shader-f16, and says so', () => {
    expect(resolveRuntime('webgpu', 'fp16', swiftshader)).toMatchObject({ ok: true, device: 'webgpu', dtype: 'fp32', reason: expect.stringContaining('shader-f16') });
    expect(resolveRuntime('webgpu', 'fp16', gpu)).toMatchObject({ ok: true, dtype: 'fp16' });
  });
});

describe('plans', () => {
  it('shares cores among WASM sessions, one thread each without isolation', () => {
    expect(wasmThreads(8, 2, true)).toBe(4);
    expect(wasmThreads(2, 4, true)).toBe(1);
    expect(wasmThreads(8, 1, false)).toBe(1);
  });

  it('lets every figure be overridden', () => {
    expect(defaultPlan('wasm', { cores: 2, crossOriginIsolated: true, largestBatch: 64 })).toEqual({ fetchConcurrency: 16, sessions: 1, decoders: 1, batchSize: 8, threads: 2 });
    expect(defaultPlan('webgpu', { cores: 16, crossOriginIsolated: true, largestBatch: 48 })).toMatchObject({ sessions: 2, batchSize: 48, decoders: 6 });
    expect(defaultPlan('webgpu', { cores: 16, crossOriginIsolated: true, largestBatch: 48 }, { batchSize: 64, sessions: 3 })).toMatchObject({ sessions: 3, batchSize: 64 });
  });
});

describe('pool.pick', () => {
  it('gives work to the least busy ready worker under the cap, lowest index on ties', () => {
    expect(pick([{ ready: true, inFlight: 1 }, { ready: true, inFlight: 0 }], 2)).toBe(1);
    expect(pick([{ ready: true, inFlight: 0 }, { ready: true, inFlight: 0 }], 2)).toBe(0);
  });

  it('returns -1 while every worker is full or still loading', () => {
    expect(pick([{ ready: false, inFlight: 0 }, { ready: true, inFlight: 2 }], 2)).toBe(-1);
    expect(pick([], 1)).toBe(-1);
  });
});
