// Evaluation against hand-made rows. Each expected figure is recounted here from the rows by the
// plainest loop over them, not copied from the module under test.

import { describe, expect, it } from 'vitest';
import { evaluate, evaluation, failuresByCause, outsideSentence, type EvalRow } from '../../src/store/evaluate.ts';
import type { ErrorCause } from '../../src/core/outcome.ts';

interface Row extends EvalRow {
  path: string;
  cause: ErrorCause | null;
}

const ok = (path: string, trueLabel: string | null, ...top: string[]): Row => ({
  path,
  trueLabel,
  label: top[0]!,
  topK: top.map((label, i) => ({ label, score: 1 / (i + 2), index: i })),
  error: null,
  cause: null,
});
const bad = (path: string, trueLabel: string | null, cause: ErrorCause): Row => ({
  path, trueLabel, label: null, topK: [], error: `${path} could not be read`, cause,
});

const rows: Row[] = [
  ok('a1', 'cat', 'cat', 'dog', 'fox', 'owl', 'emu', 'yak'),
  ok('a2', 'cat', 'dog', 'cat', 'fox', 'owl', 'emu', 'yak'),
  ok('a3', 'cat', 'fox', 'owl', 'emu', 'yak', 'ant', 'cat'), // the true label is 6th: not top-5
  ok('b1', 'dog', 'dog', 'cat', 'fox', 'owl', 'emu'),
  ok('b2', 'dog', 'dog', 'fox', 'cat', 'owl', 'emu'),
  ok('b3', 'dog', 'cat', 'dog', 'fox', 'owl', 'emu'),
  ok('c1', 'bee', 'fox', 'bee', 'cat', 'owl', 'emu'), // predicted outside the true classes
  ok('c2', 'bee', 'bee', 'fox', 'cat', 'owl', 'emu'),
  ok('u1', null, 'cat', 'dog', 'fox', 'owl', 'emu'), // no true label: not evaluated
  ok('u2', null, 'yak', 'dog', 'fox', 'owl', 'emu'),
  bad('x1', 'cat', 'decode_failed'), // failed with a label: counted apart
  bad('x2', null, 'fetch_failed'),
  bad('x3', 'dog', 'decode_failed'),
];

const counted = rows.filter((r) => r.error === null && r.trueLabel !== null);
const hits = (rs: Row[], test: (r: Row) => boolean) => rs.filter(test).length;

describe('evaluate', () => {
  const e = evaluate(rows);

  it('counts failed rows apart and keeps them out of every denominator', () => {
    expect(e.rows).toBe(rows.length);
    expect(e.failed).toBe(hits(rows, (r) => r.error !== null));
    expect(e.failedLabelled).toBe(hits(rows, (r) => r.error !== null && r.trueLabel !== null));
    expect(e.labelled).toBe(counted.length);
    expect(e.labelled + e.failed + hits(rows, (r) => r.error === null && r.trueLabel === null)).toBe(rows.length);
  });

  it('gives top-1 and top-5 accuracy over the labelled successful rows', () => {
    const right = hits(counted, (r) => r.label === r.trueLabel);
    const inTop5 = hits(counted, (r) => [0, 1, 2, 3, 4].some((i) => r.topK[i]?.label === r.trueLabel));
    expect(e.correct).toBe(right);
    expect(e.accuracy).toBeCloseTo(right / counted.length, 12);
    expect(e.top5Correct).toBe(inTop5);
    expect(e.top5Accuracy).toBeCloseTo(inTop5 / counted.length, 12);
    expect(e.topKDepth).toBe(5);
    // The fixture is built so that the three figures differ.
    expect(new Set([right, inTop5, counted.length]).size).toBe(3);
  });

  it('gives precision and recall for every true and every predicted class', () => {
    const names = new Set(counted.flatMap((r) => [r.trueLabel!, r.label!]));
    expect(e.perClass.map((c) => c.label).sort()).toEqual([...names].sort());
    for (const c of e.perClass) {
      const truly = counted.filter((r) => r.trueLabel === c.label);
      const guessed = counted.filter((r) => r.label === c.label);
      const both = hits(truly, (r) => r.label === c.label);
      expect(c.support, c.label).toBe(truly.length);
      expect(c.predicted, c.label).toBe(guessed.length);
      expect(c.correct, c.label).toBe(both);
      expect(c.recall, c.label).toBe(truly.length ? both / truly.length : null);
      expect(c.precision, c.label).toBe(guessed.length ? both / guessed.length : null);
    }
    // 'fox' is only ever predicted: it has precision but no recall.
    expect(e.perClass.find((c) => c.label === 'fox')).toMatchObject({ support: 0, recall: null, precision: 0 });
  });

  it('builds the confusion matrix over the true classes, with one column for the rest', () => {
    const classes = [...new Set(counted.map((r) => r.trueLabel!))].sort();
    expect(e.confusion.classes).toEqual(classes);
    for (const [t, truth] of classes.entries()) {
      const line = e.confusion.counts[t]!;
      expect(line).toHaveLength(classes.length + 1);
      for (const [p, guess] of classes.entries()) {
        expect(line[p], `${truth} as ${guess}`).toBe(hits(counted, (r) => r.trueLabel === truth && r.label === guess));
      }
      expect(line[classes.length], `${truth} as other`).toBe(hits(counted, (r) => r.trueLabel === truth && !classes.includes(r.label!)));
    }
    const cells = e.confusion.counts.flat().reduce((a, b) => a + b, 0);
    expect(cells).toBe(counted.length);
  });

  it('folds a row at a time to the same answer, and reads an empty or unlabelled run as nothing to evaluate', () => {
    const fold = evaluation();
    for (const r of rows) fold.add(r);
    expect(fold.result()).toEqual(e);
    const none = evaluate(rows.filter((r) => r.trueLabel === null));
    expect(none).toMatchObject({ labelled: 0, accuracy: null, top5Accuracy: null, perClass: [], confusion: { classes: [], counts: [] } });
    expect(evaluate([])).toMatchObject({ rows: 0, labelled: 0, accuracy: null });
  });

  it('says how deep top-5 could look when the run kept fewer labels', () => {
    const short = rows.map((r) => ({ ...r, topK: r.topK.slice(0, 3) }));
    const s = evaluate(short);
    expect(s.topKDepth).toBe(3);
    expect(s.top5Correct).toBe(hits(short.filter((r) => r.error === null && r.trueLabel !== null), (r) => r.topK.some((p) => p.label === r.trueLabel)));
  });

  it('folds a large run without holding it', () => {
    const n = 100_000;
    function* many(): Generator<Row> {
      for (let i = 0; i < n; i++) yield ok(`p${i}`, `c${i % 7}`, `c${i % 5}`, `c${i % 7}`);
    }
    const big = evaluate(many());
    let right = 0;
    for (let i = 0; i < n; i++) if (i % 5 === i % 7) right++;
    expect(big.labelled).toBe(n);
    expect(big.correct).toBe(right);
    expect(big.top5Correct).toBe(n);
    expect(big.topKDepth).toBe(2);
  });
});

