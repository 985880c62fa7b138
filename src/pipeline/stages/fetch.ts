// fetch: bytes for each unit, a request a unit, as many in flight as the budget allows (a pack
// takes one of a few slots of its own, since it brings sixteen images). The bytes go on to
// decode; a failed download is its image's row.

import { failure } from '../../core/outcome.ts';
import type { ItemSource } from '../../core/item.ts';
import type { Fetched } from '../../net/fetch.ts';
import { slotsOf, type Stage } from '../operator.ts';
import type { FetchUnit } from './list.ts';

export interface FetchedItem {
  item: FetchUnit['items'][number]['item'];
  seq: number;
  bytes: Uint8Array;
}

export interface FetchInput {
  fetch(source: ItemSource, signal: AbortSignal): Promise<Fetched>;
  fetchPack?(endpoint: string, files: string[], signal: AbortSignal): Promise<Fetched[]>;
  concurrency: number;
}

export function fetchStage(input: FetchInput): Stage<FetchUnit, FetchedItem> {
  const single = slotsOf<FetchUnit>(input.concurrency);
  // A pack holds up to sixteen images: a few in flight keep the decoders fed from a local disk.
  const packs = slotsOf<FetchUnit>(Math.max(2, Math.ceil(input.concurrency / 8)));
  return {
    name: 'fetch',
    // Units waiting for a slot: the listing runs at most this far ahead of the downloads.
    capacity: 2,
    budget: input.concurrency,
    admit: (unit, signal) => (unit.pack ? packs : single)(unit, signal),
    weight: (unit) => unit.items.length,
    async work(unit, _lease, { emit, answer, signal }) {
      const out = unit.pack
        ? await input.fetchPack!(unit.pack.endpoint, unit.pack.files, signal)
        : [await input.fetch(unit.items[0]!.item.source, signal)];
      for (let i = 0; i < unit.items.length; i++) {
        const { item, seq } = unit.items[i]!;
        const f = out[i]!;
        if (f.ok) await emit({ item, seq, bytes: f.bytes });
        else await answer({ item, seq, outcome: failure(f.tooLarge ? 'too_large' : 'fetch_failed', f.reason) });
      }
    },
  };
}
