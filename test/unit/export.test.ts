// Export round trips: the files tench writes, read back by DuckDB, an independent reader of JSONL,
// CSV and Parquet. Values are the awkward ones users have: ImageNet labels with commas, keys with
// quotes, line breaks, markup and non-Latin text.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFile, formatOf, fromSpreadsheetSafe, spreadsheetSafe, type ExportFormat, type ExportOptions } from '../../src/store/export.ts';
import type { ResultRow } from '../../src/store/results.ts';

const dir = mkdtempSync(join(tmpdir(), 'tench-export-'));
// tench's own columns alone: the dataset's columns and embeddings are export-columns.test.ts's.
const PLAIN: ExportOptions = { columns: [], embeddings: false };

function row(i: number, over: Partial<ResultRow>): ResultRow {
  return {
    runId: 'run', path: `img-${i}.jpg`, seq: i, order: i, label: null, score: null, topK: [], error: null, cause: null, trueLabel: null,
    width: 10, height: 10, size: 100, version: null, fingerprint: 'f', imageKey: null, doneAt: 0, ...over,
  };
}

const top = (labels: string[]) => labels.map((label, i) => ({ index: i * 7, label, score: 1 / (i + 2) }));

const ROWS: ResultRow[] = [
  row(0, { path: 'n01440764/tench, fish.JPEG', label: 'tench, Tinca tinca', score: 0.5, topK: top(['tench, Tinca tinca', 'goldfish, Carassius auratus']), trueLabel: 'tench, Tinca tinca' }),
  row(1, { path: 'quotes/"hello" \'world\'.jpg', label: 'a "quoted" label', score: 0.25, topK: top(['a "quoted" label']), trueLabel: 'other' }),
  row(2, { path: 'lines/first\nsecond\r\nthird.png', label: 'x', score: 0.125, topK: top(['x', 'y', 'z']) }),
  row(3, { path: '<img src=x onerror=alert(1)>.jpg', label: 'é 猫 🐟', score: 1e-7, topK: top(['é 猫 🐟']), trueLabel: '猫' }),
  row(4, { path: 'broken.jpg', error: 'not an image: the file is text', cause: 'decode_failed' }),
  row(5, { path: 'gone.jpg', error: 'HTTP 404, "Not Found"', cause: 'fetch_failed' }),
  row(6, { path: '=1+1.jpg', label: '@SUM(A1)', score: 0.3333333333333333, topK: top(['@SUM(A1)']), trueLabel: '-2+3' }),
  row(7, { path: '+cmd|calc.png', error: '=HYPERLINK("http://x")', cause: 'fetch_failed' }),
];

/** What every export must say of a row, derived from the row by the rules the README states. */
function expected(r: ResultRow) {
  return {
    path: r.path,
    label: r.label,
    score: r.score,
    top_k: r.topK.map(({ label, score }) => ({ label, score })),
    error: r.error === null ? null : `${r.cause}: ${r.error}`,
    true_label: r.trueLabel,
  };
}

function write(name: string, contents: Uint8Array | string): string {
  const file = join(dir, name);
  writeFileSync(file, contents);
  return file;
}

let duck: DuckDBConnection;

beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(() => {
  duck?.closeSync();
});

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
}

describe('formatOf', () => {
  it('takes the format from the extension, whatever its case', () => {
    expect(['a.jsonl', 'b.NDJSON', 'c.csv', 'd.Parquet', 'e.pq', 'f.json', 'g'].map(formatOf)).toEqual(['jsonl', 'jsonl', 'csv', 'parquet', 'parquet', null, null]);
  });
});

describe.each<ExportFormat>(['jsonl', 'csv', 'parquet'])('results as %s, read back by DuckDB', (format) => {
  const read: Record<ExportFormat, (file: string) => string> = {
    jsonl: (f) => `select * from read_json('${f}', format = 'newline_delimited')`,
    csv: (f) => `select * from read_csv('${f}', header = true, quote = '"', escape = '"', all_varchar = true)`,
    parquet: (f) => `select * from read_parquet('${f}')`,
  };

  it('gives back every row, in order, with every value intact', async () => {
    const file = write(`results.${format}`, exportFile(ROWS, format, 'results', PLAIN));
    const back = await query(read[format](file));
    expect(back).toHaveLength(ROWS.length);
    expect(Object.keys(back[0]!)).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label']);
    back.forEach((got, i) => {
      const want = expected(ROWS[i]!);
      if (format === 'csv') {
        // CSV is text: an empty field is a missing value, top_k a JSON array, and text a
        // spreadsheet would run as a formula starts with an apostrophe.
        const safe = (t: string | null | undefined) => (typeof t === 'string' && /^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
        expect(got.path).toBe(safe(want.path));
        expect(got.label).toBe(safe(want.label));
        expect(got.score === null ? null : Number(got.score)).toBe(want.score);
        expect(JSON.parse(got.top_k as string)).toEqual(want.top_k);
        expect(got.error).toBe(safe(want.error));
        expect(got.true_label).toBe(safe(want.true_label));
      } else {
        expect({ ...got, top_k: [...(got.top_k as unknown[])] }).toEqual(want);
      }
    });
  });

  it('types the columns: score a number, top_k a list of label-score pairs', async () => {
    if (format === 'csv') return;
    const file = write(`typed.${format}`, exportFile(ROWS, format, 'results', PLAIN));
    const types = await query(`select column_name, column_type from (describe ${read[format](file)})`);
    const byName = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
    expect(byName.score).toBe('DOUBLE');
    expect(byName.top_k).toBe('STRUCT("label" VARCHAR, score DOUBLE)[]');
    expect(byName.path).toBe('VARCHAR');
  });

  it('leaves true_label out when no row knows it', async () => {
    const file = write(`unlabelled.${format}`, exportFile(ROWS.map((r) => ({ ...r, trueLabel: null })), format, 'results', PLAIN));
    const back = await query(read[format](file));
    expect(Object.keys(back[0]!)).toEqual(['path', 'label', 'score', 'top_k', 'error']);
  });

  it('writes the failures alone, with their causes', async () => {
    const file = write(`failures.${format}`, exportFile(ROWS, format, 'failures'));
    const back = await query(read[format](file));
    const failed = ROWS.filter((r) => r.error !== null);
    const safe = (t: string | null) => (format === 'csv' && t !== null && /^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
    expect(back).toEqual(failed.map((r) => ({ path: safe(r.path), cause: r.cause, error: safe(r.error) })));
  });

  it('writes a valid empty file for a run without rows', async () => {
    const file = write(`empty.${format}`, exportFile([], format, 'results', PLAIN));
    if (format === 'jsonl') return; // An empty JSONL file is empty: nothing to read back.
    expect(await query(read[format](file))).toEqual([]);
  });
});

describe('spreadsheet formulas in CSV', () => {
  it('are shown as text, and tench merge reads the text back as it was', () => {
    const texts = ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', "'=already", 'plain', "it's", ''];
    for (const t of texts) {
      const safe = spreadsheetSafe(t)!;
      expect(/^[=+\-@\t\r]/.test(safe), JSON.stringify(t)).toBe(false);
      expect(fromSpreadsheetSafe(safe)).toBe(t);
    }
  });
});
