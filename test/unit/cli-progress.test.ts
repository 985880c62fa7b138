// The CLI's progress bar as drawn: tench's own ETA with its unit, and no total until the
// listing is known.

import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { barState, terminalBar } from '../../src/cli/progress.ts';
import type { Progress } from '../../src/pipeline/progress.ts';

function progress(over: Partial<Progress>): Progress {
  return {
    runId: 'r', state: 'running', listed: 12, listingDone: false, skipped: 0, done: 5, resumed: 0, cached: 0, ok: 5, failed: 0, byCause: {},
    stages: [], elapsedMs: 1000, rate: 5, recentRate: 5, etaMs: null, bottleneck: null, ...over,
  };
}

it('keeps the bar empty and the total open while the listing goes on, then fills it', () => {
  const listing = barState(progress({}));
  expect(listing.value).toBe(0);
  expect(listing.payload).toMatchObject({ count: '5/12+', left: '?', note: 'listing' });
  const known = barState(progress({ listed: 40, listingDone: true, done: 10, etaMs: 75_000, bottleneck: 'decode' }));
  expect(known).toMatchObject({ value: 10, total: 40, payload: { count: '10/40', left: '1m15s', note: 'slowest: decode' } });
});

it('draws ETA with its unit, never cli-progress\'s own figure', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const bar = terminalBar(out as unknown as NodeJS.WriteStream, { tty: false });
  bar.update(progress({}));
  bar.update(progress({ listed: 40, listingDone: true, done: 10, etaMs: 6_000 }));
  bar.stop();
  await new Promise((r) => setImmediate(r));
  expect(text).toContain('5/12+ images');
  expect(text).toContain('10/40 images');
  expect(text).toContain('ETA 6s');
  expect(text).not.toMatch(/INF|ETA \d+ /);
});
