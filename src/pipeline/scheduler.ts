// The streaming engine: a composition of seven stages (./stages/), one file each, run by
// ./runner.ts, which puts a bounded queue in front of each and counts what goes through:
//
//   list -> [2 units] -> fetch (K slots) -> [bytes] -> decode (M workers) -> [tensors] -> batch
//        -> [batches] -> infer (N sessions, one batch each) -> [answers] -> store (a transaction
//        a group) -> [stored groups] -> sink (the outputs, in the order stored)
//
// A stage that fails an image (fetch, decode, infer) or already knows its row (list) answers it
// straight to the store. A full queue makes its producer wait while still holding its slot, so a
// slow stage slows every stage before it, back to the listing; nothing buffers without bound.
// Bytes and tensors move page -> worker -> page -> worker by transfer, never copied. The progress
// is a view of the stages: the runner's meters, the queues, and what each stage's stats() says.

import type { Item, ItemSource } from '../core/item.ts';
import type { DecodeApi, DecodeSettings } from '../../workers/decode/api.ts';
import type { InferApi, SessionSettings } from '../../workers/infer/api.ts';
import { callback, spawnDecoder, spawnInferrer, type Bridge } from './bridge.ts';
import type { Fetched } from '../net/fetch.ts';
import type { Gate } from './gate.ts';
import { createPool, type Pool } from './pool.ts';
import { runStages, type AnyStage } from './runner.ts';
import { batchStage } from './stages/batch.ts';
import { decodeStage } from './stages/decode.ts';
import { fetchStage } from './stages/fetch.ts';
import { inferStage } from './stages/infer.ts';
import { listStage } from './stages/list.ts';
import { sinkStage } from './stages/sink.ts';
import { storeStage } from './stages/store.ts';
import { tensorPool } from './tensors.ts';
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
  /** How long a worker call may take before the worker counts as hung (defaults in stages/decode.ts and stages/infer.ts; tests shorten them). */
  timeouts?: { decodeMs?: number; inferMs?: number };
}

export interface PipelineInput<S = void> {
  items: AsyncIterable<Item>;
  /** The fetch stage's work: source -> bytes (with S3 access and size limit bound in). */
  fetch(source: ItemSource, signal: AbortSignal): Promise<Fetched>;
  /** Many files of one pack endpoint at once (src/net/pack.ts), one outcome each, in order. */
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

type ModelLoad = Counters['model'];

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

  // Tensors handed back by the sessions are filled again by the decoders, never more than can be
  // in flight at once.
  const spareCap = settings.batchSize * (settings.sessions + 2) + settings.decoders * settings.decodeInFlight;
  const tensors = tensorPool(settings.batchSize, spareCap);
  const stages: AnyStage[] = [
    listStage({ items: input.items, gate: input.gate, known: input.known, packs: !!input.fetchPack }),
    fetchStage({ fetch: input.fetch, fetchPack: input.fetchPack, concurrency: settings.fetchConcurrency }),
    decodeStage(decodePool, tensors, { workers: settings.decoders, inFlight: settings.decodeInFlight, timeoutMs: settings.timeouts?.decodeMs }),
    batchStage(tensors, settings.sessions),
    inferStage(inferPool, tensors, { sessions: settings.sessions, topK: settings.topK, timeoutMs: settings.timeouts?.inferMs }),
    storeStage(input.write, settings.writeBatch, settings.batchSize),
    sinkStage(input.sink ?? (async () => {})),
  ];
  const running = runStages(stages, signal, fail);
  const counters = (): Counters => {
    const { stages, queues, figures } = running.view(Math.max(1, performance.now() - started));
    return { ...figures, batchSize: tensors.batchSize, model: { ...model }, stages, queues };
  };

  const done = (async () => {
    try {
      await running.done;
      return counters();
    } finally {
      outer.removeEventListener('abort', onAbort);
      signal.removeEventListener('abort', stopWorkers);
      stopWorkers();
    }
  })();

  return { done, counters, ready: inferPool.ready };
}
