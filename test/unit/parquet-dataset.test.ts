// Parquet datasets read a row group at a time: files written by DuckDB, a reader independent of
// tench's own, in the Hugging Face layout (an Image struct and ClassLabel metadata), with a binary
// column, and with a column of URLs; read through a file that counts the bytes asked of it.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/core/item.ts';
import type { KeepColumns } from '../../src/datasets/columns.ts';
import { parquetItems, type ParquetFile } from '../../src/datasets/parquet.ts';
import type { ListStats } from '../../src/datasets/s3.ts';

const dir = mkdtempSync(join(tmpdir(), 'tench-parquet-'));
let duck: DuckDBConnection;
let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
});
afterAll(() => {
  duck?.closeSync();
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** A file on disk as the reader sees one: ranges only, each counted. */
function counted(bytes: Buffer): { file: ParquetFile['file']; asked: () => number } {
  let asked = 0;
  const file = {
    byteLength: bytes.length,
    slice(start: number, end = bytes.length): ArrayBuffer {
      asked += end - start;
      return bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + end) as ArrayBuffer;
    },
  };
  return { file, asked: () => asked };
}

const sql = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Writes the selects as one file, each select's rows (and no others) one row group: DuckDB ends a
 * row group at ROW_GROUP_SIZE or where a select of a UNION ALL ends, whichever comes first.
 */
async function write(name: string, selects: readonly string[], options: { kv?: unknown; groupRows?: number; compression?: string } = {}): Promise<string> {
  const path = join(dir, name);
  const kv = options.kv === undefined ? '' : `, KV_METADATA {huggingface: ${sql(JSON.stringify(options.kv))}}`;
  const compression = options.compression ? `, COMPRESSION ${options.compression}` : '';
  await duck.run(`COPY (${selects.join(' UNION ALL ')}) TO ${sql(path)} (FORMAT parquet, ROW_GROUP_SIZE ${options.groupRows ?? 3}${kv}${compression})`);
  return path;
}

async function rowGroups(path: string): Promise<number[]> {
  const reader = await duck.runAndReadAll(`SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata(${sql(path)}) GROUP BY 1 ORDER BY 1`);
  return reader.getRowObjectsJS().map((r) => Number(r.n));
}

function newStats(): ListStats {
  return { listed: 0, skipped: 0 };
}

async function readAll(source: ParquetFile, keepColumns: KeepColumns = 'all', imageColumn?: string, stats = newStats()): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of parquetItems(source, { keepColumns, imageColumn }, stats)) items.push(item);
  return items;
}

async function bytesOf(item: Item): Promise<number[]> {
  if (item.source.kind !== 'blob') throw new Error(`${item.path} is no blob`);
  return [...new Uint8Array(await item.source.blob.arrayBuffer())];
}

/** An image's bytes as the fixtures write them: not UTF-8, so a text decoding would change them. */
const imageBytes = (i: number): number[] => [0x00, 0xff, ...Buffer.from(`img${i}`)];
const blobLiteral = (i: number): string => `'\\x00\\xFFimg${i}'::BLOB`;

