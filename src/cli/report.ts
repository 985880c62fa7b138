// The end-of-run report for a terminal: how good the predictions were where labels are known,
// and how the failures split by cause. Plain text tables, widths from the data.

import { outsideSentence, type Evaluation, type Failures } from '../store/evaluate.ts';

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

function table(header: string[], rows: string[][], rightFrom: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Up to `maxClasses` classes, those with the most support first; the rest summed up in a line. */
export function evaluationLines(e: Evaluation, maxClasses = 30): string[] {
  const outside = outsideSentence(e);
  if (e.labelled === 0) return outside ? [outside] : [];
  const classes = e.perClass.filter((c) => c.support > 0).sort((a, b) => b.support - a.support || (a.label < b.label ? -1 : 1));
  const shown = classes.slice(0, maxClasses);
  const lines = [
    `accuracy ${pct(e.accuracy)} (${e.correct} of ${e.labelled} labelled images), top-${Math.min(5, e.topKDepth)} ${pct(e.top5Accuracy)}` +
      (e.failedLabelled ? `; ${e.failedLabelled} labelled images failed and are not counted` : ''),
    ...table(['class', 'support', 'precision', 'recall'], shown.map((c) => [c.label, String(c.support), pct(c.precision), pct(c.recall)]), 1),
  ];
  if (classes.length > shown.length) lines.push(`… and ${classes.length - shown.length} more classes`);
  if (outside) lines.push(outside);
  return lines;
}

export function failureLines(f: Failures): string[] {
  const causes = Object.entries(f.byCause).filter(([, n]) => n);
  if (!causes.length) return [];
  return [`failures by cause: ${causes.map(([cause, n]) => `${cause} ${n}`).join(', ')}`];
}
