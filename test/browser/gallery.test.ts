// The evaluation panel, the failures list and the gallery, rebuilt from IndexedDB after a reload,
// on a labelled dataset. Every expected figure comes from the PyTorch reference and the labels
// chosen here, never from what tench wrote.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runTiny, type OpenApp } from '../helpers/app.ts';
import { BROKEN, sampleDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';
import { expectSize, pngSize } from '../helpers/png.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));
const id2label = (JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { id2label: Record<string, string> }).id2label;

/** A path that is markup: it must only ever show as text. Its bytes are fetched from another
 * image's URL, as a manifest allows: the data route cannot serve a file whose name holds '='
 * (sirv's decodeURI leaves %3D encoded), and this test is about showing the name. */
const HOSTILE = '<img src=x onerror=alert(1)>.jpg';
const HOSTILE_SOURCE = 'retina-224.jpg';
const TENCH_SYNSET = 'n01440764';

interface Labelled {
  name: string;
  /** What the manifest says, as written. */
  given: string | null;
  /** The label that given means: a WordNet id is the model's label of its class. */
  truth: string | null;
  /** The reference's top-5 for the image; null for a broken file. */
  top: string[] | null;
}

/** A label per image: the reference's top-1 for some, its top-2 for others, and a class it never
 * ranks (named once by WordNet id) for the rest, so the matrix has cells on and off its diagonal. */
function chooseLabels(): Labelled[] {
  const names = [...reference.keys(), HOSTILE].sort();
  const out = names.map((name, i): Labelled => {
    const top = reference.get(name === HOSTILE ? HOSTILE_SOURCE : name)!.top_k.map((p) => p.label);
    const pick = i % 4;
    const given = i === names.length - 1 ? null : pick === 1 ? top[1]! : pick === 3 ? (i === 3 ? TENCH_SYNSET : id2label['0']!) : top[0]!;
    return { name, given, truth: given === TENCH_SYNSET ? id2label['0']! : given, top };
  });
  // Broken files carry labels too: a failure must not count as a wrong answer.
  return [...out, ...BROKEN.map((b) => ({ name: b.name, given: 'banjo', truth: 'banjo', top: null }))];
}

function labelledDataset(labels: Labelled[]): string {
  const dir = sampleDataset();
  const lines = labels.map((l) => JSON.stringify({
    url: encodeURIComponent(l.name === HOSTILE ? HOSTILE_SOURCE : l.name),
    path: l.name,
    ...(l.given === null ? {} : { label: l.given }),
  }));
  writeFileSync(join(dir, 'labelled.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

/** Accuracy and the confusion matrix as the labels and the reference say they must be. */
function oracle(labels: Labelled[]) {
  const scored = labels.filter((l) => l.top !== null && l.truth !== null);
  const correct = scored.filter((l) => l.top![0] === l.truth).length;
  const top5 = scored.filter((l) => l.top!.slice(0, 5).includes(l.truth!)).length;
  const classes = [...new Set(scored.map((l) => l.truth!))].sort();
  const counts = classes.map((truth) => [...classes, null].map((guess) =>
    scored.filter((l) => l.truth === truth && (guess === null ? !classes.includes(l.top![0]!) : l.top![0] === guess)).length));
  return { labelled: scored.length, correct, top5, classes, counts };
}

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;

describe('evaluation and gallery of a labelled run', () => {
  const labels = chooseLabels();
  const expected = oracle(labels);
  const alerts: string[] = [];
  let app: OpenApp;
  let runId: string;

  beforeAll(async () => {
    // The oracle itself must give a matrix worth checking.
    expect(expected.correct).toBeGreaterThan(0);
    expect(expected.correct).toBeLessThan(expected.labelled);
    expect(expected.counts.flat().filter((n) => n === 0).length).toBeGreaterThan(0);
    app = await openApp({ dataDir: labelledDataset(labels), modelDir: TINY_MODEL });
    app.page.on('dialog', (d) => {
      alerts.push(d.message());
      void d.dismiss();
    });
    const run = await runTiny(app, { topK: 5 }, '/data/files/labelled.jsonl');
    expect(run.state, run.error ?? '').toBe('done');
    runId = run.id;
    await app.page.reload();
    await app.page.waitForFunction(() => document.body.dataset.ready === 'true');
    await app.page.locator(`[data-testid=evaluation][data-run="${runId}"]`).waitFor();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows the accuracy the reference predicts for the chosen labels', async () => {
    const text = await app.page.locator('[data-testid=eval-summary]').textContent();
    expect(text).toContain(`Accuracy ${pct(expected.correct, expected.labelled)} (${expected.correct} of ${expected.labelled} labelled images)`);
    expect(text).toContain(`top-5 ${pct(expected.top5, expected.labelled)} (${expected.top5} of ${expected.labelled})`);
    const note = await app.page.locator('[data-testid=evaluation] .hint').first().textContent();
    expect(note).toContain(`${BROKEN.length} failed images are not counted`);
    const perClass = await app.page.locator('[data-testid=per-class] tbody tr td:first-child').allTextContents();
    const named = new Set(labels.filter((l) => l.top && l.truth).flatMap((l) => [l.truth!, l.top![0]!]));
    expect(perClass).toEqual([...named].sort());
  });

  it('draws a confusion cell exactly where the reference puts images', async () => {
    const canvas = app.page.locator('[data-testid=confusion]');
    const drawn = await canvas.evaluate((el: HTMLCanvasElement) => {
      const classes = JSON.parse(el.dataset.classes!) as string[];
      const cell = Number(el.dataset.cell);
      const x0 = Number(el.dataset.x);
      const y0 = Number(el.dataset.y);
      const ctx = el.getContext('2d')!;
      const white = (x: number, y: number) => [...ctx.getImageData(x, y, 1, 1).data].every((v) => v === 255);
      return {
        classes,
        size: [el.width, el.height],
        filled: classes.map((_, t) => [...classes, 'other'].map((_, p) => !white(x0 + p * cell + cell / 2, y0 + t * cell + cell / 2))),
        background: white(0, el.height - 1),
      };
    });
    expect(drawn.classes).toEqual(expected.classes);
    expect(drawn.filled).toEqual(expected.counts.map((line) => line.map((n) => n > 0)));
    expect(drawn.background).toBe(true);

    const dir = tempDir('tench-shots-');
    const box = (await canvas.boundingBox())!;
    await canvas.screenshot({ path: join(dir, 'confusion.png') });
    expectSize(pngSize(join(dir, 'confusion.png')), box);
    // The canvas is drawn at one canvas pixel per CSS pixel, inside a 1px border.
    expect(box.width).toBe(drawn.size[0]! + 2);
    expect(box.height).toBe(drawn.size[1]! + 2);
    // What reached the screen shows the same cells as the canvas holds.
    const png = decode(readFileSync(join(dir, 'confusion.png')));
    const { cell, x, y } = await canvas.evaluate((el: HTMLCanvasElement) => ({ cell: Number(el.dataset.cell), x: Number(el.dataset.x), y: Number(el.dataset.y) }));
    const shown = expected.counts.map((line, t) => line.map((_, p) => {
      const at = ((1 + y + t * cell + cell / 2) * png.width + (1 + x + p * cell + cell / 2)) * png.channels;
      return [0, 1, 2].some((c) => png.data[at + c] !== 255);
    }));
    expect(shown).toEqual(drawn.filled);

    const gallery = app.page.locator('[data-testid=gallery]');
    const galleryBox = (await gallery.boundingBox())!;
    await gallery.screenshot({ path: join(dir, 'gallery.png') });
    expectSize(pngSize(join(dir, 'gallery.png')), galleryBox);
  });

  const showAll = async () => {
    await app.page.locator('[data-testid=gallery-all]').check();
    await app.page.locator('[data-testid=gallery-class]').selectOption('');
  };
  const cellPaths = () => app.page.locator('[data-testid=gallery-cell]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.path!).sort());

  it('filters the gallery by errors, wrong answers and class', async () => {
    expect(await cellPaths()).toEqual(labels.map((l) => l.name).sort());

    await app.page.locator('[data-testid=gallery-errors]').check();
    expect(await cellPaths()).toEqual(BROKEN.map((b) => b.name).sort());

    await app.page.locator('[data-testid=gallery-wrong]').check();
    expect(await cellPaths()).toEqual(labels.filter((l) => l.top && l.truth !== null && l.truth !== l.top[0]).map((l) => l.name).sort());

    await showAll();
    const cls = reference.get('rocket-224.png')!.top_k[0]!.label;
    await app.page.locator('[data-testid=gallery-class]').selectOption(cls);
    expect(await cellPaths()).toEqual(labels.filter((l) => l.truth === cls || l.top?.[0] === cls).map((l) => l.name).sort());
    await app.page.locator('[data-testid=gallery-class]').selectOption('');
  });

  it("opens an image's detail with the reference's top-k", async () => {
    await showAll();
    const name = 'rocket-224.png';
    await app.page.locator(`[data-testid=gallery-cell][data-path="${name}"]`).click();
    const detail = app.page.locator('[data-testid=gallery-detail]');
    await detail.locator('[data-testid=detail-topk]').waitFor();
    const rows = await detail.locator('[data-testid=detail-topk] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ label: tr.children[1]!.textContent!, score: Number(tr.children[2]!.textContent) })));
    const ref = reference.get(name)!;
    expect(rows.map((r) => r.label)).toEqual(ref.top_k.map((p) => p.label));
    rows.forEach((r, i) => expect(Math.abs(r.score - ref.top_k[i]!.score), r.label).toBeLessThan(2e-3));
    const truth = labels.find((l) => l.name === name)!.truth ?? 'not given';
    expect(await detail.locator('dd').allTextContents()).toEqual(expect.arrayContaining([name, truth]));
    // The image itself, fetched again from the list's server, not its 96-px thumbnail enlarged.
    const [width] = (await detail.locator('dd').last().textContent())!.split(' × ').map(Number);
    expect(width).toBeGreaterThan(96);
    await expect.poll(() => detail.getByTestId('detail-original').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(width);
    const title = () => detail.locator('h2').textContent();
    expect(await title()).toBe(name);
    // Next and previous walk the gallery in the order it shows, by button and by arrow key.
    const order = await app.page.locator('[data-testid=gallery-cell]').evaluateAll((els) => els
      .map((e) => ({ path: (e as HTMLElement).dataset.path!, at: e.getBoundingClientRect() }))
      .sort((a, b) => a.at.top - b.at.top || a.at.left - b.at.left).map((c) => c.path));
    const at = order.indexOf(name);
    await detail.getByRole('button', { name: 'Next →' }).click();
    await expect.poll(title).toBe(order[at + 1]);
    await app.page.keyboard.press('ArrowLeft');
    await expect.poll(title).toBe(name);
    await app.page.keyboard.press('ArrowLeft');
    await expect.poll(title).toBe(order[at - 1]);
    await detail.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => detail.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
  });

  it('shows a name made of markup as text, everywhere', async () => {
    await showAll();
    const cell = app.page.locator('[data-testid=gallery-cell]').filter({ hasText: HOSTILE });
    await expect.poll(() => cell.count()).toBe(1);
    expect(await cell.getAttribute('data-path')).toBe(HOSTILE);
    expect(await cell.locator('.cell-path').textContent()).toBe(HOSTILE);
    await cell.click();
    const detail = app.page.locator('[data-testid=gallery-detail]');
    await detail.locator('[data-testid=detail-topk]').waitFor();
    expect(await detail.locator('dd').first().textContent()).toBe(HOSTILE);
    await detail.getByRole('button', { name: 'Close' }).click();
    const injected = await app.page.evaluate(() => ({
      imgX: document.querySelectorAll('img[src="x"]').length,
      onerror: document.querySelectorAll('[onerror]').length,
    }));
    expect(injected).toEqual({ imgX: 0, onerror: 0 });
    expect(alerts).toEqual([]);
  });

  it('lists the failures with their reasons', async () => {
    expect(await app.page.locator('[data-testid=failures-summary]').textContent()).toBe(`${BROKEN.length} images failed: decode_failed ${BROKEN.length}.`);
    for (const b of BROKEN) {
      const item = await app.page.locator('.failures-list li').filter({ hasText: b.name }).locator('.error').textContent();
      expect(item).toMatch(b.reason);
    }
    expect(app.errors).toEqual([]);
  });

  /** Puts a run of n synthetic rows straight into IndexedDB, as the newest run, and reloads the
   * page on it: row i predicts `class i%7`, is truly `class i%5` (when labelled), and fails when
   * i is a multiple of 17. */
  async function showSyntheticRun(id: string, n: number, labelled: boolean): Promise<void> {
    await app.page.evaluate(async ({ source, id, n, labelled }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('tench');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const tx = db.transaction(['runs', 'results'], 'readwrite');
      const runs = tx.objectStore('runs');
      const run = await new Promise<Record<string, unknown>>((resolve) => {
        const get = runs.get(source);
        get.onsuccess = () => resolve(get.result);
      });
      runs.put({ ...run, id, createdAt: Date.now() + 60_000, fingerprint: 'synthetic' });
      for (let i = 0; i < n; i++) {
        const failed = i % 17 === 0;
        const label = failed ? null : `class ${i % 7}`;
        tx.objectStore('results').put({
          runId: id, path: `synthetic/${String(i).padStart(5, '0')}.jpg`, seq: i, label, score: failed ? null : 0.5,
          topK: failed ? [] : [{ label, score: 0.5, index: i % 7 }], error: failed ? 'not an image' : null, cause: failed ? 'decode_failed' : null,
          trueLabel: labelled ? `class ${i % 5}` : null, width: null, height: null, size: null, version: null, fingerprint: 'synthetic', imageKey: null, doneAt: 0,
        });
      }
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    }, { source: runId, id, n, labelled });
    await app.page.reload();
    await app.page.waitForFunction(() => document.body.dataset.ready === 'true');
    await app.page.locator(`[data-testid=evaluation][data-run="${id}"]`).waitFor();
  }

  it('keeps only the cells in view in the DOM for a run of many rows', async () => {
    const n = 5000;
    await showSyntheticRun(`${runId}-many`, n, true);

    const ids = [...Array(n).keys()];
    const failed = ids.filter((i) => i % 17 === 0).length;
    const right = ids.filter((i) => i % 17 !== 0 && i % 7 === i % 5).length;
    expect(await app.page.locator('[data-testid=eval-summary]').textContent()).toContain(`(${right} of ${n - failed} labelled images)`);
    expect(await app.page.locator('[data-testid=failures] .failures-list li').count()).toBe(200);
    expect(await app.page.locator('[data-testid=failures]').textContent()).toContain(`and ${failed - 200} more`);

    const grid = app.page.getByTestId('gallery-grid');
    const layout = await grid.evaluate((el: HTMLElement) => ({ width: el.clientWidth, height: el.offsetHeight, window: innerHeight, nested: getComputedStyle(el).overflowY }));
    // The grid is as tall as all the cells, while the DOM holds a few rows of them; the page
    // scrolls it, not a box of its own.
    const columns = Math.floor(layout.width / 114);
    expect(layout.height).toBe(Math.ceil(n / columns) * 164);
    expect(layout.nested).toBe('visible');
    const bound = (Math.ceil(layout.window / 164) + 1 + 2 * 2) * columns;
    const rendered = () => app.page.locator('[data-testid=gallery-cell]').count();
    expect(await rendered()).toBeGreaterThan(0);
    expect(await rendered()).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(n / 10);

    await grid.evaluate((el) => scrollTo(0, el.getBoundingClientRect().bottom + scrollY - innerHeight));
    const last = `synthetic/${String(n - 1).padStart(5, '0')}.jpg`;
    await app.page.locator(`[data-testid=gallery-cell][data-path="${last}"]`).waitFor();
    expect(await app.page.locator('[data-testid=gallery-cell][data-path="synthetic/00000.jpg"]').count()).toBe(0);
    expect(await rendered()).toBeLessThanOrEqual(bound);

    await app.page.locator('[data-testid=gallery-errors]').check();
    expect(await app.page.locator('[data-testid=gallery-count]').textContent()).toBe(`${failed} of ${n} images`);
    const shown = await cellPaths();
    expect(shown.length).toBeLessThanOrEqual(bound);
    expect(shown.every((p) => Number(p.slice(10, 15)) % 17 === 0)).toBe(true);
    // A failed tile says why: its cause, and the reason in its title.
    const tile = app.page.locator('[data-testid=gallery-cell]').first();
    await expect(tile.locator('.cell-label').textContent()).resolves.toBe('decode_failed');
    await expect(tile.getAttribute('title')).resolves.toMatch(/^synthetic\/\d{5}\.jpg: not an image$/);
    expect(app.errors).toEqual([]);
  });

  it('says in one line that a run without true labels has nothing to evaluate', async () => {
    await showSyntheticRun(`${runId}-unlabelled`, 40, false);
    const panel = app.page.locator('[data-testid=evaluation]');
    expect(await panel.locator('[data-testid=eval-summary]').textContent()).toBe('No image of this run has a true label, so there is nothing to evaluate.');
    expect(await panel.locator('[data-testid=confusion]').count()).toBe(0);
    expect(await panel.locator('[data-testid=per-class]').count()).toBe(0);
    expect(await app.page.locator('[data-testid=gallery-count]').textContent()).toBe('40 of 40 images');
    expect(app.errors).toEqual([]);
  });
});
