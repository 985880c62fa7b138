// A running job's progress, as the page and the CLI see it: a view of the engine's counters and
// the listing's tallies, sent every PROGRESS_EVERY_MS, with the run's record saved every
// SAVE_COUNTS_MS so that a tab that dies leaves a record that says how far it got.

import { bottleneck, createRateMeter, eta, type Progress } from '../pipeline/progress.ts';
import type { Counters } from '../pipeline/types.ts';
import type { OpenDataset } from '../datasets/remote.ts';

const PROGRESS_EVERY_MS = 250;
const SAVE_COUNTS_MS = 3000;

/** Says that workers were replaced, and why, so a run that recovered does not hide it. */
export function replacedNote(counters: Counters): string | null {
  if (!counters.replaced) return null;
  const retried = counters.retriedBatches ? `; ${counters.retriedBatches} batch${counters.retriedBatches === 1 ? '' : 'es'} run again` : '';
  return `${counters.replaced} worker${counters.replaced === 1 ? '' : 's'} replaced (the last because ${counters.replacedReason ?? 'it failed'})${retried}`;
}

export interface ProgressContext {
  runId: string;
  /** The backend and why, as the progress line shows it. */
  device: string;
  startedAt: number;
  listing: OpenDataset['stats'];
}

export function progressFrom(at: ProgressContext, state: Progress['state'], counters: Counters, recentRate: number, note: string | null): Progress {
  const elapsedMs = performance.now() - at.startedAt;
  const rate = elapsedMs > 0 ? (counters.written * 1000) / elapsedMs : 0;
  const done = counters.written + counters.resumed;
  const { listing } = at;
  return {
    runId: at.runId,
    state,
    // Items the engine admitted: the listing itself may hold one more it has read but not yet handed over.
    listed: counters.listed,
    listingDone: counters.listingDone,
    skipped: listing.skipped,
    ...(listing.skippedWhy ? { skippedWhy: { ...listing.skippedWhy } } : {}),
    ...(listing.repeated ? { repeated: listing.repeated } : {}),
    done,
    resumed: counters.resumed,
    cached: counters.cached,
    ok: counters.ok,
    failed: counters.failed,
    byCause: counters.byCause,
    stages: counters.stages,
    stepMs: counters.stepMs,
    elapsedMs,
    rate,
    recentRate,
    etaMs: eta(counters.listingDone, counters.listed, done, recentRate || rate),
    bottleneck: bottleneck(counters.stages),
    device: at.device,
    batchSize: counters.batchSize,
    ...(note ? { note } : {}),
    ...(counters.model.ready ? {} : { model: { loaded: counters.model.loaded, total: counters.model.total } }),
  };
}

export interface Reporter {
  /** Sends the progress now, in this state. */
  report(state: Progress['state']): void;
  /** The note shown until cleared (null): a full store, say. */
  setNote(note: string | null): void;
  stop(): void;
}

/**
 * Sends progress every tick while the run goes, and every SAVE_COUNTS_MS hands the counters to
 * `save` (the record's counts follow the run).
 */
export function startReporting(at: ProgressContext, counters: () => Counters, paused: () => boolean, send: (p: Progress) => void, save: (c: Counters) => void): Reporter {
  const meter = createRateMeter();
  let note: string | null = null;
  const report = (state: Progress['state']) => {
    const c = counters();
    send(progressFrom(at, state, c, meter.sample(performance.now(), c.written), note ?? replacedNote(c) ?? at.listing.notice ?? null));
  };
  let saved = performance.now();
  const timer = setInterval(() => {
    report(paused() ? 'paused' : 'running');
    if (performance.now() - saved > SAVE_COUNTS_MS) {
      saved = performance.now();
      save(counters());
    }
  }, PROGRESS_EVERY_MS);
  return { report, setNote: (n) => void (note = n), stop: () => clearInterval(timer) };
}
