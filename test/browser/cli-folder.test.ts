// The CLI end to end over a local folder, in headless Chromium, against the PyTorch reference.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, summary } from '../helpers/cli.ts';
import { BROKEN, sampleDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));

describe('tench classify <folder>', () => {
  let dataset: string;
  let out: string;

  beforeAll(() => {
    dataset = sampleDataset();
    out = tempDir();
  });

  for (const device of ['wasm', 'webgpu'] as const) {
    it(`matches the PyTorch reference on ${device}, and a broken file is one row's error`, async () => {
      const file = join(out, `${device}.jsonl`);
      const r = await runCli(['classify', dataset, '--model', TINY_MODEL, '--out', file, '--device', device, '--batch-size', '4']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`device: ${device}, dtype: fp32;`);

      const rows = readJsonl(file);
      const expected = reference.size + BROKEN.length;
      expect(rows).toHaveLength(expected);
      expect(new Set(rows.map((row) => row.path)).size).toBe(expected);
      expect(summary(r.stdout)).toMatchObject({ images: expected, errors: BROKEN.length });

      const byPath = new Map(rows.map((row) => [row.path, row]));
      let atSize = 0;
      for (const [name, ref] of reference) {
        const row = byPath.get(name);
        expect(row, name).toBeDefined();
        expect(row!.error, name).toBeNull();
        expect(row!.label, name).toBe(ref.top_k[0]!.label);
        expect(row!.top_k.map((t) => t.label), name).toEqual(ref.top_k.map((t) => t.label));
        // At the model's input size there is no resize: only float arithmetic may differ.
        const tolerance = ref.atSize ? 1e-4 : 0.01;
        if (ref.atSize) atSize++;
        row!.top_k.forEach((t, i) => expect(Math.abs(t.score - ref.top_k[i]!.score), `${name} #${i}`).toBeLessThan(tolerance));
      }
      expect(atSize).toBeGreaterThanOrEqual(8);

      for (const broken of BROKEN) {
        const row = byPath.get(broken.name);
        expect(row, broken.name).toBeDefined();
        expect(row!.label).toBeNull();
        expect(row!.top_k).toEqual([]);
        expect(row!.error).toMatch(broken.reason);
      }
      expect(byPath.has('README.txt')).toBe(false);
    });
  }

  it('stops after --limit images and keeps --top-k labels', async () => {
    const file = join(out, 'limit.jsonl');
    const r = await runCli(['classify', dataset, '--model', TINY_MODEL, '--out', file, '--device', 'wasm', '--limit', '5', '--top-k', '2', '--concurrency', '2']);
    expect(r.code, r.stderr).toBe(0);
    const rows = readJsonl(file);
    expect(rows).toHaveLength(5);
    for (const row of rows.filter((x) => !x.error)) expect(row.top_k).toHaveLength(2);
    expect(summary(r.stdout)?.images).toBe(5);
  });

  it('writes nothing and says why when the folder does not exist', async () => {
    const file = join(out, 'none.jsonl');
    const r = await runCli(['classify', join(dataset, 'no-such-folder'), '--model', TINY_MODEL, '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tench: no such folder: .*no-such-folder$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
  });
});
