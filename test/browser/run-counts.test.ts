// Past runs count what is stored: after a reload cuts a run short, the number of images shown
// for it is the number of rows IndexedDB holds for it, not a counter the run saved a while ago.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, TINY_RUN, type OpenApp } from '../helpers/app.ts';
import { BROKEN, repeatedDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

const COPIES = 40;

/** A run's rows and failed rows, counted with the browser's own IndexedDB API. */
const rowsOf = (page: Page, runId: string) => page.evaluate(async (id) => {
  const db = await new Promise<IDBDatabase>((done, fail) => {
    const open = indexedDB.open('tench');
    open.onsuccess = () => done(open.result);
    open.onerror = () => fail(open.error);
  });
  const rows = await new Promise<Array<{ error: string | null }>>((done, fail) => {
    const r = db.transaction('results').objectStore('results').getAll(IDBKeyRange.bound([id], [id, []]));
    r.onsuccess = () => done(r.result);
    r.onerror = () => fail(r.error);
  });
  db.close();
  return { images: rows.length, errors: rows.filter((r) => r.error !== null).length };
}, runId);

describe('the counts under Past runs', () => {
  let data: { dir: string; count: number };
  let app: OpenApp;
  let runId: string;

  beforeAll(async () => {
    data = repeatedDataset(COPIES, true);
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const line = () => page().locator(`[data-testid=runs] li[data-run="${runId}"]`);
  /** "62 images, 0 errors", as the run's line says it. */
  const shown = async () => {
    const m = / · (\d+) images?, (\d+) errors? · /.exec((await line().textContent()) ?? '');
    return m ? { images: Number(m[1]), errors: Number(m[2]) } : null;
  };

  it('are the rows stored, after a reload cut the run short', async () => {
    await page().evaluate((r) => {
      void window.tench!.run({ ...r, sessions: 1, batchSize: 2, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } });
    }, TINY_RUN);
    await expect.poll(async () => (await page().evaluate(() => window.tench!.runs()))[0]?.id ?? '', { timeout: 30_000 }).not.toBe('');
    runId = (await page().evaluate(() => window.tench!.runs()))[0]!.id;
    // Reloaded when more rows are stored than the record's saved counts say: the moment the old
    // page got wrong.
    await expect.poll(() => page().evaluate(async (id) => {
      const [rows, record] = await Promise.all([window.tench!.count(id), window.tench!.record(id)]);
      const saved = record?.counts ? record.counts.written + record.counts.resumed : 0;
      return rows >= 20 && rows > saved;
    }, runId), { timeout: 60_000, interval: 20 }).toBe(true);
    await page().reload();
    await page().waitForFunction(() => document.body.dataset.ready === 'true');

    await expect(line().getAttribute('data-state')).resolves.toBe('interrupted');
    const inStore = await rowsOf(page(), runId);
    expect(inStore.images).toBeGreaterThanOrEqual(20);
    expect(inStore.images).toBeLessThan(data.count);
    expect(await shown()).toEqual(inStore);
  });

  it('are the rows stored once the run is resumed to its end', async () => {
    await line().getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => (await page().evaluate((id) => window.tench!.record(id), runId))?.state, { timeout: 120_000 }).toBe('done');
    await expect.poll(async () => line().getAttribute('data-state')).toBe('done');
    const inStore = await rowsOf(page(), runId);
    expect(inStore).toEqual({ images: data.count, errors: BROKEN.length });
    await expect.poll(shown).toEqual(inStore);
    await expect(line().getByRole('button', { name: `Retry ${BROKEN.length} failed` }).count()).resolves.toBe(1);
  });
});
