// list: the listing, one item at a time. Admission waits at the gate (pause); an item the store
// already answers is counted or copied there and goes no further; the rest go on to fetch, one
// to a unit, or sixteen to a unit where the server hands a folder's files out in packs.

import type { Item } from '../../core/item.ts';
import { PACK_BYTES, PACK_FILES } from '../../datasets/pack.ts';
import type { Gate } from '../gate.ts';
import { oneAtATime, type Stage } from '../operator.ts';
import type { Queue } from '../queue.ts';
import type { RunState } from '../run-state.ts';
import type { Known } from '../types.ts';

/** What fetch takes: one item, or a pack of a folder's files for one request. */
export interface FetchUnit {
  items: Array<{ item: Item; seq: number }>;
  pack?: { endpoint: string; files: string[] };
}

export interface ListInput {
  items: AsyncIterable<Item>;
  gate?: Gate;
  known?(item: Item): Promise<Known | null>;
  /** Whether packs can be fetched at all. */
  packs: boolean;
}

export function listStage(input: ListInput, state: RunState, units: Queue<FetchUnit>): Stage<Item> {
  const one = oneAtATime<Item>();
  let seq = 0;
  let pack: FetchUnit = { items: [] };
  let packBytes = 0;
  const sendPack = async (signal: AbortSignal) => {
    if (!pack.items.length) return;
    const full = pack;
    pack = { items: [] };
    packBytes = 0;
    await units.push(full, signal);
  };
  return {
    name: 'list',
    input: input.items,
    async admit(item, signal) {
      const ticket = await one(item, signal);
      await input.gate?.wait(signal);
      return ticket;
    },
    async work(item, _lease, signal) {
      const mine = seq++;
      state.totals.listed++;
      const known = await input.known?.(item);
      if (known?.kind === 'stored') {
        state.totals.resumed++;
        state.tally(known.ok, known.ok ? undefined : known.cause);
        return;
      }
      if (known?.kind === 'copied') {
        state.totals.cached++;
        return () => state.finish(item, mine, known.outcome, known);
      }
      const packed = input.packs && item.source.kind === 'url' ? item.source.pack : undefined;
      if (!packed) return async () => {
        await sendPack(signal);
        await units.push({ items: [{ item, seq: mine }] }, signal);
      };
      const size = item.size ?? 0;
      return async () => {
        const full = pack.items.length >= PACK_FILES || (pack.items.length > 0 && packBytes + size > PACK_BYTES);
        if (full || (pack.pack && pack.pack.endpoint !== packed.endpoint)) await sendPack(signal);
        pack.pack ??= { endpoint: packed.endpoint, files: [] };
        pack.items.push({ item, seq: mine });
        pack.pack.files.push(packed.file);
        packBytes += size;
      };
    },
    async end(signal) {
      await sendPack(signal);
      state.totals.listingDone = true;
      units.close();
    },
  };
}
