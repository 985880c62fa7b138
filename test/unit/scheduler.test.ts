// The streaming engine with fake workers: backpressure, pause, cancel, failures, OOM halving.
// Scheduling is pure orchestration, so it is tested in Node; the real workers run in the
// browser tests.

import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Item, ItemSource } from '../../src/core/item.ts';
import type { Bridge } from '../../src/pipeline/bridge.ts';
import type { Fetched } from '../../src/net/fetch.ts';
import { createGate } from '../../src/pipeline/gate.ts';
import { runPipeline, type ItemResult, type Known, type PipelineInput, type PipelineSettings } from '../../src/pipeline/scheduler.ts';
import type { DecodeApi, Prepared } from '../../workers/decode/api.ts';
import type { Classified, InferApi } from '../../workers/infer/api.ts';
import { classifyInChunks } from '../../workers/infer/classify.ts';

const SETTINGS: PipelineSettings = { fetchConcurrency: 4, decoders: 2, decodeInFlight: 2, sessions: 2, batchSize: 4, topK: 1, writeBatch: 8 };

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A promise the test opens when it wants: a stage stalls on it. */
function valve() {
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

function* names(n: number): Generator<Item> {
  for (let i = 0; i < n; i++) yield { path: `img-${i}.jpg`, source: { kind: 'url', url: `mem:${i}` } };
}

async function* listing(n: number, onList?: (i: number) => void): AsyncGenerator<Item> {
  let i = 0;
  for (const item of names(n)) {
    onList?.(i++);
    yield item;
  }
}

function fakeBridge<A>(api: Partial<Record<keyof A, unknown>>): Bridge<A> {
  return { api: api as unknown as Remote<A>, died: new Promise<never>(() => {}), terminate() {} };
}

interface Fakes {
  fetch?: (source: ItemSource) => Promise<Fetched>;
  prepare?: (bytes: Uint8Array) => Promise<Prepared>;
  classify?: (tensors: Float32Array[]) => Promise<Classified>;
}

function input(n: number, write: (r: ItemResult[]) => Promise<void>, fakes: Fakes = {}, extra: Partial<PipelineInput> = {}): PipelineInput {
  const decoder = () => fakeBridge<DecodeApi>({
    configure: async () => {},
    prepare: fakes.prepare ?? (async (bytes: Uint8Array) => ({ ok: true, tensor: new Float32Array([bytes[0]!]), width: 1, height: 1 })),
  });
  const inferrer = () => fakeBridge<InferApi>({
    load: async () => ({ loadMs: 0, warmupMs: 0 }),
    classify: fakes.classify ?? (async (tensors: Float32Array[]) => ({
      ok: true,
      predictions: tensors.map((t) => [{ label: `class ${t[0]}`, score: 1, index: t[0]! }]),
      inferMs: 0,
      fitted: null,
    })),
  });
  return {
    items: listing(n),
    fetch: fakes.fetch ?? (async (source) => ({ ok: true, bytes: new Uint8Array([Number((source as { url: string }).url.slice(4)) % 251]) })),
    decode: { preprocess: {} as never, maxPixels: 1, fullDecodePixels: 1, applyExifOrientation: false, thumbnail: 0 },
    session: {} as never,
    settings: SETTINGS,
    write,
    spawn: { decoder, inferrer },
    ...extra,
  };
}

describe('backpressure', () => {
  it('with the store stalled, no queue passes its bound and the listing stops', async () => {
    const store = valve();
    const written: ItemResult[] = [];
    let listed = 0;
    const pipe = runPipeline(
      input(2000, async (rows) => {
        await store.opened;
        written.push(...rows);
      }, {}, { items: listing(2000, () => listed++) }),
      new AbortController().signal,
    );
    await tick(200);
    const stalled = pipe.counters();
    for (const [name, q] of Object.entries(stalled.queues)) expect(q.highWater, name).toBeLessThanOrEqual(q.capacity);
    // What can be held anywhere: every queue full, every slot busy, one group being written.
    const holdable = Object.values(stalled.queues).reduce((sum, q) => sum + q.capacity, 0) * SETTINGS.batchSize
      + SETTINGS.fetchConcurrency + SETTINGS.decoders * SETTINGS.decodeInFlight + SETTINGS.sessions * SETTINGS.batchSize + SETTINGS.writeBatch;
    expect(listed).toBeLessThan(holdable);
    expect(listed).toBeLessThan(2000);
    await tick(100);
    expect(pipe.counters().listed, 'the listing must not creep on').toBe(stalled.listed);

    store.open();
    const done = await pipe.done;
    expect(done.written).toBe(2000);
    expect(new Set(written.map((r) => r.item.path)).size).toBe(2000);
    expect(new Set(written.map((r) => r.seq)).size).toBe(2000);
    for (const [name, q] of Object.entries(done.queues)) expect(q.highWater, name).toBeLessThanOrEqual(q.capacity);
  });

  it('with inference stalled, decoding and fetching stop too', async () => {
    const gpu = valve();
    const pipe = runPipeline(
      input(1000, async () => {}, {
        classify: async (tensors) => {
          await gpu.opened;
          return { ok: true, predictions: tensors.map(() => [{ label: 'x', score: 1, index: 0 }]), inferMs: 0, fitted: null };
        },
      }),
      new AbortController().signal,
    );
    await tick(200);
    const c = pipe.counters();
    const decode = c.stages.find((s) => s.name === 'decode')!;
    const fetch = c.stages.find((s) => s.name === 'fetch')!;
    // The queues are named for the stage they feed: decoded images wait at batch, batches at infer.
    const decoded = c.queues.batch!;
    const batches = c.queues.infer!;
    expect(decoded.highWater).toBeLessThanOrEqual(decoded.capacity);
    expect(batches.highWater).toBeLessThanOrEqual(batches.capacity);
    // Held past decoding: the decoded queue, the batches queue, a batch in each session, one
    // popped batch waiting for a session, one full batch waiting to be queued, and one image
    // popped by the batch stage waiting for its turn. (A decoded image still waiting to be
    // queued has not left decode: it is not in decode's out.)
    const B = SETTINGS.batchSize;
    const bound = decoded.capacity + batches.capacity * B + SETTINGS.sessions * B + 2 * B + 1;
    expect(decode.out).toBeLessThanOrEqual(bound);
    await tick(100);
    expect(pipe.counters().stages.find((s) => s.name === 'decode')!.out, 'decoding must not creep on').toBe(decode.out);
    expect(fetch.in).toBeLessThan(100);
    gpu.open();
    expect((await pipe.done).written).toBe(1000);
  });
});

describe('progress', () => {
  it('reads every figure off the stages: a row and a queue for each, none left at zero', async () => {
    // Every tenth image is stored already (a resume), every tenth plus one copied from another run.
    const known = async (item: Item): Promise<Known | null> => {
      await tick(0);
      const i = Number(item.path.slice(4, -4));
      return i % 10 === 0 ? { kind: 'stored', ok: true } : i % 10 === 1 ? { kind: 'copied', outcome: { ok: true, topK: [] } } : null;
    };
    const rows: ItemResult[] = [];
    const c = await runPipeline(input(100, async (r) => void rows.push(...r), {}, { known }), new AbortController().signal).done;
    expect(c.stages.map((s) => s.name)).toEqual(['list', 'fetch', 'decode', 'batch', 'infer', 'store', 'sink']);
    expect(Object.keys(c.queues)).toEqual(['fetch', 'decode', 'batch', 'infer', 'store', 'sink']);
    expect(c).toMatchObject({ listed: 100, listingDone: true, resumed: 10, cached: 10, written: 90, ok: 100, failed: 0 });
    expect(rows).toHaveLength(90);
    const stage = Object.fromEntries(c.stages.map((s) => [s.name, s]));
    expect(stage.list).toMatchObject({ in: 100, out: 100, capacity: 0 });
    for (const name of ['fetch', 'decode', 'batch', 'infer']) expect(stage[name], name).toMatchObject({ in: 80, out: 80, queued: 0 });
    // The store's in is every answer handed to it, the copied ones too; its out, the rows written.
    expect(stage.store).toMatchObject({ in: 90, out: 90, capacity: c.queues.store!.capacity });
    expect(stage.sink).toMatchObject({ in: 90, out: 90 });
    for (const s of c.stages) expect(s.utilization, s.name).toBeGreaterThan(0);
    expect(Object.keys(c.stepMs).sort()).toEqual(['infer', 'store']);
  });
});

describe('control', () => {
  it('pauses at the gate and resumes', async () => {
    const gate = createGate();
    const pipe = runPipeline(input(300, async () => {}, {}, { gate }), new AbortController().signal);
    gate.pause();
    await tick(50);
    const paused = pipe.counters().listed;
    await tick(100);
    expect(pipe.counters().listed).toBe(paused);
    expect(paused).toBeLessThan(300);
    gate.resume();
    expect((await pipe.done).written).toBe(300);
  });

  it('cancels, keeping what was written', async () => {
    const controller = new AbortController();
    const written: string[] = [];
    const pipe = runPipeline(input(100_000, async (rows) => {
      written.push(...rows.map((r) => r.item.path));
      await tick(1);
    }), controller.signal);
    await tick(100);
    controller.abort(new Error('cancelled'));
    await expect(pipe.done).rejects.toThrow('cancelled');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(100_000);
    expect(new Set(written).size).toBe(written.length);
  });
});

describe('failures', () => {
  it('makes a failed fetch, decode or batch each item\'s own error, never the run\'s', async () => {
    const rows: ItemResult[] = [];
    const pipe = runPipeline(input(60, async (r) => void rows.push(...r), {
      fetch: async (source) => {
        const i = Number((source as { url: string }).url.slice(4));
        if (i % 10 === 3) return { ok: false, tooLarge: false, reason: 'HTTP 503' };
        if (i % 10 === 4) return { ok: false, tooLarge: true, reason: 'too big' };
        return { ok: true, bytes: new Uint8Array([i]) };
      },
      prepare: async (bytes) => (bytes[0]! % 10 === 5
        ? { ok: false, cause: 'decode_failed', reason: 'not an image' }
        : { ok: true, tensor: new Float32Array([bytes[0]!]), width: 1, height: 1 }),
    }), new AbortController().signal);
    const c = await pipe.done;
    expect(c.written).toBe(60);
    expect(c.byCause).toEqual({ fetch_failed: 6, too_large: 6, decode_failed: 6 });
    const byPath = new Map(rows.map((r) => [r.item.path, r.outcome]));
    expect(byPath.get('img-13.jpg')).toEqual({ ok: false, cause: 'fetch_failed', reason: 'HTTP 503' });
    expect(byPath.get('img-25.jpg')).toEqual({ ok: false, cause: 'decode_failed', reason: 'not an image' });
    expect(byPath.get('img-26.jpg')).toMatchObject({ ok: true, topK: [{ index: 26 }] });
  });

  it('adopts the batch size that fitted after an out-of-memory error', async () => {
    const seen: number[] = [];
    const pipe = runPipeline(input(64, async () => {}, {
      classify: async (tensors) => {
        seen.push(tensors.length);
        return { ok: true, predictions: tensors.map(() => [{ label: 'x', score: 1, index: 0 }]), inferMs: 0, fitted: tensors.length > 2 ? 2 : null };
      },
    }), new AbortController().signal);
    const c = await pipe.done;
    expect(c.written).toBe(64);
    expect(c.batchSize).toBe(2);
    expect(seen.at(-1)).toBeLessThanOrEqual(2);
  });
});

describe('workers that fail', () => {
  const answer = (tensors: Float32Array[]): Classified => ({ ok: true, predictions: tensors.map((t) => [{ label: `class ${t[0]}`, score: 1, index: t[0]! }]), inferMs: 1, fitted: null });

  /** Inference workers made by `make(n)` for the n-th one spawned; the count is kept. */
  function inferrers(make: (n: number) => Partial<Record<keyof InferApi, unknown>> & { died?: Promise<never> }) {
    let spawned = 0;
    return {
      spawned: () => spawned,
      spawn: () => {
        const { died, ...api } = make(spawned++);
        return { ...fakeBridge<InferApi>({ load: async () => ({ loadMs: 0, warmupMs: 0 }), ...api }), ...(died ? { died } : {}) };
      },
    };
  }

  const withInferrers = (n: number, write: (r: ItemResult[]) => Promise<void>, spawn: () => Bridge<InferApi>, settings: Partial<PipelineSettings> = {}) => {
    const base = input(n, write);
    return runPipeline({ ...base, settings: { ...SETTINGS, ...settings }, spawn: { decoder: base.spawn!.decoder, inferrer: spawn } }, new AbortController().signal);
  };

  it('replaces a session that broke and runs the batch it handed back once more', async () => {
    const rows: ItemResult[] = [];
    let calls = 0;
    const pool = inferrers((n) => ({
      classify: async (tensors: Float32Array[]) => (n === 0 && ++calls === 2
        ? { ok: false, reason: 'the GPU device was lost (destroyed)', outOfMemory: false, broken: true, tensors }
        : answer(tensors)),
    }));
    const c = await withInferrers(40, async (r) => void rows.push(...r), pool.spawn).done;
    expect(c.written).toBe(40);
    expect(c.failed).toBe(0);
    expect(rows.every((r) => r.outcome.ok && r.outcome.topK[0]!.index === Number(r.item.path.slice(4, -4)))).toBe(true);
    expect(c).toMatchObject({ replaced: 1, retriedBatches: 1, replacedReason: 'the GPU device was lost (destroyed)' });
    expect(pool.spawned()).toBe(SETTINGS.sessions + 1);
  });

  it('stops a worker that does not answer, replaces it, and fails only the batch it held', async () => {
    const rows: ItemResult[] = [];
    const pool = inferrers((n) => ({ classify: n === 0 ? () => new Promise(() => {}) : async (t: Float32Array[]) => answer(t) }));
    const c = await withInferrers(40, async (r) => void rows.push(...r), pool.spawn, { timeouts: { inferMs: 100 } }).done;
    expect(c.written).toBe(40);
    const failed = rows.filter((r) => !r.outcome.ok);
    expect(failed).toHaveLength(SETTINGS.batchSize);
    expect(failed.every((r) => !r.outcome.ok && r.outcome.cause === 'infer_failed' && /^the inference worker gave no answer in \d+ s$/.test(r.outcome.reason))).toBe(true);
    expect(c.replaced).toBe(1);
    expect(pool.spawned()).toBe(SETTINGS.sessions + 1);
  });

  it('replaces a worker that crashed', async () => {
    const pool = inferrers((n) => {
      if (n !== 0) return { classify: async (t: Float32Array[]) => answer(t) };
      let crash: (e: Error) => void = () => {};
      const died = new Promise<never>((_, reject) => (crash = reject));
      died.catch(() => {});
      return { died, classify: () => (crash(new Error('inference worker crashed: out of memory')), new Promise(() => {})) };
    });
    const c = await withInferrers(40, async () => {}, pool.spawn).done;
    expect(c.written).toBe(40);
    expect(c.byCause).toEqual({ infer_failed: SETTINGS.batchSize });
    expect(c).toMatchObject({ replaced: 1, replacedReason: 'inference worker crashed: out of memory' });
  });

  it('fails the run, with the reason, when replacements keep failing', async () => {
    const pool = inferrers(() => ({ classify: async () => ({ ok: false, reason: 'invalid input shape', outOfMemory: false, broken: true }) }));
    await expect(withInferrers(400, async () => {}, pool.spawn).done).rejects.toThrow(/^the inference workers kept failing \(5 replaced\); the last reason: invalid input shape$/);
  });
});

describe('a run that stops', () => {
  it('fails with the listing\'s reason, whatever stopping its workers says, and stops each worker once', async () => {
    const stops: number[] = [];
    // As comlink's proxies do, a worker stopped twice throws.
    const once = <A>(bridge: Bridge<A>): Bridge<A> => {
      const i = stops.push(0) - 1;
      return { ...bridge, terminate: () => {
        if (stops[i]!++) throw new Error('Proxy has been released and is not useable');
      } };
    };
    async function* broken(): AsyncGenerator<Item> {
      yield* names(5);
      await tick(20);
      throw new Error('cannot list s3://bucket/: HTTP 500');
    }
    const base = input(0, async () => {});
    const pipe = runPipeline({ ...base, items: broken(), spawn: { decoder: () => once(base.spawn!.decoder()), inferrer: () => once(base.spawn!.inferrer()) } }, new AbortController().signal);
    await expect(pipe.done).rejects.toThrow('cannot list s3://bucket/: HTTP 500');
    expect(stops).toEqual(new Array(SETTINGS.decoders + SETTINGS.sessions).fill(1));
  });
});

describe('memory', () => {
  it('lets go of each worker call: no per-call reaction is left on a worker\'s long-lived death promise', async () => {
    // A reaction left on a promise that settles only when the worker dies keeps its call's result
    // (a batch of tensors) alive for the whole run: the tab grew by every image it classified.
    let reactions = 0;
    class Watched<T> extends Promise<T> {
      override then<R1 = T, R2 = never>(ok?: ((v: T) => R1 | PromiseLike<R1>) | null, ko?: ((e: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
        reactions++;
        return super.then(ok, ko);
      }
    }
    const watched = <A>(bridge: Bridge<A>): Bridge<A> => ({ ...bridge, died: new Watched<never>(() => {}) });
    const base = input(600, async () => {});
    const c = await runPipeline({ ...base, spawn: { decoder: () => watched(base.spawn!.decoder()), inferrer: () => watched(base.spawn!.inferrer()) } }, new AbortController().signal).done;
    expect(c.written).toBe(600);
    const workers = SETTINGS.decoders + SETTINGS.sessions;
    expect(reactions).toBeLessThanOrEqual(3 * workers);
  });
});

describe('classifyInChunks', () => {
  const labels = ['a', 'b'];
  const tensors = Array.from({ length: 10 }, (_, i) => new Float32Array([i, -i]));

  it('halves the batch on out-of-memory until it fits, keeping every image in order', async () => {
    const sizes: number[] = [];
    const out = await classifyInChunks(tensors, async (pixels, n) => {
      sizes.push(n);
      if (n > 3) throw new Error('WebGPU buffer allocation failed: out of memory');
      return { logits: pixels }; // logits = [i, -i]: class a for i > 0, ties to a at 0
    }, 1, labels);
    expect(sizes.slice(0, 3)).toEqual([10, 5, 3]);
    expect(out).toMatchObject({ ok: true, fitted: 3 });
    if (!out.ok) throw new Error();
    expect(out.predictions).toHaveLength(10);
    expect(out.predictions.map((p) => p[0]!.label)).toEqual(Array(10).fill('a'));
  });

  it('reports no fitted size when nothing ran out of memory, even for a short batch', async () => {
    await expect(classifyInChunks(tensors.slice(0, 3), async (pixels) => ({ logits: pixels }), 1, labels)).resolves.toMatchObject({ ok: true, fitted: null });
  });

  it('fails the batch on any other error, and on OOM at one image', async () => {
    await expect(classifyInChunks(tensors, async () => {
      throw new Error('invalid input shape');
    }, 1, labels)).resolves.toEqual({ ok: false, reason: 'invalid input shape', outOfMemory: false });
    await expect(classifyInChunks(tensors, async () => {
      throw new Error('out of memory');
    }, 1, labels)).resolves.toEqual({ ok: false, reason: 'out of memory', outOfMemory: true });
  });
});
