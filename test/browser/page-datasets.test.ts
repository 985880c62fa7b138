// The page's own ways in, driven as a person would: a list of URLs typed in the form, and a
// folder chosen with the folder picker. True labels come from the ImageNet folder names.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm as runFrom, type OpenApp } from '../helpers/app.ts';
import { expectHfRows, hfParquet, makeShard, reference } from '../helpers/containers.ts';
import { imagenetFolders, tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { SETTING_KEYS, settingOf } from '../../src/settings.ts';

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

  const runFromForm = () => runFrom(app.page);

  const accuracy = () => `${((data.correct / data.labelled) * 100).toFixed(1)}%`;

  it('shows each run setting with the default the settings table gives, and says what is wrong with a bad one', async () => {
    for (const key of SETTING_KEYS) {
      const s = settingOf(key);
      if (!('field' in s) || !s.field) continue;
      const control = app.page.locator(`[name=${s.flag.slice(2)}]`);
      // A switch is a checkbox: ticked or not is its value.
      const shown = await control.evaluate((e: HTMLInputElement | HTMLSelectElement) => (e.type === 'checkbox' ? String((e as HTMLInputElement).checked) : e.value || (e as HTMLInputElement).placeholder));
      expect(shown, s.flag).toBe(s.shown);
    }
    // Counts are number fields the browser checks itself; a list is read by the table's parser.
    await app.page.fill('input[name=extensions]', 'jpg, p n g');
    await app.page.locator('button[type=submit]').click();
    const said = await app.page.locator('p.message').textContent();
    await app.page.fill('input[name=extensions]', '');
    expect(said).toBe('Extensions: takes a comma-separated list such as jpg,png, got "jpg, p n g".');
  });

  it('runs a list of URLs typed in the form, and scores it against the folder names', async () => {
    await app.page.selectOption('select[name=kind]', 'manifest');
    await app.page.fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
    const run = await runFromForm();
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.counts).toMatchObject({ written: images(), failed: 1 });
    await expect(app.page.getByTestId('eval-summary').textContent()).resolves.toContain(accuracy());
  });

  it('runs a CSV list of URLs with a label column, quoted as spreadsheets write it', async () => {
    // The labels are the model's own names ("tench, Tinca tinca"), so every one needs quotes.
    const names = (JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { id2label: Record<string, string> }).id2label;
    const lines = ['url,label'];
    for (const synset of data.synsets) {
      if (!existsSync(join(data.dir, synset))) continue;
      for (const file of readdirSync(join(data.dir, synset))) {
        const label = names[data.synsets.indexOf(synset)]!;
        lines.push(`${encodeURIComponent(synset)}/${encodeURIComponent(file)},"${label.replaceAll('"', '""')}"`);
      }
    }
    writeFileSync(join(data.dir, 'list.csv'), `${lines.join('\r\n')}\r\n`);
    await app.page.selectOption('select[name=kind]', 'manifest');
    await app.page.fill('input[name=manifest]', `${app.origin}/data/files/list.csv`);
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

  it('runs the WebDataset shard and the Parquet file of a folder chosen with the folder picker', async () => {
    const dir = tempDir();
    const chosen = reference.slice(0, 3);
    makeShard(join(dir, 'shard.tar'), 3, chosen.map(([name]) => join(SAMPLES, name)), chosen.map(([, ref]) => ref.top_k[0]!.index));
    await hfParquet(dir);
    await app.page.selectOption('select[name=kind]', 'folder');
    await app.page.setInputFiles('input[name=folder]', dir);
    const run = await runFromForm();
    expect(run.state, run.error ?? '').toBe('done');
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
    expect(rows).toHaveLength(9);
    // Paths are within the folder chosen, as for its images.
    expectHfRows(rows.filter((r) => r.path.includes('.parquet/')).map((r) => ({ ...r, ...r.columns, true_label: r.trueLabel })), 'train-00000-of-00001.parquet');
    const samples = rows.filter((r) => r.path.startsWith('shard.tar/'));
    expect(samples.map((r) => r.label)).toEqual(chosen.map(([, ref]) => ref.top_k[0]!.label));
    expect(samples.map((r) => r.trueLabel)).toEqual(chosen.map(([, ref]) => ref.top_k[0]!.label));
    expect(samples.map((r) => r.columns?.txt)).toEqual(['caption 0', 'caption 1', 'caption 2']);
  });
});
