// The progress a run reports: a view of the engine's counters and the listing's tallies, sent on
// a timer, with the record's counts saved on a slower one.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Counters } from '../../src/pipeline/types.ts';
import { progressFrom, replacedNote, startReporting } from '../../src/run/progress.ts';

function counters(over: Partial<Counters> = {}): Counters {
  return {
    listed: 10, listingDone: true, written: 4, resumed: 2, cached: 1, ok: 5, failed: 1, byCause: { decode_failed: 1 }, batchSize: 8,
    stages: [{ name: 'infer', in: 4, out: 4, queued: 0, capacity: 1, utilization: 0.9 }, { name: 'decode', in: 6, out: 6, queued: 1, capacity: 4, utilization: 0.2 }],
    replaced: 0, replacedReason: null, retriedBatches: 0, stepMs: {}, model: { loaded: 5, total: 10, ready: true },
    queues: {} as Counters['queues'],
    ...over,
  };
}

describe('progressFrom', () => {
  const at = { runId: 'r1', device: 'wasm (WASM was asked for)', startedAt: 0, listing: { listed: 12, skipped: 2, skippedWhy: { 'a link out of the folder': 1 } } };

  it('counts a resumed run\'s stored rows as done and names the busiest stage', () => {
    const p = progressFrom(at, 'running', counters(), 0, null);
    expect(p).toMatchObject({ runId: 'r1', done: 6, resumed: 2, cached: 1, skipped: 2, bottleneck: 'infer', device: at.device, batchSize: 8 });
    expect(p.skippedWhy).toEqual({ 'a link out of the folder': 1 });
    expect(p.note).toBeUndefined();
    // The model's download shows only until a session is ready.
    expect(p.model).toBeUndefined();
    expect(progressFrom(at, 'running', counters({ model: { loaded: 5, total: 10, ready: false } }), 0, null).model).toEqual({ loaded: 5, total: 10 });
  });

  it('gives an ETA from the recent rate once the listing is done, none before', () => {
    expect(progressFrom(at, 'running', counters(), 2, null).etaMs).toBe(2000);
    expect(progressFrom(at, 'running', counters({ listingDone: false }), 2, null).etaMs).toBeNull();
  });
});

describe('replacedNote', () => {
  it('says how many workers were replaced, the last reason, and the batches run again', () => {
    expect(replacedNote(counters())).toBeNull();
    expect(replacedNote(counters({ replaced: 2, replacedReason: 'the GPU device was lost', retriedBatches: 1 }))).toBe('2 workers replaced (the last because the GPU device was lost); 1 batch run again');
  });
});

describe('startReporting', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('sends progress every tick, saves the counts every few seconds, and shows a note until cleared', () => {
    const sent: Array<{ state: string; note?: string }> = [];
    let saves = 0;
    let paused = false;
    const at = { runId: 'r', device: 'wasm', startedAt: performance.now(), listing: { listed: 0, skipped: 0 } };
    const r = startReporting(at, () => counters({ replaced: 1, replacedReason: 'it hung' }), () => paused, (p) => sent.push(p), () => saves++);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBe(4);
    expect(sent.at(-1)).toMatchObject({ state: 'running', note: expect.stringContaining('1 worker replaced') });
    expect(saves).toBe(0);
    vi.advanceTimersByTime(3000);
    expect(saves).toBe(1);
    paused = true;
    r.setNote('storage is full');
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)).toMatchObject({ state: 'paused', note: 'storage is full' });
    r.setNote(null);
    r.report('done');
    expect(sent.at(-1)).toMatchObject({ state: 'done', note: expect.stringContaining('replaced') });
    r.stop();
    const count = sent.length;
    vi.advanceTimersByTime(5000);
    expect(sent.length).toBe(count);
  });
});
