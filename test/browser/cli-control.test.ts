// Pause, resume and cancel a running CLI the way people and schedulers do: signals.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../helpers/cli.ts';
import { repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { spawnCli } from '../helpers/spawn-cli.ts';

const COPIES = 60;

const progress = (l: Record<string, unknown>) => l.type === 'progress';

describe('a running tench classify', () => {
  let folder: { dir: string; count: number };
  beforeAll(() => {
    folder = repeatedDataset(COPIES);
  });

  it('pauses on SIGUSR2, resumes on the next, and finishes every image', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const cli = spawnCli(['classify', folder.dir, '--model', TINY_MODEL, '--out', out, '--device', 'wasm', '--batch-size', '4']);
    await cli.waitFor((l) => progress(l) && (l.done as number) > 20);
    cli.child.kill('SIGUSR2');
    const paused = await cli.waitFor((l) => progress(l) && l.state === 'paused');
    await new Promise((r) => setTimeout(r, 1500));
    const stillPaused = cli.lines.filter(progress).at(-1)!;
    expect(stillPaused.state).toBe('paused');
    // Images already admitted may finish; nothing new is listed.
    expect(stillPaused.listed).toBe(paused.listed);
    expect(stillPaused.done as number).toBeLessThan(folder.count);
    cli.child.kill('SIGUSR2');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(0);
    expect(readJsonl(out)).toHaveLength(folder.count);
    expect(cli.lines.at(-1)).toMatchObject({ type: 'summary', state: 'done', images: folder.count, errors: 0 });
  });

  it('cancels on SIGTERM, writes what was classified, and exits 130', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const cli = spawnCli(['classify', folder.dir, '--model', TINY_MODEL, '--out', out, '--device', 'wasm', '--batch-size', '4']);
    await cli.waitFor((l) => progress(l) && (l.done as number) > 20);
    cli.child.kill('SIGTERM');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('tench: terminated: stopping; the images classified so far are kept');
    const rows = readJsonl(out);
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.length).toBeLessThan(folder.count);
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    expect(rows.every((r) => r.error === null && r.label)).toBe(true);
    expect(cli.lines.at(-1)).toMatchObject({ type: 'summary', state: 'cancelled', images: rows.length });
  });
});
