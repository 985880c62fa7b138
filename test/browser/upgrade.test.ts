// A database written by the first schema opens in this tench: the page upgrades it in place and
// keeps every run and row, adding what the new version keys on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowser, launch, type Launched } from '../../src/cli/browser.ts';
import { ensureBuilt } from '../../src/cli/build.ts';
import { serve, type Served } from '../../src/cli/server.ts';
import { ROOT } from '../helpers/paths.ts';

describe('IndexedDB schema upgrade from version 1', () => {
  let server: Served;
  let browser: Launched;

  beforeAll(async () => {
    server = await serve(await ensureBuilt(ROOT, () => {}), {});
    const path = findBrowser();
    if (!path.ok) throw new Error(path.reason);
    browser = await launch(path.path);
    await server.admit(browser.context);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps runs and rows, and adds image keys, store order, indexes and the thumbnail store', async () => {
    const page = await browser.context.newPage();
    // A page of the same origin that is not the app: the version-1 database is made before the app opens it.
    await page.goto(`${server.origin}/not-the-app`);
    await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((done, fail) => {
        const open = indexedDB.open('tench', 1);
        open.onupgradeneeded = () => {
          const runs = open.result.createObjectStore('runs', { keyPath: 'id' });
          runs.createIndex('byCreated', 'createdAt');
          const results = open.result.createObjectStore('results', { keyPath: ['runId', 'path'] });
          results.createIndex('bySeq', ['runId', 'seq']);
        };
        open.onsuccess = () => done(open.result);
        open.onerror = () => fail(open.error);
      });
      const tx = db.transaction(['runs', 'results'], 'readwrite');
      tx.objectStore('runs').put({
        id: 'old', createdAt: 1, finishedAt: 2, state: 'done', dataset: { kind: 'manifest', url: 'https://example.com/list.jsonl' },
        model: 'tench-local/tench-tiny-vit', fingerprint: 'f1', settings: {}, runtime: null, readyAt: null,
        counts: { listed: 2, written: 2, ok: 1, failed: 1, byCause: { decode_failed: 1 } }, error: null,
      });
      const row = { runId: 'old', label: null, score: null, topK: [], error: null, cause: null, trueLabel: null, width: 1, height: 1, size: 1, fingerprint: 'f1', doneAt: 5 };
      tx.objectStore('results').put({ ...row, path: 'a.jpg', seq: 0, label: 'tench, Tinca tinca', score: 0.9, version: 'etag-a' });
      tx.objectStore('results').put({ ...row, path: 'b.jpg', seq: 1, error: 'empty file', cause: 'decode_failed', version: null });
      await new Promise((done) => (tx.oncomplete = done));
      db.close();
    });

    await page.goto(server.origin);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
    const after = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((done) => {
        const open = indexedDB.open('tench');
        open.onsuccess = () => done(open.result);
      });
      const tx = db.transaction(['runs', 'results'], 'readonly');
      const get = <T>(r: IDBRequest<T>) => new Promise<T>((done) => (r.onsuccess = () => done(r.result)));
      const results = tx.objectStore('results');
      const out = {
        version: db.version,
        stores: [...db.objectStoreNames].sort(),
        indexes: [...results.indexNames].sort(),
        runs: (await get(tx.objectStore('runs').getAll())).map((r) => r.id),
        rows: (await get(results.getAll())).map((r) => ({ path: r.path, imageKey: r.imageKey, label: r.label })),
        failed: (await get(results.index('byCause').getAll())).map((r) => r.path),
        byImage: (await get(results.index('byImage').getAll())).map((r) => r.path),
        byOrder: (await get(results.index('byOrder').getAll())).map((r) => [r.path, r.order]),
      };
      db.close();
      return out;
    });
    expect(after.version).toBe(3);
    expect(after.stores).toEqual(['results', 'runs', 'thumbs']);
    expect(after.indexes).toEqual(['byCause', 'byImage', 'byOrder', 'bySeq']);
    expect(after.runs).toEqual(['old']);
    expect(after.rows).toEqual([
      { path: 'a.jpg', imageKey: 'https://example.com/list.jsonl\u0000a.jpg\u0000etag-a', label: 'tench, Tinca tinca' },
      { path: 'b.jpg', imageKey: null, label: null },
    ]);
    // Only the failed row is in the cause index, only the versioned row in the image index.
    expect(after.failed).toEqual(['b.jpg']);
    expect(after.byImage).toEqual(['a.jpg']);
    // Rows stored before the store order was kept take their listing position in it.
    expect(after.byOrder).toEqual([['a.jpg', 0], ['b.jpg', 1]]);
    // The page lists the old run.
    await expect(page.locator('[data-testid=runs] li').count()).resolves.toBeGreaterThanOrEqual(1);
  });
});
