// Progress for a person at a terminal (a bar with rate and ETA), for logs (a line every few
// seconds), or for programs (--json: one JSON object per line on stdout).

import cliProgress from 'cli-progress';
import type { Progress } from '../pipeline/progress.ts';
import { jsonLine } from './printable.ts';

export interface ProgressSink {
  update(p: Progress): void;
  /** Leaves the terminal clean for the lines that follow. */
  stop(): void;
}

function eta(p: Progress): string {
  if (p.etaMs === null) return '?';
  const s = Math.round(p.etaMs / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

function line(p: Progress): string {
  const rate = (p.recentRate || p.rate).toFixed(1);
  const slow = p.bottleneck ? `, slowest stage ${p.bottleneck}` : '';
  return `${p.done}/${p.listed}${p.listingDone ? '' : '+'} images, ${p.failed} errors, ${rate} images/s, ETA ${eta(p)}${slow}${p.state === 'paused' ? ' (paused)' : ''}`;
}

/**
 * What the bar shows. Until the listing ends the total is not known: the count says "+" and the
 * bar stays empty, rather than filling against the part listed so far.
 */
export function barState(p: Progress): { value: number; total: number; payload: Record<string, string | number> } {
  return {
    value: p.listingDone ? p.done : 0,
    total: Math.max(p.listed, 1),
    payload: {
      count: `${p.done}/${p.listed}${p.listingDone ? '' : '+'}`,
      rate: (p.recentRate || p.rate).toFixed(1),
      left: eta(p),
      errors: p.failed,
      note: p.state === 'paused' ? 'paused (p to resume)' : !p.listingDone ? 'listing' : p.bottleneck ? `slowest: ${p.bottleneck}` : p.state,
    },
  };
}

export function terminalBar(stream: NodeJS.WriteStream, options: { tty?: boolean } = {}): ProgressSink {
  const bar = new cliProgress.SingleBar({
    stream,
    // cli-progress's own {eta} and {total} are its estimate (seconds, or "INF") and a number:
    // tench's come in the payload, with units, and with "+" while the listing goes on.
    format: '{bar} {count} images | {rate} images/s | ETA {left} | {errors} errors | {note}',
    barsize: 28,
    hideCursor: true,
    clearOnComplete: true,
    noTTYOutput: options.tty === false,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      const { value, total, payload } = barState(p);
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function logLines(write: (s: string) => void, everyMs = 10_000): ProgressSink {
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < everyMs && p.state === 'running') return;
      last = now;
      write(`progress: ${line(p)}`);
    },
    stop() {},
  };
}

export function jsonLines(write: (s: string) => void, everyMs = 1000): ProgressSink {
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < everyMs && p.state === 'running') return;
      last = now;
      write(jsonLine({
        type: 'progress',
        state: p.state,
        done: p.done,
        resumed: p.resumed,
        cached: p.cached,
        listed: p.listed,
        listing_done: p.listingDone,
        ok: p.ok,
        failed: p.failed,
        by_cause: p.byCause,
        skipped: p.skipped,
        skipped_why: p.skippedWhy ?? {},
        repeated: p.repeated ?? 0,
        elapsed_s: Number((p.elapsedMs / 1000).toFixed(3)),
        rate: Number(p.rate.toFixed(3)),
        recent_rate: Number(p.recentRate.toFixed(3)),
        eta_s: p.etaMs === null ? null : Math.round(p.etaMs / 1000),
        bottleneck: p.bottleneck,
        batch_size: p.batchSize ?? null,
        stages: p.stages.map((s) => ({ name: s.name, in: s.in, out: s.out, queued: s.queued, capacity: s.capacity, utilization: Number(s.utilization.toFixed(3)) })),
        step_ms: Object.fromEntries(Object.entries(p.stepMs ?? {}).map(([k, v]) => [k, Number((v ?? 0).toFixed(1))])),
      }));
    },
    stop() {},
  };
}
