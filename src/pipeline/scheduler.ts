// The streaming engine: seven operators (./stages/), each with a bounded input queue and a cap on
// its own work in flight, run by one loop (./operator.ts):
//
//   list -> [units] -> fetch (K slots) -> [fetched] -> decode (M workers) -> [decoded] -> batch
//        -> [batches] -> infer (N sessions, one batch each) -> [results] -> store (a transaction
//        a group) -> [stored] -> sink (the outputs, in the order stored)
//
// A full queue makes its producer wait while still holding its slot, so a slow stage slows every
// stage before it, back to the listing; nothing buffers without bound. Bytes and tensors move
// page -> worker -> page -> worker by transfer, never copied. The progress is a view of the
// operators' meters and the queues, counted nowhere else.

import type { Item, ItemSource } from '../core/item.ts';
import type { DecodeApi, DecodeSettings } from '../../workers/decode/api.ts';
import type { InferApi, SessionSettings } from '../../workers/infer/api.ts';
import { callback, spawnDecoder, spawnInferrer, type Bridge } from './bridge.ts';
import type { Fetched } from '../net/fetch.ts';
import type { Gate } from './gate.ts';
import { meter, runStage, type Meter, type Stage, type StageName } from './operator.ts';
import { createPool, type Pool } from './pool.ts';
import type { StageStats } from './progress.ts';
import { createQueue, type Queue } from './queue.ts';
import { runState, type RunState } from './run-state.ts';
import { batchStage } from './stages/batch.ts';
import { decodeStage, type Decoded } from './stages/decode.ts';
import { fetchStage, type FetchedItem } from './stages/fetch.ts';
import { inferStage } from './stages/infer.ts';
import { listStage, type FetchUnit } from './stages/list.ts';
import { sinkStage, type Stored } from './stages/sink.ts';
import { storeStage } from './stages/store.ts';
import type { Counters, ItemResult, Known } from './types.ts';
import { fileUrl } from '../model/model.ts';

export type { Counters, ItemResult, Known };

export interface PipelineSettings {
  /** Downloads in flight. */
  fetchConcurrency: number;
  /** Decode workers, and images each may hold at once (one decoding, one arriving). */
  decoders: number;
  decodeInFlight: number;
  /** Inference workers, each with its own session, one batch at a time. */
  sessions: number;
  /** Images per forward pass to start with; lowered for the rest of the run after an OOM. */
  batchSize: number;
  topK: number;
  /** Results written to the store per transaction, at most. */
  writeBatch: number;
  /** How long a worker call may take before the worker counts as hung (defaults below; tests shorten them). */
  timeouts?: { decodeMs?: number; inferMs?: number };
}



export interface PipelineInput<S = void> {
  items: AsyncIterable<Item>;
  /** The fetch stage's work: source -> bytes (with S3 access and size limit bound in). */
  fetch(source: ItemSource, signal: AbortSignal): Promise<Fetched>;
  /** Many files of one pack endpoint at once (src/datasets/pack.ts), one outcome each, in order. */
  fetchPack?(endpoint: string, files: string[], signal: AbortSignal): Promise<Fetched[]>;
  decode: DecodeSettings;
  session: SessionSettings;
  settings: PipelineSettings;
  /** The store: resolves, with what it stored, once the results are durable. */
  write(results: ItemResult[]): Promise<S>;
  /** What each write stored, one write at a time and in order: the run's streamed outputs. */
  sink?(stored: S): Promise<void>;
  /** Worker factories; tests pass fakes. */
  spawn?: { decoder: () => Bridge<DecodeApi>; inferrer: () => Bridge<InferApi> };
  /** Pause: admission waits here while the gate is closed. */
  gate?: Gate;
  /** Asked of every listed item before it is fetched: null means compute it. */
  known?(item: Item): Promise<Known | null>;
}


export interface Pipeline {
  /** Resolves when every listed item has been written; rejects with the reason the run stopped. */
  done: Promise<Counters>;
  counters(): Counters;
  /** Resolves when the sessions are loaded and warm. */
  ready: Promise<void>;
}

