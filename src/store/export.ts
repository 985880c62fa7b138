// Rows -> the files users get: the same columns in JSONL, CSV and Parquet, and the failures alone.
// Pure functions of rows, so the page (downloads) and the CLI (--out) write identical files.

import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ResultRow } from './records.ts';

export type ExportFormat = 'jsonl' | 'csv' | 'parquet';

export interface ExportRecord {
  path: string;
  label: string | null;
  score: number | null;
  top_k: Array<{ label: string; score: number }>;
  error: string | null;
  true_label?: string;
}

export interface FailureRecord {
  path: string;
  cause: string;
  error: string;
}

/** The format a file name asks for; null for any other extension. */
export function formatOf(fileName: string): ExportFormat | null {
  const ext = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return ext === 'jsonl' || ext === 'ndjson' ? 'jsonl' : ext === 'csv' ? 'csv' : ext === 'parquet' || ext === 'pq' ? 'parquet' : null;
}

export const MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  jsonl: 'application/jsonl',
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
});

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

export function toFailureRecord(row: ResultRow): FailureRecord {
  return { path: row.path, cause: row.cause ?? 'unknown', error: row.error ?? '' };
}

export function jsonlLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// A spreadsheet runs a cell that starts with =, +, -, @, a tab or a carriage return as a formula.
// Keys and labels come from strangers, so such text gets a leading apostrophe (OWASP's advice);
// tench's own CSV reader (tench merge) takes it off again.
// Text that already starts with apostrophes before such a character gets one more, so that taking
// one off always gives the text back.
const FORMULA = /^'*[=+\-@\t\r]/;

/** Text a spreadsheet shows as text. Numbers are left alone: they are not formulas. */
export function spreadsheetSafe(text: string | null | undefined): string | null | undefined {
  return typeof text === 'string' && FORMULA.test(text) ? `'${text}` : text;
}

/** The text before spreadsheetSafe. */
export function fromSpreadsheetSafe(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function resultColumns(withTrueLabel: boolean): string[] {
  return ['path', 'label', 'score', 'top_k', 'error', ...(withTrueLabel ? ['true_label'] : [])];
}

/** top_k is a JSON array in CSV: the one column that is not flat. */
export function resultCsvLine(record: ExportRecord, withTrueLabel: boolean): string {
  const safe = spreadsheetSafe;
  return csvLine([safe(record.path), safe(record.label), record.score, JSON.stringify(record.top_k), safe(record.error), ...(withTrueLabel ? [safe(record.true_label ?? null)] : [])]);
}

const utf8 = (name: string, required = false) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: required ? 'REQUIRED' as const : 'OPTIONAL' as const });

/**
 * The Parquet schema of results: top_k a list of (label, score) structs, so pandas, pyarrow and
 * DuckDB read it as nested data rather than a string to parse.
 */
export function resultsSchema(withTrueLabel: boolean) {
  return [
    { name: 'root', num_children: withTrueLabel ? 6 : 5 },
    utf8('path', true),
    utf8('label'),
    { name: 'score', type: 'DOUBLE' as const, repetition_type: 'OPTIONAL' as const },
    { name: 'top_k', repetition_type: 'REQUIRED' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', repetition_type: 'REQUIRED' as const, num_children: 2 },
    utf8('label', true),
    { name: 'score', type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const },
    utf8('error'),
    ...(withTrueLabel ? [utf8('true_label')] : []),
  ];
}

/** The Parquet schema of the failures alone. */
export function failuresSchema() {
  return [{ name: 'root', num_children: 3 }, utf8('path', true), utf8('cause', true), utf8('error', true)];
}

/** One Parquet file of results. */
export function resultsParquet(records: readonly ExportRecord[], withTrueLabel: boolean): ArrayBuffer {
  const schema = resultsSchema(withTrueLabel);
  return parquetWriteBuffer({
    schema,
    columnData: [
      { name: 'path', data: records.map((r) => r.path) },
      { name: 'label', data: records.map((r) => r.label) },
      { name: 'score', data: records.map((r) => r.score) },
      { name: 'top_k', data: records.map((r) => r.top_k) },
      { name: 'error', data: records.map((r) => r.error) },
      ...(withTrueLabel ? [{ name: 'true_label', data: records.map((r) => r.true_label ?? null) }] : []),
    ],
  });
}

export function failuresParquet(records: readonly FailureRecord[]): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: (['path', 'cause', 'error'] as const).map((name) => ({ name, data: records.map((r) => r[name]), type: 'STRING' as const, nullable: false })),
  });
}

/** A whole export as file contents, from rows already read. */
export function exportFile(rows: readonly ResultRow[], format: ExportFormat, what: 'results' | 'failures' = 'results'): Uint8Array | string {
  if (what === 'failures') {
    const records = rows.filter((r) => r.error !== null).map(toFailureRecord);
    if (format === 'parquet') return new Uint8Array(failuresParquet(records));
    if (format === 'jsonl') return records.map(jsonlLine).join('');
    return csvLine(['path', 'cause', 'error']) + records.map((r) => csvLine([spreadsheetSafe(r.path), r.cause, spreadsheetSafe(r.error)])).join('');
  }
  const records = rows.map(toExportRecord);
  const withTrueLabel = records.some((r) => r.true_label !== undefined);
  if (format === 'parquet') return new Uint8Array(resultsParquet(records, withTrueLabel));
  if (format === 'jsonl') return records.map(jsonlLine).join('');
  return csvLine(resultColumns(withTrueLabel)) + records.map((r) => resultCsvLine(r, withTrueLabel)).join('');
}
