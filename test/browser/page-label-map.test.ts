// The page's label map, as the CLI's --label-map: a folder named by the user's own classes
// (cats/, dogs/) is scored against the model's labels the map names; a map that is not one is
// refused in one sentence before any run; the map is kept with the form across a reload.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const MAP = { cats: 'tabby, tabby cat', dogs: 'golden retriever' };

describe('the label map field', () => {
  let app: OpenApp;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    for (const [folder, files] of [['cats', ['chelsea-224.png', 'chelsea.png']], ['dogs', ['coffee-224.png', 'rocket-224.png']]] as const) {
      mkdirSync(join(dir, folder));
      for (const f of files) copyFileSync(join(SAMPLES, f), join(dir, folder, f));
    }
    app = await openApp({ modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  const page = () => app.page;
  const map = () => page().getByLabel('Label map', { exact: true });
  const said = () => page().locator('p.message').textContent();
  const runs = async () => (await page().evaluate(() => window.tench!.runs())).length;

  it('refuses a map that is not one, in one sentence, and starts no run', async () => {
    const before = await runs();
    for (const [text, sentence] of [
      ['{"cats": "tabby, tabby cat",', 'Label map: not JSON.'],
      ['{"cats": 281}', 'Label map: give a JSON object of class name to model label, such as {"cats": "tabby, tabby cat"}.'],
      ['["cats", "tabby, tabby cat"]', 'Label map: give a JSON object of class name to model label, such as {"cats": "tabby, tabby cat"}.'],
    ] as const) {
      await map().fill(text);
      await page().locator('button[type=submit]').click();
      await expect.poll(said).toBe(sentence);
      await expect(page().locator('p.message').getAttribute('class')).resolves.toContain('error');
    }
    expect(await runs()).toBe(before);
  });

  it('scores a folder named by the user\'s classes against the labels the map gives them', async () => {
    await page().selectOption('select[name=kind]', 'folder');
    await page().setInputFiles('input[name=folder]', dir);
    await page().selectOption('select[name=labels-from]', 'folder');
    await map().fill(JSON.stringify(MAP, null, 1));
    const run = await runFromForm(page());
    expect(run.state, run.error ?? '').toBe('done');
    const rows = await page().evaluate((id) => window.tench!.rows(id, -1, 100), run.id);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.trueLabel, row.path).toBe(MAP[row.path.split('/').at(-2) as keyof typeof MAP]);
    // Kept with the run: a resume reads the same map.
    expect(run.request.labelMap).toEqual(MAP);
  });

  it('keeps the map across a reload, as the other fields', async () => {
    await page().reload();
    await page().waitForFunction(() => document.body.dataset.ready === 'true');
    await expect(map().inputValue().then((v) => JSON.parse(v) as unknown)).resolves.toEqual(MAP);
  });
});
