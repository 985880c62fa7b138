// Where things land on the screen: during a run its bar and counts are in view without scrolling,
// on a laptop and on a phone, and never over the buttons that steer it; on a phone, a gallery
// whose classes have long names does not widen the page, and an image's detail fits the screen.

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { sampleDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

/** A true label per image, each long and unlike the model's: the gallery's class menu lists them all. */
const LONG = (i: number) => `a class with a long and descriptive name that a spreadsheet gave it, number ${i}`;

/** Where an element is, and the window's size. */
function box(page: Page, selector: string) {
  return page.locator(selector).first().evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height, windowHeight: innerHeight };
  });
}

describe('the page laid out', () => {
  let app: OpenApp;
  let images: number;
  // A phone as the browser emulates one: the page's viewport tag applies, and a page wider than
  // the screen widens the layout viewport (fixed boxes, the detail dialog, are centred in it).
  let phoneContext: BrowserContext;
  let phone: Page;

  beforeAll(async () => {
    const dir = sampleDataset();
    const names = readdirSync(dir).filter((n) => /\.(png|jpg)$/.test(n));
    images = names.length;
    writeFileSync(join(dir, 'long.csv'), `url,label\n${names.map((n, i) => `${n},"${LONG(i)}"`).join('\n')}\n`);
    app = await openApp({ dataDir: dir, modelDir: TINY_MODEL });
    await app.page.setViewportSize({ width: 1280, height: 800 });
    phoneContext = await app.context.browser()!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    // The app's server answers the pages it admitted: this one carries the same cookie.
    await phoneContext.addCookies(await app.context.cookies());
    await phoneContext.route(/^https:\/\/huggingface\.co\//, (route) => route.abort('internetdisconnected'));
    phone = await phoneContext.newPage();
    await phone.goto(app.origin);
    await phone.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await phoneContext?.close();
    await app?.close();
  });

  async function chooseList(page: Page): Promise<void> {
    await page.selectOption('select[name=kind]', 'manifest');
    await page.fill('input[name=manifest]', `${app.origin}/data/files/long.csv`);
  }

  /** Starts a run of the list from the form and pauses it: it stays running for as long as asked. */
  async function startPaused(page: Page): Promise<void> {
    await chooseList(page);
    await page.fill('input[name=model]', 'tench-local/tench-tiny-vit');
    await page.selectOption('select[name=device]', 'wasm');
    await page.locator('button[type=submit]').click();
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('counts').textContent(), { timeout: 30_000 }).toMatch(/· paused$/);
  }

  async function finish(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByTestId('counts').textContent(), { timeout: 60_000 }).toMatch(/· done$/);
  }

  /** The bar and the counts are in the window, and the Pause button is not under them. */
  async function expectProgressInView(page: Page, size: string): Promise<void> {
    for (const [name, selector] of [['bar', 'section.progress progress'], ['counts', '[data-testid=counts]']] as const) {
      const b = await box(page, selector);
      expect(b.height, `${size}: the ${name}'s height`).toBeGreaterThan(0);
      expect(b.top, `${size}: the ${name}'s top`).toBeGreaterThanOrEqual(0);
      expect(b.bottom, `${size}: the ${name}'s bottom`).toBeLessThanOrEqual(b.windowHeight);
    }
    const head = await box(page, '[data-testid=progress-head]');
    const pause = await box(page, 'button[aria-pressed]');
    expect(pause.bottom <= head.top || pause.top >= head.bottom, `${size}: Pause is under the progress`).toBe(true);
  }

  it('keeps a run\'s bar and counts in view at 1280x800, with past runs above them', async () => {
    // Two finished runs first, so that Past runs has lines.
    await chooseList(app.page);
    for (let i = 0; i < 2; i++) expect((await runFromForm(app.page)).state).toBe('done');
    await app.page.evaluate(() => scrollTo(0, 0));
    await startPaused(app.page);
    // The form fits this window: nothing scrolled to press Run, nor after.
    await expect(app.page.evaluate(() => scrollY)).resolves.toBe(0);
    await expectProgressInView(app.page, '1280x800');
    await finish(app.page);
  });

  it('keeps a run\'s bar and counts in view on a phone, below the Run button it scrolled to', async () => {
    await startPaused(phone);
    await expectProgressInView(phone, '390x844');
    // Scrolled back to the top of the form, the bar and counts are still there.
    await phone.evaluate(() => scrollTo(0, 0));
    await expectProgressInView(phone, '390x844, at the top');
    await finish(phone);
  });

  it('on a phone, a class menu of long names does not widen the page, and an image\'s detail fits the screen', async () => {
    const run = await runFromForm(phone);
    expect(run.state).toBe('done');
    const menu = phone.getByTestId('gallery-class');
    await expect(menu.locator('option').count()).resolves.toBeGreaterThan(images);
    await expect(phone.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    // The menu is there to use: as wide as the screen allows, not squeezed to nothing.
    const shown = await phone.getByTestId('gallery-class').evaluate((e) => e.getBoundingClientRect());
    expect(shown.right).toBeLessThanOrEqual(390);
    expect(shown.width).toBeGreaterThan(150);

    for (const name of ['rocket.jpg', 'chelsea.png']) {
      await phone.locator(`[data-testid=gallery-cell][data-path="${name}"]`).click();
      const dialog = phone.getByTestId('gallery-detail');
      // The image itself, fetched again: the tallest the dialog gets.
      await dialog.getByTestId('detail-original').waitFor();
      const d = await dialog.evaluate((e) => e.getBoundingClientRect());
      expect(d.left, name).toBeGreaterThanOrEqual(0);
      expect(d.top, name).toBeGreaterThanOrEqual(0);
      expect(d.right, name).toBeLessThanOrEqual(390);
      expect(d.bottom, name).toBeLessThanOrEqual(844);
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
  });
});
