// Sharding: the hash that splits a dataset, the shard a process takes from its flags or its batch
// system, the part files' names, and the checks `tench merge` makes before it joins them.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraArgs } from '../../src/cli/browser.ts';
import { checkParts, coverageProblem, doubledPaths, readResults } from '../../src/cli/merge.ts';
import { chooseDestination, inFolder } from '../../src/cli/output.ts';
import { parseShard, partName, partOf, resolveShard } from '../../src/cli/shard-flags.ts';
import type { Item } from '../../src/core/item.ts';
import { fnv1a32, inShard, pathHash, sameShard, shardOf } from '../../src/datasets/shard.ts';
import { exportFile, formatOf, toExportRecord, type ExportFormat } from '../../src/store/export.ts';
import type { ResultRow } from '../../src/store/results.ts';

/** Imagenette's layout: a WordNet folder and a numbered JPEG, 10,000 of them. */
const PATHS = Array.from({ length: 10_000 }, (_, i) => `n0${1440764 + (i % 10) * 37}/ILSVRC2012_val_${String(i * 7 + 3).padStart(8, '0')}.JPEG`);

async function collect(items: AsyncIterable<Item>): Promise<string[]> {
  const paths: string[] = [];
  for await (const item of items) paths.push(item.path);
  return paths;
}

async function* listing(paths: readonly string[]): AsyncGenerator<Item> {
  for (const path of paths) yield { path, source: { kind: 'url', url: `https://x/${path}` } };
}

describe('pathHash', () => {
  it('is FNV-1a over UTF-8, finished by murmur3\'s mixer, with the same numbers everywhere', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    // The published FNV-1a test vectors.
    expect(fnv1a32(utf8(''))).toBe(0x811c9dc5);
    expect(fnv1a32(utf8('a'))).toBe(0xe40c292c);
    expect(fnv1a32(utf8('foobar'))).toBe(0xbf9cf968);
    // Pinned: a change here moves images between the shards of runs already made.
    expect(pathHash('a')).toBe(444641715);
    expect(pathHash('n01440764/ILSVRC2012_val_00000293.JPEG')).toBe(644627049);
    expect(pathHash('猫/é.png')).toBe(2839004609);
    expect(pathHash('astronaut-224.png')).toBe(587578612);
    expect(shardOf('n01440764/ILSVRC2012_val_00000293.JPEG', 16)).toBe(9);
  });

  for (const count of [1, 2, 4, 16]) {
    it(`splits 10,000 paths into ${count} disjoint shards that cover them, evenly`, async () => {
      const shards = await Promise.all(Array.from({ length: count }, (_, index) => collect(inShard(listing(PATHS), { index, count }))));
      const all = shards.flat();
      expect(all).toHaveLength(PATHS.length);
      expect(new Set(all)).toEqual(new Set(PATHS));
      shards.forEach((paths, index) => expect(paths.every((p) => shardOf(p, count) === index)).toBe(true));
      // Each share is binomial; five standard deviations is far outside chance.
      const mean = PATHS.length / count;
      const sd = Math.sqrt(mean * (1 - 1 / count));
      for (const paths of shards) expect(Math.abs(paths.length - mean)).toBeLessThanOrEqual(5 * sd);
    });
  }

  it('balances paths whose bytes differ only in their high bits', () => {
    // Every 6-letter word over A, Q, a, q (0x41, 0x51, 0x61, 0x71): the bytes share their low four
    // bits, so FNV-1a's low four bits are the same for all 4096, and so is FNV-1a % 16.
    const letters = ['A', 'Q', 'a', 'q'];
    const paths = Array.from({ length: 4096 }, (_, i) => Array.from({ length: 6 }, (_, j) => letters[Math.floor(i / 4 ** j) % 4]).join(''));
    expect(new Set(paths.map((p) => fnv1a32(new TextEncoder().encode(p)) % 16)).size).toBe(1);
    const sizes = Array.from({ length: 16 }, (_, index) => paths.filter((p) => shardOf(p, 16) === index).length);
    expect(Math.min(...sizes)).toBeGreaterThan(256 - 5 * 16);
    expect(Math.max(...sizes)).toBeLessThan(256 + 5 * 16);
  });

  it('keeps everything when there is no shard', async () => {
    expect(await collect(inShard(listing(PATHS.slice(0, 10)), null))).toEqual(PATHS.slice(0, 10));
    expect(sameShard(null, undefined)).toBe(true);
    expect(sameShard({ index: 1, count: 4 }, { index: 1, count: 4 })).toBe(true);
    expect(sameShard({ index: 1, count: 4 }, { index: 2, count: 4 })).toBe(false);
    expect(sameShard({ index: 0, count: 1 }, null)).toBe(false);
  });
});

