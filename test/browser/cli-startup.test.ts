// What can go wrong before a run is under way: a state folder that cannot be written, and a pause
// or a stop that comes while the CLI is still starting its browser and its page.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshState, readJsonl } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { ROOT, SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { spawnCli, type LiveCli } from '../helpers/spawn-cli.ts';

const SIGUSR2 = 12;

/** Whether the process has a handler of its own for the signal (Linux: its SigCgt mask). */
function catches(pid: number, signal: number): boolean {
  try {
    const mask = /SigCgt:\s+([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/**
 * Waits until tench listens to its signals: the earliest a signal can be anything but the
 * default action, which no program changes before its first line runs (Node itself catches
 * SIGINT and SIGTERM from its start, only to reset the terminal and die of them).
 */
async function listening(cli: LiveCli): Promise<number> {
  const started = Date.now();
  while (!catches(cli.child.pid!, SIGUSR2)) {
    if (Date.now() - started > 30_000) throw new Error('tench never listened to SIGUSR2');
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

/** Processes started for this state folder (the browser and its children carry its profile's path). */
function browsersOf(state: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(join(state, 'chromium'))) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const progress = (l: Record<string, unknown>) => l.type === 'progress';

describe('a pause or a stop while the CLI starts', () => {
  it('keeps a SIGUSR2 that came before the page was ready, starts the run paused, and resumes on the next', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const cli = spawnCli(['classify', SAMPLES, '--model', TINY_MODEL, '--out', out, '--device', 'wasm']);
    const ms = await listening(cli);
    cli.child.kill('SIGUSR2');
    // Paused from its first progress on: nothing is admitted, so nothing is classified.
    const first = await cli.waitFor(progress);
    expect(first.state).toBe('paused');
    await new Promise((r) => setTimeout(r, 3000));
    const later = cli.lines.filter(progress).at(-1)!;
    expect(later).toMatchObject({ state: 'paused', done: 0 });
    cli.child.kill('SIGUSR2');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('tench: paused before the run started: it will start paused (SIGUSR2 or p again resumes)');
    expect(cli.lines.at(-1)).toMatchObject({ type: 'summary', state: 'done', errors: 0 });
    expect(readJsonl(out)).toHaveLength(cli.lines.at(-1)!.images as number);
    console.log(`SIGUSR2 sent ${ms} ms after the spawn`);
  });

  it('exits 130 with one sentence on a SIGTERM as soon as it listens, before anything started', async () => {
    const cli = spawnCli(['classify', SAMPLES, '--model', TINY_MODEL, '--out', join(tempDir(), 'out.jsonl'), '--device', 'wasm']);
    await listening(cli);
    cli.child.kill('SIGTERM');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(130);
    expect(stderr.trim()).toBe('tench: terminated before the run started: stopping; nothing was classified');
    expect(cli.lines).toEqual([]);
  });

  it('exits 130 on a SIGTERM once its browser runs but before the page is ready, and closes the browser', async () => {
    const state = freshState();
    const cli = spawnCli(['classify', SAMPLES, '--model', TINY_MODEL, '--out', join(tempDir(), 'out.jsonl'), '--device', 'wasm'], { TENCH_STATE: state });
    const started = Date.now();
    while (browsersOf(state).length === 0) {
      if (Date.now() - started > 60_000) throw new Error('no browser started');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(cli.lines.filter(progress)).toEqual([]);
    cli.child.kill('SIGTERM');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('tench: terminated before the run started: stopping; nothing was classified');
    expect(cli.lines).toEqual([]);
    // Closed by the CLI before it exited, not left to die with it.
    expect(browsersOf(state)).toEqual([]);
  });
});

/**
 * A read-only state folder, honestly: tests run as root, which writes through any permission
 * bits, so the folder is bind-mounted read-only in a mount namespace of the CLI's own (unshare:
 * the mount is gone with the process, and needs no root outside it where user namespaces are
 * allowed). Skipped where unshare cannot do that.
 */
const canUnshare = spawnSync('unshare', ['-rm', 'sh', '-c', 'd=$(mktemp -d) && mount --bind -o ro "$d" "$d" && ! touch "$d/x" 2>/dev/null'], { stdio: 'ignore' }).status === 0;

describe('a state folder that cannot be written', () => {
  it.skipIf(!canUnshare).each([['new', false], ['used before', true]])('is named as such, not as in use by another tench, and exits 1 (%s)', async (_name, used) => {
    const state = freshState();
    if (used) mkdirSync(join(state, 'chromium'));
    const child = spawn('unshare', ['-rm', 'sh', '-c', 'mount --bind -o ro "$1" "$1" && shift && exec "$@"', 'sh', state,
      process.execPath, resolve(ROOT, 'bin', 'tench.js'), 'classify', SAMPLES, '--model', TINY_MODEL, '--out', join(tempDir(), 'out.jsonl'), '--state', state], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(1);
    expect(stderr.trim()).toBe(`tench: the state folder ${state} is not writable (it is on a read-only file system); give --state (or $TENCH_STATE) a folder this user can write`);
    expect(stderr).not.toMatch(/in use/);
  });
});
