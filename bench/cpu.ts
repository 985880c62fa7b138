// CPU time of the browser, as the operating system counts it: every thread of every process this
// process started (Chromium's browser, GPU, renderer and utility processes) and of that process
// itself (the server the page fetches from), grouped by process kind and thread name.
// Linux /proc only. Threads can end during a run (a worker terminated), so each is sampled
// while the run goes and its last figure is kept.

import { readdirSync, readFileSync } from 'node:fs';
import { descendants } from './processes.ts';

const TICK_MS = 10; // USER_HZ is 100 on Linux everywhere Chromium runs

interface ThreadTime {
  group: string;
  ms: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** utime + stime of a /proc stat line, in ms. */
function cpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function processKind(pid: number, self: number, selfLabel: string): string {
  if (pid === self) return selfLabel;
  // Chromium rewrites its command line as one string of space-separated words.
  const cmdline = readText(`/proc/${pid}/cmdline`)?.split(/[\0 ]/) ?? [];
  const type = cmdline.find((a) => a.startsWith('--type='))?.slice(7);
  if (!type) return /chrom/i.test(cmdline[0] ?? '') ? 'browser' : `other (${(cmdline[0] ?? '?').split('/').pop()})`;
  if (type === 'utility') {
    const sub = cmdline.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? '';
    return /network/i.test(sub) ? 'network service' : /storage/i.test(sub) ? 'storage service' : `utility (${sub.split('.').pop()})`;
  }
  return type === 'gpu-process' ? 'gpu' : type;
}

/** Worker pools and Chromium's own pools have numbered names; one row per kind reads better. */
function threadKind(comm: string): string {
  return comm.trim().replace(/[\d:]+$/, '').replace(/\s+$/, '') || comm.trim();
}

function snapshot(root: number, rootLabel: string): Map<number, ThreadTime> {
  const mine = [root, ...descendants(root)];
  const out = new Map<number, ThreadTime>();
  for (const pid of mine) {
    const kind = processKind(pid, root, rootLabel);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = readText(`/proc/${pid}/task/${tid}/stat`);
      const comm = readText(`/proc/${pid}/task/${tid}/comm`);
      if (!stat || comm === null) continue;
      out.set(Number(tid), { group: `${kind} · ${threadKind(comm)}`, ms: cpuMs(stat) });
    }
  }
  return out;
}

export interface CpuMeter {
  /** Starts counting from now (threads' time so far is left out). */
  mark(): void;
  /** CPU ms per group since mark(), largest first. */
  read(): Array<{ group: string; ms: number }>;
  stop(): void;
}

/**
 * Samples every thread's CPU time while a task runs, in `root` (named rootLabel: the bench itself,
 * which serves the page, or a CLI process) and every process under it.
 */
export function cpuMeter(root = process.pid, rootLabel = 'server (node)', everyMs = 250): CpuMeter {
  const base = new Map<number, number>();
  const last = new Map<number, ThreadTime>();
  let marked = false;
  // A process that is exiting shows an empty command line: its threads keep the kind they were
  // last seen with.
  const keep = (tid: number, t: ThreadTime) => last.set(tid, { ms: t.ms, group: t.group.startsWith('other ()') ? last.get(tid)?.group ?? t.group : t.group });
  const sample = () => {
    for (const [tid, t] of snapshot(root, rootLabel)) {
      if (!marked && !base.has(tid)) base.set(tid, t.ms);
      keep(tid, t);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    mark() {
      base.clear();
      for (const [tid, t] of snapshot(root, rootLabel)) {
        base.set(tid, t.ms);
        keep(tid, t);
      }
      marked = true;
    },
    read() {
      sample();
      const groups = new Map<string, number>();
      for (const [tid, t] of last) {
        const ms = t.ms - (base.get(tid) ?? 0);
        if (ms > 0) groups.set(t.group, (groups.get(t.group) ?? 0) + ms);
      }
      return [...groups].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
