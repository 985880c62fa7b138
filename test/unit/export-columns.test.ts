// A dataset's own columns and each image's embedding in the outputs: the page's whole-file export,
// the CLI's streamed outputs and tench merge, read back by readers independent of tench's own
// (JSON.parse, papaparse, DuckDB).

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInputs, embeddingsProblem } from '../../src/cli/checks.ts';
import type { ClassifyOptions } from '../../src/cli/classify-flags.ts';
import { EXIT, exitOf } from '../../src/cli/exit.ts';
import { merge } from '../../src/cli/merge.ts';
import type { Destination } from '../../src/cli/output.ts';
import { openOutputs, type StoredRows } from '../../src/cli/sink/outputs.ts';
import { openSink } from '../../src/cli/sink/sink.ts';
import { fileTarget } from '../../src/cli/sink/targets.ts';
import type { Columns } from '../../src/core/item.ts';
import { encoder } from '../../src/store/export-stream.ts';
import { exportFile, exportOptions, type ExportFormat, type ExportOptions } from '../../src/store/export.ts';
import type { ResultRow } from '../../src/store/records.ts';

const dir = mkdtempSync(join(tmpdir(), 'tench-columns-'));
let duck: DuckDBConnection;
beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => duck?.closeSync());

/** Columns as the page keeps them: output names (the dataset's `path` is input_path), JSON values. */
function columnsOf(i: number): Columns {
  return {
    caption: `a "cat", ${i}\non two lines`,
    n: i,
    tags: ['x', String(i)],
    meta: { ok: i % 2 === 0, none: null },
    input_path: `=HYPERLINK("${i}")`,
    // A numeric name: an object would put it first; the line must not.
    10: 'ten',
  };
}

function row(i: number): ResultRow {
  const failed = i % 4 === 3;
  return {
    runId: 'run', path: `img-${i}.jpg`, seq: i, order: i,
    label: failed ? null : 'cat', score: failed ? null : 0.5, topK: failed ? [] : [{ index: 1, label: 'cat', score: 0.5 }],
    error: failed ? 'not an image' : null, cause: failed ? 'decode_failed' : null, trueLabel: i % 2 ? 'cat' : null,
    width: 1, height: 1, size: 1, version: null, fingerprint: 'f', imageKey: null, doneAt: 0,
    // Values a float32 holds only approximately: a double written in their place would differ.
    ...(failed ? {} : { embedding: Float32Array.from([0.1 * (i + 1), -2.5, 1e-8, 3.4e38, i / 3]) }),
    // Every third row has none of the dataset's columns.
    ...(i % 3 === 2 ? {} : { columns: columnsOf(i) }),
  };
}

const ROWS = Array.from({ length: 12 }, (_, i) => row(i));
const NAMED = ['caption', 'n', 'tags', 'meta', 'path', '10'];
const NAMED_OUT = ['caption', 'n', 'tags', 'meta', 'input_path', '10'];

/** What a named column's cell says of a value: text as it is, anything else as JSON. */
const cellOf = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
const safe = (t: string | null) => (t !== null && /^[=+\-@\t\r]/.test(t) ? `'${t}` : t);
const float32 = (e: Float32Array | undefined) => (e ? Array.from(e) : null);

function write(name: string, contents: Uint8Array | string): string {
  const file = join(dir, name);
  writeFileSync(file, contents);
  return file;
}

async function duckRows(file: string): Promise<Array<Record<string, unknown>>> {
  return (await duck.runAndReadAll(`select * from read_parquet('${file}')`)).getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** Each column's DuckDB type, by name; and the names in the file's order (an object puts numeric names first). */
async function duckTypes(file: string): Promise<Record<string, string> & { order: string[] }> {
  const types = (await duck.runAndReadAll(`select column_name, column_type from (describe select * from read_parquet('${file}'))`)).getRowObjectsJS();
  return { ...Object.fromEntries(types.map((t) => [t.column_name, t.column_type])), order: types.map((t) => String(t.column_name)) } as Record<string, string> & { order: string[] };
}

const csvRows = (file: string) => Papa.parse<Record<string, string>>(readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true });
const jsonlRows = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** Every JSONL line: tench's fields, then the row's columns as fields in their order, then the embedding. */
function checkJsonl(file: string, rows: readonly ResultRow[]) {
  const lines = jsonlRows(file);
  expect(lines).toHaveLength(rows.length);
  lines.forEach((line, i) => {
    const r = rows[i]!;
    const got = JSON.parse(line) as Record<string, unknown>;
    for (const [name, value] of Object.entries(r.columns ?? {})) expect(got[name]).toEqual(value);
    expect(got.embedding ?? null).toEqual(float32(r.embedding));
    if (got.embedding) expect(Float32Array.from(got.embedding as number[])).toEqual(r.embedding);
    const at = (name: string) => line.indexOf(`"${name}":`);
    if (r.columns) expect(at('10')).toBeGreaterThan(at('error'));
    if (r.columns && r.embedding) expect(at('embedding')).toBeGreaterThan(at('caption'));
    expect(Object.keys(got)).not.toContain('columns');
  });
}

