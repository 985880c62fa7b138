// One run at a time in the page, steered from either side: the page's Pause, Resume and Cancel
// steer a run that window.tench started (as the CLI and the tests start them), window.tench's
// pause() steers one that the page's Run button started, and a second run while one goes is
// refused.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, TINY_RUN, type OpenApp } from '../helpers/app.ts';
import { repeatedDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import type { RunRecord } from '../../src/store/runs.ts';

const COPIES = 80;

/** Where a test's run started with `void` leaves its end, on the page's window. */
type Ending = { ended?: RunRecord | { error: string } };

describe('the page\'s run, whoever started it', () => {
  let data: { dir: string; count: number };
  let app: OpenApp;

  beforeAll(async () => {
    data = repeatedDataset(COPIES);
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  /** The form's own buttons: Past runs has Resume buttons of its own. */
  const button = (name: string) => page().locator('form.run-form .buttons').getByRole('button', { name, exact: true });
  const runButton = () => page().locator('button[type=submit]');
  const counts = () => page().getByTestId('counts').textContent();
  const stored = (id: string) => page().evaluate((run) => window.tench!.count(run), id);
  const runIds = async () => (await page().evaluate(() => window.tench!.runs())).map((r) => r.id);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The id of the run that is not among `before`, once it has a record. */
  async function newRun(before: readonly string[]): Promise<string> {
    let id = '';
    await expect.poll(async () => {
      id = (await runIds()).find((x) => !before.includes(x)) ?? '';
      return id;
    }, { timeout: 30_000 }).not.toBe('');
    return id;
  }

  /** The rows a paused run has stored once the images it had in flight are in: none come for a second. */
  async function settled(id: string): Promise<number> {
    const deadline = Date.now() + 60_000;
    for (let last = -1; ;) {
      const now = await stored(id);
      if (now === last) return now;
      if (Date.now() > deadline) throw new Error(`run ${id} still stores rows: ${now}`);
      last = now;
      await sleep(1000);
    }
  }

  /** Polls the page for what the test's run ended with. */
  async function ending(): Promise<RunRecord | { error: string }> {
    await expect.poll(() => page().evaluate(() => (window as unknown as Ending).ended !== undefined), { timeout: 60_000 }).toBe(true);
    return page().evaluate(() => (window as unknown as Ending).ended!);
  }

  it('pauses, resumes and cancels a run started through window.tench from the page\'s buttons', async () => {
    const before = await runIds();
    await page().evaluate((r) => {
      const w = window as unknown as Ending;
      delete w.ended;
      void window.tench!.run({ ...r, sessions: 1, batchSize: 2, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } })
        .then((run) => (w.ended = run), (error: Error) => (w.ended = { error: error.message }));
    }, TINY_RUN);
    const id = await newRun(before);
    // The page's buttons show the run: it can be paused and cancelled, and no other run started.
    await expect.poll(() => button('Pause').isEnabled(), { timeout: 10_000 }).toBe(true);
    await expect(button('Cancel').isEnabled()).resolves.toBe(true);
    await expect(runButton().isDisabled()).resolves.toBe(true);
    await expect.poll(() => stored(id), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);

    await button('Pause').click();
    await expect.poll(counts, { timeout: 30_000 }).toMatch(/· paused$/);
    await expect(button('Resume').getAttribute('aria-pressed')).resolves.toBe('true');
    const held = await settled(id);
    await sleep(1500);
    expect(await stored(id)).toBe(held);
    expect(held).toBeLessThan(data.count);
    await expect(counts()).resolves.toMatch(/· paused$/);

    await button('Resume').click();
    await expect.poll(() => stored(id), { timeout: 60_000 }).toBeGreaterThan(held);
    await expect(button('Pause').getAttribute('aria-pressed')).resolves.toBe('false');
    await button('Cancel').click();
    const run = await ending();
    expect(run).toMatchObject({ id, state: 'cancelled' });
    expect(await stored(id)).toBeLessThan(data.count);
    // The run is over: the page is ready for the next one.
    await expect.poll(() => runButton().isEnabled()).toBe(true);
    await expect(button('Pause').isDisabled()).resolves.toBe(true);
    await expect(button('Cancel').isDisabled()).resolves.toBe(true);
  });

  it('pauses a run started with the page\'s Run button from window.tench.pause(), and refuses a second run meanwhile', async () => {
    const earlier = await runIds();
    // What the first run stored comes back from the store at once: the run is paused once it
    // computes images of its own.
    const answered = (await Promise.all(earlier.map(stored))).reduce((a, b) => a + b, 0);
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
    await page().fill('input[name=model]', TINY_RUN.model);
    await page().selectOption('select[name=device]', 'wasm');
    await page().fill('input[name=concurrency]', '1');
    await page().fill('input[name=batch-size]', '2');
    await runButton().click();
    const id = await newRun(earlier);
    await expect.poll(() => stored(id), { timeout: 60_000 }).toBeGreaterThanOrEqual(answered + 6);

    await page().evaluate(() => window.tench!.pause());
    await expect.poll(counts, { timeout: 30_000 }).toMatch(/· paused$/);
    const held = await settled(id);
    await sleep(1500);
    expect(await stored(id)).toBe(held);
    expect(held).toBeLessThan(data.count);
    // The page's own button says so, and would resume it.
    await expect(button('Resume').getAttribute('aria-pressed')).resolves.toBe('true');

    // One run at a time: window.tench cannot start another beside it, nor go on with an old one.
    const second = await page().evaluate((r) => window.tench!.run({ ...r, dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` } })
      .then(() => 'ran', (error: Error) => error.message), TINY_RUN);
    expect(second).toMatch(/already going in this page/);
    const again = await page().evaluate((run) => window.tench!.continue(run, 'missing'), earlier[0]!);
    expect(again).toEqual({ refused: expect.stringMatching(/already going in this page/) });
    expect((await runIds()).filter((x) => !earlier.includes(x))).toEqual([id]);
    expect(await stored(id)).toBe(held);

    await page().evaluate(() => window.tench!.cancel());
    await expect.poll(async () => (await page().evaluate((run) => window.tench!.record(run), id))?.state, { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => runButton().isEnabled()).toBe(true);
    expect(await stored(id)).toBeLessThan(data.count);
  });
});
