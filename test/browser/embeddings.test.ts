// --embeddings: each row keeps its image's vector, the [CLS] token after the final layernorm,
// checked against PyTorch's for the same pixels (make_fixtures.py writes it into the reference);
// without the flag no row has one; rows are never shared between runs with and without it; and a
// model whose graph gives no such output refuses to run, in a sentence. The page's box for it is
// remembered as ticked or not, and its run stores the vectors too.

import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { freshState, readJsonl, runCli, summary, type OutRow } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { FIXTURES, SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';
import { webnnBrowser } from '../helpers/webnn-browser.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));
const hiddenSize = (JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { hidden_size: number }).hidden_size;

type Row = OutRow & { embedding?: number[] };

async function classify(args: string[], state = freshState()) {
  const out = join(tempDir(), 'out.jsonl');
  const device = args.includes('--device') ? [] : ['--device', 'wasm'];
  const r = await runCli(['classify', SAMPLES, '--model', TINY_MODEL, ...device, '--out', out, ...args], { TENCH_STATE: state });
  expect(r.code, r.stderr).toBe(0);
  return { rows: new Map(readJsonl(out).map((row) => [row.path, row as Row])), stdout: r.stdout, stderr: r.stderr };
}

/** The largest difference, over every image and every number, from PyTorch's vectors. */
function largestDiff(rows: Map<string, Row>): number {
  let worst = 0;
  for (const [name, ref] of reference) {
    const want = (ref as { embedding?: number[] }).embedding;
    const got = rows.get(name)?.embedding;
    expect(want, `the reference has no embedding for ${name}: run make_fixtures.py --models`).toHaveLength(hiddenSize);
    expect(got, name).toHaveLength(hiddenSize);
    for (let i = 0; i < hiddenSize; i++) worst = Math.max(worst, Math.abs(got![i]! - want![i]!));
  }
  return worst;
}

describe('--embeddings', () => {
  // One state folder for the whole file: what a run may reuse of another is part of the test.
  const state = freshState();
  let first: Map<string, Row>;

  it('writes no embedding when not asked', async () => {
    const { rows } = await classify([], state);
    expect(rows.size).toBe(reference.size);
    for (const row of rows.values()) expect(row, row.path).not.toHaveProperty('embedding');
  });

  it('writes each image\'s [CLS] vector, as PyTorch computes it, never reusing rows that have none', async () => {
    const { rows, stdout } = await classify(['--embeddings'], state);
    expect(summary(stdout)).toMatchObject({ images: reference.size, reused: 0, resumed: 0 });
    const worst = largestDiff(rows);
    console.log(`embeddings of ${rows.size} images: largest difference from PyTorch ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    first = rows;
  });

  it('copies the vectors with the rows another run with embeddings stored', async () => {
    const { rows, stdout } = await classify(['--embeddings'], state);
    expect(summary(stdout)).toMatchObject({ images: reference.size, reused: reference.size });
    for (const [path, row] of rows) expect(row.embedding, path).toEqual(first.get(path)!.embedding);
  });

  // WebNN's batch is fixed: 12 images in passes of 5 are split and the last one padded, and the
  // padded rows' vectors must be dropped as their logits are.
  it.each(['webgpu', 'webnn'] as const)('gives the same vectors on %s', async (device) => {
    const browser = device === 'webnn' ? ['--browser', webnnBrowser()] : [];
    const { rows, stderr } = await classify(['--embeddings', '--device', device, '--batch-size', '5', ...browser]);
    // It ran where it was asked to, not on a fallback.
    expect(stderr).toContain(`device: ${device}, dtype: fp32;`);
    const worst = largestDiff(rows);
    console.log(`embeddings on ${device}: largest difference from PyTorch ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it('refuses a model whose graph outputs only logits, before any image', async () => {
    const model = join(FIXTURES, 'models', 'tench-tiny-vit-bicubic');
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', SAMPLES, '--model', model, '--device', 'wasm', '--embeddings', '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/model \S*tench-tiny-vit-bicubic's ONNX graph outputs only logits, so it gives no embeddings: export it with its last_hidden_state or pooler_output as well/);
  });
});

describe('the page\'s Embeddings box', () => {
  let app: OpenApp;
  const box = () => app.page.getByLabel('Embeddings', { exact: true });
  const reload = async () => {
    await app.page.reload();
    await app.page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  };

  beforeAll(async () => {
    const dir = tempDir();
    for (const name of ['astronaut-224.png', 'coffee-224.png', 'rocket.jpg']) copyFileSync(join(SAMPLES, name), join(dir, name));
    app = await openApp({ dataDir: dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('stays ticked across a reload, and the run it starts keeps each image\'s vector', async () => {
    await box().check();
    await reload();
    await expect(box().isChecked()).resolves.toBe(true);
    await app.page.selectOption('select[name=kind]', 'manifest');
    await app.page.fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
    const run = await runFromForm(app.page);
    expect(run.state).toBe('done');
    const lengths = await app.page.evaluate(async (id) => (await window.tench!.rows(id)).map((r) => r.embedding?.length ?? null), run.id);
    expect(lengths).toEqual([hiddenSize, hiddenSize, hiddenSize]);
  });

  it('stays unticked once unticked', async () => {
    await box().uncheck();
    await reload();
    await expect(box().isChecked()).resolves.toBe(false);
  });
});
