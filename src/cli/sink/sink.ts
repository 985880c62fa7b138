// Rows -> one output, as the run stores them: encoded (export-stream.ts) and handed to a target.
// JSONL and CSV go out a stored group at a time. Parquet collects a row group first: 10,000
// rows, or fewer once the oldest has waited a while, that while growing with the run so that a
// long run's row groups are not needlessly small.

import type { ResultRow } from '../../store/records.ts';
import type { Chunk, Encoder, OutputKind } from '../../store/export-stream.ts';
import type { Target } from './targets.ts';

export interface Sink {
  /** Rows in the order stored; a failures output keeps only the failed ones. */
  append(rows: readonly ResultRow[]): Promise<void>;
  /** The store position of the last row handed to append (or found in the file): -1 for none. */
  readonly lastOrder: number;
  /** Rows in the output: those found there, and those written since. */
  readonly rows: number;
  /** Writes what is held, then completes the output. */
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface SinkOptions {
  kind: OutputKind;
  /** Row groups (Parquet) rather than a group of lines per append. */
  grouped: boolean;
  /** A new output gets its header; one that goes on does not. */
  fresh: boolean;
  rowsThere?: number;
  lastOrder?: number;
  /** For tests and the bench: the row-group bounds. */
  rowGroupRows?: number;
  minWaitMs?: number;
}

export const ROW_GROUP_ROWS = 10_000;
const MIN_WAIT_MS = 2_000;
/** A row group is written once its oldest row has waited this share of the run's time so far. */
const WAIT_SHARE = 1 / 50;

export async function openSink(target: Target, encoder: Encoder, o: SinkOptions): Promise<Sink> {
  const opened = performance.now();
  const groupRows = o.rowGroupRows ?? ROW_GROUP_ROWS;
  const minWait = o.minWaitMs ?? MIN_WAIT_MS;
  let lastOrder = o.lastOrder ?? -1;
  let rows = o.rowsThere ?? 0;
  let held: ResultRow[] = [];
  let heldSince = 0;
  let ended = false;
  // Appends, timed flushes and close run one after another, in order.
  const put = ({ bytes, over }: Chunk) => target.write(bytes, over);
  let chain: Promise<void> = o.fresh ? put(encoder.head()) : Promise.resolve();
  const then = (work: () => Promise<void>) => (chain = chain.then(work));

  const write = async (group: readonly ResultRow[]) => {
    if (!group.length) return;
    await put(encoder.rows(group));
    rows += group.length;
  };
  const flush = () => {
    const group = held;
    held = [];
    return write(group);
  };
  const due = () => held.length >= groupRows || (held.length > 0 && performance.now() - heldSince >= Math.max(minWait, (performance.now() - opened) * WAIT_SHARE));
  // A run that slows down still gets its rows out: the wait is checked without an append too.
  const timer = o.grouped ? setInterval(() => void then(async () => {
    if (due()) await flush();
  }).catch(() => {}), Math.min(minWait, 1000)) : null;
  timer?.unref?.();

  return {
    get lastOrder() {
      return lastOrder;
    },
    get rows() {
      return rows;
    },
    append(all) {
      for (const r of all) lastOrder = Math.max(lastOrder, r.order);
      const mine = o.kind === 'failures' ? all.filter((r) => r.error !== null) : all;
      return then(async () => {
        if (!o.grouped) return write(mine);
        if (!held.length) heldSince = performance.now();
        held.push(...mine);
        while (held.length >= groupRows) {
          const group = held.slice(0, groupRows);
          held = held.slice(groupRows);
          await write(group);
        }
        if (due()) await flush();
      });
    },
    close() {
      if (timer) clearInterval(timer);
      ended = true;
      return then(async () => {
        await flush();
        await put(encoder.end());
        await target.close();
      });
    },
    async abort() {
      // After close the output is complete, and its file is no longer this sink's to touch.
      if (ended) return;
      ended = true;
      if (timer) clearInterval(timer);
      await chain.catch(() => {});
      await target.abort();
    },
  };
}
