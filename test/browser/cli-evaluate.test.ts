// Accuracy from folder names, as Imagenette is laid out: one folder per class, named by its
// WordNet id. The expected figures come from the PyTorch reference's top-k, not from tench.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { imagenetFolders, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';


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
