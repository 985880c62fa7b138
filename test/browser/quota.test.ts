// A full disk pauses the run with the figures, and resuming writes everything, once. The quota
// error is raised by IndexedDB's own put, as a full origin would raise it, for as long as the
// test says the disk is full.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/pipeline/progress.ts';
import { openApp, type OpenApp } from '../helpers/app.ts';
import { BROKEN, sampleDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const expected = referenceByName(loadReference('tench-tiny-vit')).size + BROKEN.length;

declare global {
  interface Window {
    diskFull?: boolean;
    lastProgress?: Progress;
    finished?: Promise<unknown>;
  }
}

describe('a run that meets a full disk', () => {
  let app: OpenApp;

  beforeAll(async () => {
    app = await openApp({ dataDir: sampleDataset(), modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('pauses with the storage figures, and on resume stores every row once', async () => {
    await app.page.evaluate(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
        if (window.diskFull && this.name === 'results') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
      window.diskFull = true;
      window.tenchProgress = (p) => (window.lastProgress = p);
      window.finished = window.tench!.run({
        dataset: { kind: 'manifest', url: `${location.origin}/data/manifest.jsonl` },
        model: 'tench-local/tench-tiny-vit', device: 'wasm', dtype: 'fp32', sessions: 1, decoders: 1, batchSize: 4, topK: 3, limit: null,
      });
    });
    await app.page.waitForFunction(() => window.lastProgress?.state === 'paused', null, { timeout: 60_000 });
    const paused = await app.page.evaluate(() => window.lastProgress!);
    expect(paused.note).toMatch(/^storage is full \([\d.]+ MiB of [\d.]+ MiB used\): paused; delete old runs or free disk space, then resume$/);
    await expect(app.page.getByTestId('progress-note').textContent()).resolves.toBe(paused.note);
    const runId = paused.runId;
    expect(await app.page.evaluate((id) => window.tench!.count(id), runId)).toBe(0);

    await app.page.evaluate(() => {
      window.diskFull = false;
      window.tench!.resume();
    });
    const run = await app.page.evaluate(() => window.finished) as { state: string; counts: { written: number } };
    expect(run.state).toBe('done');
    expect(run.counts.written).toBe(expected);
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), runId);
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.path)).size).toBe(expected);
    await expect(app.page.getByTestId('progress-note').isHidden()).resolves.toBe(true);
  });
});
