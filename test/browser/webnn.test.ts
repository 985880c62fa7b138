// --device webnn: in a Chromium with a WebNN backend (@sparticuz/chromium's LiteRT build) the
// model runs on WebNN and answers as PyTorch does; in Debian's Chromium, which shows navigator.ml
// but has no backend, the run goes on WASM and the device line says why.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, type OutRow } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';
import { webnnBrowser } from '../helpers/webnn-browser.ts';

async function classify(extra: string[]): Promise<{ rows: OutRow[]; deviceLine: string }> {
  const out = join(tempDir(), 'out.jsonl');
  const r = await runCli(['classify', SAMPLES, '--model', TINY_MODEL, '--device', 'webnn', '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const deviceLine = r.stderr.split('\n').find((line) => line.includes('device: ')) ?? '';
  return { rows: readJsonl(out), deviceLine };
}

/** The parity test's tolerances: 1e-4 on images already at the model's size, 0.01 on resized ones. */
function expectReference(rows: OutRow[]): void {
  const reference = referenceByName(loadReference('tench-tiny-vit'));
  expect(rows.length).toBe(reference.size);
  for (const row of rows) {
    const want = reference.get(row.path);
    expect(want, row.path).toBeDefined();
    expect(row.error, row.path).toBeNull();
    expect(row.label, row.path).toBe(want!.top_k[0]!.label);
    expect(Math.abs(row.score! - want!.top_k[0]!.score), row.path).toBeLessThan(want!.atSize ? 1e-4 : 0.01);
  }
}

describe('--device webnn', () => {
  let browser: string;
  beforeAll(() => {
    browser = webnnBrowser();
  }, 120_000);

  it('runs on WebNN in a browser that has it, with the PyTorch reference answers', async () => {
    // Twelve samples at the default batch of 8: the second batch is padded, its padding dropped.
    const { rows, deviceLine } = await classify(['--browser', browser]);
    expect(deviceLine).toMatch(/device: webnn, dtype: fp32; WebNN was asked for/);
    expectReference(rows);
  }, 180_000);

  it('fixes the session at the run\'s batch size, the short last batch padded and its padding dropped', async () => {
    const { rows, deviceLine } = await classify(['--browser', browser, '--batch-size', '5', '--concurrency', '1']);
    expect(deviceLine).toContain('device: webnn');
    expectReference(rows);
  }, 180_000);

  it('falls back to WASM in a browser without WebNN, with the browser\'s reason', async () => {
    const { rows, deviceLine } = await classify(['--browser', '/usr/bin/chromium']);
    expect(deviceLine).toMatch(/device: wasm, dtype: fp32; WebNN was asked for but this browser has none \(WebNN is not supported on this platform\)/);
    expectReference(rows);
  }, 180_000);
});