/** The bounded queues between the stages, sized from the settings. */
function queuesFor<S>(settings: PipelineSettings) {
  return {
    // Fetch units waiting for a slot: the listing runs at most this far ahead of the downloads.
    units: createQueue<FetchUnit>(2),
    // Bytes waiting for a decoder: enough to hand every decoder its next image at once.
    fetched: createQueue<FetchedItem>(Math.max(2, settings.decoders * settings.decodeInFlight)),
    // Tensors waiting to be batched: one more batch than the sessions are working on.
    decoded: createQueue<Decoded>(settings.batchSize * (settings.sessions + 1)),
    batches: createQueue<Decoded[]>(settings.sessions),
    results: createQueue<ItemResult>(Math.max(settings.writeBatch * 2, settings.batchSize * 2)),
    // Stored groups on their way out: a slow output holds the store back after two.
    stored: createQueue<Stored<S>>(2),
  };
}

type Queues = ReturnType<typeof queuesFor<unknown>>;
interface Busy {
  meters: Map<StageName, Meter>;
  decodeMs(): number;
  inferMs(): number;
}

/** The progress figures: a view of the meters, the queues, the pools and the run's tallies. */
type ModelLoad = Counters['model'];

function countersOf(q: Queues, state: RunState, busy: Busy, pools: Array<Pool<never>>, settings: PipelineSettings, model: ModelLoad, elapsed: number): Counters {
  const view = (name: StageName, queue: Queue<unknown> | null, busyMs: number, budget: number): StageStats => {
    const m = busy.meters.get(name)!;
    return { name, in: m.in, out: m.out, queued: queue?.length ?? 0, capacity: queue?.capacity ?? 0, utilization: busyMs / (elapsed * budget) };
  };
  const { totals } = state;
  const replaced = pools.map((p) => p.replaced());
  return {
    ...totals,
    byCause: { ...totals.byCause },
    stepMs: { ...totals.stepMs },
    batchSize: state.batchSize,
    replaced: replaced.reduce((n, r) => n + r.count, 0),
    replacedReason: replaced.map((r) => r.reason).findLast((r) => r !== null) ?? null,
    retriedBatches: state.retriedBatches,
    model: { ...model },
    stages: [
      view('list', null, 0, 1),
      view('fetch', q.units, busy.meters.get('fetch')!.slotMs(), settings.fetchConcurrency),
      view('decode', q.fetched, busy.decodeMs(), settings.decoders),
      view('batch', q.decoded, 0, 1),
      view('infer', q.batches, busy.inferMs(), settings.sessions),
      // A store task takes a group of answers: what went in is every answer handed over.
      { ...view('store', q.results, busy.meters.get('store')!.slotMs(), 1), in: state.finished, out: totals.written },
      view('sink', q.stored, busy.meters.get('sink')!.slotMs(), 1),
    ],
    queues: Object.fromEntries(Object.entries(q).map(([name, queue]) => [name, { highWater: queue.highWater, capacity: queue.capacity }])) as Counters['queues'],
  };
}

/**
 * The inference workers, one session each, and how far their model has loaded. Ready as soon as
 * one session is: it classifies while the others still load. A model from another origin is
 * downloaded by the first session into the browser's cache, and the others read it there once it
 * is: one download, not one per session.
 */
function sessionPool(session: SessionSettings, size: number, spawn: () => Bridge<InferApi>): { pool: Pool<InferApi>; model: ModelLoad } {
  // Every session reads the same files: the largest figures any reported are the model's.
  const model: ModelLoad = { loaded: 0, total: 0, ready: false };
  const onLoad = callback((p: { loaded: number; total: number }) => {
    model.loaded = Math.max(model.loaded, p.loaded);
    model.total = Math.max(model.total, p.total);
  });
  const oneDownload = downloadedOnce(session);
  let first: Promise<unknown> | null = null;
  const pool = createPool<InferApi>({ name: 'inference worker', size, maxInFlight: 1, spawn, init: async (api) => {
    const before = oneDownload ? first : null;
    const loading = (async () => {
      await before?.catch(() => {});
      return api.load(session, onLoad);
    })();
    first ??= loading;
    const loaded = await loading;
    model.ready = true;
    return loaded;
  } });
  return { pool, model };
}