describe('which shard a process takes', () => {
  it('reads --shard i/n', () => {
    expect(parseShard('3/16')).toEqual({ ok: true, value: { index: 3, count: 16 } });
    expect(parseShard('0/1')).toEqual({ ok: true, value: { index: 0, count: 1 } });
    for (const bad of ['4/4', '-1/4', '1/0', '1', 'a/b', '1/4/8', '']) {
      expect(parseShard(bad), bad).toMatchObject({ ok: false, reason: expect.stringMatching(/^--shard takes i\/n, .* got ".*"$/) });
    }
  });

  it('takes the index from a Kubernetes Indexed Job or an AWS Batch array, the count from --shards or TENCH_SHARDS', () => {
    expect(resolveShard({}, {})).toEqual({ ok: true, value: null });
    expect(resolveShard({ shard: { index: 1, count: 4 } }, { JOB_COMPLETION_INDEX: '3', TENCH_SHARDS: '16' })).toEqual({ ok: true, value: { index: 1, count: 4 } });
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '2', TENCH_SHARDS: '4' })).toEqual({ ok: true, value: { index: 2, count: 4 } });
    expect(resolveShard({ shards: 8 }, { JOB_COMPLETION_INDEX: '7', TENCH_SHARDS: '4' })).toEqual({ ok: true, value: { index: 7, count: 8 } });
    expect(resolveShard({}, { AWS_BATCH_JOB_ARRAY_INDEX: '0', TENCH_SHARDS: '2' })).toEqual({ ok: true, value: { index: 0, count: 2 } });
  });

  it('refuses a shard it cannot pin down, in one sentence', () => {
    const cases: Array<[Parameters<typeof resolveShard>, RegExp]> = [
      [[{}, { JOB_COMPLETION_INDEX: '3' }], /^JOB_COMPLETION_INDEX is 3 but the number of shards is unknown: pass --shards N or set TENCH_SHARDS/],
      [[{}, { TENCH_SHARDS: '4' }], /^TENCH_SHARDS says 4 shards but not which one this is/],
      [[{ shards: 4 }, {}], /^--shards says 4 shards but not which one this is/],
      [[{}, { JOB_COMPLETION_INDEX: '4', TENCH_SHARDS: '4' }], /^JOB_COMPLETION_INDEX is 4, not below the 4 shards that TENCH_SHARDS gives$/],
      [[{}, { JOB_COMPLETION_INDEX: 'x', TENCH_SHARDS: '4' }], /^JOB_COMPLETION_INDEX must be a whole number/],
      [[{}, { JOB_COMPLETION_INDEX: '1', TENCH_SHARDS: '0' }], /^TENCH_SHARDS must be a whole number of at least 1/],
      [[{ shard: { index: 1, count: 4 }, shards: 8 }, {}], /^--shard 1\/4 and --shards 8 disagree/],
    ];
    for (const [args, reason] of cases) {
      const got = resolveShard(...args);
      expect(got, JSON.stringify(args)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
      expect((got as { reason: string }).reason).not.toContain('\n');
    }
  });
});

