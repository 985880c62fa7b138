import { describe, expect, it } from 'vitest';
import { classifyBatch, classifyInChunks, embeddingOutput, embeddingRows, fixedBatch, noEmbeddings, topK, type Outputs } from '../../workers/infer/classify.ts';

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

// A fake model over images of two pixels [i, -i]: its logits are the pixels, its embedding of an
// image is [i, 10 i, 100 i], so every vector says which image it belongs to.
const DIM = 3;
const images = (n: number) => Array.from({ length: n }, (_, i) => new Float32Array([i, -i]));
const embeddingOf = (i: number) => [i, 10 * i, 100 * i];

function fakeRun(calls: number[], fitsUpTo = Infinity) {
  return async (pixels: Float32Array, n: number): Promise<Outputs> => {
    calls.push(n);
    if (n > fitsUpTo) throw new Error('WebGPU buffer allocation failed: out of memory');
    const first = Array.from({ length: n }, (_, r) => pixels[2 * r]!);
    return { logits: pixels.slice(0, 2 * n), embeddings: Float32Array.from(first.flatMap(embeddingOf)) };
  };
}

describe('classifyInChunks with embeddings', () => {
  it('gives each image its own vector, in order, through out-of-memory halving', async () => {
    const calls: number[] = [];
    const out = await classifyInChunks(images(10), fakeRun(calls, 3), 1, ['a', 'b']);
    expect(calls.slice(0, 3)).toEqual([10, 5, 3]);
    if (!out.ok) throw new Error(out.reason);
    expect(out.fitted).toBe(3);
    expect(out.embeddings!.map((e) => [...e])).toEqual(Array.from({ length: 10 }, (_, i) => embeddingOf(i)));
    // Each on a buffer of its own, so that all of them can be transferred together.
    expect(new Set(out.embeddings!.map((e) => e.buffer)).size).toBe(10);
    expect(out.embeddings!.every((e) => e.byteOffset === 0 && e.buffer.byteLength === DIM * 4)).toBe(true);
  });

  it('has no embeddings when the run gives none', async () => {
    const out = await classifyInChunks(images(4), async (pixels, n) => ({ logits: pixels.slice(0, 2 * n) }), 1, ['a', 'b']);
    expect(out.ok && 'embeddings' in out).toBe(false);
  });
});

describe('fixedBatch with embeddings', () => {
  it('drops the padded rows\' vectors and joins a split batch\'s in order', async () => {
    const calls: number[] = [];
    const fixed = fixedBatch(fakeRun(calls), 4, 2);
    const one = await fixed(Float32Array.from(images(1)[0]!), 1);
    expect([...one.embeddings!]).toEqual(embeddingOf(0));
    const six = await fixed(Float32Array.from(images(6).flatMap((t) => [...t])), 6);
    expect([...six.embeddings!]).toEqual([0, 1, 2, 3, 4, 5].flatMap(embeddingOf));
    expect(six.logits).toHaveLength(12);
    expect(calls).toEqual([4, 4, 4]);
  });
});

describe('embeddingRows', () => {
  it('takes token 0 of each image from a last hidden state, copied out', () => {
    // [2 images, 3 tokens, 2 dims]: image i, token t, dim d holds 100 i + 10 t + d.
    const data = Float32Array.from({ length: 12 }, (_, k) => 100 * Math.floor(k / 6) + 10 * Math.floor((k % 6) / 2) + (k % 2));
    const rows = embeddingRows(data, [2, 3, 2]);
    expect([...rows]).toEqual([0, 1, 100, 101]);
    data.fill(-1);
    expect([...rows]).toEqual([0, 1, 100, 101]);
  });

  it('keeps a pooled output whole, copied out', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const rows = embeddingRows(data, [2, 2]);
    expect([...rows]).toEqual([1, 2, 3, 4]);
    expect(rows.buffer).not.toBe(data.buffer);
  });
});

describe('embeddingOutput', () => {
  it('prefers a pooled output to the last hidden state, and names what a graph lacks', () => {
    expect(embeddingOutput(['logits', 'last_hidden_state', 'pooler_output'])).toBe('pooler_output');
    expect(embeddingOutput(['logits', 'image_embeds', 'last_hidden_state'])).toBe('image_embeds');
    expect(embeddingOutput(['logits', 'last_hidden_state'])).toBe('last_hidden_state');
    expect(embeddingOutput(['logits'])).toBeNull();
    expect(noEmbeddings('tench-local/m', ['logits'])).toBe(
      "model tench-local/m's ONNX graph outputs only logits, so it gives no embeddings: export it with its last_hidden_state or pooler_output as well",
    );
  });
});
