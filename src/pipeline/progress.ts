// Progress is a view of the stages' counters: nothing here counts anything itself.

import type { ErrorCause } from '../core/outcome.ts';

export interface StageStats {
  /** The stage's name, as the composition (scheduler.ts) has it. */
  name: string;
  /** Items that entered and left the stage. */
  in: number;
  out: number;
  /** Items waiting in the stage's input queue, and that queue's bound. */
  queued: number;
  capacity: number;
  /** Share of the stage's workers' time spent working, 0..1. */
  utilization: number;
}

export interface Progress {
  runId: string;
  state: 'starting' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';
  listed: number;
  listingDone: boolean;
  skipped: number;
  /** Of skipped, those skipped for another reason than their extension, by that reason. */
  skippedWhy?: Record<string, number>;
  /** Entries of a list that repeat a path listed before: dropped at the listing, never rows. */
  repeated?: number;
  /** Rows written or, on a resume, already stored. */
  done: number;
  /** Of done: rows stored before a resume, and rows copied from another run of the same image. */
  resumed: number;
  cached: number;
  ok: number;
  failed: number;
  byCause: Partial<Record<ErrorCause, number>>;
  stages: StageStats[];
  /** Milliseconds per step, summed over the images (the scheduler's Counters.stepMs). */
  stepMs?: Partial<Record<string, number>>;
  elapsedMs: number;
  /** Images per second since the first image, and over the last few seconds. */
  rate: number;
  recentRate: number;
  etaMs: number | null;
  /** The stage that holds the rest back: the busiest one. */
  bottleneck: StageStats['name'] | null;
  device?: string;
  /** Images per forward pass now: lower than asked after an out-of-memory error. */
  batchSize?: number;
  note?: string;
  /** While no session is ready: the model's bytes downloaded so far, of the total (0 when unknown). */
  model?: { loaded: number; total: number };
}

/** Images/s over a sliding window of (time, done) samples. */
export function createRateMeter(windowMs = 5000) {
  const samples: Array<[number, number]> = [];
  return {
    sample(now: number, done: number): number {
      samples.push([now, done]);
      while (samples.length > 2 && samples[0]![0] < now - windowMs) samples.shift();
      const [t0, d0] = samples[0]!;
      return now > t0 ? ((done - d0) * 1000) / (now - t0) : 0;
    },
  };
}

export function bottleneck(stages: readonly StageStats[]): StageStats['name'] | null {
  let best: StageStats | null = null;
  for (const s of stages) if (s.name !== 'list' && (!best || s.utilization > best.utilization)) best = s;
  return best && best.utilization > 0 ? best.name : null;
}

export function eta(listingDone: boolean, listed: number, done: number, rate: number): number | null {
  if (!listingDone || rate <= 0) return null;
  return ((listed - done) / rate) * 1000;
}
