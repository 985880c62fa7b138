// How a run did against the labels its dataset gives, and how its failures split by cause. Folded
// one row at a time, so a run of any length is read once and never held whole.
//
// Failed rows (error !== null) have no prediction: they are counted on their own and left out of
// every accuracy, precision and recall denominator, so a broken file never passes for a wrong answer.

import type { ErrorCause } from '../core/outcome.ts';
import type { ResultRow } from './records.ts';

/** The fields evaluation reads of a row. */
export type EvalRow = Pick<ResultRow, 'label' | 'topK' | 'error' | 'trueLabel'>;
export type FailureRow = Pick<ResultRow, 'path' | 'error' | 'cause'>;

/** A running fold over rows: feed it rows, read the result at any time. */
export interface Fold<Row, Result> {
  add(row: Row): void;
  result(): Result;
}

export interface ClassStats {
  label: string;
  /** Labelled, successful rows whose true label is this class. */
  support: number;
  /** Labelled, successful rows predicted as this class. */
  predicted: number;
  correct: number;
  /** correct / predicted; null when nothing was predicted as this class. */
  precision: number | null;
  /** correct / support; null when no row is truly of this class. */
  recall: number | null;
}

export interface Confusion {
  /** The classes that occur as true labels, sorted: the matrix's rows and first columns. */
  classes: string[];
  /** counts[t][p]: rows of true class classes[t] predicted as classes[p]; the last column,
   * counts[t][classes.length], holds predictions outside `classes`. */
  counts: number[][];
}

export interface Evaluation {
  /** Every row seen, failed or not. */
  rows: number;
  failed: number;
  /** Successful rows with a true label: the denominator of accuracy and top-5. */
  labelled: number;
  /** Failed rows that had a true label, left out of `labelled`. */
  failedLabelled: number;
  correct: number;
  /** Rows whose true label is among the first five of their top-k. */
  top5Correct: number;
  /** How many labels the top-5 check could look at: fewer than 5 when the run kept fewer. */
  topKDepth: number;
  /** correct / labelled; null when no successful row has a true label. */
  accuracy: number | null;
  top5Accuracy: number | null;
  /** Classes seen as a true or a predicted label among labelled rows, sorted by name. */
  perClass: ClassStats[];
  confusion: Confusion;
  /**
   * Successful rows whose true label is none of the model's classes: no prediction can match it,
   * so they are left out of `labelled` and every figure above, and counted here, by label.
   */
  outside: { images: number; labels: Array<{ label: string; images: number }>; classes: number | null };
}

export interface Failures {
  total: number;
  byCause: Partial<Record<ErrorCause, number>>;
  /** The first `limit` failed rows, in the order given. */
  items: Array<{ path: string; cause: ErrorCause | null; error: string }>;
  /** Failed rows past `limit`. */
  more: number;
}

export const TOP_K_CHECKED = 5;
export const FAILURES_SHOWN = 200;

// Plain code-unit order: the same on every machine and locale, so drawings and tests agree.
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

/** `outside`: the true labels that are none of the model's `classes` (the run record keeps both). */
export function evaluation(outside: ReadonlySet<string> = new Set(), classes: number | null = null): Fold<EvalRow, Evaluation> {
  let rows = 0;
  let failed = 0;
  let failedLabelled = 0;
  let top5Correct = 0;
  let topKDepth = TOP_K_CHECKED;
  // true label -> predicted label -> count; every other figure is read off it at the end.
  const pairs = new Map<string, Map<string, number>>();
  const apart = new Map<string, number>();

  return {
    add(row) {
      rows++;
      if (row.error !== null) {
        failed++;
        if (row.trueLabel !== null) failedLabelled++;
        return;
      }
      if (row.trueLabel === null || row.label === null) return;
      if (outside.has(row.trueLabel)) {
        apart.set(row.trueLabel, (apart.get(row.trueLabel) ?? 0) + 1);
        return;
      }
      let predicted = pairs.get(row.trueLabel);
      if (!predicted) pairs.set(row.trueLabel, (predicted = new Map()));
      predicted.set(row.label, (predicted.get(row.label) ?? 0) + 1);
      const first = row.topK.slice(0, TOP_K_CHECKED);
      topKDepth = Math.min(topKDepth, first.length);
      if (first.some((p) => p.label === row.trueLabel)) top5Correct++;
    },
    result() {
      const labels = [...apart].map(([label, images]) => ({ label, images })).sort((a, b) => byName(a.label, b.label));
      return { ...summarise(rows, failed, failedLabelled, top5Correct, topKDepth, pairs), outside: { images: labels.reduce((n, l) => n + l.images, 0), labels, classes } };
    },
  };
}

