// Test datasets: the bundled samples plus broken files, in a temporary folder.

import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
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
