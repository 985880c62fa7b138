// Test datasets: the bundled samples plus broken files, in a temporary folder.

import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SAMPLES } from './paths.ts';
import { loadReference, referenceByName } from './reference.ts';

/** Files that are not images but are named like images, each with the reason it must report. */
export const BROKEN: ReadonlyArray<{ name: string; bytes: Uint8Array; reason: RegExp }> = [
  { name: 'empty.jpg', bytes: new Uint8Array(0), reason: /^decode_failed: empty file/ },
  { name: 'notes.jpg', bytes: new TextEncoder().encode('these are my notes, not a photo\n'), reason: /^decode_failed: not an image: the file is text/ },
];

export function tempDir(prefix = 'tench-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The samples, the broken files, and a README that is not an image (skipped, not an error). */
export function sampleDataset(): string {
  const dir = tempDir();
  cpSync(SAMPLES, dir, { recursive: true });
  for (const b of BROKEN) writeFileSync(join(dir, b.name), b.bytes);
  writeFileSync(join(dir, 'README.txt'), 'sample images for tench\n');
  return dir;
}

/** The sample images `copies` times over (a run long enough to interrupt), and the broken files if asked. */
export function repeatedDataset(copies: number, withBroken = false): { dir: string; count: number } {
  const dir = tempDir();
  const images = readdirSync(SAMPLES).filter((n) => /\.(png|jpg)$/.test(n));
  for (let k = 0; k < copies; k++) for (const n of images) copyFileSync(join(SAMPLES, n), join(dir, `${String(k).padStart(3, '0')}-${n}`));
  if (withBroken) for (const b of BROKEN) writeFileSync(join(dir, b.name), b.bytes);
  return { dir, count: images.length * copies + (withBroken ? BROKEN.length : 0) };
}

/**
 * The sample images in ImageNet-style class folders named by WordNet id, as Imagenette is laid
 * out: every other image in the folder of the class PyTorch ranks first for it (a right answer),
 * the rest in the folder of the class it ranks third (wrong at top-1, right at top-5), and one
 * broken file. The expected figures come from the PyTorch reference alone.
 */
export function imagenetFolders(): { dir: string; labelled: number; correct: number; top5: number; synsets: string[] } {
  const synsets = readFileSync(join(ROOT, 'src/model/imagenet-synsets.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.slice(0, 9));
  const dir = tempDir();
  const out = { dir, labelled: 0, correct: 0, top5: 0, synsets };
  [...referenceByName(loadReference('tench-tiny-vit'))].forEach(([name, ref], i) => {
    const rank = i % 2 === 0 ? 0 : 2;
    const synset = synsets[ref.top_k[rank]!.index]!;
    mkdirSync(join(dir, synset), { recursive: true });
    copyFileSync(join(SAMPLES, name), join(dir, synset, name));
    out.labelled++;
    if (rank === 0) out.correct++;
    if (ref.top_k.slice(0, 5).some((t) => t.index === ref.top_k[rank]!.index)) out.top5++;
  });
  mkdirSync(join(dir, synsets[0]!), { recursive: true });
  writeFileSync(join(dir, synsets[0]!, BROKEN[0]!.name), BROKEN[0]!.bytes);
  return out;
}
