// The records a run leaves in IndexedDB, read back with the browser's own IndexedDB API (not
// through tench's store module), and the page rebuilt from them after a reload.

import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runTiny, type OpenApp } from '../helpers/app.ts';
import { BROKEN, sampleDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));

interface RawRecords {
  run: Record<string, unknown>;
  results: Array<Record<string, unknown>>;
  thumbs: Array<{ path: string; type: string; size: number }>;
  stores: string[];
  version: number;
}

describe('IndexedDB records of a run', () => {
  let app: OpenApp;
  let runId: string;

  beforeAll(async () => {
    app = await openApp({ dataDir: sampleDataset(), modelDir: TINY_MODEL });
    const run = await runTiny(app);
    expect(run.state, run.error ?? '').toBe('done');
    runId = run.id;
  });

  afterAll(async () => {
    await app?.close();
  });

  const readRaw = (id: string) => app.page.evaluate(async (runId): Promise<RawRecords> => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('tench');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const tx = db.transaction(['runs', 'results', 'thumbs'], 'readonly');
    const get = <T>(request: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const run = await get(tx.objectStore('runs').get(runId));
    const all = await get(tx.objectStore('results').getAll());
    const thumbs: Array<{ runId: string; path: string; image: Uint8Array }> = await get(tx.objectStore('thumbs').getAll());
    const mine = thumbs.filter((t) => t.runId === runId);
    const out = {
      run,
      results: all.filter((r) => r.runId === runId),
      thumbs: await Promise.all(mine.map(async (t) => ({ path: t.path, type: t.image[0] === 0xff && t.image[1] === 0xd8 ? 'JPEG' : 'other', size: (await createImageBitmap(new Blob([t.image as Uint8Array<ArrayBuffer>]))).width }))),
      stores: [...db.objectStoreNames],
      version: db.version,
    };
    db.close();
    return out;
  }, id);

  it('holds one record per image, with its prediction or its error', async () => {
    const raw = await readRaw(runId);
    expect(raw.stores.sort()).toEqual(['results', 'runs', 'thumbs']);
    expect(raw.version).toBe(3);
    const expected = reference.size + BROKEN.length;
    expect(raw.results).toHaveLength(expected);
    expect(new Set(raw.results.map((r) => r.path)).size).toBe(expected);
    // Listing positions are the dataset's order, each used once.
    expect(raw.results.map((r) => r.seq as number).sort((a, b) => a - b)).toEqual([...Array(expected).keys()]);
    // And positions in the order they were stored, each used once: what --out follows.
    expect(raw.results.map((r) => r.order as number).sort((a, b) => a - b)).toEqual([...Array(expected).keys()]);
    for (const [name, ref] of reference) {
      const row = raw.results.find((r) => r.path === name)!;
      expect(row, name).toBeDefined();
      expect(row.label).toBe(ref.top_k[0]!.label);
      expect(row.error).toBeNull();
      expect((row.topK as unknown[]).length).toBe(3);
      expect(row.fingerprint).toBe(raw.run.fingerprint);
      expect(row.width).toBe(ref.width);
    }
    for (const broken of BROKEN) {
      const row = raw.results.find((r) => r.path === broken.name)!;
      expect(row.label).toBeNull();
      expect(`${row.cause}: ${row.error}`).toMatch(broken.reason);
    }
    // A thumbnail for each readable image, made from its decoded pixels, and none for the broken.
    expect(raw.thumbs.map((t) => t.path).sort()).toEqual([...reference.keys()].sort());
    for (const t of raw.thumbs) {
      expect(t.type).toBe('JPEG');
      const ref = reference.get(t.path)!;
      expect(t.size).toBe(Math.max(1, Math.round(ref.width * Math.min(1, 96 / Math.max(ref.width, ref.height)))));
    }
    expect(raw.run).toMatchObject({ state: 'done', counts: { written: expected, failed: BROKEN.length, ok: reference.size } });
    expect((raw.run.runtime as { device: string }).device).toBe('wasm');
  });

  it('rebuilds the page from the store after a reload', async () => {
    await app.page.reload();
    await app.page.waitForFunction(() => document.body.dataset.ready === 'true');
    const caption = await app.page.locator('[data-testid=results] caption').textContent();
    expect(caption).toBe(`${reference.size + BROKEN.length} results`);
    const rows = await app.page.locator('[data-testid=results] tbody tr').count();
    expect(rows).toBe(reference.size + BROKEN.length);
    await expect(app.page.locator('.message').textContent()).resolves.toContain(runId);
    expect(app.errors).toEqual([]);
  });

  it('downloads the run from the page as JSONL, CSV, Parquet and failures, each readable by DuckDB', async () => {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const dir = tempDir();
    const menu = app.page.locator(`[data-testid=runs] li[data-run="${runId}"] select`);
    const read: Record<string, (f: string) => string> = {
      JSONL: (f) => `select * from read_json('${f}', format = 'newline_delimited')`,
      CSV: (f) => `select * from read_csv('${f}', header = true)`,
      Parquet: (f) => `select * from read_parquet('${f}')`,
      'Failures (CSV)': (f) => `select * from read_csv('${f}', header = true)`,
    };
    const expected = reference.size + BROKEN.length;
    for (const [label, query] of Object.entries(read)) {
      const [download] = await Promise.all([app.page.waitForEvent('download'), menu.selectOption({ label })]);
      const file = join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const rows = (await duck.runAndReadAll(query(file))).getRowObjectsJS();
      if (label.startsWith('Failures')) {
        expect(file).toMatch(new RegExp(`tench-${runId}-failures\\.csv$`));
        expect(rows.map((r) => r.path).sort()).toEqual(BROKEN.map((b) => b.name).sort());
      } else {
        expect(rows, label).toHaveLength(expected);
        const byPath = new Map(rows.map((r) => [r.path as string, r]));
        for (const [name, ref] of reference) expect(byPath.get(name)?.label, `${label} ${name}`).toBe(ref.top_k[0]!.label);
      }
    }
    duck.closeSync();
  });
});
