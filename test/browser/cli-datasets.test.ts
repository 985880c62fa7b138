// The datasets users already have: WebDataset tar shards (made here with Python's tarfile) and
// Parquet files (written by DuckDB), read by tench classify. Expected labels come from the
// PyTorch reference, never from tench.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshState, readJsonl, runCli, summary } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { runWatched } from '../helpers/processes.ts';
import { byPath, expectHfRows, hfParquet, makeShard, reference } from '../helpers/containers.ts';
import { startS3 } from '../helpers/s3.ts';

const labels = Object.values((JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { id2label: Record<string, string> }).id2label);


describe('tench classify on WebDataset shards', () => {
  const dir = tempDir();
  const images = reference.slice(0, 4);

  beforeAll(() => {
    const classes = images.map(([, ref]) => ref.top_k[0]!.index);
    makeShard(join(dir, 'shard-000000.tar'), 4, images.map(([name]) => join(SAMPLES, name)), classes);
    makeShard(join(dir, 'shard-000001.tar'), 4, images.map(([name]) => join(SAMPLES, name)), classes);
  });

  it('gives a row per sample with its .cls as the true label, and its txt and json as columns', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', join(dir, 'shard-000000.tar'), '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = byPath(readJsonl(out));
    expect([...rows.keys()].sort()).toEqual(['sample000000', 'sample000001', 'sample000002', 'sample000003'].map((k) => `shard-000000.tar/${k}`));
    images.forEach(([, ref], i) => {
      const row = rows.get(`shard-000000.tar/sample${String(i).padStart(6, '0')}`)!;
      expect(row.label).toBe(ref.top_k[0]!.label);
      expect(row.true_label).toBe(labels[ref.top_k[0]!.index]);
      expect(row.txt).toBe(`caption ${i}`);
      expect(row.id).toBe(i);
      expect(row.source).toBe('test');
    });
    expect(r.stderr).toContain('accuracy 100.0% (4 of 4 labelled images)');
  });

  it('passes over a shard cut short, naming it and where, and keeps the samples before the cut', async () => {
    const whole = readFileSync(join(dir, 'shard-000000.tar'));
    // The third sample's image starts past the first two samples' members: cut inside it.
    const cutAt = whole.indexOf(Buffer.from('sample000002.'));
    const cut = join(tempDir(), 'cut.tar');
    writeFileSync(cut, whole.subarray(0, cutAt + 1024));
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', cut, '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^skipped 1 file, each a \.tar or \.parquet file that could not be read to its end \(the first: cut\.tar: the tar file ends inside sample000002\.\w+: it was cut short\)$/m);
    expect(readJsonl(out).map((row) => [row.path, row.error]).sort()).toEqual([['cut.tar/sample000000', null], ['cut.tar/sample000001', null]]);
  });

  it('says in one sentence why a file named .tar that is no tar gives no images', async () => {
    const file = join(tempDir(), 'notes.tar');
    writeFileSync(file, 'these are notes, not an archive\n');
    const r = await runCli(['classify', file, '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'out.jsonl')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^tench: no images in .*notes\.tar: 1 file skipped: 1 a \.tar or \.parquet file that could not be read to its end \(the first: notes\.tar: the tar file .*\)$/);
  });

  it('reads a brace pattern of shards, split by sample among shards, and resumes by sample', async () => {
    const pattern = join(dir, 'shard-{000000..000001}.tar');
    const state = freshState();
    const parts = [];
    for (const shard of ['0/2', '1/2']) {
      const out = join(tempDir(), 'part.jsonl');
      const r = await runCli(['classify', pattern, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--shard', shard, '--state', state]);
      expect(r.code, r.stderr).toBe(0);
      parts.push(readJsonl(out).map((row) => row.path));
    }
    const all = [...parts[0]!, ...parts[1]!].sort();
    expect(all).toHaveLength(8);
    expect(new Set(all).size).toBe(8);
    expect(all.filter((p) => p.startsWith('shard-000001.tar/'))).toHaveLength(4);
    const again = await runCli(['classify', pattern, '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'again.jsonl'), '--shard', '0/2', '--state', state, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    // Nothing computed twice: each sample is found again by its path and its shard's version.
    const seen = summary(again.stdout)!;
    expect(seen.images).toBe(parts[0]!.length);
    expect(seen.resumed + seen.reused).toBe(parts[0]!.length);
  });
});

describe('a long WebDataset shard', () => {
  it('runs 10,000 samples in the memory of 1,000: read as a stream, never whole', async () => {
    const dir = tempDir();
    const images = reference.slice(0, 8).map(([name]) => join(SAMPLES, name));
    makeShard(join(dir, 'small.tar'), 1_000, images, [0]);
    makeShard(join(dir, 'large.tar'), 10_000, images, [0]);
    const args = (file: string) => ['classify', join(dir, file), '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'out.jsonl')];
    const small = await runWatched(args('small.tar'), 300_000);
    expect(small.code, small.stderr).toBe(0);
    const large = await runWatched(args('large.tar'), 600_000);
    expect(large.code, large.stderr).toBe(0);
    expect(summary(small.stdout)?.images).toBe(1_000);
    expect(summary(large.stdout)?.images).toBe(10_000);
    const MiB = 1024 * 1024;
    console.log(`peak RSS of the browser: 1,000 samples ${(small.summedRss / MiB).toFixed(0)} MiB, 10,000 samples ${(large.summedRss / MiB).toFixed(0)} MiB (${(large.summedRss / small.summedRss).toFixed(3)}x)`);
    expect(large.summedRss / small.summedRss).toBeLessThan(1.15);
  }, 960_000);
});

describe('tench classify on Parquet files', () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    // Images at URLs, for the URL column: a server of the sample folder, readable by any page.
    server = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      try {
        const bytes = readFileSync(join(SAMPLES, name));
        res.writeHead(200, { 'access-control-allow-origin': '*', 'content-length': bytes.length }).end(bytes);
      } catch {
        res.writeHead(404, { 'access-control-allow-origin': '*' }).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('reads the Hugging Face layout: an image struct of bytes and path, and a label column that the evaluation counts', async () => {
    const file = await hfParquet(tempDir());
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', file, '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expectHfRows(readJsonl(out), 'train-00000-of-00001.parquet');
    expect(r.stderr).toContain('accuracy 50.0% (3 of 6 labelled images)');
  });

  it('reads Parquet files and shards under an S3 prefix, by ranges and as a stream', async () => {
    const s3 = await startS3([{ name: 'datasets', cors: true }]);
    try {
      const dir = tempDir();
      await hfParquet(dir);
      makeShard(join(dir, 'shard.tar'), 3, reference.slice(0, 3).map(([name]) => join(SAMPLES, name)), [0]);
      await s3.upload('datasets', 'mixed/', dir);
      const out = join(tempDir(), 'out.jsonl');
      const r = await runCli(['classify', 's3://anonymous@datasets/mixed/', '--s3-endpoint', s3.endpoint, '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const rows = readJsonl(out);
      expect(rows).toHaveLength(9);
      expectHfRows(rows.filter((row) => row.path.startsWith('mixed/train-')), 'mixed/train-00000-of-00001.parquet');
      expect(rows.filter((row) => row.path.startsWith('mixed/shard.tar/')).map((row) => row.error)).toEqual([null, null, null]);
    } finally {
      await s3.close();
    }
  });

  it('reads images from a URL column, keeping only the columns asked for', async () => {
    const dir = tempDir();
    const file = join(dir, 'urls.parquet');
    const chosen = reference.slice(0, 3);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run('create table t (url varchar, caption varchar, score double)');
    for (const [i, [name]] of chosen.entries()) await duck.run(`insert into t values ('${origin}/${encodeURIComponent(name)}', 'caption ${i}', ${i / 2})`);
    await duck.run(`insert into t values ('${origin}/missing.png', 'gone', 0)`);
    await duck.run(`copy t to '${file}' (format parquet)`);
    duck.closeSync();
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', file, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--keep-columns', 'caption']);
    expect(r.code, r.stderr).toBe(0);
    const rows = byPath(readJsonl(out));
    expect(rows.size).toBe(4);
    chosen.forEach(([, ref], i) => {
      const row = rows.get(`urls.parquet/${i}`)!;
      expect(row.label).toBe(ref.top_k[0]!.label);
      expect(row.caption).toBe(`caption ${i}`);
      expect(row).not.toHaveProperty('input_score');
    });
    expect(rows.get('urls.parquet/3')!.error).toMatch(/^fetch_failed: HTTP 404/);
  });
});
