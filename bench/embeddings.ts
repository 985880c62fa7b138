// npm run bench -- --embeddings: what keeping each image's vector costs, measured against the
// same run without it, on the same machine in the same minutes. A WebDataset shard of the bundled
// samples goes through `tench classify` with and without --embeddings, twice each in turns, for
// each model. The figures: rows a second once the model has loaded, a stored record's bytes (as
// V8 serializes it for IndexedDB; thumbnails are kept apart), and the Parquet output's bytes a row.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { serialize } from 'node:v8';
import { parquetReadObjects } from 'hyparquet';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddingsBench {
  root: string;
  python: string;
  /** Model folders whose graphs output last_hidden_state, by name, with the images to run each on. */
  models: Array<{ name: string; dir: string; images: number }>;
}

/** A shard of `count` samples, the bundled images in turn, written by Python's tarfile. */
function makeShard(python: string, samples: string, path: string, count: number): void {
  const script = `
import io, os, sys, tarfile
samples, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted(n for n in os.listdir(samples) if n.endswith(('.png', '.jpg')))
blobs = [(n.rsplit('.', 1)[1], open(os.path.join(samples, n), 'rb').read()) for n in names]
with tarfile.open(path, 'w') as tar:
    for i in range(count):
        ext, data = blobs[i % len(blobs)]
        info = tarfile.TarInfo('%06d.%s' % (i, ext))
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
`;
  execFileSync(python, ['-c', script, samples, path, String(count)]);
}

/**
 * The stored record's bytes with and without the vector: a row as the store keeps it (here the
 * run's first, read back from its Parquet output), serialized as V8 serializes what IndexedDB
 * stores. Measured so rather than on disk: the browser's LevelDB folders grow in steps (logs not
 * yet compacted), thousands of bytes a row either way at this size, more than the vector weighs.
 */
async function recordBytes(out: string, hidden: number): Promise<{ without: number; with: number }> {
  const bytes = readFileSync(out);
  const file = { byteLength: bytes.length, slice: (a: number, b?: number) => bytes.buffer.slice(bytes.byteOffset + a, bytes.byteOffset + (b ?? bytes.length)) as ArrayBuffer };
  const [first] = (await parquetReadObjects({ file, rowStart: 0, rowEnd: 1 })) as Array<Record<string, unknown>>;
  const topK = (first!.top_k as Array<{ label: string; score: number }>).map((p, index) => ({ ...p, index }));
  const row = { runId: '20261207T000000-abcdef', path: first!.path, seq: 0, order: 0, label: first!.label, score: first!.score, topK, error: null, cause: null, trueLabel: null, width: 224, height: 224, size: 100_000, version: '1234-5678:0:100000', fingerprint: '0123456789abcdef', imageKey: null, doneAt: Date.now() };
  return { without: serialize(row).length, with: serialize({ ...row, embedding: new Float32Array(hidden) }).length };
}

interface Measured {
  rate: number;
  fileBytesPerRow: number;
  /** The run's Parquet output, kept for recordBytes. */
  out: string;
}

/** Rows a second once the model has loaded: from the first progress line past a tenth of the rows to the last. */
function steadyRate(lines: Array<Record<string, unknown>>): number {
  const progress = lines.filter((l) => l.type === 'progress' && typeof l.done === 'number');
  const first = progress.find((l) => (l.done as number) > 0 && (l.done as number) >= 0.1 * (l.listed as number));
  const last = progress.at(-1);
  if (!first || !last || (last.elapsed_s as number) <= (first.elapsed_s as number)) return NaN;
  return ((last.done as number) - (first.done as number)) / ((last.elapsed_s as number) - (first.elapsed_s as number));
}

function run(root: string, dir: string, shard: string, model: string, rows: number, embeddings: boolean): Measured {
  const out = join(dir, `out-${embeddings}.parquet`);
  const state = mkdtempSync(join(tmpdir(), 'tench-bench-embeddings-'));
  const args = [join(root, 'bin', 'tench.js'), 'classify', shard, '--model', model, '--device', 'wasm', '--json', '--state', state, '--out', out, ...(embeddings ? ['--embeddings'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  rmSync(state, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tench classify exited ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.find((l) => l.type === 'summary')!;
  if (summary.images !== rows) throw new Error(`expected ${rows} rows, got ${String(summary.images)}`);
  return { rate: steadyRate(lines), fileBytesPerRow: statSync(out).size / rows, out };
}

/** The better of two runs each, taken in turns (without, with, without, with), so that neither gets the warmer machine. */
function pair(root: string, dir: string, shard: string, model: string, rows: number): { without: Measured; with: Measured } {
  const runs = [false, true, false, true].map((embeddings) => ({ embeddings, m: run(root, dir, shard, model, rows, embeddings) }));
  const best = (embeddings: boolean): Measured => {
    const [a, b] = runs.filter((r) => r.embeddings === embeddings).map((r) => r.m) as [Measured, Measured];
    return { rate: Math.max(a.rate, b.rate), fileBytesPerRow: a.fileBytesPerRow, out: a.out };
  };
  return { without: best(false), with: best(true) };
}

export async function embeddingsBench(b: EmbeddingsBench): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'tench-bench-shards-'));
  const table: string[][] = [['model', 'hidden', 'rows', 'embeddings', 'rows/s', 'vs without', 'stored record B', 'more', 'Parquet B/row', 'more']];
  try {
    for (const [i, model] of b.models.entries()) {
      if (!existsSync(join(model.dir, 'onnx', 'model.onnx'))) throw new Error(`no model at ${model.dir}`);
      const hidden = (JSON.parse(readFileSync(join(model.dir, 'config.json'), 'utf8')) as { hidden_size: number }).hidden_size;
      const shard = join(dir, `shard-${i}.tar`);
      makeShard(b.python, join(b.root, 'public', 'samples'), shard, model.images);
      const { without, with: withVectors } = pair(b.root, dir, shard, model.dir, model.images);
      const record = await recordBytes(without.out, hidden);
      console.log(`${model.name}: ${without.rate.toFixed(1)} rows/s without, ${withVectors.rate.toFixed(1)} with`);
      for (const [asked, m, bytes] of [['no', without, record.without], ['yes', withVectors, record.with]] as const) {
        table.push([model.name, String(hidden), String(model.images), asked, m.rate.toFixed(1), (m.rate / without.rate).toFixed(2),
          String(bytes), String(bytes - record.without), m.fileBytesPerRow.toFixed(0), (m.fileBytesPerRow - without.fileBytesPerRow).toFixed(0)]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return table;
}
