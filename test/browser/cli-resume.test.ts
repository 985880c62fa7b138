// The CLI's runs outlive the process: killed with SIGKILL mid-run, `--resume` goes on from the
// browser profile in the state folder. Its outputs, by extension, are read back by DuckDB and
// uploaded to a real S3 server, by key and by presigned URL.

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3Client } from '../../src/net/s3-client.ts';
import { freshState, readJsonl, runCli } from '../helpers/cli.ts';
import { BROKEN, repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { S3RVER_KEYS, startS3, type S3Server } from '../helpers/s3.ts';
import { spawnCli } from '../helpers/spawn-cli.ts';

const COPIES = 60;

const progress = (l: Record<string, unknown>) => l.type === 'progress';
const ARGS = ['--model', TINY_MODEL, '--device', 'wasm', '--batch-size', '4', '--concurrency', '1'];

describe('tench classify --resume after the process was killed', () => {
  let data: { dir: string; count: number };
  let state: string;
  let duck: DuckDBConnection;

  beforeAll(async () => {
    data = repeatedDataset(COPIES, true);
    state = freshState();
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });

  afterAll(() => duck?.closeSync());

  it('goes on where it stopped: one row per image, nothing stored computed again', async () => {
    const out = tempDir();
    const cli = spawnCli(['classify', data.dir, ...ARGS, '--out', join(out, 'first.jsonl')], { TENCH_STATE: state });
    const seen = await cli.waitFor((l) => progress(l) && (l.done as number) >= 50, 150_000);
    expect(seen.done as number).toBeLessThan(data.count / 2);
    cli.child.kill('SIGKILL');
    await cli.exit;

    const resumed = spawnCli(['classify', data.dir, ...ARGS, '--resume', '--out', join(out, 'all.parquet'), '--failures', join(out, 'failures.csv')], { TENCH_STATE: state });
    const { code, stderr } = await resumed.exit;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/resuming run \S+ \(running\)/);
    const summary = resumed.lines.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', state: 'done', images: data.count, errors: BROKEN.length });
    // What was acknowledged before the kill is stored; the resumed run computed only the rest.
    const stored = summary.resumed as number;
    expect(stored).toBeGreaterThanOrEqual(seen.done as number);
    const last = resumed.lines.filter(progress).at(-1)!;
    const infer = (last.stages as Array<{ name: string; out: number }>).find((s) => s.name === 'infer')!;
    console.log(`resume after SIGKILL: ${seen.done} rows acknowledged before the kill, ${stored} found stored, ${infer.out} classified after, ${data.count} in all`);
    expect(infer.out).toBe(data.count - BROKEN.length - stored);
    // The rate is of what this process computed, over the time it ran: the stored rows are apart.
    expect(summary.computed).toBe(data.count - stored);
    expect(summary.rate as number).toBeCloseTo((summary.computed as number) / (summary.seconds as number), 1);

    const rows = (await duck.runAndReadAll(`select path, label, error from read_parquet('${join(out, 'all.parquet')}')`)).getRowObjectsJS();
    expect(rows).toHaveLength(data.count);
    expect(new Set(rows.map((r) => r.path)).size).toBe(data.count);
    expect(rows.filter((r) => r.error === null && typeof r.label === 'string')).toHaveLength(data.count - BROKEN.length);
    const failures = (await duck.runAndReadAll(`select * from read_csv('${join(out, 'failures.csv')}', header = true)`)).getRowObjectsJS();
    expect(failures.map((f) => f.path).sort()).toEqual(BROKEN.map((b) => b.name).sort());
    expect(failures.every((f) => f.cause === 'decode_failed')).toBe(true);
  });

  it('answers the same images from the store in a new run, and retries only the failed with --retry-failed', async () => {
    const out = tempDir();
    const again = await runCli(['classify', data.dir, ...ARGS, '--out', join(out, 'again.csv'), '--json'], { TENCH_STATE: state });
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ images: data.count, cached: data.count - BROKEN.length, resumed: 0 });

    const retry = await runCli(['classify', data.dir, ...ARGS, '--retry-failed', '--out', join(out, 'retry.jsonl'), '--json'], { TENCH_STATE: state });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toMatch(/retrying the failed images of run/);
    expect(JSON.parse(retry.stdout.trim().split('\n').at(-1)!)).toMatchObject({ images: data.count, errors: BROKEN.length, resumed: data.count - BROKEN.length });
    expect(readJsonl(join(out, 'retry.jsonl'))).toHaveLength(data.count);
  });

  it('refuses a second process on the same state folder in one sentence', async () => {
    // Images the state has never seen, and paused, so the first process is surely still running
    // (a dataset classified before would be answered from the store in a moment).
    const fresh = repeatedDataset(COPIES);
    const cli = spawnCli(['classify', fresh.dir, ...ARGS, '--out', join(tempDir(), 'a.jsonl')], { TENCH_STATE: state });
    await cli.waitFor(progress, 150_000);
    cli.child.kill('SIGUSR2');
    const second = await runCli(['classify', data.dir, ...ARGS, '--out', join(tempDir(), 'b.jsonl')], { TENCH_STATE: state });
    cli.child.kill('SIGTERM');
    await cli.exit;
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n'), second.stderr).toHaveLength(1);
    expect(second.stderr).toMatch(/^tench: .*(another tench|in use)/);
  });
});

describe('tench classify --out to S3', () => {
  let s3: S3Server;
  let data: string;

  beforeAll(async () => {
    s3 = await startS3([{ name: 'results', cors: false }]);
    data = tempDir();
    for (const n of readdirSync(SAMPLES).filter((n) => /\.png$/.test(n)).slice(0, 4)) copyFileSync(join(SAMPLES, n), join(data, n));
  });

  afterAll(async () => {
    await s3?.close();
  });

  const client = () => makeS3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_KEYS });

  async function object(key: string): Promise<string> {
    const c = client();
    try {
      const got = await c.send(new GetObjectCommand({ Bucket: 'results', Key: key }));
      return got.Body!.transformToString();
    } finally {
      c.destroy();
    }
  }

  it('puts the results at an s3:// key with the environment\'s credentials', async () => {
    const r = await runCli(['classify', data, ...ARGS, '--s3-endpoint', s3.endpoint, '--out', 's3://results/runs/one.jsonl'], {
      AWS_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey,
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = (await object('runs/one.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.path).sort()).toEqual(readdirSync(data).sort());
    expect(r.stderr).not.toContain(S3RVER_KEYS.secretAccessKey);
  });

  it('puts the results to a presigned URL, and never prints its signature', async () => {
    const c = client();
    const url = await getSignedUrl(c, new PutObjectCommand({ Bucket: 'results', Key: 'runs/two.csv' }), { expiresIn: 600 });
    c.destroy();
    const r = await runCli(['classify', data, ...ARGS, '--out', url]);
    expect(r.code, r.stderr).toBe(0);
    const csv = await object('runs/two.csv');
    // A streamed CSV has the true_label and columns columns whether or not the dataset gives them.
    expect(csv.split('\r\n')[0]).toBe('path,label,score,top_k,error,true_label,columns');
    expect(csv.trim().split('\r\n')).toHaveLength(5);
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!;
    expect(r.stdout + r.stderr).not.toContain(signature);
  });

  it('says in one sentence what is wrong with an output name', async () => {
    const r = await runCli(['classify', data, ...ARGS, '--out', 'results.json']);
    // A bad flag value: exit 2, as for any usage error.
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('tench: --out results.json: the name must end in .jsonl, .csv or .parquet, which says the format');
  });
});
