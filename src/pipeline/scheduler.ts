// The streaming engine: list -> decode (pool) -> batch -> infer (pool) -> store, with a bounded
// queue before each consumer. A slow stage fills its input queue and the stage before it waits;
// nothing buffers without bound. Tensors move worker -> page -> worker by transfer, not copy.

import { transfer } from 'comlink';
import type { Item } from '../datasets/item.ts';
import type { DecodeApi, DecodeSettings } from '../../workers/decode/api.ts';
import type { InferApi, SessionSettings } from '../../workers/infer/api.ts';
import { failure, reasonOf, type ErrorCause, type Outcome } from '../../workers/shared/results.ts';
import { spawnDecoder, spawnInferrer, type Bridge } from './bridge.ts';
import { createPool, type Pool } from './pool.ts';
import { CLOSED, createQueue, type Queue } from './queue.ts';
import type { StageStats } from './progress.ts';

export interface PipelineSettings {
  /** Decode workers, and items each may have in flight (fetches overlap decodes). */
  decoders: number;
  decodeInFlight: number;
  /** Inference workers, each with its own session. */
  sessions: number;
  batchSize: number;
  topK: number;
  /** Results written to the store per transaction, at most. */
  writeBatch: number;
}

export interface ItemResult {
  item: Item;
  seq: number;
  outcome: Outcome;
  width?: number;
  height?: number;
}

export interface PipelineInput {
  items: AsyncIterable<Item>;
  decode: DecodeSettings;
  session: SessionSettings;
  settings: PipelineSettings;
  /** The store: resolves once the results are durable. */
  write(results: ItemResult[]): Promise<void>;
  /** Worker factories; tests pass fakes. */
  spawn?: { decoder: () => Bridge<DecodeApi>; inferrer: () => Bridge<InferApi> };
  /** Waits while the run is paused; resolves at once otherwise. */
  gate?: () => Promise<void>;
}

export interface Counters {
  listed: number;
  listingDone: boolean;
  written: number;
  ok: number;
  failed: number;
  byCause: Partial<Record<ErrorCause, number>>;
  stages: StageStats[];
}

export interface Pipeline {
  /** Resolves when every listed item has been written, or rejects with the reason the run stopped. */
  done: Promise<Counters>;
  counters(): Counters;
  /** Resolves when the sessions are loaded and warm. */
  ready: Promise<void>;
}

interface Decoded {
  item: Item;
  seq: number;
  tensor: Float32Array;
  width: number;
  height: number;
}

/** A worker call, or the worker's death, whichever comes first. */
async function race<P extends PromiseLike<unknown>>(work: P, died: Promise<never>): Promise<Awaited<P>> {
  return (await Promise.race([work, died])) as Awaited<P>;
}