/** The kept columns of a CSV or Parquet file: one each when named, else one `columns` JSON column. */
function checkKept(got: Record<string, unknown>, r: ResultRow, options: ExportOptions, csv: boolean) {
  const cell = (v: string | null) => (csv ? safe(v) ?? '' : v);
  if (options.columns === 'all') {
    expect(got.columns === '' ? null : got.columns).toBe(r.columns ? JSON.stringify(r.columns) : null);
    if (r.columns) expect(JSON.parse(got.columns as string)).toEqual(r.columns);
  } else {
    NAMED_OUT.forEach((name) => expect(got[name], name).toBe(cell(cellOf(r.columns?.[name]))));
  }
}

const ALL_WITH: ExportOptions = { columns: 'all', embeddings: true };
const NAMED_WITH: ExportOptions = { columns: NAMED, embeddings: true };

describe.each([['all', ALL_WITH], ['named', NAMED_WITH]] as const)('the page\'s export, kept columns %s, with embeddings', (_, options) => {
  const kept = options.columns === 'all' ? ['columns'] : NAMED_OUT;

  it('JSONL has each kept column as a field and the embedding as numbers', () => {
    checkJsonl(write(`page-${_}.jsonl`, exportFile(ROWS, 'jsonl', 'results', options)), ROWS);
  });

  it('CSV has the kept columns, spreadsheet-safe, and no embedding', () => {
    const parsed = csvRows(write(`page-${_}.csv`, exportFile(ROWS, 'csv', 'results', options)));
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label', ...kept]);
    parsed.data.forEach((got, i) => checkKept(got, ROWS[i]!, options, true));
  });

  it('Parquet has the kept columns as text and the embedding as a list of float32, null for a failed row', async () => {
    const file = write(`page-${_}.parquet`, exportFile(ROWS, 'parquet', 'results', options));
    const types = await duckTypes(file);
    expect(types.embedding).toBe('FLOAT[]');
    for (const name of kept) expect(types[name], name).toBe('VARCHAR');
    expect(types.order).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label', ...kept, 'embedding']);
    const back = await duckRows(file);
    back.forEach((got, i) => {
      checkKept(got, ROWS[i]!, options, false);
      expect(got.embedding).toEqual(float32(ROWS[i]!.embedding));
    });
  });
});

describe('a kept column whose name a spreadsheet would run', () => {
  it('is named with an apostrophe in a CSV header, and tench merge takes it off again', async () => {
    const rows = [{ ...ROWS[0]!, columns: { '=total': '=1+1' } }];
    const file = write('part-00000-of-00001.csv', exportFile(rows, 'csv', 'results', { columns: ['=total'], embeddings: false }));
    const parsed = csvRows(file);
    expect(parsed.meta.fields?.at(-1)).toBe("'=total");
    expect(parsed.data[0]!["'=total"]).toBe("'=1+1");
    const out = join(dir, 'formula.jsonl');
    expect(await merge({ inputs: [file], out }, { out: () => {}, err: () => {} })).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(out, 'utf8'))['=total']).toBe('=1+1');
  });
});

describe('the page\'s export of a run without embeddings', () => {
  it('has no embedding column, and keeps none of the dataset\'s columns when told none', async () => {
    const file = write('page-none.parquet', exportFile(ROWS, 'parquet', 'results', { columns: [], embeddings: false }));
    expect((await duckTypes(file)).order).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label']);
  });

  it('takes the settings\' defaults from a request that says nothing: every column, in one, no embeddings', () => {
    expect(exportOptions(undefined)).toEqual({ columns: 'all', embeddings: false });
    expect(exportOptions({ keepColumns: ['a'], embeddings: true })).toEqual({ columns: ['a'], embeddings: true });
  });
});

function store(rows: readonly ResultRow[]): StoredRows {
  return {
    byOrder: async (after, limit) => rows.filter((r) => r.order > after).slice(0, limit),
    async standing(path) {
      const at = rows.find((r) => r.path === path);
      return at ? { order: at.order, upTo: rows.filter((r) => r.order <= at.order).length } : null;
    },
    count: async () => rows.length,
  };
}

