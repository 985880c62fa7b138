// Accuracy from folder names, as Imagenette is laid out: one folder per class, named by its
// WordNet id. The expected figures come from the PyTorch reference's top-k, not from tench.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshState, runCli } from '../helpers/cli.ts';
import { imagenetFolders, tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';


describe('tench classify on a folder per class', () => {
  let dir: string;
  let expected: ReturnType<typeof imagenetFolders>;
  let synsets: string[];

  beforeAll(() => {
    expected = imagenetFolders();
    dir = expected.dir;
    synsets = expected.synsets;
  });

  it('prints accuracy, top-5 and a per-class table, and exports true_label', async () => {
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', dir, '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const pct = (n: number) => `${((n / expected.labelled) * 100).toFixed(1)}%`;
    expect(r.stderr).toContain(`accuracy ${pct(expected.correct)} (${expected.correct} of ${expected.labelled} labelled images), top-5 ${pct(expected.top5)}; 1 labelled images failed and are not counted`);
    expect(r.stderr).toMatch(/^class +support +precision +recall$/m);
    expect(r.stderr).toContain('failures by cause: decode_failed 1');
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const row of rows) {
      const synset = row.path.split('/')[0];
      expect(row.true_label, row.path).toBe(labelOf(synset, synsets));
    }
  });

  it('gives the same figures as a JSON line with --json', async () => {
    const r = await runCli(['classify', dir, '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'o.csv'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const evaluation = lines.find((l) => l.type === 'evaluation');
    expect(evaluation).toMatchObject({ labelled: expected.labelled, accuracy: expected.correct / expected.labelled, top5_accuracy: expected.top5 / expected.labelled, failed_labelled: 1 });
    expect(lines.find((l) => l.type === 'failures')).toEqual({ type: 'failures', total: 1, by_cause: { decode_failed: 1 } });
    expect(lines.at(-1).type).toBe('summary');
  });
});

/** The model's label for a WordNet id: the config's label at the id's position in ImageNet's order. */
function labelOf(synset: string, synsets: string[]): string {
  const config = JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  return config.id2label[String(synsets.indexOf(synset))]!;
}

describe('tench classify: which files, which subset, which labels', () => {
  const reference = referenceByName(loadReference('tench-tiny-vit'));
  let dir: string;
  let map: string;
  let expectedCorrect: number;

  beforeAll(() => {
    // Folders named as a user names them, and a map from those names to the model's labels: the
    // "right" folder maps to each image's PyTorch top-1, the "wrong" one to its second label.
    dir = tempDir();
    const names: Record<string, string> = {};
    expectedCorrect = 0;
    [...reference].forEach(([name, ref], i) => {
      const folder = `class-${i}-${i % 3 === 0 ? 'right' : 'wrong'}`;
      names[folder] = ref.top_k[i % 3 === 0 ? 0 : 1]!.label;
      if (i % 3 === 0) expectedCorrect++;
      mkdirSync(join(dir, folder));
      copyFileSync(join(SAMPLES, name), join(dir, folder, name));
    });
    map = join(tempDir(), 'map.json');
    writeFileSync(map, JSON.stringify(names));
  });

  const run = async (args: string[], state = freshState()) => {
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', dir, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--json', ...args], { TENCH_STATE: state });
    expect(r.code, r.stderr).toBe(0);
    return { rows: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; true_label?: string }), lines: r.stdout.trim().split('\n').map((l) => JSON.parse(l)) };
  };

  it('takes the parent folder as the class, through a label map', async () => {
    const { rows, lines } = await run(['--labels-from', 'folder', '--label-map', map]);
    expect(rows).toHaveLength(reference.size);
    expect(lines.find((l) => l.type === 'evaluation')).toMatchObject({ labelled: reference.size, accuracy: expectedCorrect / reference.size });
  });

  it('draws the same sample for the same seed, and keeps only the extensions asked for', async () => {
    const a = await run(['--sample', '4', '--seed', '7', '--labels-from', 'none']);
    const b = await run(['--sample', '4', '--seed', '7', '--labels-from', 'none']);
    expect(a.rows).toHaveLength(4);
    // The same images; --out lists them in the order they were stored, which may differ.
    expect(b.rows.map((r) => r.path).sort()).toEqual(a.rows.map((r) => r.path).sort());
    expect(a.rows.every((r) => r.true_label === undefined)).toBe(true);
    const state = freshState();
    const jpg = await run(['--extensions', 'jpg', '--labels-from', 'none'], state);
    const jpgs = [...reference.keys()].filter((n) => n.endsWith('.jpg')).sort();
    expect(jpg.rows.map((r) => r.path.split('/').at(-1)).sort()).toEqual(jpgs);
    // The run keeps its extensions: going on with it lists the same files, not the defaults.
    const retried = await run(['--retry-failed'], state);
    expect(retried.rows.map((r) => r.path.split('/').at(-1)).sort()).toEqual(jpgs);
    expect(retried.lines.at(-1)).toMatchObject({ images: jpgs.length, resumed: jpgs.length });
  });

  it('says in one sentence what is wrong with a label map', async () => {
    const bad = join(tempDir(), 'bad.json');
    writeFileSync(bad, '["not", "an", "object"]');
    const r = await runCli(['classify', dir, '--model', TINY_MODEL, '--label-map', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tench: --label-map ${bad}: give a JSON object of class name to model label, such as {"cats": "tabby, tabby cat"}`);
  });
});

describe('tench classify: true labels written as people write them', () => {
  const reference = referenceByName(loadReference('tench-tiny-vit'));

  it('takes any synonym of a class in any case, and counts labels outside the classes apart, naming them once', async () => {
    const dir = tempDir();
    const names = [...reference.keys()].filter((n) => reference.get(n)!.atSize).slice(0, 6);
    for (const n of names) copyFileSync(join(SAMPLES, n), join(dir, n));
    // Each image labelled with its reference top-1 class, written as one of its synonyms (the
    // last), in upper case, with space around it; two more images labelled outside the classes.
    const lines = ['url,label'];
    names.forEach((n, i) => {
      const label = reference.get(n)!.top_k[0]!.label;
      const written = i < 4 ? ` ${label.split(', ').at(-1)!.toUpperCase()} ` : 'not-a-class';
      lines.push(`${n},"${written}"`);
    });
    writeFileSync(join(dir, 'list.csv'), `${lines.join('\n')}\n`);
    const r = await runCli(['classify', join(dir, 'list.csv'), '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'o.jsonl'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const evaluation = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.type === 'evaluation');
    // 4 labelled by synonym, all right by the reference; 2 outside, left out of the accuracy.
    expect(evaluation).toMatchObject({ labelled: 4, accuracy: 1, outside_images: 2, outside_labels: [{ label: 'not-a-class', images: 2 }] });
    const text = await runCli(['classify', join(dir, 'list.csv'), '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'o.jsonl')]);
    expect(text.stderr).toContain('accuracy 100.0% (4 of 4 labelled images)');
    expect(text.stderr.split('\n').filter((l) => l.includes('not among'))).toEqual([
      "1 true label is not among the model's 1,000 classes: not-a-class; their 2 images are left out of the accuracy",
    ]);
  });
});