describe('a Hugging Face Parquet file (an Image struct, a ClassLabel and its metadata)', () => {
  // What `datasets` writes: asdict() of the features, under info.
  const HF = {
    info: {
      features: {
        image: { decode: true, id: null, _type: 'Image' },
        label: { names: ['cat', 'dog', 'bird'], id: null, _type: 'ClassLabel' },
        caption: { dtype: 'string', id: null, _type: 'Value' },
      },
    },
  };
  const image = (i: number): string => `{'bytes': ${blobLiteral(i)}, 'path': 'img${i}.jpg'}`;
  const NO_IMAGE = 'NULL::STRUCT(bytes BLOB, path VARCHAR)';
  // Row i: [image, label, caption]. Row 2 has no image, 3 HF's "no label", 4 a null label, 5 an
  // index past the names, 6 only a URL for a path.
  const ROWS: Array<[string, string, string]> = [
    [image(0), '0', "'a cat'"], [image(1), '1', "'a dog'"], [NO_IMAGE, '2', "'nothing'"],
    [image(3), '-1', "'unlabelled'"], [image(4), 'NULL', 'NULL'], [image(5), '7', "'odd'"],
    ["{'bytes': NULL::BLOB, 'path': 'https://example.org/six.jpg'}", '1', "'remote'"], [image(7), '2', "'a bird'"],
  ];
  let path: string;
  let bytes: Buffer;
  beforeAll(async () => {
    const selects = [0, 3, 6].map((start) => {
      const values = ROWS.slice(start, start + 3).map(([img, label, caption]) => `(${img}, ${label}::BIGINT, ${caption}::VARCHAR)`);
      return `SELECT * FROM (VALUES ${values.join(', ')}) t(image, label, caption)`;
    });
    path = await write('hf.parquet', selects, { kv: HF });
    bytes = readFileSync(path);
  });

  it('is written as the layout it stands for', async () => {
    expect(await rowGroups(path)).toEqual([3, 3, 2]);
  });

  it('gives an item a row with an image: its bytes, class name, version and other columns', async () => {
    const stats = newStats();
    const items = await readAll({ path: 'data/train.parquet', file: counted(bytes).file, version: 'v1' }, 'all', undefined, stats);
    expect(items.map((i) => i.path)).toEqual([0, 1, 3, 4, 5, 6, 7].map((r) => `data/train.parquet/${r}`));
    expect(items.map((i) => i.version)).toEqual([0, 1, 3, 4, 5, 6, 7].map((r) => `v1:${r}`));
    expect(items.map((i) => i.label ?? null)).toEqual(['cat', 'dog', null, null, null, 'dog', 'bird']);
    expect(items.map((i) => i.classIndex ?? null)).toEqual([null, null, null, null, 7, null, null]);
    expect(items.map((i) => i.columns)).toEqual(['a cat', 'a dog', 'unlabelled', null, 'odd', 'remote', 'a bird'].map((caption) => ({ caption })));
    for (const [at, row] of [[0, 0], [1, 1], [2, 3], [6, 7]] as const) {
      expect(await bytesOf(items[at]!)).toEqual(imageBytes(row));
      expect(items[at]!.size).toBe(imageBytes(row).length);
    }
    expect(items[5]!.source).toEqual({ kind: 'url', url: 'https://example.org/six.jpg' });
    expect(stats).toEqual({ listed: 7, skipped: 1, skippedWhy: { 'no image': 1 } });
  });

  it('keeps only the columns named, and none for an empty list', async () => {
    const none = await readAll({ path: 'hf.parquet', file: counted(bytes).file }, []);
    expect(none.every((i) => !('columns' in i) && i.version === undefined)).toBe(true);
    const named = await readAll({ path: 'hf.parquet', file: counted(bytes).file }, ['caption', 'label']);
    expect(named[0]!.columns).toEqual({ caption: 'a cat', input_label: 0 });
  });

  it('refuses to keep a column the file does not have, naming its columns', async () => {
    await expect(readAll({ path: 'hf.parquet', file: counted(bytes).file }, ['caption', 'nope'])).rejects.toThrow(
      'hf.parquet has no column "nope" to keep; its columns are image, label, caption',
    );
  });

  it('names a missing --image-column and the columns there are', async () => {
    await expect(readAll({ path: 'data.parquet', file: counted(bytes).file }, 'all', 'foo')).rejects.toThrow(
      'data.parquet has no column "foo"; its columns are image, label, caption',
    );
  });

  it('refuses an --image-column that holds no images', async () => {
    await expect(readAll({ path: 'data.parquet', file: counted(bytes).file }, 'all', 'label')).rejects.toThrow(/column "label" holds no images/);
  });

  it('stops between row groups once aborted', async () => {
    const abort = new AbortController();
    const items = parquetItems({ path: 'hf.parquet', file: counted(bytes).file }, { keepColumns: 'all' }, newStats(), abort.signal);
    expect((await items.next()).value?.path).toBe('hf.parquet/0');
    abort.abort();
    expect((await items.next()).value?.path).toBe('hf.parquet/1');
    await expect(items.next()).rejects.toThrow(/abort/i);
  });
});

