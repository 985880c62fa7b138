// A run that survives its page: the browser is closed mid-run (as a crash or a closed tab would
// leave it), opened again on the same profile and origin, and the run goes on from IndexedDB.

import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/runs.ts';
import { openApp, type OpenApp } from '../helpers/app.ts';
import { BROKEN, repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

const COPIES = 60;

function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

const REQUEST = {
  model: 'tench-local/tench-tiny-vit',
  device: 'wasm' as const,
  dtype: 'fp32' as const,
  sessions: 1,
  decoders: 1,
  batchSize: 4,
  topK: 3,
  limit: null,
};

/** Polls a page until `probe` gives a value: waitForFunction does not wait for promises. */
async function until<T>(app: OpenApp, probe: (arg: string) => Promise<T | undefined>, arg = '', timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await app.page.evaluate(probe, arg);
    if (value !== undefined && value !== null) return value as T;
    if (Date.now() > deadline) throw new Error('timed out waiting on the page');
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Stamp = Record<string, number>;
const stamps = (app: OpenApp, id: string) => app.page.evaluate(async (runId): Promise<Stamp> => {
  const out: Stamp = {};
  for (let after = -1; ;) {
    const rows = await window.tench!.rows(runId, after, 1000);
    for (const r of rows) out[r.path] = r.doneAt;
    if (rows.length < 1000) return out;
    after = rows.at(-1)!.seq;
  }
}, id);

describe('a run interrupted by closing the browser', () => {
  let data: { dir: string; count: number };
  let profile: string;
  let port: number;
  let app: OpenApp;
  let runId: string;
  let before: Stamp;
  const open = () => openApp({ dataDir: data.dir, modelDir: TINY_MODEL }, { userDataDir: profile, port });

  beforeAll(async () => {
    data = repeatedDataset(COPIES, true);
    profile = tempDir('tench-profile-');
    port = await freePort();
    const first = await open();
    await first.page.evaluate((r) => {
      void window.tench!.run({ ...r, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } });
    }, REQUEST);
    runId = await until(first, async () => (await window.tench!.runs())[0]?.id);
    // Some rows stored, far from all: then the browser goes away under the run.
    const seen = await until(first, async (id) => {
      const n = await window.tench!.count(id);
      return n >= 50 ? n : undefined;
    }, runId);
    expect(seen).toBeLessThan(data.count / 2);
    await first.close();
    app = await open();
    before = await stamps(app, runId);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('is listed as interrupted, with the rows it had stored', async () => {
    const record = (await app.page.evaluate((id) => window.tench!.record(id), runId))!;
    expect(record.state).toBe('running');
    expect(await app.page.evaluate(() => window.tench!.interrupted())).toEqual([runId]);
    const stored = Object.keys(before).length;
    expect(stored).toBeGreaterThanOrEqual(50);
    expect(stored).toBeLessThan(data.count);
  });

  it('resumes from the page\'s Resume button to exactly one row per image, without computing again what was stored', async () => {
    const item = app.page.locator(`[data-testid=runs] li[data-run="${runId}"]`);
    await expect(item.getAttribute('data-state')).resolves.toBe('interrupted');
    await item.getByRole('button', { name: 'Resume' }).click();
    const run = await until(app, async (id) => {
      const r = await window.tench!.record(id);
      return r?.state === 'done' ? r : undefined;
    }, runId, 180_000);
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.id).toBe(runId);
    const after = await stamps(app, runId);
    const paths = Object.keys(after);
    expect(paths).toHaveLength(data.count);
    expect(await app.page.evaluate((id) => window.tench!.count(id), runId)).toBe(data.count);
    // Rows stored before the close are the same rows, untouched.
    for (const [path, doneAt] of Object.entries(before)) expect(after[path], path).toBe(doneAt);
    const stored = Object.keys(before).length;
    console.log(`resume after closing the browser: ${stored} of ${data.count} rows stored before, ${run.counts?.written} written after, ${paths.length} rows in all`);
    expect(run.counts).toMatchObject({ resumed: stored, written: data.count - stored, failed: BROKEN.length, ok: data.count - BROKEN.length });
    expect(await app.page.evaluate(() => window.tench!.interrupted())).toEqual([]);
    await expect(until(app, async (id) => (document.querySelector(`[data-testid=runs] li[data-run="${id}"]`)?.getAttribute('data-state') === 'done') || undefined, runId)).resolves.toBe(true);
    before = after;
  });

  it('retries just the failed images', async () => {
    const run = await app.page.evaluate((id) => window.tench!.continue(id, 'failed'), runId) as RunRecord;
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.counts).toMatchObject({ resumed: data.count - BROKEN.length, written: BROKEN.length, failed: BROKEN.length });
    const after = await stamps(app, runId);
    const changed = Object.keys(after).filter((p) => after[p] !== before[p]).sort();
    expect(changed).toEqual(BROKEN.map((b) => b.name).sort());
  });

  it('answers a new run of the same images from the store, and recomputes when preprocessing changes', async () => {
    const again = await app.page.evaluate((r) => window.tench!.run({ ...r, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } }), REQUEST);
    expect(again.state).toBe('done');
    expect(again.counts).toMatchObject({ cached: data.count - BROKEN.length, written: data.count, resumed: 0 });
    const [a, b] = await app.page.evaluate(async ([x, y]) => [await window.tench!.rows(x!, -1, 5000), await window.tench!.rows(y!, -1, 5000)], [runId, again.id]);
    expect(b.map((r) => [r.path, r.label, r.score])).toEqual(a.map((r) => [r.path, r.label, r.score]));

    const turned = await app.page.evaluate((r) => window.tench!.run({ ...r, limit: 20, applyExifOrientation: true, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } }), REQUEST);
    expect(turned.state).toBe('done');
    expect(turned.fingerprint).not.toBe(again.fingerprint);
    expect(turned.counts).toMatchObject({ cached: 0, written: 20 });
  });

  it('deletes a run with its rows and thumbnails, and clears everything', async () => {
    const counts = await app.page.evaluate(async (id) => {
      await window.tench!.remove(id);
      return { rows: await window.tench!.count(id), runs: (await window.tench!.runs()).map((r) => r.id) };
    }, runId);
    expect(counts.rows).toBe(0);
    expect(counts.runs).not.toContain(runId);
    expect(counts.runs).toHaveLength(2);
    const left = await app.page.evaluate(async () => {
      await window.tench!.clear();
      const db = await new Promise<IDBDatabase>((done) => {
        const r = indexedDB.open('tench');
        r.onsuccess = () => done(r.result);
      });
      const count = (store: string) => new Promise<number>((done) => {
        const r = db.transaction(store).objectStore(store).count();
        r.onsuccess = () => done(r.result);
      });
      const out = { runs: await count('runs'), results: await count('results'), thumbs: await count('thumbs') };
      db.close();
      return out;
    });
    expect(left).toEqual({ runs: 0, results: 0, thumbs: 0 });
  });
});
