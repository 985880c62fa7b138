import { describe, expect, it } from 'vitest';
import { classifyBatch, topK } from '../../workers/infer/classify.ts';

function naive(logits: number[], k: number) {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return logits.map((_, i) => ({ index: i, score: exps[i]! / sum })).sort((a, b) => b.score - a.score).slice(0, k);
}

describe('topK', () => {
  it('agrees with a sort of the softmax on random rows', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 20 - 10;
    for (let trial = 0; trial < 50; trial++) {
      const row = Array.from({ length: 1000 }, rand);
      const labels = row.map((_, i) => `class ${i}`);
      const got = topK(new Float32Array(row), 0, 1000, 5, labels);
      const want = naive(Array.from(new Float32Array(row)), 5);
      expect(got.map((p) => p.index)).toEqual(want.map((p) => p.index));
      got.forEach((p, i) => expect(p.score).toBeCloseTo(want[i]!.score, 12));
      expect(got[0]!.label).toBe(`class ${want[0]!.index}`);
    }
  });

  it('splits a batch into rows and caps k at the number of classes', () => {
    const logits = new Float32Array([0, 1, 2, 5, 4, 3]);
    const rows = classifyBatch(logits, 2, 5, ['a', 'b', 'c']);
    expect(rows.map((r) => r.map((p) => p.label))).toEqual([['c', 'b', 'a'], ['a', 'b', 'c']]);
    expect(rows[0]!.reduce((s, p) => s + p.score, 0)).toBeCloseTo(1, 12);
  });
});
