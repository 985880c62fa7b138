// Two tabs on one store: a run that tab A is running cannot be deleted from tab B, by Delete or
// by Clear all, so no row it stores afterwards lands in a run that is gone. Clear all deletes the
// other runs and says which one it kept.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, runTiny, TINY_RUN, type OpenApp } from '../helpers/app.ts';
import { repeatedDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

const COPIES = 40;

/** Rows and the record of a run, read with the browser's own IndexedDB API. */
const stored = (page: Page, runId: string) => page.evaluate(async (id) => {
  const db = await new Promise<IDBDatabase>((done, fail) => {
    const open = indexedDB.open('tench');
    open.onsuccess = () => done(open.result);
    open.onerror = () => fail(open.error);
  });
  const tx = db.transaction(['runs', 'results']);
  const ask = <T>(r: IDBRequest<T>) => new Promise<T>((done, fail) => {
    r.onsuccess = () => done(r.result);
    r.onerror = () => fail(r.error);
  });
  const out = {
    rows: await ask(tx.objectStore('results').count(IDBKeyRange.bound([id], [id, []]))),
    runs: (await ask(tx.objectStore('runs').getAllKeys())) as string[],
  };
  db.close();
  return out;
}, runId);

/** Polls `probe` until it gives a value (expect.poll is for tests, not their setup). */
async function until<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting on the page');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openTab(app: OpenApp): Promise<Page> {
  const page = await app.context.newPage();
  await page.goto(app.origin);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  return page;
}

describe('a run live in another tab', () => {
  let data: { dir: string; count: number };
  let app: OpenApp;
  let a: Page;
  let b: Page;
  let old: string;
  let live: string;

  beforeAll(async () => {
    data = repeatedDataset(COPIES);
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
    a = app.page;
    old = (await runTiny(app, { limit: 5 })).id;
    // Tab A runs a long job and holds it paused with some rows stored: it stays live, and still.
    await a.evaluate((r) => {
      void window.tench!.run({ ...r, sessions: 1, batchSize: 2, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } });
    }, TINY_RUN);
    live = await until(async () => {
      const id = (await a.evaluate(() => window.tench!.runs()))[0]?.id;
      return id === old ? null : id;
    });
    await until(async () => ((await a.evaluate((id) => window.tench!.count(id), live)) >= 10 ? true : null));
    await a.evaluate(() => window.tench!.pause());
    // Paused, the images already admitted still finish: wait until no more rows come.
    let last = -1;
    await until(async () => {
      const n = await a.evaluate((id) => window.tench!.count(id), live);
      if (n === last) return true;
      last = n;
      await new Promise((r) => setTimeout(r, 1000));
      return null;
    });
    b = await openTab(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  const line = (page: Page, id: string) => page.locator(`[data-testid=runs] li[data-run="${id}"]`);
  const message = (page: Page) => page.locator('p.message').textContent();

  it('shows Delete disabled for it in both tabs, saying where it runs', async () => {
    await expect(line(b, live).getAttribute('data-state')).resolves.toBe('running');
    const inB = line(b, live).getByRole('button', { name: 'Delete' });
    await expect(inB.isDisabled()).resolves.toBe(true);
    await expect(inB.getAttribute('title')).resolves.toBe('running in another tab: cancel it there first');
    const inA = line(a, live).getByRole('button', { name: 'Delete' });
    await expect(inA.isDisabled()).resolves.toBe(true);
    await expect(inA.getAttribute('title')).resolves.toBe('running in this tab: cancel it first');
    // The finished run can be deleted from either.
    await expect(line(b, old).getByRole('button', { name: 'Delete' }).isDisabled()).resolves.toBe(false);
  });

  it('refuses Delete from the other tab in one sentence, even from a list that is out of date', async () => {
    const before = await stored(b, live);
    expect(before.rows).toBeGreaterThanOrEqual(10);
    // A list drawn before the run started would have an enabled button: the click is checked again.
    const button = line(b, live).getByRole('button', { name: 'Delete' });
    await button.evaluate((el) => ((el as HTMLButtonElement).disabled = false));
    b.once('dialog', (d) => void d.accept());
    await button.click();
    await expect.poll(() => message(b)).toBe(`Run ${live} is running in another tab: cancel it there first.`);
    expect(await stored(b, live)).toEqual(before);
    // The page's API refuses it too.
    await expect(b.evaluate((id) => window.tench!.remove(id), live)).resolves.toEqual({ refused: `Run ${live} is running in another tab: cancel it there first.` });
    expect(await stored(b, live)).toEqual(before);
  });

  it('clears every other run from the other tab, and says which one it kept', async () => {
    const before = await stored(b, live);
    expect(before.runs.sort()).toEqual([live, old].sort());
    b.once('dialog', (d) => void d.accept());
    await b.getByRole('button', { name: 'Clear all' }).click();
    await expect.poll(() => message(b)).toBe(`Every other run was deleted; run ${live} was kept: it is running in another tab.`);
    expect(await stored(b, live)).toEqual({ rows: before.rows, runs: [live] });
    await expect(line(b, old).count()).resolves.toBe(0);
    await expect(line(b, live).count()).resolves.toBe(1);
  });

  it('lets the run end with every row it counted stored, then lets the other tab delete it', async () => {
    await a.evaluate(() => window.tench!.resume());
    await expect.poll(async () => (await a.evaluate((id) => window.tench!.record(id), live))?.state, { timeout: 120_000 }).toBe('done');
    const record = (await a.evaluate((id) => window.tench!.record(id), live))!;
    expect(record.counts?.written).toBe(data.count);
    await a.reload();
    await a.waitForFunction(() => document.body.dataset.ready === 'true');
    expect((await stored(a, live)).rows).toBe(data.count);
    await expect(line(a, live).textContent()).resolves.toContain(`done · ${data.count} images, 0 errors ·`);

    // Tab B hears that the run ended: its Delete is enabled without a reload, and works.
    const inB = line(b, live).getByRole('button', { name: 'Delete' });
    await expect.poll(() => inB.isDisabled(), { timeout: 10_000 }).toBe(false);
    b.once('dialog', (d) => void d.accept());
    await inB.click();
    await expect.poll(() => message(b)).toBe(`Run ${live} was deleted.`);
    expect(await stored(b, live)).toEqual({ rows: 0, runs: [] });
    expect(app.errors).toEqual([]);
  });
});
