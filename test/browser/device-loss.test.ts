// A GPU lost mid-run (the inference worker's WebGPU device destroyed under it): the worker is
// replaced, the batch it held runs again on the new one, and every image still gets the answer
// PyTorch gives.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/pipeline/progress.ts';
import type { RunRecord } from '../../src/store/runs.ts';
import { openApp, runTiny, type OpenApp } from '../helpers/app.ts';
import { repeatedDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

describe('losing the GPU device mid-run', () => {
  let app: OpenApp;
  let data: ReturnType<typeof repeatedDataset>;

  beforeAll(async () => {
    data = repeatedDataset(1);
    app = await openApp({ dataDir: data.dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('replaces the worker, runs the batch again, and finishes with every answer right', async () => {
    await app.page.evaluate(() => {
      const notes: string[] = [];
      (window as unknown as { notes: string[] }).notes = notes;
      window.tenchProgress = (p: Progress) => {
        if (p.note && !notes.includes(p.note)) notes.push(p.note);
      };
    });
    const finished = runTiny(app, { device: 'webgpu', sessions: 1, batchSize: 2 });
    const runId = await poll(() => app.page.evaluate(async () => (await window.tench!.runs())[0]?.id ?? null));
    // Some rows stored first, so the loss comes in the middle of the run.
    await poll(async () => ((await app.page.evaluate((id) => window.tench!.count(id), runId)) >= 4 ? true : null));

    const inferWorkers = app.page.workers().filter((w) => w.url().includes('infer'));
    expect(inferWorkers.length).toBeGreaterThan(0);
    const destroyed = await Promise.all(inferWorkers.map((w) => w.evaluate(() => {
      const device = globalThis.tenchGpuDevice;
      device?.destroy();
      return device !== undefined;
    })));
    expect(destroyed).toContain(true);

    const run: RunRecord = await finished;
    expect(run.state, run.error ?? '').toBe('done');
    expect(run.runtime?.device).toBe('webgpu');
    const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
    expect(rows).toHaveLength(data.count);
    expect(new Set(rows.map((r) => r.path)).size).toBe(data.count);
    const reference = referenceByName(loadReference('tench-tiny-vit'));
    for (const row of rows) {
      expect(row.error, row.path).toBeNull();
      expect(row.label, row.path).toBe(reference.get(row.path.slice(4))!.top_k[0]!.label);
    }
    const notes = await app.page.evaluate(() => (window as unknown as { notes: string[] }).notes);
    console.log(`device loss: ${rows.length} rows; ${notes.find((n) => n.includes('replaced'))}`);
    expect(notes.some((n) => /^1 worker replaced \(the last because the GPU device was lost .*\); 1 batch run again$/.test(n))).toBe(true);
  }, 300_000);
});

async function poll<T>(probe: () => Promise<T | null>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
