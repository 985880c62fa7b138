// The page's own ways in, driven as a person would: a list of URLs typed in the form, and a
// folder chosen with the folder picker. True labels come from the ImageNet folder names.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/runs.ts';
import { openApp, type OpenApp } from '../helpers/app.ts';
import { imagenetFolders } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

describe('datasets chosen in the page', () => {
  let app: OpenApp;
  let data: ReturnType<typeof imagenetFolders>;
  const images = () => data.labelled + 1;

  beforeAll(async () => {
    data = imagenetFolders();
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Fills the model part of the form, presses Run, and waits for the run the page lists next. */
  async function runFromForm(): Promise<RunRecord> {
    const page = app.page;
    const before = (await page.evaluate(() => window.tench!.runs())).length;
    await page.fill('input[name=model]', 'tench-local/tench-tiny-vit');
    await page.selectOption('select[name=device]', 'wasm');
    await page.click('button[type=submit]');
    const deadline = Date.now() + 120_000;
    for (;;) {
      const runs = await page.evaluate(() => window.tench!.runs());
      if (runs.length > before && runs[0]!.state !== 'running') return runs[0]!;
      if (Date.now() > deadline) throw new Error('the run did not end');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const accuracy = () => `${((data.correct / data.labelled) * 100).toFixed(1)}%`;

  it('runs a list of URLs typed in the form, and scores it against the folder names', async () => {
    await app.page.selectOption('select[name=kind]', 'manifest');
    await app.page.fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
    const run = await runFromForm();
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.counts).toMatchObject({ written: images(), failed: 1 });
    await expect(app.page.getByTestId('eval-summary').textContent()).resolves.toContain(accuracy());
  });

  it('runs a folder chosen with the folder picker', async () => {
    await app.page.selectOption('select[name=kind]', 'folder');
    await app.page.setInputFiles('input[name=folder]', data.dir);
    const run = await runFromForm();
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.dataset.kind).toBe('folder');
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
    expect(rows).toHaveLength(images());
    // Paths keep the class folders, so the labels come from them as from the server's listing.
    expect(rows.filter((r) => r.trueLabel !== null)).toHaveLength(images());
    expect(rows.every((r) => data.synsets.includes(r.path.split('/').at(-2)!))).toBe(true);
    await expect(app.page.getByTestId('eval-summary').textContent()).resolves.toContain(accuracy());
    // The page says what it needs to resume a folder run: the folder again.
    await expect(app.page.locator(`[data-testid=runs] li[data-run="${run.id}"]`).getAttribute('data-state')).resolves.toBe('done');
  });
});