describe('a plain Parquet file of image bytes', () => {
  let bytes: Buffer;
  beforeAll(async () => {
    // A binary column before the image one: the name `jpg` decides between them.
    const values = [0, 1, 2, 3].map((i) => `(${blobLiteral(i + 100)}, ${blobLiteral(i)}, ${i === 2 ? "''" : `'class ${i}'`}, ${i * 10}, 'x${i}')`);
    bytes = readFileSync(await write('binary.parquet', [`SELECT * FROM (VALUES ${values.join(', ')}) t(sha, jpg, label, id, path)`]));
  });

  it('reads the binary column named like an image, with text labels and its other columns', async () => {
    const items = await readAll({ path: 'binary.parquet', file: counted(bytes).file });
    expect(await Promise.all(items.map(bytesOf))).toEqual([0, 1, 2, 3].map(imageBytes));
    expect(items.map((i) => i.label ?? null)).toEqual(['class 0', 'class 1', null, 'class 3']);
    expect(items.every((i) => i.classIndex === undefined)).toBe(true);
    // Bytes are no column of an output; a column named like one of tench's own is renamed.
    expect(items[3]!.columns).toEqual({ id: 30, input_path: 'x3' });
  });

  it('reads the column --image-column names instead', async () => {
    const items = await readAll({ path: 'binary.parquet', file: counted(bytes).file }, [], 'sha');
    expect(await bytesOf(items[1]!)).toEqual(imageBytes(101));
  });
});

describe('compressed Parquet files', () => {
  // polars writes ZSTD by default; older tools gzip.
  for (const codec of ['zstd', 'gzip', 'brotli']) {
    it(`reads a ${codec} file as a snappy one`, async () => {
      const values = [0, 1, 2].map((i) => `(${blobLiteral(i)}, 'class ${i}')`);
      const file = await write(`${codec}.parquet`, [`SELECT * FROM (VALUES ${values.join(', ')}) t(jpg, label)`], { compression: codec });
      const items = await readAll({ path: `${codec}.parquet`, file: counted(readFileSync(file)).file });
      expect(await Promise.all(items.map(bytesOf))).toEqual([0, 1, 2].map(imageBytes));
      expect(items.map((i) => i.label)).toEqual(['class 0', 'class 1', 'class 2']);
    });
  }
});

describe('a Parquet file of image URLs', () => {
  // The YAML style of `datasets` features: a list, a class_label's names by index.
  const YAML = { info: { features: [{ name: 'url', dtype: 'string' }, { name: 'label', dtype: { class_label: { names: { 0: 'cat', 1: 'dog' } } } }] } };
  let bytes: Buffer;
  beforeAll(async () => {
    const urls = ["'img/a.jpg'", "'https://cdn.example/b.png'", 'NULL', "'mailto:someone@example.org'", "'../c.jpg'"];
    const values = urls.map((url, i) => `(${i % 2}::INTEGER, ${url}::VARCHAR)`);
    bytes = readFileSync(await write('urls.parquet', [`SELECT * FROM (VALUES ${values.join(', ')}) t(label, url)`], { kv: YAML }));
  });

  it('resolves relative URLs against the file and skips what is no URL', async () => {
    const stats = newStats();
    const items = await readAll({ path: 'urls.parquet', file: counted(bytes).file, baseUrl: 'https://data.example/sets/v2/urls.parquet' }, 'all', undefined, stats);
    expect(items.map((i) => [i.path, i.source, i.label])).toEqual([
      ['urls.parquet/0', { kind: 'url', url: 'https://data.example/sets/v2/img/a.jpg' }, 'cat'],
      ['urls.parquet/1', { kind: 'url', url: 'https://cdn.example/b.png' }, 'dog'],
      ['urls.parquet/4', { kind: 'url', url: 'https://data.example/sets/c.jpg' }, 'cat'],
    ]);
    expect(items.every((i) => i.size === undefined && i.columns === undefined)).toBe(true);
    expect(stats).toEqual({ listed: 3, skipped: 2, skippedWhy: { 'no image': 1, 'not a URL': 1 } });
  });

  it('skips relative URLs where the file has no URL of its own', async () => {
    const stats = newStats();
    const items = await readAll({ path: 'urls.parquet', file: counted(bytes).file }, 'all', undefined, stats);
    expect(items.map((i) => i.path)).toEqual(['urls.parquet/1']);
    expect(stats.skippedWhy).toEqual({ 'no image': 1, 'not a URL': 3 });
  });
});

