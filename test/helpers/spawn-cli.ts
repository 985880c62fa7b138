// A CLI process the test talks to while it runs: JSON progress lines in, signals out.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshState } from './cli.ts';
import { ROOT } from './paths.ts';

export interface LiveCli {
  child: ChildProcess;
  /** Every JSON line seen on stdout so far. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line that satisfies the predicate. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): LiveCli {
  const child = spawn(process.execPath, [resolve(ROOT, 'bin', 'tench.js'), ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, TENCH_STATE: freshState(), HF_HUB_CACHE: mkdtempSync(join(tmpdir(), 'tench-hf-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ test: (l: Record<string, unknown>) => boolean; done: (l: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done(line);
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; stderr: string }>((done) => child.on('close', (code) => done({ code, stderr })));
  return {
    child,
    lines,
    exit,
    waitFor(test, timeoutMs = 120_000) {
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no such line within ${timeoutMs} ms; last: ${JSON.stringify(lines.at(-1))}`)), timeoutMs);
        waiters.push({ test, done: (l) => { clearTimeout(timer); done(l); } });
        void exit.then(() => fail(new Error(`the CLI exited first: ${stderr}`)));
      });
    },
  };
}
