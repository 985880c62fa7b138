// A run of a dataset that holds no image says why and exits 1 (a wrong folder, a prefix with a
// typo, --extensions that name none of its files); a shard that a small dataset leaves empty says
// so and exits 0, so an Indexed Job does not fail for it, and `tench merge` of parts without a
// row exits 1. And a run whose stdout reader goes away goes on to its end.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partName } from '../../src/cli/shard-flags.ts';
import { shardOf } from '../../src/datasets/shard.ts';
import { IMAGE_EXTENSIONS } from '../../src/datasets/filter.ts';
import { freshState, readJsonl, runCli, summary, type CliResult } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { ROOT, SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const ARGS = ['--model', TINY_MODEL, '--device', 'wasm', '--concurrency', '1'];
const lastLine = (r: CliResult) => r.stderr.trim().split('\n').at(-1);

describe('a dataset without an image', () => {
  it('fails with the reason: an empty folder, a folder of other files, a list that names none', async () => {
    const empty = tempDir();
    const others = tempDir();
    for (const name of ['notes.txt', 'README.md', 'data.csv']) writeFileSync(join(others, name), 'not an image\n');
    const list = join(tempDir(), 'images.csv');
    writeFileSync(list, 'url,label\n');
    const out = (name: string) => join(tempDir(), name);
    const [a, b, c] = await Promise.all([
      runCli(['classify', empty, ...ARGS, '--out', out('a.jsonl')]),
      runCli(['classify', others, ...ARGS, '--out', out('b.jsonl')]),
      runCli(['classify', list, ...ARGS, '--out', out('c.jsonl')]),
    ]);
    for (const r of [a, b, c]) {
      expect(r.code, r.stderr).toBe(1);
      // The run itself finished: its summary, and its (empty) output, are there as for any run.
      expect(summary(r.stdout)).toMatchObject({ images: 0, errors: 0 });
    }
    expect(lastLine(a)).toBe(`tench: no images in ${empty}: the folder holds no files`);
    expect(lastLine(b)).toBe(`tench: no images in ${others}: 3 files skipped: 3 without an image extension (${IMAGE_EXTENSIONS.join(', ')}; --extensions names others)`);
    expect(lastLine(c)).toBe(`tench: no images in ${list}: the list names none`);
  }, 300_000);

  it('is a shard a small dataset leaves empty: exit 0; the merge of parts without a row exits 1', async () => {
    const one = tempDir();
    copyFileSync(join(SAMPLES, 'chelsea-224.png'), join(one, 'chelsea-224.png'));
    const full = shardOf('chelsea-224.png', 2);
    const parts = tempDir();
    const runs = await Promise.all([0, 1].map((i) => runCli(['classify', one, ...ARGS, '--shard', `${i}/2`, '--out', `${parts}/`], { TENCH_STATE: freshState() })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(summary(runs[1 - full]!.stdout)?.images).toBe(0);
    expect(lastLine(runs[1 - full]!)).toBe(`tench: shard ${1 - full} of 2 holds none of the images of ${one}, as a dataset with few images for its shards leaves some: its output has no rows`);
    expect(summary(runs[full]!.stdout)?.images).toBe(1);
    const files = [0, 1].map((index) => join(parts, partName({ index, count: 2 }, 'jsonl')));
    expect(readJsonl(files[1 - full]!)).toEqual([]);
    const merged = await runCli(['merge', ...files, '--out', join(parts, 'all.jsonl'), '--expect-from', one]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout.trim()).toBe(`merged 1 rows from 2 parts into ${join(parts, 'all.jsonl')}`);

    // Every shard of a dataset with no image finishes well; the merge, which sees them all, fails.
    const none = tempDir();
    const noParts = tempDir();
    const emptyRuns = await Promise.all([0, 1].map((i) => runCli(['classify', none, ...ARGS, '--shard', `${i}/2`, '--out', `${noParts}/`], { TENCH_STATE: freshState() })));
    for (const r of emptyRuns) expect(r.code, r.stderr).toBe(0);
    const emptyMerge = await runCli(['merge', ...[0, 1].map((index) => join(noParts, partName({ index, count: 2 }, 'jsonl'))), '--out', join(noParts, 'all.jsonl')]);
    expect(emptyMerge.code).toBe(1);
    expect(emptyMerge.stderr.trim()).toBe('tench: the 2 parts hold no rows: no image of the dataset was classified');
    expect(existsSync(join(noParts, 'all.jsonl'))).toBe(true);
  }, 300_000);
});

describe('a run whose stdout reader goes away', () => {
  it('goes on to its end, writes every row, and exits 0 without a stack trace', async () => {
    const out = join(tempDir(), 'piped.jsonl');
    const child = spawn(process.execPath, [resolve(ROOT, 'bin', 'tench.js'), 'classify', SAMPLES, ...ARGS, '--out', out, '--json'], {
      cwd: ROOT,
      env: { ...process.env, TENCH_STATE: freshState(), HF_HUB_CACHE: tempDir('tench-hf-') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // As `| head -1` does: the first line, then the pipe is closed.
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) child.stdout.destroy();
    });
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ type: 'progress' });
    expect(stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
    expect(stderr).toContain('tench: stdout was closed: what tench prints there is dropped, and the rows still go to --out');
    expect(readJsonl(out)).toHaveLength(12);
    expect(stderr).toContain(`wrote 12 rows to ${out}`);
  }, 200_000);
});
