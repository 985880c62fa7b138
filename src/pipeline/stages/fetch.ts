// fetch: bytes for each unit, a request a unit, as many in flight as the budget allows (a pack
// takes one of a few slots of its own, since it brings sixteen images). The bytes go on to
// decode; a failed download is its image's row.

import { failure } from '../../core/outcome.ts';
import type { ItemSource } from '../../core/item.ts';
import type { Fetched } from '../../net/fetch.ts';
import type { Stage, Ticket } from '../operator.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import { createSlots } from '../slots.ts';
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

export function fetchStage(input: FetchInput, state: RunState, units: Queue<FetchUnit>, fetched: Queue<FetchedItem>): Stage<FetchUnit> {
  const single = createSlots(input.concurrency);
  // A pack holds up to sixteen images: a few in flight keep the decoders fed from a local disk.
  const packs = createSlots(Math.max(2, Math.ceil(input.concurrency / 8)));
  return {
    name: 'fetch',
    input: units,
    async admit(unit, signal): Promise<Ticket> {
      const slots = unit.pack ? packs : single;
      await slots.acquire(signal);
      return { lease: undefined, release: () => slots.release() };
    },
    weight: (unit) => unit.items.length,
    async work(unit, _lease, signal) {
      const out = unit.pack
        ? await input.fetchPack!(unit.pack.endpoint, unit.pack.files, signal)
        : [await input.fetch(unit.items[0]!.item.source, signal)];
      return async () => {
        for (let i = 0; i < unit.items.length; i++) {
          const { item, seq } = unit.items[i]!;
          const f = out[i]!;
          if (f.ok) await fetched.push({ item, seq, bytes: f.bytes }, signal);
          else await state.finish(item, seq, failure(f.tooLarge ? 'too_large' : 'fetch_failed', f.reason));
        }
      };
    },
    end: () => fetched.close(),
  };
}
