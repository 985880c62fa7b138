// Failed tries do not pile up in Past runs: a run that failed before it stored a row is listed
// while it is the newest run of its images and model, and gives way to the next try; the failure
// is said on the status line each time, and a note says how many earlier tries are not listed.

import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

describe('failed tries in Past runs', () => {
  let app: OpenApp;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    for (const f of ['chelsea-224.png', 'rocket-224.png']) copyFileSync(join(SAMPLES, f), join(dir, f));
    app = await openApp({ dataDir: dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const listed = () => page().locator('[data-testid=runs] li').evaluateAll((items) => items.map((li) => `${li.getAttribute('data-run')} ${li.getAttribute('data-state')}`));
  const folded = async () => ((await page().getByTestId('runs-folded').isVisible()) ? page().getByTestId('runs-folded').textContent() : null);

  async function runList(name: string) {
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', `${app.origin}/data/files/${name}`);
    return runFromForm(page());
  }

  it('lists only the newest of the tries that failed before storing anything, and says each failure', async () => {
    const tries = [];
    for (let i = 0; i < 3; i++) {
      const run = await runList('later.txt');
      expect(run.state).toBe('failed');
      tries.push(run.id);
      // Where the user looks after pressing Run: the reason, in red.
      await expect(page().locator('p.message').textContent()).resolves.toContain(`Run ${run.id}: failed (`);
      await expect(page().locator('p.message').textContent()).resolves.toContain('answered HTTP 404');
      await expect(page().locator('p.message').getAttribute('class')).resolves.toContain('error');
      await expect.poll(listed).toEqual([`${run.id} failed`]);
    }
    await expect.poll(folded).toBe('2 earlier attempts that failed before storing anything are not listed: a newer run of the same images and model came after.');
    // Another list's failure is another matter: listed beside it.
    const other = await runList('elsewhere.txt');
    expect(other.state).toBe('failed');
    await expect.poll(listed).toEqual([`${other.id} failed`, `${tries[2]} failed`]);
    // The store keeps them all: the page only lists fewer.
    expect((await page().evaluate(() => window.tench!.runs())).map((r) => r.id)).toEqual(expect.arrayContaining(tries));
  });

  it('lets a run that works take the failed tries\' place', async () => {
    writeFileSync(join(dir, 'later.txt'), 'chelsea-224.png\nrocket-224.png\n');
    const run = await runList('later.txt');
    expect(run.state, run.error ?? '').toBe('done');
    await expect.poll(listed).toEqual([`${run.id} done`, expect.stringMatching(/ failed$/)]);
    await expect.poll(folded).toBe('3 earlier attempts that failed before storing anything are not listed: a newer run of the same images and model came after.');
    // Clear all deletes them too.
    page().once('dialog', (d) => void d.accept());
    await page().getByRole('button', { name: 'Clear all' }).click();
    await expect.poll(async () => (await page().evaluate(() => window.tench!.runs())).length).toBe(0);
    await expect(page().locator('section.history').isVisible()).resolves.toBe(false);
  });
});