/** Rows as they cross from the page to the CLI: JSON text, in which a Float32Array is an object of numbered fields. */
const crossed = (rows: readonly ResultRow[]) => JSON.parse(JSON.stringify(rows)) as ResultRow[];

describe.each([['all', ALL_WITH], ['named', NAMED_WITH]] as const)('a streamed output, kept columns %s, with embeddings', (_, options) => {
  const kept = options.columns === 'all' ? ['columns'] : NAMED_OUT;

  async function stream(format: ExportFormat): Promise<string> {
    const path = join(dir, `stream-${_}.${format}`);
    const sink = await openSink(await fileTarget(path, 'new'), encoder(format, 'results', { ...options, footers: true }), { kind: 'results', grouped: format === 'parquet', fresh: true, rowGroupRows: 5 });
    await sink.append(ROWS.slice(0, 6));
    await sink.append(crossed(ROWS.slice(6)));
    await sink.close();
    return path;
  }

  it('JSONL', async () => {
    checkJsonl(await stream('jsonl'), ROWS);
  });

  it('CSV', async () => {
    const parsed = csvRows(await stream('csv'));
    expect(parsed.meta.fields).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label', ...kept]);
    parsed.data.forEach((got, i) => checkKept(got, ROWS[i]!, options, true));
  });

  it('Parquet, over several row groups', async () => {
    const file = await stream('parquet');
    expect((await duckTypes(file)).embedding).toBe('FLOAT[]');
    const back = await duckRows(file);
    expect(back).toHaveLength(ROWS.length);
    back.forEach((got, i) => {
      checkKept(got, ROWS[i]!, options, false);
      expect(got.embedding).toEqual(float32(ROWS[i]!.embedding));
    });
  });

  it('is what the page exports for the same run, but for true_label being always there', async () => {
    const rows = ROWS.map((r) => ({ ...r, trueLabel: r.trueLabel ?? 'x' }));
    const path = join(dir, `same-${_}.jsonl`);
    const sink = await openSink(await fileTarget(path, 'new'), encoder('jsonl', 'results', options), { kind: 'results', grouped: false, fresh: true });
    await sink.append(rows);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(exportFile(rows, 'jsonl', 'results', options));
  });
});

describe('resuming a streamed file', () => {
  const file = (name: string): Destination => ({ kind: 'file', path: join(dir, name), format: name.split('.').pop() as ExportFormat, shown: name });

  it.each(['parquet', 'csv'] as const)('%s written without the columns this run writes is written again, not mixed', async (format) => {
    const out = file(`resume.${format}`);
    const path = (out as { path: string }).path;
    const first = await openOutputs([{ to: out, kind: 'results' }], 'new', null, {}, { columns: [], embeddings: false });
    await first.take(ROWS.slice(0, 6));
    await first.finish(store(ROWS.slice(0, 6)));

    const again = await openOutputs([{ to: out, kind: 'results' }], 'resume', store(ROWS.slice(0, 6)), {}, NAMED_WITH);
    expect(again.notes).toEqual([`resume.${format} has other columns than this run writes: written again`]);
    await again.take(ROWS.slice(6));
    expect(await again.finish(store(ROWS))).toBe(ROWS.length);
    if (format === 'parquet') {
      expect((await duckTypes(path)).embedding).toBe('FLOAT[]');
      expect((await duckRows(path)).map((r) => r.embedding)).toEqual(ROWS.map((r) => float32(r.embedding)));
    } else {
      expect(csvRows(path).data.map((r) => r.caption)).toEqual(ROWS.map((r) => cellOf(r.columns?.caption) ?? ''));
    }
  });

  it('with the same columns goes on after its last row', async () => {
    const out = file('same.parquet');
    const first = await openOutputs([{ to: out, kind: 'results' }], 'new', null, {}, ALL_WITH);
    await first.take(ROWS.slice(0, 6));
    await first.finish(store(ROWS.slice(0, 6)));
    const again = await openOutputs([{ to: out, kind: 'results' }], 'resume', store(ROWS.slice(0, 6)), {}, ALL_WITH);
    expect(again.notes).toEqual([]);
    await again.take(ROWS.slice(6));
    await again.finish(store(ROWS));
    const back = await duckRows((out as { path: string }).path);
    expect(back.map((r) => r.embedding)).toEqual(ROWS.map((r) => float32(r.embedding)));
  });
});

