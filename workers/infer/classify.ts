// Logits -> top-k labels with softmax probabilities, one row per image.

import type { Prediction } from '../shared/results.ts';

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
