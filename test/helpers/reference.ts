// The PyTorch + PIL reference predictions committed by test/fixtures/make_fixtures.py.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES } from './paths.ts';

export type TopK = Array<{ label: string; index: number; score: number }>;

export type ReferenceImage =
  | { readable: true; width: number; height: number; top_k: TopK; logit_margin: number; exif_orientation?: number; exif_top_k?: TopK }
  | { readable: false; error: string };

export interface Reference {
  model: string;
  processor: { size: { height: number; width: number } | { shortest_edge: number } };
  images: Record<string, ReferenceImage>;
}

export function loadReference(model: string): Reference {
  return JSON.parse(readFileSync(resolve(FIXTURES, 'reference', `${model}.json`), 'utf8')) as Reference;
}

type Readable = Extract<ReferenceImage, { readable: true }>;

/** Readable reference entries keyed by file name, for images at the model's input size or not. */
export function referenceByName(ref: Reference, prefix = 'samples/'): Map<string, Readable & { atSize: boolean }> {
  const size = ref.processor.size;
  return new Map(
    Object.entries(ref.images)
      .filter((e): e is [string, Readable] => e[0].startsWith(prefix) && e[1].readable)
      .map(([key, img]) => [key.slice(prefix.length), { ...img, atSize: 'height' in size && img.width === size.width && img.height === size.height }]),
  );
}