describe('--embeddings with a CSV --out', () => {
  const o = (out: string, embeddings: boolean, format?: ExportFormat) => ({ out, shard: null, format, settings: { embeddings } });

  it('is refused in one sentence naming the file', () => {
    expect(embeddingsProblem(o('results.csv', true))).toBe('--embeddings cannot go to a CSV file (results.csv): write .jsonl or .parquet');
    expect(embeddingsProblem(o('parts/', true, 'csv'))).toBe('--embeddings cannot go to a CSV file (parts/part-00000-of-00001.csv): write .jsonl or .parquet');
    expect(embeddingsProblem(o('results.csv', false))).toBeNull();
    expect(embeddingsProblem(o('results.parquet', true))).toBeNull();
    expect(embeddingsProblem(o('results.jsonl', true))).toBeNull();
  });

  it('is a usage error, said before anything is looked at', async () => {
    const options: ClassifyOptions = { dataset: join(dir, 'no-such-folder'), model: 'google/vit-base-patch16-224', out: 'results.csv', resume: false, retryFailed: false, settings: { embeddings: true }, headed: false, shard: null };
    const checked = await checkInputs(options);
    expect(checked).toMatchObject({ ok: false, reason: '--embeddings cannot go to a CSV file (results.csv): write .jsonl or .parquet' });
    expect(!checked.ok && exitOf(checked)).toBe(EXIT.usage);
  });
});

describe('tench merge', () => {
  const lines = () => {
    const said = { out: [] as string[], err: [] as string[] };
    return { said, io: { out: (l: string) => said.out.push(l), err: (l: string) => said.err.push(l) } };
  };
  const halves = [ROWS.filter((_, i) => i % 2 === 0), ROWS.filter((_, i) => i % 2 === 1)];
  const parts = (format: ExportFormat, options: ExportOptions) => halves.map((rows, i) => write(`part-0000${i}-of-00002.${format}`, exportFile(rows, format, 'results', options)));
  const byPath = [...ROWS].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  it.each([['all', ALL_WITH], ['named', NAMED_WITH]] as const)('of Parquet parts (kept columns %s) with embeddings keeps both in a Parquet file', async (_, options) => {
    const out = join(dir, `merged-${_}.parquet`);
    const { said, io } = lines();
    expect(await merge({ inputs: parts('parquet', options), out }, io)).toBe(EXIT.ok);
    expect(said.err).toEqual([]);
    const types = await duckTypes(out);
    expect(types.embedding).toBe('FLOAT[]');
    const kept = options.columns === 'all' ? ['columns'] : NAMED_OUT;
    expect(types.order).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label', ...kept, 'embedding']);
    const back = await duckRows(out);
    back.forEach((got, i) => {
      expect(got.path).toBe(byPath[i]!.path);
      checkKept(got, byPath[i]!, options, false);
      expect(got.embedding).toEqual(float32(byPath[i]!.embedding));
    });
  });

  it('of Parquet parts into JSONL gives each row its columns as fields and its embedding', async () => {
    const out = join(dir, 'merged.jsonl');
    expect(await merge({ inputs: parts('parquet', ALL_WITH), out }, lines().io)).toBe(EXIT.ok);
    checkJsonl(out, byPath);
  });

  it('of JSONL parts into Parquet gives their fields a column each', async () => {
    const out = join(dir, 'from-jsonl.parquet');
    expect(await merge({ inputs: parts('jsonl', ALL_WITH), out }, lines().io)).toBe(EXIT.ok);
    const types = await duckTypes(out);
    expect(types.embedding).toBe('FLOAT[]');
    const back = await duckRows(out);
    back.forEach((got, i) => {
      checkKept(got, byPath[i]!, NAMED_WITH, false);
      expect(got.embedding).toEqual(float32(byPath[i]!.embedding));
    });
  });

  it('of CSV parts keeps their columns, and into CSV says the embeddings of other parts are left out', async () => {
    const out = join(dir, 'merged.csv');
    expect(await merge({ inputs: parts('csv', NAMED_WITH), out }, lines().io)).toBe(EXIT.ok);
    const parsed = csvRows(out);
    expect(parsed.meta.fields).toEqual(['path', 'label', 'score', 'top_k', 'error', 'true_label', ...NAMED_OUT]);
    parsed.data.forEach((got, i) => checkKept(got, byPath[i]!, NAMED_WITH, true));

    const { said, io } = lines();
    expect(await merge({ inputs: parts('jsonl', ALL_WITH), out: join(dir, 'no-embeddings.csv') }, io)).toBe(EXIT.ok);
    expect(said.err).toEqual(["tench: the parts' embeddings are left out of " + join(dir, 'no-embeddings.csv') + ': CSV has no column for them; merge into .jsonl or .parquet to keep them']);
    expect(csvRows(join(dir, 'no-embeddings.csv')).meta.fields).not.toContain('embedding');
  });
});
