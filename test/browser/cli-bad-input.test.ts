// Broken, hostile and oddly named files through `tench classify`: the run finishes, every file
// has exactly one row, the broken ones say what is wrong with them, the valid ones are classified.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeBadInputs, type BadInput } from '../helpers/bad-inputs.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

interface Row { path: string; label: string | null; error: string | null }

describe('a folder of bad input', () => {
  let dir: string;
  let corpus: BadInput[];
  // Two valid images over the limits this run sets on the command line.
  const limits: BadInput[] = [
    { name: 'over-size-limit.jpg', kind: 'a valid JPEG larger than --max-object-size', expect: 'error' },
    { name: 'over-pixel-limit.png', kind: 'a valid 1200x1000 PNG over --max-pixels', expect: 'error', refusedBy: 'pixels' },
  ];

  beforeAll(() => {
    dir = tempDir();
    corpus = writeBadInputs(dir);
    const jpeg = readFileSync(join(SAMPLES, 'retina-224.jpg'));
    writeFileSync(join(dir, limits[0]!.name), Buffer.concat([jpeg, Buffer.alloc(600 * 1024, 7)]));
    writeFileSync(join(dir, limits[1]!.name), encode({ width: 1200, height: 1000, channels: 3, data: new Uint8Array(1200 * 1000 * 3).fill(90) }));
  });

  it('gives every file one row, names what is wrong with the broken ones, and classifies the rest', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const failures = join(tempDir(), 'failures.csv');
    const r = await runCli(['classify', dir, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--failures', failures,
      '--max-object-size', '512K', '--max-pixels', '1M', '--json'], {}, 300_000);
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row & { cause?: string });
    const all = [...corpus, ...limits];
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(rows.map((row) => row.path).sort()).toEqual(all.map((b) => b.name).sort());

    const byPath = new Map(rows.map((row) => [row.path, row]));
    const outcome: string[] = [];
    for (const input of all) {
      const row = byPath.get(input.name)!;
      outcome.push(`${JSON.stringify(input.name)} (${input.kind}): ${row.error ?? `ok, ${row.label}`}`);
      if (input.expect === 'ok') {
        expect(row.error, input.name).toBeNull();
        expect(row.label, input.name).toEqual(expect.any(String));
      }
      if (input.expect === 'error') {
        // "cause: reason", the reason a sentence of its own.
        expect(row.error, input.name).toMatch(/^(decode_failed|too_large|fetch_failed): \S.{8,}/);
        expect(row.label, input.name).toBeNull();
      }
      if (input.refusedBy === 'pixels') expect(row.error, input.name).toMatch(/^too_large: \d+x\d+ \w+ is (over the \d+-pixel limit|too large to decode here)/);
    }
    expect(byPath.get('soi-only.jpg')!.error).toBe('decode_failed: truncated JPEG: it ends after 2 bytes');
    expect(byPath.get('vector.png')!.error).toBe('decode_failed: not an image tench decodes: the file is an SVG drawing');
    expect(byPath.get('page.png')!.error).toBe('decode_failed: not an image: the file is an HTML page');
    expect(byPath.get('over-size-limit.jpg')!.error).toMatch(/^too_large: \d+ bytes is over the 524288-byte limit$/);
    expect(byPath.get('over-pixel-limit.png')!.error).toBe('too_large: 1200x1000 PNG is over the 1000000-pixel limit');
    console.log(`bad input, ${all.length} kinds:\n${outcome.join('\n')}`);

    // The failures file is CSV a spreadsheet can open: one record per failed file, names intact.
    const failed = Papa.parse<Record<string, string>>(readFileSync(failures, 'utf8'), { header: true, skipEmptyLines: true });
    expect(failed.errors).toEqual([]);
    const failedPaths = failed.data.map((f) => f.path!.replace(/^'/, ''));
    expect(failedPaths.sort()).toEqual(rows.filter((row) => row.error !== null).map((row) => row.path).sort());
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ state: 'done', images: all.length, errors: failed.data.length });
  }, 400_000);
});
