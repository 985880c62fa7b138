// Rows -> the records users get: the same fields in every format.

import type { ResultRow } from './results.ts';

export interface ExportRecord {
  path: string;
  label: string | null;
  score: number | null;
  top_k: Array<{ label: string; score: number }>;
  error: string | null;
  true_label?: string;
}

export function toExportRecord(row: ResultRow): ExportRecord {
  return {
    path: row.path,
    label: row.label,
    score: row.score,
    top_k: row.topK.map(({ label, score }) => ({ label, score })),
    error: row.error === null ? null : `${row.cause}: ${row.error}`,
    ...(row.trueLabel !== null ? { true_label: row.trueLabel } : {}),
  };
}

export function jsonlLine(row: ResultRow): string {
  return `${JSON.stringify(toExportRecord(row))}\n`;
}
