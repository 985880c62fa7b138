// The page as a user sees it, in four screenshots made here and checked: the first screen, a run
// in progress, a finished labelled run, and that run on a phone. Each is as wide as its window
// (nothing drawn beyond the edge), and shows what that moment should show. The PNGs are kept in
// test-results/screens/ to look at.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { imagenetFolders } from '../helpers/dataset.ts';
import { ROOT, TINY_MODEL } from '../helpers/paths.ts';
import { pngSize } from '../helpers/png.ts';

const SCREENS = join(ROOT, 'test-results', 'screens');

describe('the page, screen by screen', () => {
  let app: OpenApp;
  let images: number;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    const data = imagenetFolders();
    images = data.labelled + 1;
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
    await app.page.setViewportSize({ width: 1280, height: 800 });
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const visible = (selector: string) => page().locator(selector).first().isVisible();

  /** A full-page screenshot, checked to be the window's width and the page's height. */
  async function shoot(name: string): Promise<string> {
    const file = join(SCREENS, `${name}.png`);
    // A paused run still stores the images it had in flight, and the page grows with them: shoot
    // once its height has held still for half a second.
    const pageHeight = () => page().evaluate(() => document.scrollingElement!.scrollHeight);
    await expect.poll(async () => {
      const before = await pageHeight();
      await new Promise((r) => setTimeout(r, 500));
      return before === (await pageHeight());
    }, { timeout: 30_000 }).toBe(true);
    await page().screenshot({ path: file, fullPage: true });
    const { page: width, screen, height } = await page().evaluate(() => ({
      page: document.scrollingElement!.scrollWidth, screen: document.documentElement.clientWidth, height: document.scrollingElement!.scrollHeight,
    }));
    expect(width, `${name}: scrolls sideways`).toBe(screen);
    expect(pngSize(file)).toEqual({ width: page().viewportSize()!.width, height });
    return file;
  }

  it('first screen: the form and what the bundled model is, nothing empty', async () => {
    await shoot('first-screen');
    await expect(visible('[data-testid=model-offer]')).resolves.toBe(true);
    for (const part of ['section.progress', '[data-testid=results]', 'section.history', '[data-testid=gallery]']) {
      await expect(visible(part), part).resolves.toBe(false);
    }
  });

  it('a run in progress: its bar and counts, Run disabled', async () => {
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
    await page().locator('button[type=submit]').click();
    await page().getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page().getByTestId('counts').textContent(), { timeout: 30_000 }).toMatch(/· paused$/);
    await shoot('run-in-progress');
    await expect(visible('section.progress progress')).resolves.toBe(true);
    await expect(page().locator('button[type=submit]').isDisabled()).resolves.toBe(true);
    await page().getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page().getByTestId('counts').textContent(), { timeout: 60_000 }).toMatch(/· done$/);
  });

  it('a finished labelled run: accuracy, the matrix and the gallery', async () => {
    await page().reload();
    await page().waitForFunction(() => document.body.dataset.ready === 'true');
    await page().locator('[data-testid=evaluation][data-run]').waitFor();
    await shoot('finished-labelled-run');
    await expect(page().getByTestId('eval-summary').textContent()).resolves.toMatch(/^Accuracy \d+\.\d% \(\d+ of \d+ labelled images\)/);
    await expect(visible('[data-testid=confusion]')).resolves.toBe(true);
    await expect(page().getByTestId('gallery-cell').count()).resolves.toBe(images);
    // One image of the run failed (an empty file): "1 error", not "1 errors".
    await expect(page().locator('[data-testid=runs] li').first().textContent()).resolves.toContain(`${images} images, 1 error ·`);
  });

  it('a phone: no sideways scroll, a path on one line, a gallery three tiles wide that the page scrolls', async () => {
    await page().setViewportSize({ width: 390, height: 844 });
    try {
      const run = await runFromForm(page());
      expect(run.state).toBe('done');
      await shoot('phone');
      const layout = await page().evaluate(() => {
        const cell = document.querySelector('table.results td.path')!;
        const range = document.createRange();
        range.selectNodeContents(cell);
        const lefts = new Set([...document.querySelectorAll('[data-testid=gallery-cell]')].map((c) => Math.round(c.getBoundingClientRect().left)));
        const grid = document.querySelector('[data-testid=gallery-grid]')!;
        return { pathLines: range.getClientRects().length, columns: lefts.size, gridScrolls: grid.scrollHeight > grid.clientHeight };
      });
      expect(layout).toEqual({ pathLines: 1, columns: 3, gridScrolls: false });
    } finally {
      await page().setViewportSize({ width: 1280, height: 800 });
    }
  });
});
