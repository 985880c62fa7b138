// The streaming engine. Each stage is an operator with a bounded input queue and a cap on its own
// work in flight:
//
//   list -> fetch (K slots) -> [fetched] -> decode (M workers) -> [decoded] -> batch -> [batches]
//        -> infer (N sessions, one batch each) -> [results] -> store (one transaction a group)
//
// A full queue makes its producer wait while still holding its slot, so a slow stage slows every
// stage before it, back to the listing; nothing buffers without bound. Bytes and tensors move
// page -> worker -> page -> worker by transfer, never copied.

import { transfer } from 'comlink';
import type { Item, ItemSource } from '../core/item.ts';
import type { DecodeApi, DecodeSettings, DecodeStep, Prepared } from '../../workers/decode/api.ts';
import type { Classified, InferApi, SessionSettings } from '../../workers/infer/api.ts';
import { failure, reasonOf, type ErrorCause, type Outcome } from '../core/outcome.ts';
import { spawnDecoder, spawnInferrer, type Bridge } from './bridge.ts';
import type { Fetched } from './fetch.ts';
import { PACK_BYTES, PACK_FILES } from '../datasets/pack.ts';
import type { Gate } from './gate.ts';
import { createPool, type Lease, type Pool } from './pool.ts';
import type { StageStats } from './progress.ts';
import { CLOSED, createQueue, type Queue } from './queue.ts';
import type { Counters, ItemResult, Known } from './types.ts';

export type { Counters, ItemResult, Known };
import { createSlots } from './slots.ts';

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



export interface PipelineInput {
  items: AsyncIterable<Item>;
  /** The fetch stage's work: source -> bytes (with S3 access and size limit bound in). */
  fetch(source: ItemSource, signal: AbortSignal): Promise<Fetched>;
  /** Many files of one pack endpoint at once (src/datasets/pack.ts), one outcome each, in order. */
  fetchPack?(endpoint: string, files: string[], signal: AbortSignal): Promise<Fetched[]>;
  decode: DecodeSettings;
  session: SessionSettings;
  settings: PipelineSettings;
  /** The store: resolves once the results are durable. */
  write(results: ItemResult[]): Promise<void>;
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

interface FetchedItem {
  item: Item;
  seq: number;
  bytes: Uint8Array;
}

interface Decoded {
  item: Item;
  seq: number;
  tensor: Float32Array;
  width: number;
  height: number;
  thumb?: Uint8Array;
}

/** No answer from a worker in time: it is stopped and replaced, never waited on forever. */
class WorkerTimeout extends Error {}

/**
 * A worker call, or the worker's death, or the timeout, whichever comes first; every listener is
 * let go when it ends, so nothing of the call outlives it.
 */
function race<T>(work: PromiseLike<T>, lease: Pick<Lease<unknown>, 'onDeath'>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const end = () => {
      clearTimeout(timer);
      off();
    };
    const timer = setTimeout(() => {
      off();
      reject(new WorkerTimeout(`${what} gave no answer in ${Math.round(ms / 1000)} s`));
    }, ms);
    const off = lease.onDeath((error) => {
      clearTimeout(timer);
      reject(error);
    });
    work.then((value) => {
      end();
      resolve(value);
    }, (error: unknown) => {
      end();
      reject(error);
    });
  });
}

/** However slow the machine, a decode or a batch that takes this long has hung. */
const DECODE_TIMEOUT_MS = 120_000;
const INFER_TIMEOUT_MS = 120_000;
/** A batch may take this many times the slowest per-image time seen so far before it counts as hung. */
const INFER_TIMEOUT_FACTOR = 20;

/** Tasks started by a stage; settle() waits for all of them, including ones added meanwhile. */
function taskSet() {
  const tasks = new Set<Promise<void>>();
  return {
    add(task: Promise<void>) {
      tasks.add(task);
      task.finally(() => tasks.delete(task)).catch(() => {});
    },
    async settle() {
      while (tasks.size) await Promise.allSettled([...tasks]);
    },
  };
}

