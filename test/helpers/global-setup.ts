// Build the app once before the tests, so CLI processes started in parallel find it built.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../src/cli/build.ts';

export default async function setup(): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  await ensureBuilt(root, (line) => console.log(line));
}
