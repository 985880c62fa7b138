// Chromium decodes files from anywhere, so its sandbox stays on wherever it can start: off only
// as root (Chromium refuses to run there with it), and the device line says so. As another user,
// the renderers run under seccomp, as a sandboxed Chromium's do.

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshState, runCli } from '../helpers/cli.ts';
import { repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { ROOT, TINY_MODEL } from '../helpers/paths.ts';
import { descendants, procFile } from '../helpers/processes.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const canSwitchUser = asRoot && existsSync('/usr/sbin/runuser');

/** The processes below `pid`, with their command lines. */
function below(pid: number): Array<{ pid: number; cmdline: string }> {
  return descendants(pid).flatMap((p) => {
    const cmdline = procFile(p, 'cmdline');
    return cmdline === null ? [] : [{ pid: p, cmdline: cmdline.replaceAll('\0', ' ') }];
  });
}

describe("Chromium's sandbox", () => {
  it.runIf(asRoot)('is off as root, and the device line says why', async () => {
    const { code, stderr } = await runCli(['classify', 'public/samples', '--model', TINY_MODEL, '--out', join(tempDir(), 'out.jsonl'), '--device', 'wasm']);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^run \S+; device: wasm.*; the browser runs without its sandbox: tench runs as root, where Chromium cannot start its sandbox$/m);
  });

  it.runIf(canSwitchUser)('is on for any other user: no --no-sandbox, renderers under seccomp', async () => {
    const folder = repeatedDataset(30);
    const state = freshState();
    const outDir = tempDir();
    for (const dir of [state, outDir]) chownSync(dir, NOBODY, NOBODY);
    chmodSync(folder.dir, 0o755);
    const child = spawn('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, resolve(ROOT, 'bin', 'tench.js'),
      'classify', folder.dir, '--model', TINY_MODEL, '--out', join(outDir, 'out.jsonl'), '--device', 'wasm', '--batch-size', '4', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: state, TENCH_STATE: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((done) => child.on('close', done));
    // While it classifies, look at the browser it started.
    let seen: Array<{ pid: number; cmdline: string; seccomp: string }> = [];
    for (let i = 0; i < 600 && !seen.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!/"type":"progress".*"done":[1-9]/.test(stdout)) continue;
      seen = below(child.pid!).filter((p) => p.cmdline.includes('--type=renderer')).flatMap((p) => {
        try {
          return [{ ...p, seccomp: /^Seccomp:\s*(\d)/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? '?' }];
        } catch {
          return [];
        }
      });
    }
    expect(await exit, stderr).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const p of seen) {
      expect(p.cmdline).not.toContain('--no-sandbox');
      // 2: a seccomp-BPF filter, which Chromium's sandbox puts on every renderer.
      expect(p.seccomp).toBe('2');
    }
    expect(stderr).toMatch(/^run \S+; device: wasm/m);
    expect(stderr).not.toContain('without its sandbox');
  });
});
