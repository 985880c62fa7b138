// --out is written while the run goes on: a CLI killed with SIGKILL halfway leaves a file whose
// every complete row is readable as it is, and --resume completes that same file without writing
// a row twice. JSONL and CSV are read line by line, Parquet by DuckDB.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshState } from '../helpers/cli.ts';
import { repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { spawnCli } from '../helpers/spawn-cli.ts';

// One session, small batches: slow enough that the pause lands well before the end.
// Two downloads in flight (of 16 images each, from the folder's server) rather than 16: what is
// already on its way when the run pauses still finishes.
const ARGS = ['--model', TINY_MODEL, '--device', 'wasm', '--concurrency', '1', '--batch-size', '4', '--fetch-concurrency', '2'];

describe('a CLI run killed halfway', () => {
  let data: { dir: string; count: number };
  let duck: DuckDBConnection;

  beforeAll(async () => {
    // 1,200 images: with 600, what was in flight when the run paused at 300 (up to a second of
    // progress at 200 images/s, and the queues) sometimes carried it to its end before the kill.
    data = repeatedDataset(100);
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => duck?.closeSync());

  const paths = async (file: string, format: string): Promise<string[]> => {
    if (format === 'jsonl') return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { path: string }).path);
    if (format === 'csv') return Papa.parse<{ path: string }>(readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true }).data.map((r) => r.path);
    return (await duck.runAndReadAll(`select path from read_parquet('${file}')`)).getRowObjectsJS().map((r) => r.path as string);
  };

  it.each(['jsonl', 'csv', 'parquet'])('leaves a readable %s file that --resume completes, no row twice', async (format) => {
    expect(data.count).toBe(1200);
    const state = freshState();
    const out = join(tempDir(), `results.${format}`);
    const cli = spawnCli(['classify', data.dir, ...ARGS, '--out', out], { TENCH_STATE: state });
    await cli.waitFor((l) => l.type === 'progress' && (l.done as number) >= 300, 180_000);
    // Held there (SIGUSR2 pauses), so that a fast machine does not finish first; Parquet writes
    // a row group once its first row has waited 2 s, so the kill comes 3 s after the pause.
    cli.child.kill('SIGUSR2');
    await cli.waitFor((l) => l.type === 'progress' && l.state === 'paused', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    cli.child.kill('SIGKILL');
    await cli.exit;

    const before = await paths(out, format);
    console.log(`${format}: ${before.length} complete rows in --out when killed after 300 were stored`);
    expect(before.length).toBeLessThan(data.count);
    expect(before.length).toBeGreaterThan(150);
    expect(new Set(before).size).toBe(before.length);

    const resumed = spawnCli(['classify', data.dir, ...ARGS, '--resume', '--out', out], { TENCH_STATE: state });
    const { code, stderr } = await resumed.exit;
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/written again/);
    const after = await paths(out, format);
    expect(after).toHaveLength(data.count);
    expect(new Set(after).size).toBe(data.count);
    // The rows there before the kill are still first, as they were.
    expect(after.slice(0, before.length)).toEqual(before);
  });
});
