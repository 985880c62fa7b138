import { describe, expect, it } from 'vitest';
import { pick } from '../../src/pipeline/pool.ts';
import { WEBNN_BATCH } from '../../src/core/device.ts';
import { NO_ADAPTER, resolveRuntime, type AdapterFacts } from '../../src/run/backend.ts';
import { defaultPlan, FULL_DECODE_PIXELS, planRun, wasmThreads } from '../../src/run/plan.ts';
import { fixedBatch } from '../../workers/infer/classify.ts';
import { encoderShape, flopsPerImage, largestActivationBytes, largestBatch } from '../../src/model/shape.ts';

const gpu: AdapterFacts = { present: true, fallback: false, description: 'nvidia hopper', shaderF16: true, maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 };
const swiftshader: AdapterFacts = { ...gpu, fallback: true, description: 'google swiftshader', shaderF16: false };
const webnn = { present: true, reason: '' };
const noWebnn = { present: false, reason: 'WebNN is not supported on this platform' };
const gpuNoF16: AdapterFacts = { ...gpu, description: 'intel gen9', shaderF16: false };

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

describe('resolveRuntime with WebNN', () => {
  it('runs WebNN when asked and the browser opens a context, else WASM with the browser\'s reason', () => {
    expect(resolveRuntime('webnn', 'fp32', { ...NO_ADAPTER, webnn })).toEqual({ ok: true, device: 'webnn', dtype: 'fp32', reason: 'WebNN was asked for' });
    expect(resolveRuntime('webnn', 'fp32', { ...gpu, webnn: noWebnn })).toEqual({
      ok: true, device: 'wasm', dtype: 'fp32', reason: 'WebNN was asked for but this browser has none (WebNN is not supported on this platform)',
    });
    expect(resolveRuntime('webnn', 'fp32', NO_ADAPTER)).toMatchObject({ device: 'wasm', reason: expect.stringContaining('no navigator.ml') });
  });

  it('auto prefers a hardware adapter, then WebNN, then WASM', () => {
    expect(resolveRuntime('auto', 'fp32', { ...gpu, webnn })).toMatchObject({ device: 'webgpu' });
    expect(resolveRuntime('auto', 'fp32', { ...swiftshader, webnn })).toMatchObject({ device: 'webnn', reason: expect.stringContaining('software') });
    expect(resolveRuntime('auto', 'fp32', { ...NO_ADAPTER, webnn })).toMatchObject({ device: 'webnn', reason: 'WebNN on the CPU (no WebGPU adapter)' });
    expect(resolveRuntime('auto', 'fp32', { ...swiftshader, webnn: noWebnn })).toMatchObject({ device: 'wasm', reason: expect.stringContaining('slower than WASM') });
  });

  it('auto passes over an adapter without shader-f16 for half-precision weights, fp16 and q4f16 alike', () => {
    expect(resolveRuntime('auto', 'q4f16', { ...gpuNoF16, webnn })).toMatchObject({ device: 'webnn', dtype: 'q4f16' });
    expect(resolveRuntime('auto', 'fp16', gpuNoF16)).toMatchObject({ device: 'wasm', reason: expect.stringContaining('shader-f16') });
    expect(resolveRuntime('auto', 'q4f16', gpuNoF16)).toMatchObject({ device: 'wasm', reason: expect.stringContaining('shader-f16 for an q4f16') });
    expect(resolveRuntime('auto', 'q4', gpuNoF16)).toMatchObject({ device: 'webgpu', dtype: 'q4' });
  });

  it('runs q4f16 as q4 on WebGPU without shader-f16, and says so', () => {
    expect(resolveRuntime('webgpu', 'q4f16', gpuNoF16)).toEqual({
      ok: true, device: 'webgpu', dtype: 'q4', reason: 'the WebGPU adapter (intel gen9) has no shader-f16, so q4f16 runs as q4',
    });
    expect(resolveRuntime('webgpu', 'q4f16', gpu)).toMatchObject({ dtype: 'q4f16' });
  });
});

