// Rows -> the files users get: the same columns in JSONL, CSV and Parquet, and the failures alone.
// Pure functions of rows, so the page (downloads) and the CLI (--out) write identical files.
//
// Besides tench's own columns, a row carries the dataset's kept columns and, when the run asked,
// its embedding. JSONL writes them as fields of each line. CSV and Parquet have one schema for the
// whole file, fixed before the first row when the file is streamed: a column each for the kept
// columns --keep-columns names, or one `columns` column of JSON objects when it keeps them all
// (no one knows their names before the rows come); the embedding a list of floats (never in CSV).

import { ByteWriter, ParquetWriter, parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnValue, Columns } from '../core/item.ts';
import { outputName, type KeepColumns } from '../datasets/columns.ts';
import { valueOf } from '../settings.ts';
import type { ResultRow } from './records.ts';

export type ExportFormat = 'jsonl' | 'csv' | 'parquet';

export interface ExportRecord {
  path: string;
  label: string | null;
  score: number | null;
  top_k: Array<{ label: string; score: number }>;
  error: string | null;
  true_label?: string;
  /** The dataset's kept columns, by the names the outputs give them; absent when none. */
  columns?: Columns;
  /** Absent for a row without one; a list of numbers once read back from a file. */
  embedding?: Float32Array | number[];
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

/** What a file carries besides tench's own columns: as the run's request says (settings.ts). */
export interface ExportOptions {
  /** The kept columns as --keep-columns gave them: 'all', or these names (none for an empty list). */
  columns: KeepColumns;
  embeddings: boolean;
}

/** A run's export options from its request; the settings' defaults where it says nothing (older runs). */
export function exportOptions(request: { keepColumns?: 'all' | string[] | null; embeddings?: boolean | null } = {}): ExportOptions {
  return { columns: valueOf(request, 'keepColumns') ?? 'all', embeddings: valueOf(request, 'embeddings') ?? false };
}

/** The columns of a CSV or Parquet file of results after path, label, score, top_k and error. */
export interface Layout {
  trueLabel: boolean;
  /** Kept columns written one each, by their output names. */
  named: readonly string[];
  /** A `columns` column: each row's kept columns that have none of their own, as a JSON object. */
  packed: boolean;
  /** A list<float> column (Parquet only). */
  embedding: boolean;
}

/** The layout a run's options give a file: the same whoever writes it, the page or the CLI. */
export function layoutOf(format: ExportFormat, options: ExportOptions, trueLabel: boolean): Layout {
  const named = options.columns === 'all' ? [] : [...new Set(options.columns.map(outputName))];
  return { trueLabel, named, packed: options.columns === 'all', embedding: options.embeddings && format === 'parquet' };
}

export function toExportRecord(row: ResultRow): ExportRecord {
  const embedding = vectorOf(row.embedding);
  return {
    path: row.path,
    label: row.label,
    score: row.score,
    top_k: row.topK.map(({ label, score }) => ({ label, score })),
    error: row.error === null ? null : `${row.cause}: ${row.error}`,
    ...(row.trueLabel !== null ? { true_label: row.trueLabel } : {}),
    ...(row.columns && Object.keys(row.columns).length ? { columns: row.columns } : {}),
    ...(embedding ? { embedding } : {}),
  };
}

/**
 * A row's embedding as a typed array or a list. A row that crossed from the page as JSON text
 * holds its Float32Array as an object of numbered fields: read back in their order.
 */
function vectorOf(value: unknown): Float32Array | number[] | undefined {
  if (value instanceof Float32Array || Array.isArray(value)) return value as Float32Array | number[];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, Number);
  if (value && typeof value === 'object') return Object.values(value as Record<string, unknown>).map(Number);
  return undefined;
}

export function toFailureRecord(row: ResultRow): FailureRecord {
  return { path: row.path, cause: row.cause ?? 'unknown', error: row.error ?? '' };
}

export function jsonlLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * A results line: tench's fields, then each kept column as a field of its own, then the embedding.
 * Written field by field so that they come in that order whatever the columns are named (an
 * object puts numeric keys first).
 */
