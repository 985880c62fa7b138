// The page's half of `npm run bench -- --webnn` and `--dtypes`: the same ready tensors through each
// variant's sessions (a backend and a dtype), a round of batches through one variant and then the
// next, so that every variant sees the same machine at the same moments. A variant with two sessions runs two batches at once, one
// in each; its time is the round's wall clock, as a run's would be.

import { transfer } from 'comlink';
import type { Device, Dtype } from '../src/core/device.ts';
import { loadModelInfo, modelRefFromInput } from '../src/model/model.ts';
import { spawnInferrer, type Bridge } from '../src/pipeline/bridge.ts';
import type { InferApi } from '../workers/infer/api.ts';

export interface DeviceVariant {
  device: Device;
  dtype: Dtype;
  sessions: number;
  threads: number;
}

export interface DevicesTask {
  model: string;
  variants: DeviceVariant[];
  batchSize: number;
  /** Float32 pixels of every image, channels first, one after another, at the model's input size. */
  pixelsUrl: string;
}

export interface DevicesResult {
  images: number;
  /** Per variant, in order: wall-clock ms per image after a round of warm-up, and each image's top-1 label. */
  variants: Array<{ msPerImage: number; loadMs: number; top1: string[] }>;
}

async function batchOf(w: Bridge<InferApi>, pixels: Float32Array, size: number, from: number, n: number): Promise<string[]> {
  const tensors = Array.from({ length: n }, (_, i) => pixels.slice((from + i) * size, (from + i + 1) * size));
  const out = await w.api.classify(transfer(tensors, tensors.map((t) => t.buffer)), 1);
  if (!out.ok) throw new Error(out.reason);
  return out.predictions.map((p) => p[0]!.label);
}

/** One round: as many batches as the variant has sessions, one in each, from `from` on. */
async function round(workers: Array<Bridge<InferApi>>, pixels: Float32Array, size: number, images: number, from: number, batch: number): Promise<string[]> {
  const parts = workers.map((w, i) => ({ w, start: from + i * batch })).filter((p) => p.start < images);
  const labels = await Promise.all(parts.map((p) => batchOf(p.w, pixels, size, p.start, Math.min(batch, images - p.start))));
  return labels.flat();
}

export async function devices(t: DevicesTask): Promise<DevicesResult> {
  const ref = modelRefFromInput(t.model, location.origin);
  const info = await loadModelInfo(ref);
  if (!info.ok) throw new Error(info.reason);
  const p = info.value.preprocess;
  const size = 3 * p.inputWidth * p.inputHeight;
  const pixels = new Float32Array(await (await fetch(t.pixelsUrl)).arrayBuffer());
  const images = pixels.length / size;
  const pools = t.variants.map((v) => Array.from({ length: v.sessions }, () => spawnInferrer()));
  try {
    const loadMs: number[] = [];
    // One variant at a time: loads at once would share the cores with each other's compilation.
    for (const [i, v] of t.variants.entries()) {
      const started = performance.now();
      for (const w of pools[i]!) {
        await w.api.load({ model: ref, device: v.device, dtype: v.dtype, numThreads: v.threads, batchSize: t.batchSize, labels: info.value.labels, inputWidth: p.inputWidth, inputHeight: p.inputHeight });
      }
      loadMs.push(performance.now() - started);
      await round(pools[i]!, pixels, size, images, 0, t.batchSize);
    }
    const ms = t.variants.map(() => 0);
    const top1: string[][] = t.variants.map(() => []);
    const step = t.batchSize * Math.max(...t.variants.map((v) => v.sessions));
    for (let from = 0; from < images; from += step) {
      for (const [i, workers] of pools.entries()) {
        // A one-session variant runs the round's batches one after another.
        for (let start = from; start < Math.min(images, from + step); start += t.batchSize * workers.length) {
          const started = performance.now();
          top1[i]!.push(...(await round(workers, pixels, size, Math.min(images, from + step), start, t.batchSize)));
          ms[i]! += performance.now() - started;
        }
      }
    }
    return { images, variants: t.variants.map((_, i) => ({ msPerImage: ms[i]! / images, loadMs: loadMs[i]!, top1: top1[i]! })) };
  } finally {
    for (const w of pools.flat()) w.terminate();
  }
}
