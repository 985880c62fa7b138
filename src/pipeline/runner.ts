// The runner of a composition of stages (./operator.ts). It owns what the stages share: the
// bounded queue in front of every stage but the first, sized by that stage; the loop each stage
// runs (take -> admit -> work -> count -> at the input's end, flush); where `emit` and `answer`
// lead; and each queue's end. A queue closes once every stage before it has ended, not only the
// one before: any of them may still answer, and the answers' queue has them all as producers.

import { meter, slotsOf, type Figures, type Meter, type Outlets, type Stage, type StageFigures } from './operator.ts';
import type { StageStats } from './progress.ts';
import { CLOSED, createQueue, type Queue } from './queue.ts';
import type { Counters } from './types.ts';

// Each stage takes what the one before emits; a list of them is not typed link by link.
export type AnyStage = Stage<any, any, any>;

export interface Running {
  /** Resolves when every stage has ended; rejects with the reason the run stopped. */
  done: Promise<void>;
  /** Each stage's meter, input queue and stats(), and the run's figures summed over the stages. */
  view(elapsedMs: number): { stages: StageStats[]; queues: Counters['queues']; figures: Figures };
}

async function* itemsOf<I>(queue: Queue<I> | null, source: AsyncIterable<I> | undefined, signal: AbortSignal): AsyncGenerator<I> {
  if (!queue) {
    yield* source!;
    return;
  }
  for (;;) {
    const next = await queue.pop(signal);
    if (next === CLOSED) return;
    yield next;
  }
}

interface Wired<I> {
  stage: Stage<I, unknown, unknown>;
  queue: Queue<I> | null;
  meter: Meter;
  outlets: Outlets<unknown>;
}

/** One task: the work on an item (and whatever it takes from the queue besides), counted. */
async function task<I>({ stage, queue, meter: m, outlets }: Wired<I>, item: I, lease: unknown): Promise<void> {
  const weight = (x: I) => stage.weight?.(x) ?? 1;
  let taken = weight(item);
  const waiting = (n: number) => {
    const more = queue?.drain(n) ?? [];
    for (const x of more) {
      m.in += weight(x);
      taken += weight(x);
    }
    return more;
  };
  m.start();
  try {
    await stage.work(item, lease, { ...outlets, waiting });
    m.out += taken;
  } finally {
    m.stop();
  }
}

/**
 * Runs a stage to the end of its input, then flushes it. A task that throws stops the run
 * (`fail`), and the stage then rejects with that error once its other tasks have settled.
 */
async function runStage<I>(wired: Wired<I>, signal: AbortSignal, fail: (error: unknown) => void): Promise<void> {
  const { stage, meter: m } = wired;
  const admit = stage.admit?.bind(stage) ?? slotsOf<I>(stage.budget);
  const tasks = new Set<Promise<void>>();
  let error: { value: unknown } | null = null;
  const settle = async () => {
    while (tasks.size) await Promise.allSettled([...tasks]);
  };
  try {
    for await (const item of itemsOf(wired.queue, stage.source, signal)) {
      signal.throwIfAborted();
      const ticket = await admit(item, signal);
      m.in += stage.weight?.(item) ?? 1;
      const running = task(wired, item, ticket.lease).catch((e: unknown) => {
        error ??= { value: e };
        fail(e);
      }).finally(() => ticket.release());
      tasks.add(running);
      void running.then(() => tasks.delete(running));
    }
  } catch (stopped) {
    // Stopped (a cancel, or another stage failed): work already under way ends first, so that
    // what it stored is counted. The workers were stopped with the run, so none of it hangs.
    await settle();
    throw stopped;
  }
  await settle();
  if (error) throw (error as { value: unknown }).value;
  m.start();
  try {
    await stage.flush?.(wired.outlets);
  } finally {
    m.stop();
  }
}

