// `--sample N --seed S`: a random subset that is the same whatever order the listing comes in and
// on every machine: the N items whose path, hashed with the seed, is smallest. It needs the whole
// listing before the first item goes on, and holds N items, never the listing.

import type { Item } from '../core/item.ts';
import { pathHash } from './shard.ts';

export interface Sample {
  count: number;
  seed: number;
}

export function sampleKey(path: string, seed: number): number {
  return pathHash(`${seed}\u0000${path}`);
}

/** The sample's items, in listing order. */
export async function* sampled(items: AsyncIterable<Item>, sample: Sample | null | undefined): AsyncGenerator<Item> {
  if (!sample) return yield* items;
  // Kept sorted by key, largest last, so the one to drop is at the end.
  const kept: Array<{ key: number; order: number; item: Item }> = [];
  let order = 0;
  for await (const item of items) {
    const key = sampleKey(item.path, sample.seed);
    const entry = { key, order: order++, item };
    if (kept.length === sample.count && key >= kept[kept.length - 1]!.key) continue;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.key <= key) lo = mid + 1;
      else hi = mid;
    }
    kept.splice(lo, 0, entry);
    if (kept.length > sample.count) kept.pop();
  }
  yield* kept.sort((a, b) => a.order - b.order).map((e) => e.item);
}