export function resultJsonlLine(record: ExportRecord): string {
  const { columns, embedding, ...own } = record;
  const fields = Object.entries(columns ?? {}).map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`);
  if (embedding) fields.push(`,"embedding":${JSON.stringify(Array.from(embedding))}`);
  return `${JSON.stringify(own).slice(0, -1)}${fields.join('')}}\n`;
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

/**
 * The header of a CSV file of results. Embeddings are never in CSV. A kept column's name is the
 * dataset's, so it is made spreadsheet-safe as the dataset's text is.
 */
export function resultColumns(layout: Layout): string[] {
  const named = layout.named.map((name) => spreadsheetSafe(name)!);
  return ['path', 'label', 'score', 'top_k', 'error', ...(layout.trueLabel ? ['true_label'] : []), ...named, ...(layout.packed ? ['columns'] : [])];
}

/** A kept column's cell: text as it is, any other value as its JSON text. */
function cell(value: ColumnValue | undefined): string | null {
  return value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
}

/** The cells of the kept columns: the named ones, then (packed) the rest as one JSON object, null when none. */
export function columnCells(columns: Columns | undefined, layout: Layout): Array<string | null> {
  const cells = layout.named.map((name) => cell(columns?.[name]));
  if (!layout.packed) return cells;
  const rest = Object.entries(columns ?? {}).filter(([name]) => !layout.named.includes(name));
  cells.push(rest.length ? JSON.stringify(Object.fromEntries(rest)) : null);
  return cells;
}

/** top_k is a JSON array in CSV: the one column of tench's own that is not flat. */
export function resultCsvLine(record: ExportRecord, layout: Layout): string {
  const safe = spreadsheetSafe;
  return csvLine([
    safe(record.path), safe(record.label), record.score, JSON.stringify(record.top_k), safe(record.error),
    ...(layout.trueLabel ? [safe(record.true_label ?? null)] : []),
    ...columnCells(record.columns, layout).map(safe),
  ]);
}

const utf8 = (name: string, required = false) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: required ? 'REQUIRED' as const : 'OPTIONAL' as const });

/**
 * The Parquet schema of results: top_k a list of (label, score) structs, so pandas, pyarrow and
 * DuckDB read it as nested data rather than a string to parse; the embedding a list of floats,
 * null for a row without one.
 */
export function resultsSchema(layout: Layout) {
  const kept = [...layout.named, ...(layout.packed ? ['columns'] : [])];
  return [
    { name: 'root', num_children: 5 + Number(layout.trueLabel) + kept.length + Number(layout.embedding) },
    utf8('path', true),
    utf8('label'),
    { name: 'score', type: 'DOUBLE' as const, repetition_type: 'OPTIONAL' as const },
    { name: 'top_k', repetition_type: 'REQUIRED' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', repetition_type: 'REQUIRED' as const, num_children: 2 },
    utf8('label', true),
    { name: 'score', type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const },
    utf8('error'),
    ...(layout.trueLabel ? [utf8('true_label')] : []),
    ...kept.map((name) => utf8(name)),
    ...(layout.embedding ? [
      { name: 'embedding', repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
      { name: 'element', type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const },
    ] : []),
  ];
}

/** The Parquet schema of the failures alone. */
export function failuresSchema() {
  return [{ name: 'root', num_children: 3 }, utf8('path', true), utf8('cause', true), utf8('error', true)];
}

/** A row group's columns, in the schema's order. The writer takes lists as arrays: embeddings are made lists here, a group at a time. */
export function resultsColumnData(records: readonly ExportRecord[], layout: Layout) {
  const kept = [...layout.named, ...(layout.packed ? ['columns'] : [])];
  const cells = kept.length ? records.map((r) => columnCells(r.columns, layout)) : [];
  return [
    { name: 'path', data: records.map((r) => r.path) },
    { name: 'label', data: records.map((r) => r.label) },
    { name: 'score', data: records.map((r) => r.score) },
    { name: 'top_k', data: records.map((r) => r.top_k) },
    { name: 'error', data: records.map((r) => r.error) },
    ...(layout.trueLabel ? [{ name: 'true_label', data: records.map((r) => r.true_label ?? null) }] : []),
    ...kept.map((name, i) => ({ name, data: cells.map((c) => c[i] ?? null) })),
    ...(layout.embedding ? [{ name: 'embedding', data: records.map((r) => (r.embedding ? Array.from(r.embedding) : null)) }] : []),
  ];
}

/** Rows per row group of a whole file written at once. */
const GROUP_ROWS = 10_000;

/** One Parquet file of results. */
export function resultsParquet(records: readonly ExportRecord[], layout: Layout): ArrayBuffer {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema: resultsSchema(layout), createdBy: 'tench' });
  for (let at = 0; at < records.length; at += GROUP_ROWS) {
    const group = records.slice(at, at + GROUP_ROWS);
    void parquet.write({ columnData: resultsColumnData(group, layout), rowGroupSize: group.length });
  }
  void parquet.finish();
  return writer.getBuffer();
}

export function failuresParquet(records: readonly FailureRecord[]): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: (['path', 'cause', 'error'] as const).map((name) => ({ name, data: records.map((r) => r[name]), type: 'STRING' as const, nullable: false })),
  });
}

/** A whole file of results in a layout: the page's downloads and tench merge. */
export function resultsFile(records: readonly ExportRecord[], format: ExportFormat, layout: Layout): Uint8Array | string {
  if (format === 'parquet') return new Uint8Array(resultsParquet(records, layout));
  if (format === 'jsonl') return records.map(resultJsonlLine).join('');
  return csvLine(resultColumns(layout)) + records.map((r) => resultCsvLine(r, layout)).join('');
}

/**
 * A whole export as file contents, from rows already read. `options` are the run's (exportOptions
 * of its request), so that a download has the columns the CLI writes for the same run.
 */
export function exportFile(rows: readonly ResultRow[], format: ExportFormat, what: 'results' | 'failures' = 'results', options: ExportOptions = exportOptions()): Uint8Array | string {
  if (what === 'failures') {
    const records = rows.filter((r) => r.error !== null).map(toFailureRecord);
    if (format === 'parquet') return new Uint8Array(failuresParquet(records));
    if (format === 'jsonl') return records.map(jsonlLine).join('');
    return csvLine(['path', 'cause', 'error']) + records.map((r) => csvLine([spreadsheetSafe(r.path), r.cause, spreadsheetSafe(r.error)])).join('');
  }
  const records = rows.map(toExportRecord);
  return resultsFile(records, format, layoutOf(format, options, records.some((r) => r.true_label !== undefined)));
}