function summarise(rows: number, failed: number, failedLabelled: number, top5Correct: number, topKDepth: number,
  pairs: ReadonlyMap<string, ReadonlyMap<string, number>>): Omit<Evaluation, 'outside'> {
  const support = new Map<string, number>();
  const predicted = new Map<string, number>();
  const correct = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let labelled = 0;
  for (const [truth, row] of pairs) {
    for (const [guess, n] of row) {
      labelled += n;
      bump(support, truth, n);
      bump(predicted, guess, n);
      if (guess === truth) bump(correct, truth, n);
    }
  }
  const allCorrect = [...correct.values()].reduce((a, b) => a + b, 0);
  const names = [...new Set([...support.keys(), ...predicted.keys()])].sort(byName);
  const perClass = names.map((label): ClassStats => {
    const s = support.get(label) ?? 0;
    const p = predicted.get(label) ?? 0;
    const c = correct.get(label) ?? 0;
    return { label, support: s, predicted: p, correct: c, precision: ratio(c, p), recall: ratio(c, s) };
  });
  const classes = [...support.keys()].sort(byName);
  const column = new Map(classes.map((c, i) => [c, i]));
  const counts = classes.map((truth) => {
    const line = new Array<number>(classes.length + 1).fill(0);
    for (const [guess, n] of pairs.get(truth) ?? []) line[column.get(guess) ?? classes.length]! += n;
    return line;
  });
  return {
    rows,
    failed,
    labelled,
    failedLabelled,
    correct: allCorrect,
    top5Correct,
    topKDepth: labelled ? topKDepth : TOP_K_CHECKED,
    accuracy: ratio(allCorrect, labelled),
    top5Accuracy: ratio(top5Correct, labelled),
    perClass,
    confusion: { classes, counts },
  };
}

export function failureTally(limit = FAILURES_SHOWN): Fold<FailureRow, Failures> {
  let total = 0;
  const byCause: Partial<Record<ErrorCause, number>> = {};
  const items: Failures['items'] = [];
  return {
    add(row) {
      if (row.error === null) return;
      total++;
      if (row.cause) byCause[row.cause] = (byCause[row.cause] ?? 0) + 1;
      if (items.length < limit) items.push({ path: row.path, cause: row.cause, error: row.error });
    },
    result: () => ({ total, byCause: { ...byCause }, items: [...items], more: total - items.length }),
  };
}

function foldAll<Row, Result>(fold: Fold<Row, Result>, rows: Iterable<Row>): Result {
  for (const row of rows) fold.add(row);
  return fold.result();
}

export function evaluate(rows: Iterable<EvalRow>, outside?: ReadonlySet<string>, classes?: number): Evaluation {
  return foldAll(evaluation(outside, classes ?? null), rows);
}

/** The evaluation fold for a run: its outside labels and class count from its record. */
export function runEvaluation(run: { labels?: { classes: number; outside: string[] } }): Fold<EvalRow, Evaluation> {
  return evaluation(new Set(run.labels?.outside), run.labels?.classes ?? null);
}

/** "3 true labels are not among the model's 1,000 classes: a, b, c; their 7 images are left out of the accuracy." */
export function outsideSentence(e: Pick<Evaluation, 'outside'>, shown = 10): string | null {
  const { labels, images, classes } = e.outside;
  if (!labels.length) return null;
  const names = labels.slice(0, shown).map((l) => l.label).join(', ') + (labels.length > shown ? `, and ${labels.length - shown} more` : '');
  const among = classes === null ? "the model's classes" : `the model's ${classes.toLocaleString('en-US')} classes`;
  const many = labels.length === 1;
  return `${labels.length} true label${many ? ' is' : 's are'} not among ${among}: ${names}; ${images === 1 ? 'its 1 image is' : `their ${images} images are`} left out of the accuracy`;
}

export function failuresByCause(rows: Iterable<FailureRow>, limit = FAILURES_SHOWN): Failures {
  return foldAll(failureTally(limit), rows);
}
