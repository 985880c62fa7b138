// The page shows one run at a time, as it is now: the first screen has no empty parts; a new run
// takes the last one's results, evaluation and gallery away; the status line follows the run
// (paused, done, cancelled once); a run cut short by a reload reads "interrupted" on the status
// line as under Past runs; a deleted run leaves the screen; the Run button looks disabled while a
// run goes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { imagenetFolders } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

describe('the run on screen', () => {
  let app: OpenApp;
  let images: number;

  beforeAll(async () => {
    const data = imagenetFolders();
    images = data.labelled + 1;
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
    await app.page.selectOption('select[name=kind]', 'manifest');
    await app.page.fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const message = () => page().locator('p.message').textContent();
  const caption = () => page().locator('[data-testid=results] caption').textContent();
  const runButton = () => page().locator('button[type=submit]');
  const background = () => runButton().evaluate((b) => getComputedStyle(b).backgroundColor);

  /** Starts a run from the form and pauses it at once; returns its id once the page says so. */
  async function startPaused(): Promise<string> {
    const before = (await page().evaluate(() => window.tench!.runs())).map((r) => r.id);
    // Run and Pause in one task: a run whose images earlier runs answered ends in a moment, and a
    // Pause clicked a round trip later could find it done.
    await page().evaluate(() => {
      document.querySelector<HTMLFormElement>('form.run-form')!.requestSubmit();
      [...document.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === 'Pause')!.click();
    });
    await expect.poll(() => page().getByTestId('counts').textContent(), { timeout: 30_000 }).toMatch(/· paused$/);
    let id = '';
    await expect.poll(async () => {
      id = (await page().evaluate(() => window.tench!.runs())).map((r) => r.id).find((x) => !before.includes(x)) ?? '';
      return id;
    }, { timeout: 30_000 }).not.toBe('');
    return id;
  }

  it('opens on a first screen with no empty table, progress bar or list of past runs', async () => {
    for (const part of ['[data-testid=results]', 'section.progress', 'section.history']) {
      await expect(page().locator(part).isVisible(), part).resolves.toBe(false);
    }
    await expect(page().locator('form').isVisible()).resolves.toBe(true);
    // A field's name is its label; its hint describes it.
    const model = page().getByLabel('Model', { exact: true });
    await expect(model.getAttribute('name')).resolves.toBe('model');
    await expect(model.evaluate((e) => document.getElementById(e.getAttribute('aria-describedby')!)?.textContent)).resolves.toBe('a Hub id or the bundled test model');
    await expect(page().getByLabel('Top-k', { exact: true }).getAttribute('name')).resolves.toBe('top-k');
  });

  it('shows nothing of the last run while a new one goes, and follows the new one', async () => {
    const enabledLook = await background();
    const first = await runFromForm(page());
    expect(first.state).toBe('done');
    await expect.poll(caption).toBe(`${images} results`);
    await expect(page().getByTestId('eval-summary').isVisible()).resolves.toBe(true);

    const id = await startPaused();
    await expect.poll(message, { timeout: 30_000 }).toBe(`Run ${id}: paused`);
    // The previous run's accuracy, failures and gallery are gone; the rows shown are this run's.
    await expect(page().getByTestId('eval-summary').isVisible()).resolves.toBe(false);
    // This run's rows only: as many as it has stored (none yet: no table at all).
    const stored = async () => (await page().evaluate((run) => window.tench!.rows(run, -1, 1000), id)).length;
    const shown = async () => ((await page().locator('[data-testid=results]').isVisible()) ? caption() : '0 results');
    await expect.poll(async () => (await shown()) === `${await stored()} results`, { timeout: 10_000 }).toBe(true);
    expect(await stored()).toBeLessThan(images);
    await expect(runButton().isDisabled()).resolves.toBe(true);
    expect(await background()).not.toBe(enabledLook);

    await page().getByRole('button', { name: 'Resume' }).click();
    await expect.poll(message, { timeout: 60_000 }).toMatch(new RegExp(`^Run ${id}: done · `));
    await expect.poll(caption).toBe(`${images} results`);
    await expect(page().getByTestId('eval-summary').isVisible()).resolves.toBe(true);
    await expect(runButton().isDisabled()).resolves.toBe(false);
    expect(await background()).toBe(enabledLook);
  });

  it('says "interrupted" for a run a reload cut short, as Past runs does, and forgets a deleted run', async () => {
    const id = await startPaused();
    await page().reload();
    await page().waitForFunction(() => document.body.dataset.ready === 'true');
    const line = page().locator(`[data-testid=runs] li[data-run="${id}"]`);
    await expect(line.getAttribute('data-state')).resolves.toBe('interrupted');
    expect(await message()).toMatch(new RegExp(`^Run ${id}: interrupted · `));
    await expect(page().locator('section.progress').isVisible()).resolves.toBe(false);

    page().once('dialog', (d) => void d.accept());
    await line.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(message).toBe(`Run ${id} was deleted.`);
    // The message comes first; the list of past runs is drawn again after it.
    await expect.poll(() => line.count()).toBe(0);
    await expect(page().locator('[data-testid=results]').isVisible()).resolves.toBe(false);
  });

  it('says a cancelled run is cancelled, once', async () => {
    const id = await startPaused();
    await page().getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(message, { timeout: 30_000 }).toMatch(new RegExp(`^Run ${id}: cancelled · `));
    expect(await message()).not.toContain('(cancelled)');
  });
});
