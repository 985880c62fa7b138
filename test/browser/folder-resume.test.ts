// Resuming a run over a folder picked in the page asks for the folder again, and takes only that
// folder: one of another name, or of the same name without the images the run already answered,
// is refused in one sentence, and the run stays as it was, with its Resume.

import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const COPIES = 40;

/** The sample images `copies` times over, in a folder called `name` (the name the page sees). */
function folder(name: string, copies: number, prefix = ''): { dir: string; count: number } {
  const dir = join(tempDir(), name);
  mkdirSync(dir);
  const images = readdirSync(SAMPLES).filter((n) => /\.(png|jpg)$/.test(n));
  for (let k = 0; k < copies; k++) for (const n of images) copyFileSync(join(SAMPLES, n), join(dir, `${prefix}${String(k).padStart(3, '0')}-${n}`));
  return { dir, count: images.length * copies };
}

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

describe('resuming a run over a picked folder', () => {
  let big: { dir: string; count: number };
  let app: OpenApp;
  let runId: string;
  let before: { record: string; rows: number };

  beforeAll(async () => {
    big = folder('photos', COPIES);
    app = await openApp({ modelDir: TINY_MODEL });
    const page = app.page;
    await page.selectOption('select[name=kind]', 'folder');
    await page.setInputFiles('input[name=folder]', big.dir);
    await page.fill('input[name=model]', 'tench-local/tench-tiny-vit');
    await page.selectOption('select[name=device]', 'wasm');
    await page.click('button[type=submit]');
    runId = await until(async () => (await page.evaluate(() => window.tench!.runs()))[0]?.id);
    await until(async () => ((await page.evaluate((id) => window.tench!.count(id), runId)) >= 20 ? true : null));
    await page.getByRole('button', { name: 'Cancel' }).click();
    await until(async () => ((await page.evaluate((id) => window.tench!.record(id), runId))?.state === 'cancelled' ? true : null));
    await until(async () => ((await page.locator(`[data-testid=runs] li[data-run="${runId}"]`).getAttribute('data-state')) === 'cancelled' ? true : null));
    before = await snapshot();
    expect(before.rows).toBeLessThan(big.count);
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const line = () => page().locator(`[data-testid=runs] li[data-run="${runId}"]`);
  const message = () => page().locator('p.message').textContent();
  /** The run's record as stored, and how many rows it has. */
  async function snapshot(): Promise<{ record: string; rows: number }> {
    return page().evaluate(async (id) => ({ record: JSON.stringify(await window.tench!.record(id)), rows: await window.tench!.count(id) }), runId);
  }

  /** Presses the run's Resume and picks `dir` in the folder picker it opens. */
  async function resumeWith(dir: string): Promise<void> {
    const [chooser] = await Promise.all([page().waitForEvent('filechooser'), line().getByRole('button', { name: 'Resume' }).click()]);
    await chooser.setFiles(dir);
  }

  it('refuses a folder of another name, and changes nothing', async () => {
    await resumeWith(SAMPLES);
    await expect.poll(message).toBe(`run ${runId} read the folder photos, not samples: pick photos to go on`);
    expect(await snapshot()).toEqual(before);
    await expect(line().getAttribute('data-state')).resolves.toBe('cancelled');
    await expect(line().getByRole('button', { name: 'Resume' }).count()).resolves.toBe(1);
  });

  it('refuses a folder of the same name that lacks the images already answered', async () => {
    const other = folder('photos', 1, 'other-');
    await resumeWith(other.dir);
    await expect.poll(message).toMatch(new RegExp(`^the folder photos picked is not the one run ${runId} read: ${before.rows} of the ${before.rows} images it answered are not in it \\(000-[^,]+, …\\); pick that folder to go on$`));
    expect(await snapshot()).toEqual(before);
    await expect(line().getByRole('button', { name: 'Resume' }).count()).resolves.toBe(1);
  });

  it('goes on with the same folder, to one row per image', async () => {
    await resumeWith(big.dir);
    await expect.poll(async () => (await page().evaluate((id) => window.tench!.record(id), runId))?.state, { timeout: 120_000 }).toBe('done');
    const record = (await page().evaluate((id) => window.tench!.record(id), runId))!;
    expect(record.counts).toMatchObject({ resumed: before.rows, written: big.count - before.rows });
    expect(await page().evaluate((id) => window.tench!.count(id), runId)).toBe(big.count);
    expect(app.errors).toEqual([]);
  });
});
