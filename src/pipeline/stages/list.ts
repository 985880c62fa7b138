// list: the listing, one item at a time. Admission waits at the gate (pause); an item the store
// already answers is counted or copied there and goes no further; the rest go on to fetch, one
// to a unit, or sixteen to a unit where the server hands a folder's files out in packs.

import type { Item } from '../../core/item.ts';
import { PACK_BYTES, PACK_FILES } from '../../net/pack.ts';
import type { Gate } from '../gate.ts';
import { slotsOf, tally, type Figures, type Outlets, type Stage } from '../operator.ts';
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

type ListFigures = Pick<Figures, 'listed' | 'listingDone' | 'resumed' | 'cached' | 'ok' | 'failed' | 'byCause'>;

/** Items gathered into packs, one endpoint's files per pack, sent on when full or at the end. */
function packer() {
  let pack: FetchUnit = { items: [] };
  let packBytes = 0;
  const send = async (emit: Outlets<FetchUnit>['emit']) => {
    if (!pack.items.length) return;
    const full = pack;
    pack = { items: [] };
    packBytes = 0;
    await emit(full);
  };
  const add = async (unit: { item: Item; seq: number }, packed: { endpoint: string; file: string }, emit: Outlets<FetchUnit>['emit']) => {
    const size = unit.item.size ?? 0;
    const full = pack.items.length >= PACK_FILES || (pack.items.length > 0 && packBytes + size > PACK_BYTES);
    if (full || (pack.pack && pack.pack.endpoint !== packed.endpoint)) await send(emit);
    pack.pack ??= { endpoint: packed.endpoint, files: [] };
    pack.items.push(unit);
    pack.pack.files.push(packed.file);
    packBytes += size;
  };
  return { send, add };
}

export function listStage(input: ListInput): Stage<Item, FetchUnit> {
  const one = slotsOf<Item>(1);
  const packs = packer();
  const figures: ListFigures = { listed: 0, listingDone: false, resumed: 0, cached: 0, ok: 0, failed: 0, byCause: {} };
  let seq = 0;
  return {
    name: 'list',
    source: input.items,
    budget: 1,
    async admit(item, signal) {
      const ticket = await one(item, signal);
      await input.gate?.wait(signal);
      return ticket;
    },
    async work(item, _lease, { emit, answer }) {
      const mine = seq++;
      figures.listed++;
      const known = await input.known?.(item);
      if (known?.kind === 'stored') {
        figures.resumed++;
        tally(figures, known.ok, known.ok ? undefined : known.cause);
        return;
      }
      if (known?.kind === 'copied') {
        figures.cached++;
        return answer({ item, seq: mine, outcome: known.outcome, width: known.width, height: known.height, thumb: known.thumb });
      }
      const packed = input.packs && item.source.kind === 'url' ? item.source.pack : undefined;
      if (packed) return packs.add({ item, seq: mine }, packed, emit);
      await packs.send(emit);
      await emit({ items: [{ item, seq: mine }] });
    },
    async flush({ emit }) {
      await packs.send(emit);
      figures.listingDone = true;
    },
    stats: () => ({ ...figures, byCause: { ...figures.byCause } }),
  };
}
