// The PyTorch + PIL reference predictions committed by test/fixtures/make_fixtures.py.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES } from './paths.ts';

export interface ReferenceImage {
  width: number;
  height: number;
  top_k: Array<{ label: string; index: number; score: number }>;
  logit_margin: number;
}

export interface Reference {
  model: string;
  processor: { size: { height: number; width: number } };
  images: Record<string, ReferenceImage>;
}

export function loadReference(model: string): Reference {
  return JSON.parse(readFileSync(resolve(FIXTURES, 'reference', `${model}.json`), 'utf8')) as Reference;
}

/** Reference entries keyed by file name, for images at the model's input size or not. */
export function referenceByName(ref: Reference, prefix = 'samples/'): Map<string, ReferenceImage & { atSize: boolean }> {
  const { height, width } = ref.processor.size;
  return new Map(
    Object.entries(ref.images)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, img]) => [key.slice(prefix.length), { ...img, atSize: img.width === width && img.height === height }]),
  );
}
