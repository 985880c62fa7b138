// The stage contract, as Ray Data's streaming executor has its operators: a stage names itself,
// says how long a queue it wants in front of it and how it admits an item (a slot, a worker), and
// does its work, handing what it made to the next stage (`emit`) and a finished image's row to the
// store (`answer`). It owns no queue and counts nothing the runner can count: the runner
// (./runner.ts) makes the queues, counts in / out / busy time, and closes what comes next.

import type { ErrorCause } from '../core/outcome.ts';
import type { Counters, ItemResult } from './types.ts';
import { createSlots } from './slots.ts';

/** What admission hands a task: room, given back when the task ends, and what the room is. */
export interface Ticket<L = void> {
  lease: L;
  release(): void;
}

/**
 * Where a stage's work goes. Both wait for room downstream while the item keeps its room here:
 * that wait is the backpressure, and the runner does not count it as the stage's busy time.
 */
export interface Outlets<O> {
  /** Hands an item to the next stage. */
  emit(out: O): Promise<void>;
  /** Hands a finished image's row (an answer or a failure) to the stage that stores rows. */
  answer(result: ItemResult): Promise<void>;
  signal: AbortSignal;
}

export interface Hands<I, O> extends Outlets<O> {
  /** Up to n more inputs already queued, taken into this task without waiting (a store group). */
  waiting(n: number): I[];
}

/** The run's figures a stage adds to: numbers are summed over the stages, records by key. */
export type Figures = Pick<Counters, 'listed' | 'listingDone' | 'written' | 'resumed' | 'cached' | 'ok' | 'failed' | 'byCause' | 'stepMs' | 'retriedBatches' | 'replaced' | 'replacedReason'>;

/** Counts a row as answered: ok, or failed for its cause. */
export function tally(figures: Pick<Figures, 'ok' | 'failed' | 'byCause'>, ok: boolean, cause?: ErrorCause): void {
  if (ok) figures.ok++;
  else {
    figures.failed++;
    figures.byCause[cause!] = (figures.byCause[cause!] ?? 0) + 1;
  }
}

export interface StageFigures extends Partial<Figures> {
  /** Its workers' busy time, where a pool knows it better than the stage's slots do. */
  busyMs?: number;
}

export interface Stage<I, O = never, L = void> {
  name: string;
  /** The bound of the queue the runner puts in front of the stage; the first stage reads `source`. */
  capacity?: number;
  source?: AsyncIterable<I>;
  /** Tasks at once (or, where stats() gives busyMs, workers): the default admission, and what the utilization is a share of. */
  budget: number;
  /** Waits for room for this item; by default, one of `budget` slots. */
  admit?(item: I, signal: AbortSignal): Promise<Ticket<L>>;
  work(item: I, lease: L, hands: Hands<I, O>): Promise<void>;
  /** At the end of the input, once every task has settled: what the stage still holds (a short last batch). */
  flush?(outlets: Outlets<O>): Promise<void>;
  /** How many images the item stands for (a pack, a batch): what the counters count. */
  weight?(item: I): number;
  /** Rows given to `answer` by any stage before this one come into this stage's queue. */
  takesAnswers?: boolean;
  /** What only the stage knows: its tallies, its pool's busy time. */
  stats?(): StageFigures;
}

/** Admission by `n` slots, handed out in order. */
export function slotsOf<I>(n: number): (item: I, signal: AbortSignal) => Promise<Ticket> {
  const slots = createSlots(n);
  return async (_item, signal) => {
    await slots.acquire(signal);
    return { lease: undefined, release: () => slots.release() };
  };
}

/** A stage's counters, kept by the runner: images in and out, and its time-weighted work in flight. */
export interface Meter {
  in: number;
  out: number;
  /** Sum over time of tasks in flight, in ms: over (elapsed x budget) it is the utilization. */
  slotMs(): number;
  start(): void;
  stop(): void;
}

export function meter(): Meter {
  let inFlight = 0;
  let since = performance.now();
  let total = 0;
  const tick = () => {
    const now = performance.now();
    total += inFlight * (now - since);
    since = now;
  };
  return {
    in: 0,
    out: 0,
    slotMs() {
      tick();
      return total;
    },
    start() {
      tick();
      inFlight++;
    },
    stop() {
      tick();
      inFlight--;
    },
  };
}
