// A dataset's own columns (a Parquet row's, a WebDataset sample's txt and json) as an image keeps
// them for the outputs: the ones --keep-columns names, as JSON values, under names that never
// shadow a column tench writes itself.

import type { ColumnValue, Columns } from '../core/item.ts';

/** What --keep-columns asks for: every column, or these (none for an empty list). */
export type KeepColumns = 'all' | readonly string[];

/** The outputs' own columns (export.ts): a dataset column of the same name is written as input_<name>. */
export const OUTPUT_COLUMNS: readonly string[] = Object.freeze(['path', 'label', 'score', 'top_k', 'error', 'true_label', 'embedding', 'cause', 'columns']);

/** The name a dataset's column is written under. */
export function outputName(name: string): string {
  return OUTPUT_COLUMNS.includes(name) ? `input_${name}` : name;
}

/**
 * A value as JSON can write it: int64s as numbers (as text beyond 2^53, where a number would
 * change them), dates as ISO text. Bytes are no column of an output: undefined, dropped.
 */
export function columnValue(value: unknown): ColumnValue | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return undefined;
  if (Array.isArray(value)) return value.map((v) => columnValue(v) ?? null);
  if (typeof value === 'object') {
    const out: Record<string, ColumnValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const converted = columnValue(v);
      if (converted !== undefined) out[k] = converted;
    }
    return out;
  }
  return String(value);
}

/** The kept columns of one record, renamed where they would shadow an output column; undefined for none. */
export function keptColumns(record: Readonly<Record<string, unknown>>, keep: KeepColumns, skip: readonly string[] = []): Columns | undefined {
  const names = keep === 'all' ? Object.keys(record).filter((n) => !skip.includes(n)) : keep.filter((n) => n in record);
  let out: Columns | undefined;
  for (const name of names) {
    const value = columnValue(record[name]);
    if (value === undefined) continue;
    (out ??= {})[outputName(name)] = value;
  }
  return out;
}