describe('part files', () => {
  it('are named as Spark and Hadoop name them, and read back', () => {
    expect(partName({ index: 3, count: 16 }, 'parquet')).toBe('part-00003-of-00016.parquet');
    expect(partName({ index: 3, count: 16 }, 'csv', 'failures')).toBe('failures-00003-of-00016.csv');
    expect(partName({ index: 123456, count: 200000 }, 'jsonl')).toBe('part-123456-of-200000.jsonl');
    expect(partOf('out/part-00003-of-00016.parquet')).toEqual({ index: 3, count: 16 });
    expect(partOf('part-00016-of-00016.jsonl')).toBeNull();
    expect(partOf('results.jsonl')).toBeNull();
  });

  it('go inside a folder or an S3 prefix that --out names with a trailing slash', () => {
    const shard = { index: 3, count: 16 };
    expect(inFolder('--out', 'results/', { shard, format: 'parquet' })).toEqual({ ok: true, value: 'results/part-00003-of-00016.parquet' });
    expect(inFolder('--out', 's3://bucket/tench/', { shard })).toEqual({ ok: true, value: 's3://bucket/tench/part-00003-of-00016.jsonl' });
    expect(inFolder('--out', 'results/', { shard: null })).toEqual({ ok: true, value: 'results/part-00000-of-00001.jsonl' });
    expect(inFolder('--failures', 'results/', { shard, format: 'csv', base: 'failures' })).toEqual({ ok: true, value: 'results/failures-00003-of-00016.csv' });
    expect(inFolder('--out', 'mine.csv', { shard, format: 'csv' })).toEqual({ ok: true, value: 'mine.csv' });
    expect(inFolder('--out', 'mine.csv', { shard, format: 'parquet' })).toEqual({ ok: false, reason: '--out mine.csv names a csv file but --format says parquet', exit: 2 });
    expect(inFolder('--out', 'https://h/k.csv?X-Amz-Signature=secret', { shard, format: 'jsonl' })).toEqual({ ok: false, reason: '--out https://h/k.csv names a csv file but --format says jsonl', exit: 2 });
    expect(chooseDestination('--out', 's3://bucket/tench/', { shard, format: 'parquet' })).toMatchObject({ ok: true, value: { kind: 's3', bucket: 'bucket', key: 'tench/part-00003-of-00016.parquet', format: 'parquet' } });
    // Without the folder rule, a folder is still no file name.
    expect(chooseDestination('--out', 'results/')).toMatchObject({ ok: false });
  });

  it('are all there, once each, before they are merged', () => {
    const parts = (n: number, indexes: number[]) => indexes.map((i) => `out/${partName({ index: i, count: n }, 'jsonl')}`);
    expect(checkParts(parts(4, [2, 0, 3, 1]))).toEqual({ ok: true, value: 4 });
    expect(checkParts(['a.jsonl', 'b.csv'])).toEqual({ ok: true, value: null });
    expect(checkParts(parts(4, [0, 1, 3]))).toEqual({ ok: false, reason: '1 of the 4 parts is missing: part-00002-of-00004' });
    expect(checkParts(parts(16, [0]))).toEqual({ ok: false, reason: '15 of the 16 parts are missing: part-00001-of-00016, part-00002-of-00016, part-00003-of-00016 and 12 more' });
    expect(checkParts([...parts(4, [0, 1, 2, 3]), 'out/part-00001-of-00004.jsonl'])).toEqual({ ok: false, reason: 'out/part-00001-of-00004.jsonl is given twice' });
    expect(checkParts([...parts(4, [0, 1, 2, 3]), 'other/part-00001-of-00004.csv'])).toEqual({ ok: false, reason: 'part 1 of 4 is given twice: out/part-00001-of-00004.jsonl and other/part-00001-of-00004.csv' });
    expect(checkParts([...parts(2, [0]), ...parts(4, [1])])).toMatchObject({ ok: false, reason: expect.stringContaining('are parts of different numbers of shards') });
    expect(checkParts([...parts(2, [0, 1]), 'extra.jsonl'])).toMatchObject({ ok: false, reason: expect.stringContaining('extra.jsonl is not named like the other inputs') });
    // S3 keys are parts as files are, a key given twice is refused as a file is.
    const keys = [0, 1].map((i) => `s3://bucket/out/part-0000${i}-of-00002.parquet`);
    expect(checkParts(keys)).toEqual({ ok: true, value: 2 });
    expect(checkParts([...keys, keys[1]!])).toEqual({ ok: false, reason: `${keys[1]} is given twice` });
  });

  it('hold no image twice, and every image of the dataset once', () => {
    const r = (path: string) => ({ path, label: null, score: null, top_k: [], error: null });
    expect(doubledPaths([r('a'), r('b')])).toBeNull();
    expect(doubledPaths([r('a'), r('b'), r('a'), r('c'), r('b'), r('a')])).toBe('2 paths have more than one row: a, b');
    expect(coverageProblem([r('a'), r('b')], new Set(['a', 'b']), 'data/')).toBeNull();
    expect(coverageProblem([r('a')], new Set(['a', 'b']), 'data/')).toBe('1 of the 2 images of data/ has no row: b');
    expect(coverageProblem([r('a'), r('z')], new Set(['a']), 'data/')).toBe('1 row is for images data/ does not list: z');
  });
});