describe('a Parquet file with many row groups', () => {
  const GROUPS = 24;
  const IMAGE_BYTES = 40_000;
  /** A column no read here asks for: its bytes are never fetched. */
  const NOTE_BYTES = 20_000;
  let bytes: Buffer;
  beforeAll(async () => {
    // Uncompressed, so the file's size is its images' and a group's share of it is known.
    const selects = Array.from({ length: GROUPS }, (_, g) => `SELECT repeat('x', ${IMAGE_BYTES})::BLOB AS image, 'class ' || i AS label, repeat('n', ${NOTE_BYTES}) AS notes FROM range(${g * 3}, ${g * 3 + 3}) t(i)`);
    const path = await write('many.parquet', selects, { compression: 'uncompressed' });
    expect((await rowGroups(path)).length).toBe(GROUPS);
    bytes = readFileSync(path);
  });

  it('reads no group before its items are asked for', async () => {
    const counter = counted(bytes);
    const items = parquetItems({ path: 'many.parquet', file: counter.file }, { keepColumns: [] }, newStats());
    const first = await items.next();
    expect(first.value?.size).toBe(IMAGE_BYTES);
    // The footer's first fetch (hyparquet's 512 KiB) and one group's images; not the other groups.
    expect(counter.asked()).toBeLessThan(512 * 1024 + 3 * IMAGE_BYTES + 16 * 1024);
    expect(counter.asked()).toBeLessThan(bytes.length / 3);
    await items.return(undefined);
  });

  it('gives every row once, in order, across its groups, reading only the columns it needs', async () => {
    const counter = counted(bytes);
    const items = await readAll({ path: 'many.parquet', file: counter.file }, []);
    expect(items.map((i) => i.label)).toEqual(Array.from({ length: GROUPS * 3 }, (_, i) => `class ${i}`));
    expect(counter.asked()).toBeGreaterThan(GROUPS * 3 * IMAGE_BYTES);
    expect(counter.asked()).toBeLessThan(GROUPS * 3 * IMAGE_BYTES + 512 * 1024 + 64 * 1024);
  });
});

describe('a file that is not a dataset of images', () => {
  it('has no image column: the sentence says how to name one', async () => {
    const bytes = readFileSync(await write('text.parquet', ["SELECT 1 AS id, 'hello' AS caption"]));
    await expect(readAll({ path: 'text.parquet', file: counted(bytes).file })).rejects.toThrow(
      'text.parquet has no image column (a struct of bytes and path, a binary column, or a column of URLs): name one with --image-column',
    );
  });

  it('is not a Parquet file at all', async () => {
    for (const body of [Buffer.from('a,b\n1,2\n'.repeat(20)), Buffer.from('P'), Buffer.alloc(0)]) {
      await expect(readAll({ path: 'notes.csv', file: counted(body).file })).rejects.toThrow(/^notes\.csv is not a Parquet file$/);
    }
  });
});
