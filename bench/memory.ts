// The browser's memory, as the operating system sees it: resident size summed over every process
// this Node process started (Chromium's browser, GPU, renderer and utility processes), sampled
// while a task runs. Linux /proc only.

import { readFileSync } from 'node:fs';
import { descendants } from './processes.ts';

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