describe('reading part files back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tench-merge-'));
  const row = (i: number, over: Partial<ResultRow>): ResultRow => ({
    runId: 'run', path: `img-${i}.jpg`, seq: i, order: i, label: null, score: null, topK: [], error: null, cause: null, trueLabel: null,
    width: 10, height: 10, size: 100, version: null, fingerprint: 'f', imageKey: null, doneAt: 0, ...over,
  });
  const ROWS: ResultRow[] = [
    row(0, { path: 'n01440764/tench, fish.JPEG', label: 'tench, Tinca tinca', score: 0.5, topK: [{ index: 0, label: 'tench, Tinca tinca', score: 0.5 }, { index: 1, label: 'a "quoted" label', score: 0.25 }], trueLabel: 'tench, Tinca tinca' }),
    row(1, { path: 'lines/first\nsecond\r\nthird.png', label: 'é 猫 🐟', score: 1e-7, topK: [{ index: 2, label: 'é 猫 🐟', score: 1e-7 }] }),
    row(2, { path: 'broken.jpg', error: 'not an image: the file is text', cause: 'decode_failed' }),
  ];

  for (const format of ['jsonl', 'csv', 'parquet'] as ExportFormat[]) {
    it(`reads ${format} as tench wrote it`, async () => {
      const file = join(dir, `part-00000-of-00001.${format}`);
      writeFileSync(file, exportFile(ROWS, format));
      expect(formatOf(file)).toBe(format);
      // The settings' defaults keep every column: CSV and Parquet have them in one `columns` column.
      expect(await readResults(file)).toEqual({ ok: true, value: { records: ROWS.map(toExportRecord), named: [], packed: format !== 'jsonl', embedding: false } });
    });
  }

  it('says which file is not a results file', async () => {
    const failures = join(dir, 'failures.csv');
    writeFileSync(failures, exportFile(ROWS, 'csv', 'failures'));
    expect(await readResults(failures)).toEqual({ ok: false, reason: `cannot read ${failures}: it is not a results file: it has no label, score, top_k column` });
    const garbled = join(dir, 'garbled.jsonl');
    writeFileSync(garbled, '{"path":"a"}\nnot json\n');
    expect(await readResults(garbled)).toEqual({ ok: false, reason: `cannot read ${garbled}: line 2 is not JSON` });
    expect(await readResults(join(dir, 'results.txt'))).toMatchObject({ ok: false, reason: expect.stringContaining('must end in .jsonl, .csv or .parquet') });
  });

  it('says where a CSV part stops being CSV', async () => {
    const cut = join(dir, 'cut.csv');
    writeFileSync(cut, `${exportFile(ROWS, 'csv')}"unterminated,`);
    const read = await readResults(cut);
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(/: row \d+ is not valid CSV: /);
  });
});

describe('TENCH_CHROMIUM_ARGS', () => {
  it('adds space-separated flags', () => {
    expect(extraArgs(undefined)).toEqual([]);
    expect(extraArgs('  --enable-features=Vulkan  --use-vulkan=native\n--ignore-gpu-blocklist ')).toEqual(['--enable-features=Vulkan', '--use-vulkan=native', '--ignore-gpu-blocklist']);
  });
});
