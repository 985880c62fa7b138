// The loop every stage shares: admission bounds the work in flight, a weight counts images, the
// wait to hand on is not busy time, and a failing task stops the run with its error.

import { describe, expect, it } from 'vitest';
import { meter, runStage, type Stage } from '../../src/pipeline/operator.ts';
import { createQueue } from '../../src/pipeline/queue.ts';
import { createSlots } from '../../src/pipeline/slots.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function stage(over: Partial<Stage<number[]>>, budget = 2): Stage<number[]> & { peak: number } {
  const slots = createSlots(budget);
  let inFlight = 0;
  const s = {
    peak: 0,
    name: 'fetch' as const,
    input: (async function* () {
      for (let i = 0; i < 10; i++) yield [i, i];
    })(),
    async admit(_item: number[], signal: AbortSignal) {
      await slots.acquire(signal);
      inFlight++;
      s.peak = Math.max(s.peak, inFlight);
      return { lease: undefined, release: () => (inFlight--, slots.release()) };
    },
    async work() {
      await tick(2);
    },
    weight: (item: number[]) => item.length,
    end() {},
    ...over,
  };
  return s;
}

describe('runStage', () => {
  it('keeps the work in flight within the budget and counts images by weight', async () => {
    const s = stage({}, 3);
    const m = meter();
    await runStage(s, m, new AbortController().signal, () => {});
    expect(s.peak).toBe(3);
    expect(m.in).toBe(20);
    expect(m.out).toBe(20);
  });

  it('does not count the wait for room downstream as busy time', async () => {
    const out = createQueue<number>(1);
    const m = meter();
    const run = runStage(stage({ work: async (item) => () => out.push(item[0]!) }, 1), m, new AbortController().signal, () => {});
    await tick(80);
    // Nothing pops `out`: one unit waits in it, the next is held at its delivery, not working.
    expect(m.slotMs()).toBeLessThan(30);
    expect(m.out).toBe(4);
    for (let i = 0; i < 10; i++) await out.pop();
    await run;
  });

  it('stops with the first error, once the other tasks have settled, and does not end', async () => {
    const failed: unknown[] = [];
    let ended = false;
    let settled = 0;
    const s = stage({
      async work(item) {
        if (item[0] === 3) throw new Error('broken unit');
        await tick(5);
        settled++;
      },
      end: () => void (ended = true),
    });
    await expect(runStage(s, meter(), new AbortController().signal, (e) => failed.push(e))).rejects.toThrow('broken unit');
    expect(failed).toHaveLength(1);
    expect(ended).toBe(false);
    expect(settled).toBeGreaterThanOrEqual(3);
  });
});
