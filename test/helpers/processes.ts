// The processes a CLI started (its browser and the browser's children), read from /proc: what
// the tests that measure memory or check the sandbox look at.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freshState, type CliResult } from './cli.ts';
import { ROOT } from './paths.ts';

/** Every process below `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Ended while we looked.
    }
  }
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  found.delete(root);
  return [...found];
}

/** A /proc file of a process, or null once it has ended. */
export function procFile(pid: number, file: 'status' | 'cmdline' | 'smaps_rollup'): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** The RSS of each process under `pid` (the CLI: its browser and the browser's children), in bytes. */
function descendantsRss(pid: number): number[] {
  return descendants(pid).flatMap((p) => {
    const rss = /VmRSS:\s+(\d+) kB/.exec(procFile(p, 'status') ?? '');
    return rss ? [Number(rss[1]) * 1024] : [];
  });
}

/**
 * Runs the CLI and samples its browser's processes every 200 ms: the largest one, and the most
 * they held together.
 */
export function runWatched(args: string[], timeoutMs: number): Promise<CliResult & { largestRss: number; summedRss: number; ms: number }> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn(process.execPath, [resolve(ROOT, 'bin', 'tench.js'), ...args], { cwd: ROOT, env: { ...process.env, TENCH_STATE: freshState() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let largestRss = 0;
    let summedRss = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const sampler = setInterval(() => {
      const each = descendantsRss(child.pid!);
      largestRss = Math.max(largestRss, ...each);
      summedRss = Math.max(summedRss, each.reduce((a, b) => a + b, 0));
    }, 200);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      done({ code, stdout, stderr, largestRss, summedRss, ms: Date.now() - started });
    });
  });
}
