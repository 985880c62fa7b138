// The inference worker's GPU memory over many batches on WebGPU (SwiftShader where there is no
// GPU): ONNX Runtime uploads each batch and reads back only the logits, and the live bytes of the
// worker's GPU buffers (counted by workers/infer/session.ts) stay flat from batch 10 to batch 200.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from 'playwright-core';
import { openDevPage, type DevPage } from '../helpers/dev-page.ts';

// SwiftShader takes about 1.6 s a batch of one here: 60 batches keep the test near two minutes.
const BATCHES = 60;
/** ORT's buffer cache may settle a little after batch 10; growth per batch would be far more. */
const MARGIN_BYTES = 1 << 20;

type Counts = { live: number; created: number };

describe('GPU buffers of the inference worker over many batches', () => {
  let dev: DevPage;

  beforeAll(async () => {
    dev = await openDevPage();
    await dev.load('/src/pipeline/bridge.ts', 'bridge');
    await dev.load('/src/model/model.ts', 'modelModule');
  });

  afterAll(async () => {
    await dev?.close();
  });

  it(`keeps the live GPU buffer bytes flat from batch 10 to batch ${BATCHES}`, async () => {
    const hasGpu = await dev.page.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
    expect(hasGpu, 'a WebGPU adapter (SwiftShader with --enable-unsafe-webgpu)').toBe(true);
    await dev.page.evaluate(async () => {
      const w = window as unknown as Record<string, any>;
      const ref = w.modelModule.modelRefFromInput('tench-tiny-vit', location.origin);
      const info = await w.modelModule.loadModelInfo(ref);
      if (!info.ok) throw new Error(info.reason);
      const p = info.value.preprocess;
      const inferrer = w.bridge.spawnInferrer();
      await inferrer.api.load({ model: ref, device: 'webgpu', dtype: 'fp32', numThreads: 1, labels: info.value.labels, inputWidth: p.inputWidth, inputHeight: p.inputHeight });
      const pixels = new Float32Array(3 * p.inputWidth * p.inputHeight).map((_, i) => Math.sin(i));
      w.runBatches = async (n: number) => {
        let label = '';
        for (let i = 0; i < n; i++) {
          const out = await inferrer.api.classify([pixels.slice()], 1);
          if (!out.ok) throw new Error(out.reason);
          label = out.predictions[0][0].label;
        }
        return label;
      };
    });
    const worker: Worker | undefined = dev.page.workers().find((x) => x.url().includes('infer'));
    expect(worker, 'the inference worker').toBeDefined();
    const counts = () => worker!.evaluate(() => ({ ...globalThis.tenchGpuBytes! })) as Promise<Counts>;

    const first = await dev.page.evaluate(() => (window as unknown as { runBatches(n: number): Promise<string> }).runBatches(10));
    const x = await counts();
    const last = await dev.page.evaluate((n) => (window as unknown as { runBatches(n: number): Promise<string> }).runBatches(n), BATCHES - 10);
    const y = await counts();
    console.log(`GPU buffer bytes after batch 10: ${x.live}, after batch ${BATCHES}: ${y.live}; ${((y.created - x.created) / (BATCHES - 10)).toFixed(1)} buffers made per batch`);

    expect(x.live).toBeGreaterThan(0);
    // The counter sees the runs' own buffers (ORT's staging copies), so a leak would show.
    expect(y.created).toBeGreaterThan(x.created);
    expect(y.live).toBeLessThanOrEqual(x.live + MARGIN_BYTES);
    expect(last).toBe(first);
  }, 600_000);
});
