// The runner with dummy stages: the loop every stage shares (admission bounds the work in flight,
// a weight counts images, the wait to hand on is not busy time, the first failing task stops the
// run), the queues it makes and closes, and the figures it reads off the stages.

import { describe, expect, it } from 'vitest';
import type { Stage } from '../../src/pipeline/operator.ts';
import { addUp, runStages, type AnyStage } from '../../src/pipeline/runner.ts';
import type { ItemResult } from '../../src/pipeline/types.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function valve() {
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** A first stage: n items, each handed on as it is; `pulled` counts what the listing gave. */
function source<T>(n: number, make: (i: number) => T, counts = { pulled: 0 }): Stage<T, T> {
  return {
    name: 'list',
    source: (async function* () {
      for (let i = 0; i < n; i++) {
        counts.pulled++;
        yield make(i);
      }
    })(),
    budget: 1,
    work: (item, _lease, { emit }) => emit(item),
  };
}

/** A stage that hands each item on unchanged, after `over`. */
function pass<T>(name: string, over: Partial<Stage<T, T>> = {}): Stage<T, T> {
  return { name, capacity: 2, budget: 1, work: (item, _lease, { emit }) => emit(item), ...over };
}

const row = (seq: number): ItemResult => ({ item: { path: `img-${seq}.jpg`, source: { kind: 'url', url: `mem:${seq}` } }, seq, outcome: { ok: true, topK: [] } });

const run = (stages: AnyStage[], controller = new AbortController()) =>
  runStages(stages, controller.signal, (error) => {
    if (!controller.signal.aborted) controller.abort(error);
  });

describe('a stage run by the runner', () => {
  it('keeps the work in flight within the budget and counts images by weight', async () => {
    let inFlight = 0;
    let peak = 0;
    const running = run([
      source(10, (i) => [i, i]),
      pass<number[]>('fetch', { capacity: 4, budget: 3, weight: (unit) => unit.length, async work() {
        peak = Math.max(peak, ++inFlight);
        await tick(2);
        inFlight--;
      } }),
    ]);
    await running.done;
    const fetch = running.view(1).stages[1]!;
    expect(peak).toBe(3);
    expect(fetch).toMatchObject({ name: 'fetch', in: 20, out: 20 });
  });

  it('does not count the wait for room downstream as busy time, but counts the work', async () => {
    const sink = valve();
    const running = run([
      source(10, (i) => [i, i]),
      pass<number[]>('fetch', { weight: (unit) => unit.length }),
      pass<number[]>('sink', { capacity: 1, work: () => sink.opened }),
    ]);
    await tick(80);
    const [, fetch, stalled] = running.view(80).stages;
    // The sink works on the first unit, has taken the second (waiting for its slot) and holds the
    // third in its queue; fetch has handed those on and waits with the fourth, not out yet.
    expect(fetch).toMatchObject({ in: 8, out: 6 });
    expect(fetch!.utilization).toBeLessThan(30 / 80);
    expect(stalled!.utilization).toBeGreaterThan(60 / 80);
    sink.open();
    await running.done;
    expect(running.view(1).stages.map((s) => [s.in, s.out])).toEqual([[10, 10], [20, 20], [10, 10]]);
  });

  it('stops with the first error, once the other tasks have settled, and does not flush', async () => {
    let flushed = false;
    let settled = 0;
    const counts = { pulled: 0 };
    const running = run([
      source(100, (i) => i, counts),
      pass<number>('fetch', { capacity: 2, budget: 2, async work(item) {
        if (item === 3) throw new Error('broken unit');
        await tick(5);
        settled++;
      }, flush: async () => void (flushed = true) }),
    ]);
    await expect(running.done).rejects.toThrow('broken unit');
    expect(flushed).toBe(false);
    expect(settled).toBeGreaterThanOrEqual(3);
    expect(counts.pulled).toBeLessThan(100);
  });
});

