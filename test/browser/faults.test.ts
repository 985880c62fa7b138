// A bucket behind a proxy that fails one request in ten (500s, 503 SlowDown, resets, stalls,
// bodies cut short): every image still ends with one row, a prediction or a named error, and the
// run finishes.

import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, TINY_RUN, type OpenApp } from '../helpers/app.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';

const IMAGES = 2000;
const KINDS = 4;
const key = (i: number) => `val/${String(i).padStart(4, '0')}.png`;

describe('a bucket that fails 10% of requests', () => {
  let s3: S3Server;
  let proxy: FaultProxy;
  let app: OpenApp;
  let secondPageDown = true;

  beforeAll(async () => {
    s3 = await startS3([{ name: 'flaky', cors: true }]);
    // A few different pictures, so a body cut short and decoded anyway would show as a wrong label.
    const pngs = Array.from({ length: KINDS }, (_, k) => encode({ width: 16, height: 16, channels: 3, data: new Uint8Array(16 * 16 * 3).map((_, i) => (i * (37 + 50 * k) + k * 91) % 256) }));
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = next++; i < IMAGES; i = next++) await s3.put('flaky', key(i), pngs[i % KINDS]!);
    }));
    for (let k = 0; k < KINDS; k++) await s3.put('flaky', `clean/${k}.png`, pngs[k]!);
    // Until the test says otherwise, the listing's second page is never served.
    proxy = await startFaultProxy(s3.endpoint, { rate: 0.1, seed: 20261128, stallMs: 60_000, always: (_, url) => (secondPageDown && url.includes('continuation-token=') ? 'http500' : null) });
    app = await openApp({ modelDir: TINY_MODEL });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await s3?.close();
  });

  it('ends every image with one row, a prediction or an error naming its cause', async () => {
    const run = (prefix: string, endpoint: string) => app.page.evaluate(([settings, url, at]) => window.tench!.run({
      ...settings, sessions: 1, batchSize: 16, fetchConcurrency: 6, requestTimeoutMs: 3000,
      dataset: { kind: 's3', url, endpoint: at, region: null },
    }), [TINY_RUN, `s3://anonymous@flaky/${prefix}`, endpoint] as const);

    // Each picture's label, from the server directly.
    const clean = await run('clean/', s3.endpoint);
    expect(clean.state, clean.error ?? '').toBe('done');
    const truth = new Map((await app.page.evaluate((id) => window.tench!.rows(id, -1, 100), clean.id)).map((r) => [Number(r.path.slice(6, -4)), r.label]));
    expect(truth.size).toBe(KINDS);

    const t0 = Date.now();
    const stopped = await run('val/', proxy.endpoint);
    // A listing that cannot go on stops the run with the reason; what was stored stays.
    expect(stopped.state).toBe('failed');
    expect(stopped.error).toMatch(/^cannot list s3:\/\/flaky\/val\/: .*500.* \(after 4 tries\)$/);
    const kept = await app.page.evaluate((id) => window.tench!.count(id), stopped.id);
    expect(kept).toBe(stopped.counts!.written);
    expect(kept).toBeLessThan(IMAGES);

    secondPageDown = false;
    const faulty = await app.page.evaluate((id) => window.tench!.continue(id, 'missing'), stopped.id);
    if ('refused' in faulty) throw new Error(faulty.refused);
    const seconds = (Date.now() - t0) / 1000;
    expect(faulty.state, faulty.error ?? '').toBe('done');
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 5000), faulty.id);
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size, 'no image twice').toBe(rows.length);
    expect(paths.sort()).toEqual(Array.from({ length: IMAGES }, (_, i) => key(i)));
    const ok = rows.filter((r) => r.error === null);
    const failed = rows.filter((r) => r.error !== null);
    for (const r of ok) expect(r.label, r.path).toBe(truth.get(Number(r.path.slice(4, 8)) % KINDS));
    for (const r of failed) {
      expect(r.cause, r.path).toBe('fetch_failed');
      expect(r.error, r.path).toMatch(/\(after 4 tries\)$/);
    }
    const reasons = new Map<string, number>();
    for (const r of failed) reasons.set(r.error!, (reasons.get(r.error!) ?? 0) + 1);
    console.log([...reasons].map(([r, n]) => `${n} x ${r}`).join('\n'));
    const counts = proxy.counts();
    console.log(`faults: ${counts.faulted} of ${counts.requests} requests (${Object.entries(counts.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}); rows: ${rows.length} (${kept} stored before the listing failed), predictions ${ok.length}, errors ${failed.length}; ${seconds.toFixed(1)} s`);
    expect(counts.faulted / counts.requests).toBeGreaterThan(0.07);
    // Unsigned GETs are simple requests: no CORS preflight doubles them.
    expect(counts.requests).toBeLessThan(IMAGES * 1.3);
    expect(Object.values(counts.byKind).every((n) => n > 0)).toBe(true);
    // The resumed run computed only what the stopped one had not stored.
    expect(faulty.counts).toMatchObject({ listed: IMAGES, resumed: kept, written: IMAGES - kept, ok: ok.length, failed: failed.length });
  }, 600_000);
});