describe('plans', () => {
  it('WebNN: sessions carry the parallelism, one WASM thread each, a fixed batch', () => {
    const machine = { cores: 2, crossOriginIsolated: true, largestBatch: 64, flopsPerImage: 35e9 };
    expect(defaultPlan('webnn', machine)).toEqual({ sessions: 2, decoders: 1, batchSize: WEBNN_BATCH, threads: 1 });
    expect(defaultPlan('webnn', { ...machine, cores: 1 })).toMatchObject({ sessions: 1, threads: 1 });
    expect(defaultPlan('webnn', { ...machine, cores: 16, flopsPerImage: 1e8 }, { sessions: 3, batchSize: 4 })).toMatchObject({ sessions: 3, batchSize: 4, threads: 1, decoders: 4 });
  });


  it('shares cores among WASM sessions, one thread each without isolation', () => {
    expect(wasmThreads(8, 2, true)).toBe(4);
    expect(wasmThreads(2, 4, true)).toBe(1);
    expect(wasmThreads(8, 1, false)).toBe(1);
  });

  it('lets every figure be overridden', () => {
    const heavy = { cores: 2, crossOriginIsolated: true, largestBatch: 64, flopsPerImage: 35e9 };
    expect(defaultPlan('wasm', heavy)).toEqual({ sessions: 1, decoders: 1, batchSize: 8, threads: 2 });
    expect(defaultPlan('wasm', { ...heavy, flopsPerImage: 1e8 })).toEqual({ sessions: 2, decoders: 1, batchSize: 16, threads: 1 });
    expect(defaultPlan('wasm', { ...heavy, cores: 16, flopsPerImage: 1e8 })).toMatchObject({ sessions: 12, decoders: 5, threads: 1 });
    expect(defaultPlan('wasm', { ...heavy, cores: 16 })).toMatchObject({ sessions: 2, decoders: 4, threads: 8 });
    expect(defaultPlan('webgpu', { ...heavy, cores: 16, largestBatch: 48 })).toMatchObject({ sessions: 2, batchSize: 48, decoders: 8 });
    expect(defaultPlan('webgpu', { ...heavy, cores: 16, largestBatch: 48 }, { batchSize: 64, sessions: 3 })).toMatchObject({ sessions: 3, batchSize: 64 });
    expect(defaultPlan('wasm', { ...heavy, cores: 8 }, { sessions: 4 })).toMatchObject({ sessions: 4, threads: 2 });
  });

  it('sizes a whole run from what was asked, the host, the model and the adapter', () => {
    const vitBase = encoderShape({ image_size: 224, patch_size: 16, num_attention_heads: 12, hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12 })!;
    const asked = { sessions: null, decoders: null, batchSize: null, threads: null, fetchConcurrency: 9, maxPixels: 1e9 };
    const host = { cores: 16, crossOriginIsolated: true };
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 };
    // The batch on WebGPU is what the adapter's binding holds for this model (27 for ViT-B/16 here).
    expect(planRun(asked, 'webgpu', vitBase, host, limits)).toMatchObject({ sessions: 2, batchSize: largestBatch(vitBase, limits), decoders: 8, fetchConcurrency: 9, fullDecodePixels: FULL_DECODE_PIXELS });
    expect(planRun({ ...asked, batchSize: 5, sessions: 3 }, 'wasm', vitBase, host, limits)).toMatchObject({ sessions: 3, batchSize: 5, threads: 5 });
    // A pixel limit below the full-decode size lowers it too: nothing larger is decoded whole.
    expect(planRun({ ...asked, maxPixels: 1e6 }, 'wasm', vitBase, host, limits).fullDecodePixels).toBe(1e6);
    // No shape known: a light model is not assumed.
    expect(planRun(asked, 'wasm', null, { cores: 2, crossOriginIsolated: false }, limits)).toMatchObject({ sessions: 1, threads: 1, batchSize: 8 });
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

describe('batch sizing', () => {
  // google/vit-base-patch16-224's config.json
  const vitBase = encoderShape({ image_size: 224, patch_size: 16, num_attention_heads: 12, hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12 })!;

  it('reads ViT-B/16: 197 tokens, about 35 GFLOPs an image', () => {
    expect(vitBase.tokens).toBe(197);
    // The often-quoted 17.6 GFLOPs counts multiply-adds; this counts both operations.
    expect(flopsPerImage(vitBase) / 1e9).toBeCloseTo(35.1, 0);
  });

  it('fits the largest activation of a batch in half a buffer binding', () => {
    // The MLP's hidden activation is the largest: 197 x 3072 floats, 2.4 MB an image.
    expect(largestActivationBytes(vitBase)).toBe(4 * 197 * 3072);
    expect(largestBatch(vitBase, { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 })).toBe(27);
    expect(largestBatch(vitBase, { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 32 })).toBe(64);
    expect(largestBatch(null, { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 32 })).toBe(16);
  });
});

describe('fixedBatch', () => {
  // A fake session of batch 4 whose logits for an image are its first pixel and that plus one.
  const calls: number[] = [];
  const run = async (pixels: Float32Array, n: number) => {
    calls.push(n);
    if (n !== 4) throw new Error(`shape ${n}`);
    return { logits: Float32Array.from({ length: 2 * n }, (_, i) => pixels[Math.floor(i / 2) * 3]! + (i % 2)) };
  };
  const images = (n: number) => Float32Array.from({ length: 3 * n }, (_, i) => Math.floor(i / 3) + 10);

  it('pads a short batch and splits a long one, keeping only the real rows\' logits', async () => {
    calls.length = 0;
    const fixed = fixedBatch(run, 4, 3);
    expect([...(await fixed(images(1), 1)).logits]).toEqual([10, 11]);
    expect([...(await fixed(images(6), 6)).logits]).toEqual([10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16]);
    expect([...(await fixed(images(4), 4)).logits]).toHaveLength(8);
    expect(calls).toEqual([4, 4, 4, 4]);
  });
});
