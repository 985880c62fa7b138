import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SAMPLES = resolve(ROOT, 'public', 'samples');
export const TINY_MODEL = resolve(ROOT, 'public', 'models', 'tench-tiny-vit');
export const FIXTURES = resolve(ROOT, 'test', 'fixtures');