describe('the composition', () => {
  it('runs a stage added by one line, and shows it in the stages and the queues', async () => {
    const out: number[] = [];
    const sink = pass<number>('sink', { work: async (n) => void out.push(n) });
    const stages: AnyStage[] = [
      source(12, (i) => i),
      pass<number>('fetch'),
      pass<number>('double', { capacity: 3, work: (n, _lease, { emit }) => emit(n * 2) }),
      sink,
    ];
    const running = run(stages);
    await running.done;
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
    const view = running.view(1);
    expect(view.stages.map((s) => s.name)).toEqual(['list', 'fetch', 'double', 'sink']);
    expect(view.stages[2]).toMatchObject({ in: 12, out: 12, capacity: 3 });
    expect(Object.keys(view.queues)).toEqual(['fetch', 'double', 'sink']);
    expect(view.queues.double!.capacity).toBe(3);
    expect(view.queues.double!.highWater).toBeGreaterThan(0);
  });

  it('closes the answers\' queue only once every stage that may answer has ended', async () => {
    const log: string[] = [];
    const rows: number[] = [];
    const groups: number[] = [];
    const running = run([
      source(10, (i) => i),
      // Answers the odd ones at once and, at its end and slowly, one row more.
      pass<number>('fetch', {
        work: (n, _lease, { emit, answer }) => (n % 2 ? answer(row(n)) : emit(n)),
        async flush({ answer }) {
          await tick(30);
          await answer(row(100));
          log.push('fetch ended');
        },
      }),
      pass<number>('infer', {
        budget: 2,
        async work(n, _lease, { answer }) {
          await tick(5);
          await answer(row(n));
        },
        async flush({ answer }) {
          await tick(10);
          await answer(row(101));
          log.push('infer ended');
        },
      }),
      {
        name: 'store', capacity: 2, budget: 1, takesAnswers: true,
        async work(first: ItemResult, _lease: void, { waiting }) {
          const group = [first, ...waiting(3)];
          groups.push(group.length);
          rows.push(...group.map((r) => r.seq));
          await tick(1);
        },
        flush: async () => void log.push('store ended'),
      } satisfies Stage<ItemResult>,
    ]);
    await running.done;
    expect(log).toEqual(['fetch ended', 'infer ended', 'store ended']);
    expect(rows.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101]);
    // The store took what was waiting with each row, and counted every row in and out.
    expect(Math.max(...groups)).toBeGreaterThan(1);
    expect(running.view(1).stages[3]).toMatchObject({ in: 12, out: 12 });
  });

  it('holds every queue at its bound and the listing with it when the last stage stalls', async () => {
    const stall = valve();
    const counts = { pulled: 0 };
    const running = run([
      source(1000, (i) => i, counts),
      pass<number>('a', { capacity: 3, budget: 2 }),
      pass<number>('b', { capacity: 2, work: () => stall.opened }),
    ]);
    await tick(50);
    const { queues } = running.view(50);
    for (const [name, q] of Object.entries(queues)) expect(q.highWater, name).toBe(q.capacity);
    // b works on one and its queue holds 2; a's 2 tasks wait to hand on and its queue holds 3;
    // the listing's task waits to hand on; and each stage has taken one more that waits for room.
    const held = (1 + 2) + (2 + 3) + 1 + 3;
    expect(counts.pulled).toBe(held);
    await tick(30);
    expect(counts.pulled, 'the listing must not creep on').toBe(held);
    stall.open();
    await running.done;
    expect(counts.pulled).toBe(1000);
    for (const [name, q] of Object.entries(running.view(1).queues)) expect(q.highWater, name).toBe(q.capacity);
  });

  it('sums the stages\' figures: numbers added, records by key, the last reason given', () => {
    expect(addUp([
      { listed: 5, resumed: 1, ok: 1, byCause: { fetch_failed: 1 }, listingDone: true },
      { busyMs: 40, stepMs: { decode: 3 }, replaced: 1, replacedReason: 'hung' },
      { busyMs: 50, stepMs: { infer: 7 }, replaced: 0, replacedReason: null },
      { written: 4, ok: 2, failed: 2, byCause: { fetch_failed: 1, infer_failed: 1 }, stepMs: { store: 2 } },
    ])).toEqual({
      listed: 5, listingDone: true, written: 4, resumed: 1, cached: 0, ok: 3, failed: 2,
      byCause: { fetch_failed: 2, infer_failed: 1 }, stepMs: { decode: 3, infer: 7, store: 2 },
      retriedBatches: 0, replaced: 1, replacedReason: 'hung',
    });
  });
});
