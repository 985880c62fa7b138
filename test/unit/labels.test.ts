// True labels from where images sit or what a list says: WordNet-id folders (Imagenette), any
// folder name (Ray's partitioning), and a user's map.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelLabel, trueLabel } from '../../src/model/synsets.ts';
import { ROOT, TINY_MODEL } from '../helpers/paths.ts';

// The bundled model's labels, by class index, and ImageNet's WordNet ids in class order, read here
// from the files themselves.
const config = JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
const labels = Array.from({ length: 1000 }, (_, i) => config.id2label[String(i)]!);
const synsets = readFileSync(join(ROOT, 'src/model/imagenet-synsets.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);

describe('trueLabel', () => {
  it('maps an Imagenette folder, at any depth, to the model\'s label of that class', () => {
    for (const i of [0, 217, 482, 999]) {
      expect(trueLabel(`imagenette2/val/${synsets[i]}/x.JPEG`, undefined, labels)).toBe(labels[i]);
      expect(trueLabel(`${synsets[i]}/deeper/x.JPEG`, undefined, labels)).toBe(labels[i]);
    }
  });

  it('prefers the label a list gives, mapping a WordNet id there too', () => {
    expect(trueLabel(`${synsets[1]}/x.jpg`, 'cat', labels)).toBe('cat');
    expect(trueLabel('x.jpg', synsets[5], labels)).toBe(labels[5]);
  });

  it('says nothing when nothing says it, or when ids cannot be mapped to a model\'s labels', () => {
    expect(trueLabel('cats/x.jpg', undefined, labels)).toBeNull();
    expect(trueLabel(`${synsets[0]}/x.jpg`, undefined, ['cat', 'dog'])).toBeNull();
  });

  it('takes any parent folder as the class with from: folder, through the user\'s map', () => {
    expect(trueLabel('train/cats/x.jpg', undefined, labels, { from: 'folder' })).toBe('cats');
    expect(trueLabel('train/cats/x.jpg', 'given', labels, { from: 'folder' })).toBe('cats');
    expect(trueLabel('x.jpg', undefined, labels, { from: 'folder' })).toBeNull();
    expect(trueLabel('train/cats/x.jpg', undefined, labels, { from: 'folder', map: { cats: labels[281]! } })).toBe(labels[281]);
    expect(trueLabel(`a/${synsets[3]}/x.jpg`, undefined, labels, { from: 'folder' })).toBe(labels[3]);
  });

  it('uses the user\'s map before the built-in one, and keeps no label with from: none', () => {
    expect(trueLabel(`${synsets[0]}/x.jpg`, undefined, labels, { map: { [synsets[0]!]: 'my tench' } })).toBe('my tench');
    expect(trueLabel(`${synsets[0]}/x.jpg`, 'given', labels, { from: 'none' })).toBeNull();
  });

  it("names a model label by any of its synonyms, whatever the case and surrounding space", () => {
    // Read from the model's own labels: the one for "lens cap" lists more names than that.
    const lensCap = labels.find((l) => l.split(', ').includes('lens cap'))!;
    expect(lensCap).not.toBe('lens cap');
    expect(trueLabel('x.jpg', 'lens cap', labels)).toBe(lensCap);
    expect(trueLabel('x.jpg', ' Lens Cap ', labels)).toBe(lensCap);
    const keeshond = labels.find((l) => l.split(', ').includes('keeshond'))!;
    expect(trueLabel('x.jpg', 'Keeshond', labels)).toBe(keeshond);
    expect(trueLabel('x.jpg', keeshond.toUpperCase(), labels)).toBe(keeshond);
    // The user's map may give a synonym too.
    expect(trueLabel('cats/x.jpg', undefined, labels, { from: 'folder', map: { cats: 'Keeshond' } })).toBe(keeshond);
  });

  it('keeps a name that is none of the model labels as it is, and names no class by a shared synonym', () => {
    expect(trueLabel('x.jpg', 'not a class', labels)).toBe('not a class');
    expect(modelLabel('not a class', labels)).toBeNull();
    // Synonyms two classes share, found in the labels themselves.
    const seen = new Map<string, number>();
    for (const l of labels) for (const s of new Set(l.split(',').map((x) => x.trim().toLowerCase()))) seen.set(s, (seen.get(s) ?? 0) + 1);
    const shared = [...seen].filter(([s, n]) => n > 1 && !labels.some((l) => l.toLowerCase() === s)).map(([s]) => s);
    expect(shared.length).toBeGreaterThan(0);
    for (const s of shared) expect(modelLabel(s, labels), s).toBeNull();
  });
});
