// The CLI end to end over a local folder, in headless Chromium, against the PyTorch reference.

import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

  it('takes a local list file, whose relative entries are the files beside it', async () => {
    const dir = tempDir();
    const names = [...reference.keys()].slice(0, 3);
    mkdirSync(join(dir, 'imgs'));
    for (const name of names) copyFileSync(join(dataset, name), join(dir, 'imgs', name));
    writeFileSync(join(dir, 'list.csv'), [...names.map((n) => `imgs/${n},cat`), 'imgs/missing.jpg,cat', ''].join('\n'));
    const file = join(out, 'list.jsonl');
    const r = await runCli(['classify', join(dir, 'list.csv'), '--model', TINY_MODEL, '--out', file, '--device', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const rows = readJsonl(file);
    expect(rows.map((row) => row.path).sort()).toEqual([...names.map((n) => `imgs/${n}`), 'imgs/missing.jpg'].sort());
    for (const name of names) expect(rows.find((row) => row.path === `imgs/${name}`)!.label, name).toBe(reference.get(name)!.top_k[0]!.label);
    expect(rows.find((row) => row.path === 'imgs/missing.jpg')!.error).toMatch(/404/);
    expect(summary(r.stdout)).toMatchObject({ images: 4, errors: 1 });
  });

  it('writes nothing and says why when the folder does not exist', async () => {
    const file = join(out, 'none.jsonl');
    const r = await runCli(['classify', join(dataset, 'no-such-folder'), '--model', TINY_MODEL, '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tench: no such folder or list file: .*no-such-folder$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
  });
});
