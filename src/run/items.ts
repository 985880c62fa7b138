// The images a run classifies, in order: the listing, then the limit's sample, then this shard's
// share, each with its true label where the dataset or its folder names say it.

import type { Item } from '../core/item.ts';
import { sampled, type Sample } from '../datasets/sample.ts';
import { inShard, type Shard } from '../datasets/shard.ts';
import { trueLabel, type LabelOptions } from '../model/synsets.ts';

/** True labels outside the model's classes kept with a run, at most: enough to name them. */
const OUTSIDE_LABELS_KEPT = 1000;

/**
 * Each item with its true label. A label that is none of the model's classes (nor a synonym of
 * one) is noted in `outside`: the evaluation counts its images apart, as no prediction can match it.
 */
async function* labelled(items: AsyncIterable<Item>, labels: readonly string[], options: LabelOptions, outside: Set<string>): AsyncGenerator<Item> {
  const classes = new Set(labels);
  for await (const item of items) {
    // A class index with no name is the model's class of that index.
    const given = item.label ?? (item.classIndex === undefined ? undefined : labels[item.classIndex] ?? String(item.classIndex));
    const label = trueLabel(item.path, given, labels, options);
    if (label !== null && !classes.has(label) && outside.size < OUTSIDE_LABELS_KEPT) outside.add(label);
    yield label === null ? item : { ...item, label };
  }
}

export interface Selection {
  sample: Sample | null | undefined;
  shard: Shard | null | undefined;
  labels: LabelOptions;
}

export function runItems(listing: AsyncIterable<Item>, selection: Selection, modelLabels: readonly string[], outside: Set<string>): AsyncIterable<Item> {
  return labelled(inShard(sampled(listing, selection.sample), selection.shard), modelLabels, selection.labels, outside);
}
