// npm run bench -- --embeddings: what keeping each image's vector costs, measured against the
// same run without it, on the same machine in the same minutes. A WebDataset shard of the bundled
// samples goes through `tench classify` with and without --embeddings, twice each in turns, for
// each model. The figures: rows a second once the model has loaded, the browser store's bytes a
// row (its IndexedDB folders on disk, thumbnails included), and the Parquet output's bytes a row.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

/** Bytes in every IndexedDB folder under a browser profile. */
function indexedDbBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) total += name === 'IndexedDB' ? folderBytes(path) : indexedDbBytes(path);
  }
  return total;
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const s = statSync(join(dir, name), { throwIfNoEntry: false });
    if (s) total += s.isDirectory() ? folderBytes(join(dir, name)) : s.size;
  }
  return total;
}

interface Measured {
  rate: number;
  storeBytesPerRow: number;
  fileBytesPerRow: number;
}

/** Rows a second once the model has loaded: from the first progress line past a tenth of the rows to the last. */
function steadyRate(lines: Array<Record<string, unknown>>): number {
  const progress = lines.filter((l) => l.type === 'progress' && typeof l.done === 'number');
  const first = progress.find((l) => (l.done as number) > 0 && (l.done as number) >= 0.1 * (l.listed as number));
  const last = progress.at(-1);
  if (!first || !last || (last.elapsed_s as number) <= (first.elapsed_s as number)) return NaN;
  return ((last.done as number) - (first.done as number)) / ((last.elapsed_s as number) - (first.elapsed_s as number));
}

function run(root: string, shard: string, model: string, rows: number, embeddings: boolean): Measured {
  const dir = mkdtempSync(join(tmpdir(), 'tench-bench-embeddings-'));
  try {
    const out = join(dir, 'out.parquet');
    const args = [join(root, 'bin', 'tench.js'), 'classify', shard, '--model', model, '--device', 'wasm', '--json', '--state', join(dir, 'state'), '--out', out, ...(embeddings ? ['--embeddings'] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tench classify exited ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.find((l) => l.type === 'summary')!;
    if (summary.images !== rows) throw new Error(`expected ${rows} rows, got ${String(summary.images)}`);
    return { rate: steadyRate(lines), storeBytesPerRow: indexedDbBytes(join(dir, 'state')) / rows, fileBytesPerRow: statSync(out).size / rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The better of two runs each, taken in turns (without, with, without, with), so that neither gets the warmer machine. */
function pair(root: string, shard: string, model: string, rows: number): { without: Measured; with: Measured } {
  const runs = [false, true, false, true].map((embeddings) => ({ embeddings, m: run(root, shard, model, rows, embeddings) }));
  const best = (embeddings: boolean): Measured => {
    const [a, b] = runs.filter((r) => r.embeddings === embeddings).map((r) => r.m) as [Measured, Measured];
    return { rate: Math.max(a.rate, b.rate), storeBytesPerRow: Math.min(a.storeBytesPerRow, b.storeBytesPerRow), fileBytesPerRow: a.fileBytesPerRow };
  };
  return { without: best(false), with: best(true) };
}

export function embeddingsBench(b: EmbeddingsBench): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'tench-bench-shards-'));
  const table: string[][] = [['model', 'hidden', 'rows', 'embeddings', 'rows/s', 'vs without', 'IndexedDB B/row', 'more', 'a vector\'s bytes', 'Parquet B/row', 'more']];
  try {
    for (const [i, model] of b.models.entries()) {
      if (!existsSync(join(model.dir, 'onnx', 'model.onnx'))) throw new Error(`no model at ${model.dir}`);
      const hidden = (JSON.parse(readFileSync(join(model.dir, 'config.json'), 'utf8')) as { hidden_size: number }).hidden_size;
      const shard = join(dir, `shard-${i}.tar`);
      makeShard(b.python, join(b.root, 'public', 'samples'), shard, model.images);
      const { without, with: withVectors } = pair(b.root, shard, model.dir, model.images);
      console.log(`${model.name}: ${without.rate.toFixed(1)} rows/s without, ${withVectors.rate.toFixed(1)} with; IndexedDB ${without.storeBytesPerRow.toFixed(0)} and ${withVectors.storeBytesPerRow.toFixed(0)} bytes a row`);
      for (const [asked, m] of [['no', without], ['yes', withVectors]] as const) {
        table.push([model.name, String(hidden), String(model.images), asked, m.rate.toFixed(1), (m.rate / without.rate).toFixed(2),
          m.storeBytesPerRow.toFixed(0), (m.storeBytesPerRow - without.storeBytesPerRow).toFixed(0), asked === 'yes' ? String(4 * hidden) : '',
          m.fileBytesPerRow.toFixed(0), (m.fileBytesPerRow - without.fileBytesPerRow).toFixed(0)]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return table;
}
