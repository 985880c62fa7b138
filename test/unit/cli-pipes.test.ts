// `tench --help | head -1`: a reader that goes away before tench has written is no crash. Help and
// version end with 0 as they would have, a bad flag with 2, and nothing but tench's own words
// reaches the stream that is still open.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.ts';

/** Runs tench with one of its streams closed by the reader before tench writes anything. */
function withClosed(stream: 'stdout' | 'stderr', args: string[]): Promise<{ code: number | null; open: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tench.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed at once: tench starts in a few hundred ms, so its first write meets a closed pipe.
    child[stream].destroy();
    let open = '';
    child[stream === 'stdout' ? 'stderr' : 'stdout'].on('data', (d) => (open += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, open }));
  });
}

describe('a reader that closes the pipe', () => {
  // Each process is on its own, so they run side by side: most of each one's time is starting.
  it('ends help and version quietly, with 0', async () => {
    const all = [['--help'], ['classify', '--help'], ['merge', '--help'], ['--version']];
    const results = await Promise.all(all.map((args) => withClosed('stdout', args)));
    for (const [i, r] of results.entries()) expect(r, all[i]!.join(' ')).toEqual({ code: 0, open: '' });
  });

  it('leaves a bad flag a usage error (2), whichever stream is closed', async () => {
    const [quiet, said] = await Promise.all((['stderr', 'stdout'] as const).map((closed) => withClosed(closed, ['classify', 'photos', '--format', 'xml'])));
    expect(quiet).toEqual({ code: 2, open: '' });
    expect(said!.code).toBe(2);
    expect(said!.open).toBe('error: option \'--format <format>\' argument \'xml\' is invalid. Allowed choices are jsonl, csv, parquet.\n');
  });
});
