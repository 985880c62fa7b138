// Datasets in the formats other tools write, made by those tools' own code: WebDataset shards by
// Python's tarfile, Parquet files by DuckDB. Expected labels come from the PyTorch reference.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { SAMPLES } from './paths.ts';
import { loadReference, referenceByName } from './reference.ts';

/** The reference's images at the model's input size, with their PyTorch answers. */
export const reference = [...referenceByName(loadReference('tench-tiny-vit'))].filter(([, ref]) => ref.atSize);

/**
 * A WebDataset shard written by Python's tarfile: `count` samples, sample i the i-th image of
 * `images` (cycling), with a .cls of `classes[i]` (cycling) and a .txt and .json of its own.
 */
export function makeShard(path: string, count: number, images: readonly string[], classes: readonly number[]): void {
  const script = `
import io, json, sys, tarfile
spec = json.load(sys.stdin)
with tarfile.open(spec['path'], 'w', format=tarfile.PAX_FORMAT) as tar:
    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    blobs = [open(p, 'rb').read() for p in spec['images']]
    for i in range(spec['count']):
        key = 'sample%06d' % i
        ext = spec['images'][i % len(blobs)].rsplit('.', 1)[1]
        add(key + '.' + ext, blobs[i % len(blobs)])
        add(key + '.cls', str(spec['classes'][i % len(spec['classes'])]).encode())
        add(key + '.txt', ('caption %d' % i).encode())
        add(key + '.json', json.dumps({'id': i, 'source': 'test'}).encode())
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ path, count, images, classes }) });
  if (r.status !== 0) throw new Error(`python: ${r.stderr}`);
}


/** Rows by path, each with whatever fields its line has. */
export const byPath = (rows: ReadonlyArray<{ path: string }>) => new Map(rows.map((r) => [r.path, r as { path: string } & Record<string, unknown>]));

/** Six sample images in the Hugging Face layout, written by DuckDB in row groups of two: every other one labelled with PyTorch's first choice (right), the others with its second (wrong). */
export async function hfParquet(dir: string): Promise<string> {
  const file = join(dir, 'train-00000-of-00001.parquet');
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run('create table t (image struct(bytes blob, path varchar), label varchar, split varchar)');
  for (const [i, [name, ref]] of reference.slice(0, 6).entries()) {
    const hex = readFileSync(join(SAMPLES, name)).toString('hex');
    const label = ref.top_k[i % 2 === 0 ? 0 : 1]!.label.replace(/'/g, "''");
    await duck.run(`insert into t values ({'bytes': from_hex('${hex}'), 'path': '${name}'}, '${label}', 'validation')`);
  }
  await duck.run(`copy t to '${file}' (format parquet, row_group_size 2)`);
  duck.closeSync();
  return file;
}

export function expectHfRows(list: ReadonlyArray<{ path: string }>, file: string): void {
  const rows = byPath(list);
  expect(rows.size).toBe(6);
  reference.slice(0, 6).forEach(([, ref], i) => {
    const row = rows.get(`${file}/${i}`)!;
    expect(row.label).toBe(ref.top_k[0]!.label);
    expect(row.true_label).toBe(ref.top_k[i % 2 === 0 ? 0 : 1]!.label);
    expect(row.split).toBe('validation');
  });
}
