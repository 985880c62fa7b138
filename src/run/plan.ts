// A run's sizes: sessions, decoders, threads, the batch, and what each stage may hold, from the
// machine, the backend and the model unless the request says. Pure functions, tested in Node with
// made-up machines; the run reads its host once and hands it in.

import { WEBNN_BATCH, type Device } from '../core/device.ts';
import { flopsPerImage, largestBatch, type BatchLimits, type EncoderShape } from '../model/shape.ts';

export interface Plan {
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

/** WASM threads per session: the cores shared among the sessions, at least one each. */
export function wasmThreads(cores: number, sessions: number, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 1;
  return Math.max(1, Math.floor(Math.max(1, cores) / Math.max(1, sessions)));
}

function webnnPlan(machine: Machine, overrides: Partial<Plan>): Plan {
  const { cores } = machine;
  return {
    sessions: overrides.sessions ?? (cores >= 2 ? 2 : 1),
    decoders: overrides.decoders ?? Math.max(1, Math.min(4, Math.floor(cores / 4))),
    batchSize: overrides.batchSize ?? WEBNN_BATCH,
    threads: overrides.threads ?? 1,
  };
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
 * - WebNN: the browser's kernels compute, with threads of their own, so ONNX Runtime's WebAssembly
 *   gets one thread a session, and sessions carry the parallelism: two on two cores or more
 *   (ViT-B/16 on two cores: 518 ms an image on one session, 331 on two). WebNN fixes every shape
 *   when the session is made, so the batch size is fixed too (WEBNN_BATCH unless the run says).
 */
export function defaultPlan(device: Device, machine: Machine, overrides: Partial<Plan> = {}): Plan {
  if (device === 'webnn') return webnnPlan(machine, overrides);
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
    sessions,
    decoders: overrides.decoders ?? decoders,
    batchSize: overrides.batchSize ?? (device === 'webgpu' ? machine.largestBatch : light ? 16 : 8),
    threads: overrides.threads ?? threads,
  };
}

/**
 * Decoded whole, exactly as Pillow would, up to this (6000x4000, a 24-megapixel camera photo).
 * Larger JPEGs are decoded at 1/2, 1/4 or 1/8 by libjpeg and resized from there, so that a few
 * of them in flight cannot take a worker's memory; other formats that large are refused.
 */
export const FULL_DECODE_PIXELS = 24_000_000;
/** Images a decode worker holds at once: one decoding, one arriving. */
export const DECODE_IN_FLIGHT = 2;
/** Rows written in one store transaction, at most: a transaction's fixed cost spread over many rows, without holding many in memory. */
export const WRITE_BATCH = 256;

/** What the run was asked for, the table's defaults applied; null where the run decides. */
export interface Asked {
  sessions: number | null;
  decoders: number | null;
  batchSize: number | null;
  threads: number | null;
  fetchConcurrency: number;
  maxPixels: number;
}

/** Everything a run's stages are sized by. */
export interface RunPlan extends Plan {
  fetchConcurrency: number;
  decodeInFlight: number;
  writeBatch: number;
  maxPixels: number;
  /** Decoded whole up to this; larger JPEGs at a reduced scale (see FULL_DECODE_PIXELS). */
  fullDecodePixels: number;
}

/** What the page knows of where it runs. */
export interface Host {
  cores: number;
  crossOriginIsolated: boolean;
}

/** The run's sizes: from this machine, this adapter and this model, unless the request says. */
export function planRun(asked: Asked, device: Device, shape: EncoderShape | null, host: Host, limits: BatchLimits): RunPlan {
  const plan = defaultPlan(device, {
    cores: host.cores,
    crossOriginIsolated: host.crossOriginIsolated,
    largestBatch: largestBatch(shape, limits),
    flopsPerImage: shape ? flopsPerImage(shape) : null,
  }, {
    sessions: asked.sessions ?? undefined,
    decoders: asked.decoders ?? undefined,
    batchSize: asked.batchSize ?? undefined,
    threads: asked.threads ?? undefined,
  });
  return {
    ...plan,
    fetchConcurrency: asked.fetchConcurrency,
    decodeInFlight: DECODE_IN_FLIGHT,
    writeBatch: WRITE_BATCH,
    maxPixels: asked.maxPixels,
    fullDecodePixels: Math.min(FULL_DECODE_PIXELS, asked.maxPixels),
  };
}