/** Whether the sessions' model comes from another origin, through the browser's cache. */
function downloadedOnce(session: SessionSettings): boolean {
  try {
    return typeof location !== 'undefined' && new URL(fileUrl(session.model, 'config.json')).origin !== location.origin;
  } catch {
    return false;
  }
}

export function runPipeline<S>(input: PipelineInput<S>, outer: AbortSignal): Pipeline {
  const { settings } = input;
  // Aborted by the caller (cancel) or by the first stage that fails: every stage stops then.
  const stop = new AbortController();
  const onAbort = () => stop.abort(outer.reason);
  if (outer.aborted) stop.abort(outer.reason);
  else outer.addEventListener('abort', onAbort, { once: true });
  const signal = stop.signal;
  const fail = (error: unknown) => {
    if (!signal.aborted) stop.abort(error);
  };
  const spawn = input.spawn ?? { decoder: spawnDecoder, inferrer: spawnInferrer };
  const started = performance.now();

  const decodePool = createPool<DecodeApi>({ name: 'decode worker', size: settings.decoders, maxInFlight: settings.decodeInFlight, spawn: spawn.decoder, init: (api) => api.configure(input.decode) });
  const { pool: inferPool, model } = sessionPool(input.session, settings.sessions, spawn.inferrer);
  decodePool.ready.catch(fail);
  inferPool.ready.catch(fail);
  // A stopped run stops its workers at once: a call under way ends with them, and no stage waits.
  const stopWorkers = () => {
    decodePool.terminate();
    inferPool.terminate();
  };
  signal.addEventListener('abort', stopWorkers, { once: true });

  const q = queuesFor<S>(settings);
  // Tensors handed back by the sessions are filled again by the decoders, never more than can be
  // in flight at once.
  const spareCap = settings.batchSize * (settings.sessions + 2) + settings.decoders * settings.decodeInFlight;
  const state = runState(q.results, signal, settings.batchSize, spareCap);
  const stages = [
    listStage({ items: input.items, gate: input.gate, known: input.known, packs: !!input.fetchPack }, state, q.units),
    fetchStage({ fetch: input.fetch, fetchPack: input.fetchPack, concurrency: settings.fetchConcurrency }, state, q.units, q.fetched),
    decodeStage(decodePool, state, q.fetched, q.decoded, settings.timeouts?.decodeMs),
    batchStage(state, q.decoded, q.batches),
    inferStage(inferPool, state, settings.topK, q.batches, q.results, settings.timeouts?.inferMs),
    storeStage(input.write, settings.writeBatch, state, q.results, q.stored),
    sinkStage(input.sink ?? (async () => {}), q.stored),
  ] as Array<Stage<unknown, unknown>>;
  const busy: Busy = { meters: new Map(stages.map((s) => [s.name, meter()])), decodeMs: () => decodePool.busyMs(), inferMs: () => inferPool.busyMs() };
  const counters = () => countersOf(q as Queues, state, busy, [decodePool, inferPool] as Array<Pool<never>>, settings, model, Math.max(1, performance.now() - started));

  const done = (async () => {
    try {
      const running = stages.map((stage) =>
        runStage(stage, busy.meters.get(stage.name)!, signal, fail).catch((error) => {
          fail(error);
          throw error;
        }),
      );
      const outcome = await Promise.allSettled(running);
      if (signal.aborted) throw signal.reason;
      const rejected = outcome.find((o) => o.status === 'rejected');
      if (rejected) throw (rejected as PromiseRejectedResult).reason;
      return counters();
    } finally {
      outer.removeEventListener('abort', onAbort);
      signal.removeEventListener('abort', stopWorkers);
      stopWorkers();
    }
  })();

  return { done, counters, ready: inferPool.ready };
}
