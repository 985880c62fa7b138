// The stage contract, as Ray Data's streaming executor has its operators: a stage names itself,
// takes its items from one input (a bounded queue, or the listing), admits each one only when it
// has room (a slot, a worker), does its work, and counts what went in and out. One runner owns
// the loop every stage shares: take -> admit -> work -> count -> (input done) settle -> end.

import { CLOSED, type Queue } from './queue.ts';
import { createSlots } from './slots.ts';

export type StageName = 'list' | 'fetch' | 'decode' | 'batch' | 'infer' | 'store' | 'sink';

/** What admission hands a task: room, given back when the task ends, and what the room is. */
export interface Ticket<L = void> {
  lease: L;
  release(): void;
}

/**
 * The work on one item, and what it hands on: `deliver` waits for room downstream, holding the
 * item's room here (that wait is the backpressure), but is not counted as the stage's busy time.
 */
export type Delivery = (() => Promise<void>) | void;

export interface Stage<I, L = void> {
  name: StageName;
  input: Queue<I> | AsyncIterable<I>;
  /** Waits for room for this item. */
  admit(item: I, signal: AbortSignal): Promise<Ticket<L>>;
  work(item: I, lease: L, signal: AbortSignal): Promise<Delivery>;
  /** How many images the item stands for (a pack, a batch): what the counters count. */
  weight?(item: I): number;
  /** After the input ended and every task settled: flush, then close what comes next. */
  end(signal: AbortSignal): Promise<void> | void;
}

/** Admission for a stage that takes one item at a time, in order (the listing, batching, the store). */
export function oneAtATime<I>(): (item: I, signal: AbortSignal) => Promise<Ticket> {
  const one = createSlots(1);
  return async (_item, signal) => {
    await one.acquire(signal);
    return { lease: undefined, release: () => one.release() };
  };
}

/** A stage's own counters: images in and out, and its time-weighted work in flight. */
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

async function* items<I>(input: Queue<I> | AsyncIterable<I>, signal: AbortSignal): AsyncGenerator<I> {
  if (!('pop' in input)) {
    yield* input;
    return;
  }
  for (;;) {
    const next = await input.pop(signal);
    if (next === CLOSED) return;
    yield next;
  }
}

/**
 * Runs a stage to the end of its input. A task that throws stops the run (`fail`), and the stage
 * then rejects with that error once its other tasks have settled.
 */
export async function runStage<I, L>(stage: Stage<I, L>, m: Meter, signal: AbortSignal, fail: (error: unknown) => void): Promise<void> {
  const tasks = new Set<Promise<void>>();
  let error: { value: unknown } | null = null;
  const settle = async () => {
    while (tasks.size) await Promise.allSettled([...tasks]);
  };
  try {
    for await (const item of items(stage.input, signal)) {
      signal.throwIfAborted();
      const ticket = await stage.admit(item, signal);
      const weight = stage.weight?.(item) ?? 1;
      m.in += weight;
      const task: Promise<void> = (async () => {
        m.start();
        let busy = true;
        try {
          const deliver = await stage.work(item, ticket.lease, signal);
          m.stop();
          busy = false;
          m.out += weight;
          await deliver?.();
        } catch (e) {
          error ??= { value: e };
          fail(e);
        } finally {
          if (busy) m.stop();
          ticket.release();
        }
      })();
      tasks.add(task);
      void task.then(() => tasks.delete(task));
    }
  } catch (stopped) {
    // Stopped (a cancel, or another stage failed): work already under way ends first, so that
    // what it stored is counted. The workers were stopped with the run, so none of it hangs.
    await settle();
    throw stopped;
  }
  await settle();
  if (error) throw (error as { value: unknown }).value;
  await stage.end(signal);
}
