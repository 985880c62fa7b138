// Runs the real `tench` command in a child process, as a user would.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExportRecord } from '../../src/store/export.ts';
import { ROOT } from './paths.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A state folder of its own for each CLI process, unless the test shares one on purpose. */
export function freshState(): string {
  return mkdtempSync(join(tmpdir(), 'tench-state-'));
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 170_000): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'bin', 'tench.js'), ...args], {
      cwd: ROOT,
      // A Hugging Face cache of its own too, unless the test shares one: never the user's.
      env: { ...process.env, TENCH_STATE: freshState(), HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'tench-hf-')), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

export type OutRow = ExportRecord;

export function readJsonl(path: string): OutRow[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as OutRow);
}

/** The summary line: `classified N images (E errors) in S s, R images/s[; K resumed, C reused][; D repeats skipped]`. */
export function summary(stdout: string): { images: number; errors: number; seconds: number; rate: number; resumed: number; reused: number; repeats: number } | null {
  const m = /^classified (\d+) images \((\d+) errors\) in ([\d.]+) s, ([\d.]+) images\/s(?: \(cancelled\))?(?:; (\d+) resumed, (\d+) reused)?(?:; (\d+) repeats skipped)?$/m.exec(stdout);
  return m ? { images: Number(m[1]), errors: Number(m[2]), seconds: Number(m[3]), rate: Number(m[4]), resumed: Number(m[5] ?? 0), reused: Number(m[6] ?? 0), repeats: Number(m[7] ?? 0) } : null;
}
