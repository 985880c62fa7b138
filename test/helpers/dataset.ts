// Test datasets: the bundled samples plus broken files, in a temporary folder.

import { copyFileSync, cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLES } from './paths.ts';

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
