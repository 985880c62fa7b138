// The browser's memory, as the operating system sees it: resident size summed over every process
// this Node process started (Chromium's browser, GPU, renderer and utility processes), sampled
// while a task runs. Linux /proc only.

import { readdirSync, readFileSync } from 'node:fs';

function children(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  return parents;
}

function descendants(root: number): number[] {
  const parents = children();
  const out: number[] = [];
  const seen = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!seen.has(pid) && seen.has(ppid)) {
        seen.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

export function residentBytes(root = process.pid): number {
  let total = 0;
  for (const pid of descendants(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

export async function peakDuring<T>(task: () => Promise<T>, everyMs = 200): Promise<{ result: T; peakBytes: number }> {
  let peak = residentBytes();
  const timer = setInterval(() => {
    peak = Math.max(peak, residentBytes());
  }, everyMs);
  try {
    const result = await task();
    peak = Math.max(peak, residentBytes());
    return { result, peakBytes: peak };
  } finally {
    clearInterval(timer);
  }
}
