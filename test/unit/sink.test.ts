// Streamed outputs: rows written as they are stored, readable after every write, and a file cut
// short goes on after its last complete row without writing one twice. Read back by DuckDB and
// papaparse, readers independent of tench's own.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../src/cli/output.ts';
import { openOutputs, type StoredRows } from '../../src/cli/sink/outputs.ts';
import { recoverFile } from '../../src/cli/sink/recover.ts';
import { openSink } from '../../src/cli/sink/sink.ts';
import { fileTarget } from '../../src/cli/sink/targets.ts';
import { encoder } from '../../src/store/export-stream.ts';
import type { ExportFormat } from '../../src/store/export.ts';
import type { ResultRow } from '../../src/store/records.ts';

const dir = mkdtempSync(join(tmpdir(), 'tench-sink-'));
let duck: DuckDBConnection;
beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => duck?.closeSync());

// Paths a CSV must quote, and a spreadsheet would take for a formula; every fifth row failed.
function row(i: number): ResultRow {
  const failed = i % 5 === 4;
  return {
    runId: 'run', path: i % 7 === 0 ? `=odd, "name"\n${i}.jpg` : `img-${i}.jpg`, seq: i, order: i,
    label: failed ? null : `class ${i % 3}`, score: failed ? null : 0.5, topK: failed ? [] : [{ index: i % 3, label: `class ${i % 3}`, score: 0.5 }],
    error: failed ? 'not an image' : null, cause: failed ? 'decode_failed' : null, trueLabel: i % 2 ? `class ${i % 3}` : null,
    width: 1, height: 1, size: 1, version: null, fingerprint: 'f', imageKey: null, doneAt: 0,
  };
}
const ROWS = Array.from({ length: 250 }, (_, i) => row(i));

function store(rows: readonly ResultRow[]): StoredRows {
  return {
    byOrder: async (after, limit) => rows.filter((r) => r.order > after).slice(0, limit),
    async standing(path, failuresOnly) {
      const at = rows.find((r) => r.path === path);
      if (!at) return null;
      return { order: at.order, upTo: rows.filter((r) => r.order <= at.order && (!failuresOnly || r.error !== null)).length };
    },
    count: async () => rows.length,
  };
}

const file = (name: string): Destination => ({ kind: 'file', path: join(dir, name), format: name.split('.').pop() as ExportFormat, shown: name });

async function readBack(path: string, format: ExportFormat): Promise<Array<Record<string, unknown>>> {
  if (format === 'jsonl') return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (format === 'csv') return Papa.parse<Record<string, unknown>>(readFileSync(path, 'utf8'), { header: true, skipEmptyLines: true }).data;
  return (await duck.runAndReadAll(`select * from read_parquet('${path}')`)).getRowObjectsJS() as Array<Record<string, unknown>>;
}

describe.each(['jsonl', 'csv', 'parquet'] as const)('a streamed %s output', (format) => {
  it('is readable after every write, with every row once at the end', async () => {
    const path = join(dir, `stream.${format}`);
    const sink = await openSink(await fileTarget(path, 'new'), encoder(format, 'results', { footers: true }), { kind: 'results', grouped: format === 'parquet', fresh: true, rowGroupRows: 40 });
    for (let i = 0; i < ROWS.length; i += 50) {
      await sink.append(ROWS.slice(i, i + 50));
      const seen = await readBack(path, format);
      // Parquet holds back what does not yet fill a row group.
      expect(seen.length).toBe(format === 'parquet' ? Math.floor((i + 50) / 40) * 40 : i + 50);
    }
    await sink.close();
    const all = await readBack(path, format);
    expect(all.map((r) => r.path)).toEqual(ROWS.map((r) => (format === 'csv' && r.path.startsWith('=') ? `'${r.path}` : r.path)));
    expect(all.filter((r) => r.error !== null && r.error !== '').length).toBe(50);
  });

  it('written by two processes, goes on after the first one\'s last row: every row once, in order', async () => {
    const out = file(`two.${format}`);
    const path = (out as { path: string }).path;
    const both = [{ to: out, kind: 'results' as const }, { to: file(`two-failures.${format}`), kind: 'failures' as const }];
    const first = await openOutputs(both, 'new', null, {});
    await first.take(ROWS.slice(0, 120));
    await first.finish(store(ROWS.slice(0, 120)));
    const size = statSync(path).size;

    const found = await recoverFile(path, format);
    expect(found).toMatchObject({ rows: 120, lastPath: ROWS[119]!.path, size });
    // The second process finds ten rows stored after the file's last one, then the run's new ones.
    const again = await openOutputs(both, 'resume', store(ROWS.slice(0, 130)), {});
    expect(again.notes).toEqual([]);
    await again.take(ROWS.slice(130));
    expect(await again.finish(store(ROWS))).toBe(ROWS.length);
    const all = await readBack(path, format);
    expect(all.map((r) => r.path)).toEqual(ROWS.map((r) => (format === 'csv' && r.path.startsWith('=') ? `'${r.path}` : r.path)));
    expect(await readBack(join(dir, `two-failures.${format}`), format)).toHaveLength(50);
    // A Parquet file holds one footer: each row group was written over the one before.
    if (format === 'parquet') expect(readFileSync(path).toString('latin1').split('PAR1').length - 1).toBe(2);
  });

  it('cut short in the middle of a write (a crash, not a kill), keeps its whole rows and gets the rest again', async () => {
    const out = file(`cut.${format}`);
    const path = (out as { path: string }).path;
    const outputs = await openOutputs([{ to: out, kind: 'results' }], 'new', null, {});
    await outputs.take(ROWS.slice(0, 130));
    await outputs.finish(store(ROWS.slice(0, 130)));
    truncateSync(path, statSync(path).size - 9);

    const found = await recoverFile(path, format);
    // Lines lose the last one; a Parquet file its footer, so it has no whole row group left.
    expect(found!.rows).toBe(format === 'parquet' ? 0 : 129);
    const again = await openOutputs([{ to: out, kind: 'results' }], 'resume', store(ROWS.slice(0, 130)), {});
    await again.take(ROWS.slice(130));
    expect(await again.finish(store(ROWS))).toBe(ROWS.length);
    const all = await readBack(path, format);
    expect(all).toHaveLength(ROWS.length);
    expect(new Set(all.map((r) => r.path)).size).toBe(ROWS.length);
  });

  it('is written again when it does not end with rows of its run', async () => {
    const out = file(`other.${format}`);
    const first = await openOutputs([{ to: out, kind: 'results' }], 'new', null, {});
    await first.take([row(1000), row(1001)]);
    await first.finish(store([row(1000), row(1001)]));
    const again = await openOutputs([{ to: out, kind: 'results' }], 'resume', store(ROWS), {});
    expect(again.notes[0]).toMatch(/written again/);
    await again.finish(store(ROWS));
    expect(await readBack((out as { path: string }).path, format)).toHaveLength(ROWS.length);
  });
});

describe('recoverFile', () => {
  it('finds nothing to go on with in a file that has no whole row', async () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '{"path": "half');
    expect(await recoverFile(path, 'jsonl')).toEqual({ rows: 0, lastPath: null, size: 0 });
    expect(await recoverFile(join(dir, 'missing.csv'), 'csv')).toBeNull();
  });
});