export function runPipeline(input: PipelineInput, outer: AbortSignal): Pipeline {
  const { settings } = input;
  // Aborted by the caller (cancel) or by the first stage that fails: every stage stops then.
  const stop = new AbortController();
  const onAbort = () => stop.abort(outer.reason);
  if (outer.aborted) stop.abort(outer.reason);
  else outer.addEventListener('abort', onAbort, { once: true });
  const signal = stop.signal;
  const spawn = input.spawn ?? { decoder: spawnDecoder, inferrer: spawnInferrer };
  const started = performance.now();

  const decodePool: Pool<DecodeApi> = createPool({
    size: settings.decoders,
    maxInFlight: settings.decodeInFlight,
    spawn: spawn.decoder,
    init: (api) => api.configure(input.decode),
  });
  const inferPool: Pool<InferApi> = createPool({
    size: settings.sessions,
    maxInFlight: 1,
    spawn: spawn.inferrer,
    init: (api) => api.load(input.session),
  });

  // Decoded tensors wait here to be batched: enough to fill every session once more.
  const decoded: Queue<Decoded> = createQueue(settings.batchSize * (settings.sessions + 1));
  const batches: Queue<Decoded[]> = createQueue(settings.sessions);
  const results: Queue<ItemResult> = createQueue(Math.max(settings.writeBatch * 2, settings.batchSize * 2));

  const c = { listed: 0, listingDone: false, decodeIn: 0, decodeOut: 0, inferIn: 0, inferOut: 0, written: 0, ok: 0, failed: 0 };
  const byCause: Partial<Record<ErrorCause, number>> = {};
  let storeBusyMs = 0;

  const counters = (): Counters => {
    const elapsed = Math.max(1, performance.now() - started);
    return {
      listed: c.listed,
      listingDone: c.listingDone,
      written: c.written,
      ok: c.ok,
      failed: c.failed,
      byCause: { ...byCause },
      stages: [
        { name: 'list', in: c.listed, out: c.listed, queued: 0, capacity: 0, utilization: 0 },
        { name: 'decode', in: c.decodeIn, out: c.decodeOut, queued: 0, capacity: settings.decoders * settings.decodeInFlight,
          utilization: decodePool.busyMs() / (elapsed * settings.decoders) },
        { name: 'infer', in: c.inferIn, out: c.inferOut, queued: decoded.length + batches.length * settings.batchSize,
          capacity: decoded.capacity + batches.capacity * settings.batchSize, utilization: inferPool.busyMs() / (elapsed * settings.sessions) },
        { name: 'store', in: c.inferOut + c.failed, out: c.written, queued: results.length, capacity: results.capacity,
          utilization: storeBusyMs / elapsed },
      ],
    };
  };

  const finish = (item: Item, seq: number, outcome: Outcome, size?: { width: number; height: number }) =>
    results.push({ item, seq, outcome, ...size }, signal);

  const tasks = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    tasks.add(p);
    p.finally(() => tasks.delete(p)).catch(() => {});
  };
  const settle = async () => {
    while (tasks.size) await Promise.allSettled([...tasks]);
  };

  // Stage 1: list and hand each item to a decode worker. Waiting for a decode slot is what
  // slows the listing down when the stages after it are full.
  async function feed(): Promise<void> {
    let seq = 0;
    for await (const item of input.items) {
      signal.throwIfAborted();
      await input.gate?.();
      const mySeq = seq++;
      c.listed++;
      const lease = await decodePool.acquire(signal);
      c.decodeIn++;
      track(
        (async () => {
          try {
            const p = await race(lease.api.prepare(item.source), lease.died).catch((error) => ({
              ...failure('decode_failed', reasonOf(error)),
              fetchMs: 0,
              decodeMs: 0,
              bytes: 0,
            }));
            c.decodeOut++;
            if (p.ok) await decoded.push({ item, seq: mySeq, tensor: p.tensor, width: p.width, height: p.height }, signal);
            else await finish(item, mySeq, p);
          } finally {
            lease.release();
          }
        })(),
      );
    }
    c.listingDone = true;
    await settle();
    decoded.close();
  }

  // Stage 2: group decoded tensors into batches; the last one may be short.
  async function batcher(): Promise<void> {
    let batch: Decoded[] = [];
    for (;;) {
      const next = await decoded.pop(signal);
      if (next === CLOSED) break;
      batch.push(next);
      if (batch.length >= settings.batchSize) {
        await batches.push(batch, signal);
        batch = [];
      }
    }
    if (batch.length) await batches.push(batch, signal);
    batches.close();
  }

  // Stage 3: one batch per session at a time.
  async function infer(): Promise<void> {
    const running = new Set<Promise<void>>();
    for (;;) {
      const batch = await batches.pop(signal);
      if (batch === CLOSED) break;
      const lease = await inferPool.acquire(signal);
      c.inferIn += batch.length;
      const task = (async () => {
        try {
          const tensors = batch.map((d) => d.tensor);
          const out = await race(
            lease.api.classify(transfer(tensors, tensors.map((t) => t.buffer)), settings.topK),
            lease.died,
          ).catch((error) => ({ ok: false as const, reason: reasonOf(error), outOfMemory: false }));
          c.inferOut += batch.length;
          for (let i = 0; i < batch.length; i++) {
            const d = batch[i]!;
            const outcome: Outcome = out.ok ? { ok: true, topK: out.predictions[i]! } : failure('infer_failed', out.reason);
            await finish(d.item, d.seq, outcome, { width: d.width, height: d.height });
          }
        } finally {
          lease.release();
        }
      })();
      running.add(task);
      task.finally(() => running.delete(task)).catch(() => {});
    }
    await Promise.all([...running]);
    results.close();
  }

  // Stage 4: write what is there, in one transaction per group.
  async function store(): Promise<void> {
    for (;;) {
      const first = await results.pop(signal);
      if (first === CLOSED) break;
      const group = [first, ...results.drain(settings.writeBatch - 1)];
      const t0 = performance.now();
      await input.write(group);
      storeBusyMs += performance.now() - t0;
      c.written += group.length;
      for (const r of group) {
        if (r.outcome.ok) c.ok++;
        else {
          c.failed++;
          byCause[r.outcome.cause] = (byCause[r.outcome.cause] ?? 0) + 1;
        }
      }
    }
  }

  const fail = (error: unknown) => {
    if (!signal.aborted) stop.abort(error);
  };
  decodePool.ready.catch(fail);
  inferPool.ready.catch(fail);

  const done = (async () => {
    try {
      const stages = [feed(), batcher(), infer(), store()].map((p) => p.catch((error) => {
        fail(error);
        throw error;
      }));
      const outcome = await Promise.allSettled(stages);
      await settle();
      if (signal.aborted) throw signal.reason;
      const rejected = outcome.find((o) => o.status === 'rejected');
      if (rejected) throw (rejected as PromiseRejectedResult).reason;
      return counters();
    } finally {
      outer.removeEventListener('abort', onAbort);
      decodePool.terminate();
      inferPool.terminate();
    }
  })();

  return { done, counters, ready: inferPool.ready };
}