describe('failuresByCause', () => {
  it('counts failures by cause and lists them in order', () => {
    const f = failuresByCause(rows);
    const failed = rows.filter((r) => r.error !== null);
    expect(f.total).toBe(failed.length);
    for (const cause of new Set(failed.map((r) => r.cause!))) expect(f.byCause[cause], cause).toBe(hits(failed, (r) => r.cause === cause));
    expect(Object.keys(f.byCause).sort()).toEqual([...new Set(failed.map((r) => r.cause))].sort());
    expect(f.items).toEqual(failed.map((r) => ({ path: r.path, cause: r.cause, error: r.error })));
    expect(f.more).toBe(0);
  });

  it('keeps the first items only and says how many more', () => {
    const many = Array.from({ length: 250 }, (_, i) => bad(`f${i}`, null, i % 2 ? 'fetch_failed' : 'too_large'));
    const f = failuresByCause([...rows, ...many]);
    const failed = [...rows, ...many].filter((r) => r.error !== null);
    expect(f.items).toHaveLength(200);
    expect(f.items.map((i) => i.path)).toEqual(failed.slice(0, 200).map((r) => r.path));
    expect(f.more).toBe(failed.length - 200);
    expect(failuresByCause([])).toEqual({ total: 0, byCause: {}, items: [], more: 0 });
  });
});

describe('true labels that are none of the model classes', () => {
  // The model's classes: every label the hand-made rows use, true or predicted.
  const classes = new Set(rows.flatMap((r) => [...(r.trueLabel === null ? [] : [r.trueLabel]), ...r.topK.map((t) => t.label)]));
  const withOutside: Row[] = [
    ...rows,
    ok('z1', 'zebra', 'cat', 'dog'),
    ok('z2', 'zebra', 'dog', 'cat'),
    ok('q1', 'quokka', 'fox', 'owl'),
    bad('z3', 'zebra', 'decode_failed'),
  ];
  const outside = new Set(withOutside.flatMap((r) => (r.trueLabel !== null && !classes.has(r.trueLabel) ? [r.trueLabel] : [])));

  it('are counted apart, by label, and left out of every accuracy figure', () => {
    const e = evaluate(withOutside, outside, 1000);
    const inside = evaluate(rows);
    // The figures of the rows whose labels are classes are exactly those without the others.
    expect({ ...e, outside: undefined }).toEqual({ ...inside, rows: withOutside.length, failed: inside.failed + 1, failedLabelled: inside.failedLabelled + 1, outside: undefined });
    const successful = withOutside.filter((r) => r.error === null && r.trueLabel !== null && outside.has(r.trueLabel));
    expect(e.outside).toEqual({
      images: successful.length,
      labels: [{ label: 'quokka', images: 1 }, { label: 'zebra', images: 2 }],
      classes: 1000,
    });
  });

  it('are named once, in one sentence', () => {
    expect(outsideSentence(evaluate(withOutside, outside, 1000))).toBe("2 true labels are not among the model's 1,000 classes: quokka, zebra; their 3 images are left out of the accuracy");
    expect(outsideSentence(evaluate(rows, new Set(), 1000))).toBeNull();
    const one = evaluate([ok('q1', 'quokka', 'fox')], new Set(['quokka']), 7);
    expect(outsideSentence(one)).toBe("1 true label is not among the model's 7 classes: quokka; its 1 image is left out of the accuracy");
  });
});
