// Sharding end to end: four CLI processes, each with its own shard and state, write their parts
// into one folder; `tench merge` joins them and refuses a set of parts that is not exactly whole.
// The parts are read back by DuckDB, a reader independent of tench's own.

import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partName } from '../../src/cli/shard-flags.ts';
import { makeS3Client } from '../../src/net/s3-client.ts';
import { shardOf } from '../../src/datasets/shard.ts';
import type { ExportFormat } from '../../src/store/export.ts';
import { freshState, readJsonl, runCli, summary, type CliResult } from '../helpers/cli.ts';
import { BROKEN, repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { S3RVER_KEYS, startS3 } from '../helpers/s3.ts';

const SHARDS = 4;
/** One format per shard: merge takes parts in any of them. */
const FORMATS: readonly ExportFormat[] = ['jsonl', 'parquet', 'csv', 'jsonl'];
const ARGS = ['--model', TINY_MODEL, '--device', 'wasm', '--batch-size', '4', '--concurrency', '1'];
const RUN_MS = 400_000;

const sorted = (paths: Iterable<string>) => [...paths].sort();
const oneSentence = (r: CliResult) => r.stderr.trim().split('\n');

describe('tench classify --shard i/n, then tench merge', () => {
  let data: { dir: string; count: number };
  let files: string[];
  let out: string;
  const states: string[] = [];
  const parts: string[] = [];
  let duck: DuckDBConnection;

  async function pathsOf(file: string, format: ExportFormat): Promise<string[]> {
    const read = format === 'parquet' ? 'read_parquet' : format === 'csv' ? 'read_csv' : 'read_json';
    const rows = (await duck.runAndReadAll(`select path from ${read}('${file}')`)).getRowObjectsJS();
    return rows.map((r) => String(r.path));
  }

  beforeAll(async () => {
    data = repeatedDataset(3, true);
    files = readdirSync(data.dir);
    out = tempDir();
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(() => duck?.closeSync());

  it('splits the folder among four processes: disjoint parts that cover it, each the shard its hash says', async () => {
    expect(files).toHaveLength(data.count);
    const runs = await Promise.all(Array.from({ length: SHARDS }, (_, i) => {
      states[i] = freshState();
      return runCli(['classify', data.dir, ...ARGS, '--shard', `${i}/${SHARDS}`, '--out', `${out}/`, '--format', FORMATS[i]!], { TENCH_STATE: states[i] }, RUN_MS);
    }));
    const sizes: number[] = [];
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      parts[i] = join(out, partName({ index: i, count: SHARDS }, FORMATS[i]!));
      expect(r.stderr).toContain(`wrote ${summary(r.stdout)?.images} rows to ${parts[i]}`);
      expect(r.stderr).toContain(`(shard ${i} of ${SHARDS})`);
      const paths = await pathsOf(parts[i]!, FORMATS[i]!);
      expect(sorted(paths)).toEqual(sorted(files.filter((f) => shardOf(f, SHARDS) === i)));
      expect(summary(r.stdout)?.images).toBe(paths.length);
      sizes.push(paths.length);
    }
    console.log(`shard sizes of ${data.count} images in ${SHARDS} shards: ${sizes.join(', ')}`);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.count);
    expect(sorted(readdirSync(out))).toEqual(sorted(parts.map((p) => p.slice(out.length + 1))));
  }, RUN_MS + 60_000);

  it('merges the parts into one file sorted by path, each image of the folder exactly once', async () => {
    const merged = join(out, 'merged.jsonl');
    const r = await runCli(['merge', ...[...parts].reverse(), '--out', merged, '--expect-from', data.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`merged ${data.count} rows from ${SHARDS} parts into ${merged}`);
    const rows = readJsonl(merged);
    expect(rows.map((row) => row.path)).toEqual(sorted(files));
    for (const broken of BROKEN) expect(rows.find((row) => row.path === broken.name)?.error).toMatch(broken.reason);
    expect(rows.filter((row) => row.error === null)).toHaveLength(data.count - BROKEN.length);

    const parquet = join(out, 'merged.parquet');
    expect((await runCli(['merge', ...parts, '--out', parquet])).code).toBe(0);
    expect(await pathsOf(parquet, 'parquet')).toEqual(sorted(files));
  });

  it('refuses a missing part, a part given twice, and an image in two parts, in one sentence', async () => {
    const missing = await runCli(['merge', parts[0]!, parts[1]!, parts[3]!, '--out', join(out, 'm1.jsonl')]);
    expect(missing.code).toBe(1);
    expect(oneSentence(missing)).toEqual([`tench: 1 of the ${SHARDS} parts is missing: part-00002-of-00004`]);

    const twice = await runCli(['merge', ...parts, parts[2]!, '--out', join(out, 'm2.jsonl')]);
    expect(twice.code).toBe(1);
    expect(oneSentence(twice)).toEqual([`tench: ${parts[2]} is given twice`]);

    // Files that are not named as parts, one holding an image of the other: only the paths tell.
    const copy = join(out, 'copy.jsonl');
    const stray = join(out, 'stray.jsonl');
    copyFileSync(parts[0]!, copy);
    const strayPath = readJsonl(parts[0]!)[0]!.path;
    writeFileSync(stray, readFileSync(parts[3]!, 'utf8') + readFileSync(parts[0]!, 'utf8').split('\n')[0] + '\n');
    const doubled = await runCli(['merge', copy, stray, '--out', join(out, 'm3.jsonl')]);
    expect(doubled.code).toBe(1);
    expect(oneSentence(doubled)).toEqual([`tench: 1 path has more than one row: ${strayPath}`]);

    const short = await runCli(['merge', copy, '--out', join(out, 'm4.jsonl'), '--expect-from', data.dir]);
    expect(short.code).toBe(1);
    expect(oneSentence(short)).toHaveLength(1);
    expect(short.stderr).toMatch(new RegExp(`^tench: \\d+ of the ${data.count} images of .* ha(s|ve) no row: `));
  });

  it('takes its shard from JOB_COMPLETION_INDEX and TENCH_SHARDS, and never goes on with another shard\'s run', async () => {
    const folder = tempDir();
    // Shard 1's state: --retry-failed looks for the newest run of this dataset, model and shard.
    const r = await runCli(['classify', data.dir, ...ARGS, '--retry-failed', '--out', `${folder}/`], { TENCH_STATE: states[1], JOB_COMPLETION_INDEX: '2', TENCH_SHARDS: String(SHARDS) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no run of this dataset, shard and model to go on with: starting a new one');
    const part = join(folder, partName({ index: 2, count: SHARDS }, 'jsonl'));
    expect(sorted(readJsonl(part).map((row) => row.path))).toEqual(sorted(await pathsOf(parts[2]!, 'csv')));

    const again = await runCli(['classify', data.dir, ...ARGS, '--retry-failed', '--shard', `1/${SHARDS}`, '--out', `${folder}/`], { TENCH_STATE: states[1] });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/retrying the failed images of run \S+ \(done\)/);
    expect(sorted(readJsonl(join(folder, partName({ index: 1, count: SHARDS }, 'jsonl'))).map((row) => row.path))).toEqual(sorted(await pathsOf(parts[1]!, 'parquet')));
  });

  it('says what is wrong with a shard in one sentence, before any browser starts', async () => {
    const bad = await runCli(['classify', data.dir, ...ARGS, '--shard', '4/4']);
    expect(bad.code).toBe(2);
    expect(oneSentence(bad)).toHaveLength(1);
    expect(bad.stderr).toContain('--shard takes i/n');

    const noCount = await runCli(['classify', data.dir, ...ARGS], { JOB_COMPLETION_INDEX: '2', TENCH_SHARDS: '' });
    expect(noCount.code).toBe(2);
    expect(oneSentence(noCount)).toEqual(['tench: JOB_COMPLETION_INDEX is 2 but the number of shards is unknown: pass --shards N or set TENCH_SHARDS (in a Kubernetes Indexed Job, to the Job\'s completions)']);
  });

  it('writes its parts under an S3 prefix, and the merge checks them against the S3 listing', async () => {
    const s3 = await startS3([{ name: 'tench-images', cors: true }]);
    const client = makeS3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_KEYS });
    try {
      const keys = await s3.upload('tench-images', 'data/', repeatedDataset(1, true).dir);
      const env = { AWS_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey };
      const runs = await Promise.all([0, 1].map((i) => runCli(['classify', 's3://anonymous@tench-images/data/', '--s3-endpoint', s3.endpoint, ...ARGS,
        '--shard', `${i}/2`, '--out', 's3://tench-images/out/', '--format', 'parquet'], env, RUN_MS)));
      const local = tempDir();
      const downloaded: string[] = [];
      for (const [i, r] of runs.entries()) {
        expect(r.code, r.stderr).toBe(0);
        const name = partName({ index: i, count: 2 }, 'parquet');
        expect(r.stderr).toContain(`to s3://tench-images/out/${name}`);
        const object = await client.send(new GetObjectCommand({ Bucket: 'tench-images', Key: `out/${name}` }));
        downloaded.push(join(local, name));
        writeFileSync(downloaded[i]!, await object.Body!.transformToByteArray());
        expect(sorted(await pathsOf(downloaded[i]!, 'parquet'))).toEqual(sorted(keys.filter((k) => shardOf(k, 2) === i)));
      }
      const merged = join(local, 'merged.csv');
      const r = await runCli(['merge', ...downloaded, '--out', merged, '--expect-from', 's3://anonymous@tench-images/data/', '--s3-endpoint', s3.endpoint]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`merged ${keys.length} rows from 2 parts into ${merged}`);
      expect(await pathsOf(merged, 'csv')).toEqual(sorted(keys));

      // The same parts read where the shards wrote them: the same merged file, byte for byte.
      const fromS3 = join(local, 'merged-from-s3.csv');
      const written = [0, 1].map((i) => `s3://tench-images/out/${partName({ index: i, count: 2 }, 'parquet')}`);
      const again = await runCli(['merge', ...written, '--out', fromS3, '--expect-from', 's3://anonymous@tench-images/data/', '--s3-endpoint', s3.endpoint], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout.trim()).toBe(`merged ${keys.length} rows from 2 parts into ${fromS3}`);
      expect(readFileSync(fromS3, 'utf8')).toBe(readFileSync(merged, 'utf8'));
      // A key that is not there, beside one that is: one sentence naming it, and no output.
      const absent = 's3://tench-images/out/part-00001-of-00002.jsonl';
      const gone = await runCli(['merge', written[0]!, absent, '--out', join(local, 'gone.csv'), '--s3-endpoint', s3.endpoint], env);
      expect(gone.code).toBe(1);
      expect(oneSentence(gone)).toEqual([expect.stringContaining(`tench: cannot read ${absent}: `)]);
      expect(existsSync(join(local, 'gone.csv'))).toBe(false);
    } finally {
      client.destroy();
      await s3.close();
    }
  }, RUN_MS);
});
