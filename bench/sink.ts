// One process streaming N synthetic rows through the CLI's real output code (sink/outputs.ts,
// a local file), a stored group of 256 at a time as a run hands them over; prints its peak
// resident memory. `npm run bench` runs it for 10,000 and 1,000,000 rows of each format.
//
//   tsx bench/sink.ts <jsonl|csv|parquet> <rows> <folder>

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openOutputs, type StoredRows } from '../src/cli/sink/outputs.ts';
import type { ExportFormat } from '../src/store/export.ts';
import type { ResultRow } from '../src/store/records.ts';

const [format, count, dir] = [process.argv[2] as ExportFormat, Number(process.argv[3]), process.argv[4]!];
const GROUP = 256;

function row(i: number): ResultRow {
  const failed = i % 50 === 49;
  const topK = failed ? [] : Array.from({ length: 5 }, (_, k) => ({ index: (i + k * 7) % 1000, label: `class ${(i + k * 7) % 1000}, a longer name`, score: 1 / (k + 2) }));
  return {
    runId: 'bench', path: `n0${1440764 + (i % 1000)}/ILSVRC2012_val_${String(i).padStart(8, '0')}.JPEG`, seq: i, order: i,
    label: topK[0]?.label ?? null, score: topK[0]?.score ?? null, topK, error: failed ? 'cannot identify image file' : null, cause: failed ? 'decode_failed' : null,
    trueLabel: `class ${i % 1000}, a longer name`, width: 500, height: 375, size: 110_000, version: null, fingerprint: 'f', imageKey: null, doneAt: 0,
  };
}

// Nothing is missed, so the catch-up at the end reads nothing back.
const store: StoredRows = { byOrder: async () => [], standing: async () => null, count: async () => count };
const out = join(dir, `rows-${count}.${format}`);
const started = performance.now();
const outputs = await openOutputs([{ to: { kind: 'file', path: out, format, shown: out }, kind: 'results' }], 'new', null, {});
for (let i = 0; i < count; i += GROUP) {
  await outputs.take(Array.from({ length: Math.min(GROUP, count - i) }, (_, k) => row(i + k)));
}
await outputs.finish(store);
// This process's own peak: getrusage's maxrss of a child started from a large process begins at
// the parent's size (Linux keeps it across exec), VmHWM belongs to this address space alone.
const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ format, rows: count, seconds: (performance.now() - started) / 1000, bytes: statSync(out).size, peakKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }));