/** Time-weighted count of a stage's tasks in flight, for its utilization. */
function busyMeter() {
  let inFlight = 0;
  let since = performance.now();
  let slotMs = 0;
  const tick = () => {
    const now = performance.now();
    slotMs += inFlight * (now - since);
    since = now;
  };
  return {
    start() {
      tick();
      inFlight++;
    },
    stop() {
      tick();
      inFlight--;
    },
    slotMs() {
      tick();
      return slotMs;
    },
  };
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
    name: 'decode worker',
    size: settings.decoders,
    maxInFlight: settings.decodeInFlight,
    spawn: spawn.decoder,
    init: (api) => api.configure(input.decode),
  });
  const inferPool: Pool<InferApi> = createPool({
    name: 'inference worker',
    size: settings.sessions,
    maxInFlight: 1,
    spawn: spawn.inferrer,
    init: (api) => api.load(input.session),
  });

  let batchSize = settings.batchSize;
  let slowestPerImageMs = 0;
  let retriedBatches = 0;
  const fetchSlots = createSlots(settings.fetchConcurrency);
  // A pack holds up to PACK_FILES images: a few in flight keep the decoders fed from a local disk.
  const packSlots = createSlots(Math.max(2, Math.ceil(settings.fetchConcurrency / 8)));
  // Bytes waiting for a decoder: enough to hand every decoder its next image at once.
  const fetched: Queue<FetchedItem> = createQueue(Math.max(2, settings.decoders * settings.decodeInFlight));
  // Tensors waiting to be batched: one more batch than the sessions are working on.
  const decoded: Queue<Decoded> = createQueue(settings.batchSize * (settings.sessions + 1));
  // Tensors the sessions handed back, to be filled again by the decoders (see DecodeApi.prepare);
  // never more than can be in flight at once.
  const spare: Float32Array[] = [];
  const spareCap = settings.batchSize * (settings.sessions + 2) + settings.decoders * settings.decodeInFlight;
  const recycle = (tensors: Float32Array[] | undefined) => {
    for (const t of tensors ?? []) if (spare.length < spareCap && t.byteLength > 0) spare.push(t);
  };
  const batches: Queue<Decoded[]> = createQueue(settings.sessions);
  const results: Queue<ItemResult> = createQueue(Math.max(settings.writeBatch * 2, settings.batchSize * 2));

  const c = { listed: 0, listingDone: false, fetchIn: 0, fetchOut: 0, decodeIn: 0, decodeOut: 0, inferIn: 0, inferOut: 0, storeIn: 0, written: 0, resumed: 0, cached: 0, ok: 0, failed: 0 };
  const byCause: Partial<Record<ErrorCause, number>> = {};
  const stepMs: Counters['stepMs'] = {};
  const addMs = (step: keyof Counters['stepMs'], ms: number) => {
    stepMs[step] = (stepMs[step] ?? 0) + ms;
  };
  const fetchBusy = busyMeter();
  let storeMs = 0;

  const counters = (): Counters => {
    const elapsed = Math.max(1, performance.now() - started);
    const stage = (name: StageStats['name'], i: number, o: number, q: Queue<unknown> | null, utilization: number): StageStats => ({
      name,
      in: i,
      out: o,
      queued: q?.length ?? 0,
      capacity: q?.capacity ?? 0,
      utilization,
    });
    return {
      listed: c.listed,
      listingDone: c.listingDone,
      written: c.written,
      resumed: c.resumed,
      cached: c.cached,
      ok: c.ok,
      failed: c.failed,
      byCause: { ...byCause },
      batchSize,
      replaced: decodePool.replaced().count + inferPool.replaced().count,
      replacedReason: inferPool.replaced().reason ?? decodePool.replaced().reason,
      retriedBatches,
      stepMs: { ...stepMs },
      stages: [
        stage('list', c.listed, c.listed, null, 0),
        stage('fetch', c.fetchIn, c.fetchOut, null, fetchBusy.slotMs() / (elapsed * settings.fetchConcurrency)),
        stage('decode', c.decodeIn, c.decodeOut, fetched, decodePool.busyMs() / (elapsed * settings.decoders)),
        stage('infer', c.inferIn, c.inferOut, decoded, inferPool.busyMs() / (elapsed * settings.sessions)),
        stage('store', c.storeIn, c.written, results, storeMs / elapsed),
      ],
      queues: {
        fetched: { highWater: fetched.highWater, capacity: fetched.capacity },
        decoded: { highWater: decoded.highWater, capacity: decoded.capacity },
        batches: { highWater: batches.highWater, capacity: batches.capacity },
        results: { highWater: results.highWater, capacity: results.capacity },
      },
    };
  };

  const finish = (item: Item, seq: number, outcome: Outcome, extra?: { width?: number; height?: number; thumb?: Uint8Array }) => {
    c.storeIn++;
    return results.push({ item, seq, outcome, ...extra }, signal);
  };
  const tally = (ok: boolean, cause?: ErrorCause) => {
    if (ok) c.ok++;
    else {
      c.failed++;
      byCause[cause!] = (byCause[cause!] ?? 0) + 1;
    }
  };

  // list -> fetch. Waiting for a fetch slot is what holds the listing back when later stages fill.
  // Items a server can hand out together (a local folder's) are fetched in packs, a request each.
  async function feed(): Promise<void> {
    const fetching = taskSet();
    let seq = 0;
    let pack: Array<{ item: Item; seq: number; file: string }> = [];
    let packBytes = 0;
    const startFetch = (slots: typeof fetchSlots, work: () => Promise<void>) => {
      fetchBusy.start();
      fetching.add(
        (async () => {
          try {
            await work();
          } finally {
            slots.release();
          }
        })(),
      );
    };
    const arrived = async (item: Item, mine: number, f: Fetched) => {
      if (f.ok) await fetched.push({ item, seq: mine, bytes: f.bytes }, signal);
      else await finish(item, mine, failure(f.tooLarge ? 'too_large' : 'fetch_failed', f.reason));
    };
    const sendPack = async () => {
      if (!pack.length) return;
      const members = pack;
      const endpoint = (members[0]!.item.source as { pack: { endpoint: string } }).pack.endpoint;
      pack = [];
      packBytes = 0;
      await packSlots.acquire(signal);
      c.fetchIn += members.length;
      startFetch(packSlots, async () => {
        const out = await input.fetchPack!(endpoint, members.map((m) => m.file), signal);
        fetchBusy.stop();
        c.fetchOut += members.length;
        for (let i = 0; i < members.length; i++) await arrived(members[i]!.item, members[i]!.seq, out[i]!);
      });
    };
    for await (const item of input.items) {
      signal.throwIfAborted();
      await input.gate?.wait(signal);
      const mine = seq++;
      c.listed++;
      const known = await input.known?.(item);
      if (known?.kind === 'stored') {
        c.resumed++;
        tally(known.ok, known.ok ? undefined : known.cause);
        continue;
      }
      if (known?.kind === 'copied') {
        c.cached++;
        await finish(item, mine, known.outcome, known);
        continue;
      }
      const packed = item.source.kind === 'url' && input.fetchPack ? item.source.pack : undefined;
      if (packed) {
        const size = item.size ?? 0;
        const sameEndpoint = !pack.length || (pack[0]!.item.source as { pack: { endpoint: string } }).pack.endpoint === packed.endpoint;
        if (!sameEndpoint || pack.length >= PACK_FILES || (pack.length && packBytes + size > PACK_BYTES)) await sendPack();
        pack.push({ item, seq: mine, file: packed.file });
        packBytes += size;
        continue;
      }
      await sendPack();
      await fetchSlots.acquire(signal);
      c.fetchIn++;
      startFetch(fetchSlots, async () => {
        const f = await input.fetch(item.source, signal);
        fetchBusy.stop();
        c.fetchOut++;
        await arrived(item, mine, f);
      });
    }
    await sendPack();
    c.listingDone = true;
    await fetching.settle();
    fetched.close();
  }

  // fetch -> decode, on the least busy decode worker.
  async function decode(): Promise<void> {
    const decoding = taskSet();
    for (;;) {
      const next = await fetched.pop(signal);
      if (next === CLOSED) break;
      const lease = await decodePool.acquire(signal);
      c.decodeIn++;
      decoding.add(
        (async () => {
          try {
            const into = spare.pop();
            const p = await race<Prepared>(lease.api.prepare(transfer(next.bytes, [next.bytes.buffer]), into && transfer(into, [into.buffer])), lease, settings.timeouts?.decodeMs ?? DECODE_TIMEOUT_MS, 'the decode worker').catch((error) => {
              if (error instanceof WorkerTimeout) decodePool.replace(lease, error.message);
              return { ...failure('decode_failed', reasonOf(error)), decodeMs: 0 } satisfies Prepared as Prepared;
            });
            c.decodeOut++;
            for (const [step, ms] of Object.entries(p.steps ?? {}) as Array<[DecodeStep, number]>) addMs(step, ms);
            if (p.ok) await decoded.push({ item: next.item, seq: next.seq, tensor: p.tensor, width: p.width, height: p.height, thumb: p.thumb }, signal);
            else await finish(next.item, next.seq, failure(p.cause, p.reason));
          } finally {
            lease.release();
          }
        })(),
      );
    }
    await decoding.settle();
    decoded.close();
  }

  // decode -> batches; the last one may be short.
  async function batcher(): Promise<void> {
    let batch: Decoded[] = [];
    for (;;) {
      const next = await decoded.pop(signal);
      if (next === CLOSED) break;
      batch.push(next);
      if (batch.length >= batchSize) {
        await batches.push(batch, signal);
        batch = [];
      }
    }
    if (batch.length) await batches.push(batch, signal);
    batches.close();
  }

  // batches -> sessions, one batch per session at a time.
  async function infer(): Promise<void> {
    const running = taskSet();
    for (;;) {
      const batch = await batches.pop(signal);
      if (batch === CLOSED) break;
      const lease = await inferPool.acquire(signal);
      c.inferIn += batch.length;
      running.add(
        (async () => {
          let current = lease;
          try {
            let tensors = batch.map((d) => d.tensor);
            let out: Classified;
            // A session that failed is replaced; the batch, handed back by a worker still alive,
            // runs once more on a fresh one. A worker that died took the batch with it.
            for (let attempt = 1; ; attempt++) {
              const limit = Math.max(settings.timeouts?.inferMs ?? INFER_TIMEOUT_MS, INFER_TIMEOUT_FACTOR * slowestPerImageMs * tensors.length);
              out = await race<Classified>(current.api.classify(transfer(tensors, tensors.map((t) => t.buffer)), settings.topK), current, limit, 'the inference worker')
                .catch((error): Classified => ({ ok: false, reason: reasonOf(error), outOfMemory: false, broken: true }));
              if (out.ok) {
                addMs('infer', out.inferMs);
                recycle(out.tensors);
                slowestPerImageMs = Math.max(slowestPerImageMs, out.inferMs / tensors.length);
                break;
              }
              if (out.broken) inferPool.replace(current, out.reason);
              if (attempt >= 2 || !out.tensors?.length) break;
              tensors = out.tensors;
              current.release();
              current = await inferPool.acquire(signal);
              retriedBatches++;
            }
            if (out.ok && out.fitted !== null && out.fitted < batchSize) batchSize = out.fitted;
            c.inferOut += batch.length;
            for (let i = 0; i < batch.length; i++) {
              const d = batch[i]!;
              const outcome: Outcome = out.ok ? { ok: true, topK: out.predictions[i]! } : failure('infer_failed', out.reason);
              await finish(d.item, d.seq, outcome, { width: d.width, height: d.height, thumb: d.thumb });
            }
          } finally {
            current.release();
          }
        })(),
      );
    }
    await running.settle();
    results.close();
  }

  // results -> IndexedDB: whatever is waiting, in one transaction.
  async function store(): Promise<void> {
    for (;;) {
      const first = await results.pop(signal);
      if (first === CLOSED) break;
      const group = [first, ...results.drain(settings.writeBatch - 1)];
      const t0 = performance.now();
      await input.write(group);
      storeMs += performance.now() - t0;
      addMs('store', performance.now() - t0);
      c.written += group.length;
      for (const r of group) tally(r.outcome.ok, r.outcome.ok ? undefined : r.outcome.cause);
    }
  }

  const fail = (error: unknown) => {
    if (!signal.aborted) stop.abort(error);
  };
  decodePool.ready.catch(fail);
  inferPool.ready.catch(fail);

  const done = (async () => {
    try {
      const stages = [feed(), decode(), batcher(), infer(), store()].map((p) =>
        p.catch((error) => {
          fail(error);
          throw error;
        }),
      );
      const outcome = await Promise.allSettled(stages);
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
