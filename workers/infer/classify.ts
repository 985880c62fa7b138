// Logits -> top-k labels with softmax probabilities, one row per image; and each image's
// embedding, where the run asked for it.

import type { Prediction } from '../../src/core/outcome.ts';

/** Softmax over one row in float64, then the k largest, best first. */
export function topK(logits: Float32Array, row: number, classes: number, k: number, labels: readonly string[]): Prediction[] {
  const base = row * classes;
  let max = -Infinity;
  for (let i = 0; i < classes; i++) max = Math.max(max, logits[base + i]!);
  let sum = 0;
  for (let i = 0; i < classes; i++) sum += Math.exp(logits[base + i]! - max);
  const best: number[] = [];
  for (let i = 0; i < classes; i++) {
    const v = logits[base + i]!;
    if (best.length === k && v <= logits[base + best[k - 1]!]!) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && logits[base + best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((i) => ({
    label: labels[i] ?? `LABEL_${i}`,
    score: Math.exp(logits[base + i]! - max) / sum,
    index: i,
  }));
}

export function classifyBatch(logits: Float32Array, rows: number, k: number, labels: readonly string[]): Prediction[][] {
  const classes = logits.length / rows;
  return Array.from({ length: rows }, (_, r) => topK(logits, r, classes, Math.min(k, classes), labels));
}

let batch: Float32Array | null = null;

/**
 * One buffer for every batch of a worker, kept: a new one per batch would fault in every page of
 * it again (megabytes a batch) when first written.
 */
function batchBuffer(length: number): Float32Array {
  if (!batch || batch.length < length) batch = new Float32Array(length);
  return batch.subarray(0, length);
}

/** A forward pass over n images: logits n x classes; embeddings n x dim, when asked for. */
export interface Outputs {
  logits: Float32Array;
  embeddings?: Float32Array;
}

type Run = (pixels: Float32Array, n: number) => Promise<Outputs>;

/** The graph outputs an embedding is read from, best first: a pooled vector, or the last hidden
 * state, whose token 0 is the [CLS] token a ViT's classifier reads. */
const EMBEDDING_OUTPUTS = ['pooler_output', 'image_embeds', 'last_hidden_state'] as const;

export function embeddingOutput(outputNames: readonly string[]): string | null {
  return EMBEDDING_OUTPUTS.find((name) => outputNames.includes(name)) ?? null;
}

export function noEmbeddings(model: string, outputNames: readonly string[]): string {
  return `model ${model}'s ONNX graph outputs only ${outputNames.join(', ')}, so it gives no embeddings: export it with its last_hidden_state or pooler_output as well`;
}

/**
 * Each of n images' vector, copied, so that no view keeps the whole output alive: token 0 of
 * [n, tokens, dim]; the whole of each image's part of any other shape ([n, dim]).
 */
export function embeddingRows(data: Float32Array, dims: readonly number[]): Float32Array {
  const n = dims[0]!;
  if (dims.length !== 3) return data.slice();
  const dim = dims[2]!;
  const stride = data.length / n;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) out.set(data.subarray(i * stride, i * stride + dim), i * dim);
  return out;
}

/** One array per image, each on its own buffer, so that each can be transferred. */
function perImage(embeddings: Float32Array, n: number): Float32Array[] {
  const dim = embeddings.length / n;
  return Array.from({ length: n }, (_, i) => embeddings.slice(i * dim, (i + 1) * dim));
}

export type ChunkOutcome =
  /**
   * fitted: the chunk size that ran after an out-of-memory error, null if none happened;
   * embeddings: one per image, in order, when the run gave them.
   */
  | { ok: true; predictions: Prediction[][]; embeddings?: Float32Array[]; fitted: number | null }
  | { ok: false; reason: string; outOfMemory: boolean };

function isOutOfMemory(reason: string): boolean {
  return /out of memory|OOM|failed to allocate|allocation|maxBufferSize|maxStorageBufferBindingSize|exceeds|too large/i.test(reason);
}

/**
 * Runs the batch through `run`, halving the chunk after an out-of-memory error and retrying the
 * rest at that size, down to one image. Any other error, or OOM at one image, fails the batch.
 */
export async function classifyInChunks(
  tensors: readonly Float32Array[],
  run: Run,
  topK: number,
  labels: readonly string[],
): Promise<ChunkOutcome> {
  const size = tensors[0]?.length ?? 0;
  const predictions: Prediction[][] = [];
  const embeddings: Float32Array[] = [];
  let chunk = tensors.length;
  let fitted: number | null = null;
  for (let i = 0; i < tensors.length; ) {
    const n = Math.min(chunk, tensors.length - i);
    const pixels = n === 1 ? tensors[i]! : batchBuffer(size * n);
    if (n > 1) for (let k = 0; k < n; k++) pixels.set(tensors[i + k]!, k * size);
    try {
      const out = await run(pixels, n);
      predictions.push(...classifyBatch(out.logits, n, topK, labels));
      if (out.embeddings) embeddings.push(...perImage(out.embeddings, n));
      i += n;
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      const outOfMemory = isOutOfMemory(reason);
      if (outOfMemory && n > 1) {
        chunk = Math.ceil(n / 2);
        fitted = chunk;
        continue;
      }
      return { ok: false, reason, outOfMemory };
    }
  }
  return embeddings.length > 0 ? { ok: true, predictions, embeddings, fitted } : { ok: true, predictions, fitted };
}

/** The first m of a pass's `size` rows, of every output. */
function firstRows(out: Outputs, m: number, size: number): Outputs {
  const cut = (a: Float32Array) => a.subarray(0, (a.length / size) * m);
  return out.embeddings ? { logits: cut(out.logits), embeddings: cut(out.embeddings) } : { logits: cut(out.logits) };
}

function joined(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A run for a session whose batch dimension is fixed (WebNN): every pass gets exactly `size`
 * images, a short batch padded with zeros and a long one split, and the padded rows' outputs
 * are dropped, so callers send any number of images.
 */
export function fixedBatch(run: Run, size: number, imageLength: number): Run {
  return async (pixels, n) => {
    if (n === size) return run(pixels, n);
    const parts: Outputs[] = [];
    for (let first = 0; first < n; first += size) {
      const m = Math.min(size, n - first);
      const images = pixels.subarray(first * imageLength, (first + m) * imageLength);
      const padded = m === size ? images : new Float32Array(size * imageLength);
      if (m < size) padded.set(images);
      parts.push(firstRows(await run(padded, size), m, size));
    }
    if (parts.length === 1) return parts[0]!;
    const logits = joined(parts.map((p) => p.logits));
    return parts[0]!.embeddings ? { logits, embeddings: joined(parts.map((p) => p.embeddings!)) } : { logits };
  };
}