/** The run's figures: each stage's numbers summed, its records summed by key, the last reason given. */
export function addUp(all: readonly StageFigures[]): Figures {
  const sum: Figures = { listed: 0, listingDone: false, written: 0, resumed: 0, cached: 0, ok: 0, failed: 0, byCause: {}, stepMs: {}, retriedBatches: 0, replaced: 0, replacedReason: null };
  const into = sum as unknown as Record<string, unknown>;
  for (const { busyMs: _busyMs, ...figures } of all) {
    for (const [key, value] of Object.entries(figures)) {
      if (typeof value === 'number') into[key] = (into[key] as number) + value;
      else if (typeof value === 'boolean') into[key] = (into[key] as boolean) || value;
      else if (typeof value === 'string') into[key] = value;
      else if (value) {
        const record = into[key] as Record<string, number>;
        for (const [k, n] of Object.entries(value as Record<string, number>)) record[k] = (record[k] ?? 0) + n;
      }
    }
  }
  return sum;
}

/** Where each stage's work goes: emit to the next stage's queue, answer to the answers' queue. */
function outletsOf(stages: readonly AnyStage[], queues: ReadonlyArray<Queue<unknown> | null>, meters: readonly Meter[], signal: AbortSignal) {
  const answersAt = stages.findIndex((s) => s.takesAnswers);
  return stages.map((stage, i): Outlets<unknown> => {
    const m = meters[i]!;
    // The wait for room is not work: the task is off the meter while it waits.
    const handOn = async (queue: Queue<unknown> | null | undefined, item: unknown, what: string) => {
      if (!queue) throw new Error(`the ${stage.name} stage has no stage after it to take ${what}`);
      m.stop();
      try {
        await queue.push(item, signal);
      } finally {
        m.start();
      }
    };
    return {
      signal,
      emit: (out) => handOn(queues[i + 1], out, 'what it emits'),
      answer: (row) => handOn(answersAt > i ? queues[answersAt] : null, row, 'answers'),
    };
  });
}

export function runStages(stages: readonly AnyStage[], signal: AbortSignal, fail: (error: unknown) => void): Running {
  if (!stages[0]?.source) throw new Error('the first stage reads a source');
  const queues = stages.map((s, i) => {
    if (i > 0 && !s.capacity) throw new Error(`the ${s.name} stage needs the capacity of its queue`);
    return i === 0 ? null : createQueue<unknown>(s.capacity!);
  });
  const meters = stages.map(() => meter());
  const outlets = outletsOf(stages, queues, meters, signal);
  const ended = stages.map(() => false);
  let endedInARow = 0;
  const stageEnded = (i: number) => {
    ended[i] = true;
    while (endedInARow < stages.length && ended[endedInARow]) queues[++endedInARow]?.close();
  };

  const done = (async () => {
    const running = stages.map((stage, i) =>
      runStage({ stage, queue: queues[i] ?? null, meter: meters[i]!, outlets: outlets[i]! }, signal, fail).then(() => stageEnded(i), (error: unknown) => {
        fail(error);
        throw error;
      }),
    );
    const outcome = await Promise.allSettled(running);
    if (signal.aborted) throw signal.reason;
    const rejected = outcome.find((o) => o.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  })();

  const view = (elapsedMs: number) => {
    const stats = stages.map((s) => s.stats?.() ?? {});
    return {
      stages: stages.map((s, i): StageStats => {
        const m = meters[i]!;
        const queue = queues[i];
        const busyMs = stats[i]!.busyMs ?? m.slotMs();
        return { name: s.name, in: m.in, out: m.out, queued: queue?.length ?? 0, capacity: queue?.capacity ?? 0, utilization: busyMs / (elapsedMs * s.budget) };
      }),
      queues: Object.fromEntries(stages.flatMap((s, i) => {
        const queue = queues[i];
        return queue ? [[s.name, { highWater: queue.highWater, capacity: queue.capacity }]] : [];
      })),
      figures: addUp(stats),
    };
  };
  return { done, view };
}
