// A run, end to end: model facts -> backend choice -> dataset -> pipeline -> store. The page and
// the CLI both start runs through here; everything a run leaves behind is in IndexedDB.

import { describe, openDataset, type DatasetRuntime, type DatasetSpec } from './datasets/dataset.ts';
import { otherFolder } from './datasets/folder.ts';
import { S3_PROXY } from './net/s3-client.ts';
import type { Item } from './core/item.ts';
import { sampled, type Sample } from './datasets/sample.ts';
import { inShard, type Shard } from './datasets/shard.ts';
import { loadModelInfo, modelIdentity, tokenFor, type HubToken, type ModelInfo, type ModelRef } from './model/model.ts';
import { trueLabel, type LabelOptions, type LabelSource } from './model/synsets.ts';
import { flopsPerImage, largestBatch } from './pipeline/batching.ts';
import { fetchBytes, fetchPack } from './net/fetch.ts';
import { fingerprint } from './pipeline/fingerprint.ts';
import { createGate, type Gate } from './pipeline/gate.ts';
import { bottleneck, createRateMeter, eta, type Progress } from './pipeline/progress.ts';
import { defaultPlan, probeAdapter, resolveRuntime, type AdapterFacts, type Plan, type RequestedDevice } from './pipeline/runtime.ts';
import { runPipeline, type Counters, type ItemResult, type Known } from './pipeline/scheduler.ts';
import type { TenchDB } from './store/db.ts';
import { findByImage, imageKey, knownImages, nextOrder, putRows, storedOutcomes, storedPaths, toRow, type ResultRow, type Thumb } from './store/results.ts';
import { claimingRunLock, getRun, holdingRunLock, newRunId, putRun, type RunCounts, type RunRecord } from './store/runs.ts';
import type { RunSettings } from './store/records.ts';
import { SETTING_KEYS, settingOf, valueOf } from './settings.ts';
import { isQuotaError, storageFigures } from './store/quota.ts';
import type { Device, Dtype } from './core/device.ts';
import type { JobRequest } from './request.ts';

export type { JobRequest };

/** What a run needs and must never store: the dataset's keys or picked folder, and a hub's token
 * with the endpoint it was given for. */
export type JobRuntime = DatasetRuntime & { hubToken?: HubToken };
import { reasonOf } from './core/outcome.ts';


/** Going on with a stored run: the images it has no row for, or those and the failed ones. */
export interface Continuation {
  run: RunRecord;
  retry: 'missing' | 'failed';
}

export interface JobHooks {
  /** The run's id, as soon as its record exists. */
  onStart?(runId: string): void;
  onProgress?(progress: Progress): void;
  /**
   * The rows each store transaction stored, in the order stored; the run waits for it, so a slow
   * reader (the CLI writing --out) holds the run back rather than letting rows pile up.
   */
  onStored?(rows: ResultRow[]): Promise<void>;
}

/** How the caller steers a running job: pause and resume at the gate, cancel with the signal. */
export interface JobControl {
  gate: Gate;
  signal: AbortSignal;
}

export function newControl(): JobControl & { cancel(reason?: string): void } {
  const controller = new AbortController();
  return { gate: createGate(), signal: controller.signal, cancel: (reason = 'cancelled') => controller.abort(new Error(reason)) };
}

/** The run's sizes: from this machine, this adapter and this model, unless the request says. */
export function planFor(request: Pick<JobRequest, 'sessions' | 'decoders' | 'batchSize' | 'fetchConcurrency' | 'threads'>, device: Device, model: ModelInfo, adapter: AdapterFacts): Plan {
  return defaultPlan(device, {
    cores: navigator.hardwareConcurrency || 2,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    largestBatch: largestBatch(model.shape, adapter),
    flopsPerImage: model.shape ? flopsPerImage(model.shape) : null,
  }, {
    sessions: request.sessions ?? undefined,
    decoders: request.decoders ?? undefined,
    batchSize: request.batchSize ?? undefined,
    fetchConcurrency: request.fetchConcurrency ?? undefined,
    threads: request.threads ?? undefined,
  });
}

const PROGRESS_EVERY_MS = 250;
/**
 * Decoded whole, exactly as Pillow would, up to this (6000x4000, a 24-megapixel camera photo).
 * Larger JPEGs are decoded at 1/2, 1/4 or 1/8 by libjpeg and resized from there, so that a few
 * of them in flight cannot take a worker's memory; other formats that large are refused.
 */
const FULL_DECODE_PIXELS = 24_000_000;

const THUMBNAIL = 96;

/** Says that workers were replaced, and why, so a run that recovered does not hide it. */
function replacedNote(counters: Counters): string | null {
  if (!counters.replaced) return null;
  const retried = counters.retriedBatches ? `; ${counters.retriedBatches} batch${counters.retriedBatches === 1 ? '' : 'es'} run again` : '';
  return `${counters.replaced} worker${counters.replaced === 1 ? '' : 's'} replaced (the last because ${counters.replacedReason ?? 'it failed'})${retried}`;
}
const SAVE_COUNTS_MS = 3000;

function progressFrom(runId: string, state: Progress['state'], counters: Counters, startedAt: number, stats: { listed: number; skipped: number; skippedWhy?: Record<string, number>; repeated?: number }, listingDone: boolean, recentRate: number, device: string, note: string | null): Progress {
  const elapsedMs = performance.now() - startedAt;
  const rate = elapsedMs > 0 ? (counters.written * 1000) / elapsedMs : 0;
  const done = counters.written + counters.resumed;
  return {
    runId,
    state,
    // Items the engine admitted: the listing itself may hold one more it has read but not yet handed over.
    listed: counters.listed,
    listingDone,
    skipped: stats.skipped,
    ...(stats.skippedWhy ? { skippedWhy: { ...stats.skippedWhy } } : {}),
    ...(stats.repeated ? { repeated: stats.repeated } : {}),
    done,
    resumed: counters.resumed,
    cached: counters.cached,
    ok: counters.ok,
    failed: counters.failed,
    byCause: counters.byCause,
    stages: counters.stages,
    stepMs: counters.stepMs,
    elapsedMs,
    rate,
    recentRate,
    etaMs: eta(listingDone, counters.listed, done, recentRate || rate),
    bottleneck: bottleneck(counters.stages),
    device,
    batchSize: counters.batchSize,
    ...(note ? { note } : {}),
    ...(counters.model.ready ? {} : { model: { loaded: counters.model.loaded, total: counters.model.total } }),
  };
}

/** The settings the run's record shows (settings.ts marks them), as asked: 0 for "decided by the run". */
function storedSettings(request: JobRequest): RunSettings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (settingOf(key).stored) out[key] = valueOf(request, key) ?? 0;
  return out as unknown as RunSettings;
}

function countsOf(c: Counters): RunCounts {
  return { listed: c.listed, written: c.written, resumed: c.resumed, cached: c.cached, ok: c.ok, failed: c.failed, byCause: c.byCause };
}

/** True labels outside the model's classes kept with a run, at most: enough to name them. */
const OUTSIDE_LABELS_KEPT = 1000;

/**
 * Each item with its true label, where the dataset or its folder names say it. A label that is
 * none of the model's classes (nor a synonym of one) is noted in `outside`: the evaluation
 * counts its images apart, as no prediction can match it.
 */
async function* labelled(items: AsyncIterable<Item>, labels: readonly string[], options: LabelOptions, outside: Set<string>): AsyncGenerator<Item> {
  const classes = new Set(labels);
  for await (const item of items) {
    const label = trueLabel(item.path, item.label, labels, options);
    if (label !== null && !classes.has(label) && outside.size < OUTSIDE_LABELS_KEPT) outside.add(label);
    yield label === null ? item : { ...item, label };
  }
}

/**
 * What the store already answers. A resumed run's own rows (same version, same fingerprint) are
 * skipped, failed ones too unless retrying them; any other run's successful row for the same image
 * and fingerprint is copied rather than computed again.
 */
async function lookup(db: TenchDB, run: RunRecord, retry: Continuation['retry'] | null, topK: number): Promise<(item: Item) => Promise<Known | null>> {
  const stored = retry ? await storedOutcomes(db, run.id) : new Map();
  const seen = await knownImages(db, run.fingerprint);
  return async (item) => {
    const own = stored.get(item.path);
    if (own && own.fingerprint === run.fingerprint && own.version === (item.version ?? null) && !(retry === 'failed' && own.cause)) {
      return own.cause ? { kind: 'stored', ok: false, cause: own.cause } : { kind: 'stored', ok: true };
    }
    const key = imageKey(run.dataset, item.path, item.version);
    if (!key || !seen.has(key)) return null;
    const hit = await findByImage(db, run.fingerprint, key);
    if (!hit || hit.row.runId === run.id || hit.row.error !== null || hit.row.topK.length < topK) return null;
    return {
      kind: 'copied',
      outcome: { ok: true, topK: hit.row.topK.slice(0, topK) },
      width: hit.row.width ?? undefined,
      height: hit.row.height ?? undefined,
      thumb: hit.thumb,
    };
  };
}

/**
 * Runs one job to its end and returns its record. A run that cannot start (model missing,
 * no adapter for --device webgpu) still gets a record, with state 'failed' and the reason.
 */
export async function runJob(db: TenchDB, request: JobRequest, runtime: JobRuntime, hooks: JobHooks = {}, control: JobControl = newControl(), adapter?: AdapterFacts): Promise<RunRecord> {
  const { dataset: _dataset, ...stored } = request;
  const run: RunRecord = {
    id: newRunId(),
    createdAt: Date.now(),
    startedAt: Date.now(),
    finishedAt: null,
    state: 'running',
    dataset: request.dataset,
    model: request.model.id,
    fingerprint: '',
    settings: storedSettings(request),
    runtime: null,
    readyAt: null,
    firstRowAt: null,
    counts: null,
    error: null,
    request: stored,
  };
  // The lock before the record: a record that says running is never without its lock.
  return holdingRunLock(run.id, () => started(db, run, request, runtime, hooks, control, adapter, null));
}

async function started(db: TenchDB, run: RunRecord, request: JobRequest, runtime: JobRuntime, hooks: JobHooks, control: JobControl, adapter: AdapterFacts | undefined, retry: Continuation['retry'] | null): Promise<RunRecord> {
  await putRun(db, run);
  hooks.onStart?.(run.id);
  return execute(db, run, request, runtime, hooks, control, adapter, retry);
}

/**
 * Goes on with a stored run: the images it has no row for ('missing'), or those and the ones that
 * failed ('failed'). The dataset and settings are the run's own; only what cannot be stored
 * (credentials, a picked folder) comes from the caller. A reason when the run cannot go on: then
 * nothing of it has changed.
 */
export async function continueJob(db: TenchDB, runId: string, retry: Continuation['retry'], runtime: JobRuntime, hooks: JobHooks = {}, control: JobControl = newControl(), adapter?: AdapterFacts): Promise<RunRecord | { refused: string }> {
  // Under the run's lock, taken only if free: no other page runs it or deletes it meanwhile.
  const claimed = await claimingRunLock(runId, async (): Promise<RunRecord | { refused: string }> => {
    const run = await getRun(db, runId);
    if (!run) return { refused: `there is no run ${runId}` };
    if (!run.request) return { refused: `run ${runId} was made by an older tench that did not keep its settings; start a new run (its results are reused)` };
    if (run.dataset.kind === 'folder') {
      if (!runtime.folder) return { refused: `run ${runId} read the folder ${run.dataset.name}: pick that folder again to go on` };
      const other = await otherFolder(runId, run.dataset.name, runtime.folder, storedPaths(db, runId));
      if (other) return { refused: other };
    }
    const going: RunRecord = { ...run, state: 'running', startedAt: Date.now(), finishedAt: null, error: null, firstRowAt: null };
    return started(db, going, { ...run.request, dataset: run.dataset }, runtime, hooks, control, adapter, retry);
  });
  return claimed?.value ?? { refused: `run ${runId} is still running in another tab or process` };
}

async function execute(db: TenchDB, run: RunRecord, request: JobRequest, runtime: JobRuntime, hooks: JobHooks, control: JobControl, adapter: AdapterFacts | undefined, retry: Continuation['retry'] | null): Promise<RunRecord> {
  const { signal } = control;
  const fail = async (reason: string, state: RunRecord['state'] = 'failed') => {
    run.state = state;
    run.error = reason;
    run.finishedAt = Date.now();
    await putRun(db, run);
    return run;
  };

  const { hubToken: given, ...datasetRuntime } = runtime;
  // A token goes only to the hub it was given for: a resumed run may read another (its own).
  const hubToken = tokenFor(request.model, given);
  const info = await loadModelInfo(request.model, signal, hubToken);
  if (!info.ok) return fail(info.reason);
  const facts = adapter ?? (await probeAdapter());
  const resolved = resolveRuntime(request.device, request.dtype, facts);
  if (!resolved.ok) return fail(resolved.reason);

  const plan = planFor(request, resolved.device, info.value, facts);
  run.fingerprint = await fingerprint({ model: modelIdentity(request.model), dtype: resolved.dtype, preprocess: info.value.preprocess, orientation: request.applyExifOrientation ? 'apply' : 'ignore' });
  run.runtime = { device: resolved.device, dtype: resolved.dtype, reason: resolved.reason, threads: plan.threads };
  run.settings = { ...run.settings, sessions: plan.sessions, decoders: plan.decoders, batchSize: plan.batchSize };
  await putRun(db, run);

  let dataset;
  try {
    dataset = openDataset(request.dataset, { s3Proxy: `${location.origin}${S3_PROXY}`, ...datasetRuntime, extensions: request.extensions ?? undefined, limit: request.limit, requestTimeoutMs: request.requestTimeoutMs ?? undefined, maxListBytes: request.maxListBytes ?? undefined, maxListLineBytes: request.maxListLineBytes ?? undefined }, signal);
  } catch (error) {
    return fail(`${describe(request.dataset)}: ${reasonOf(error)}`);
  }

  let note: string | null = null;
  const startedAt = performance.now();
  const meter = createRateMeter();
  const device = `${resolved.device} (${resolved.reason})`;
  let report = (_state: Progress['state']) => {};

  // A full store pauses the run with the figures; resuming tries the same write again.
  let order = await nextOrder(db, run.id);
  const write = async (results: ItemResult[]): Promise<ResultRow[]> => {
    const rows = results.map((r) => toRow(run.id, run.fingerprint, run.dataset, r, order++));
    const thumbs: Thumb[] = results.flatMap((r) => (r.thumb ? [{ runId: run.id, path: r.item.path, image: r.thumb }] : []));
    for (;;) {
      try {
        await putRows(db, rows, thumbs);
        if (!run.firstRowAt) {
          // The first answer is shown as soon as it is stored, not at the next progress tick.
          run.firstRowAt = Date.now();
          report(control.gate.paused ? 'paused' : 'running');
        }
        return rows;
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        note = `storage is full (${await storageFigures()}): paused; delete old runs or free disk space, then resume`;
        control.gate.pause();
        report('paused');
        await control.gate.wait(signal);
        note = null;
      }
    }
  };

  const limits = { maxBytes: valueOf(request, 'maxObjectBytes')!, timeoutMs: valueOf(request, 'requestTimeoutMs')! };
  const maxPixels = valueOf(request, 'maxPixels')!;
  const outside = new Set(run.labels?.outside);
  const keepCounts = (counters: Counters) => {
    run.counts = countsOf(counters);
    run.labels = { classes: info.value.labels.length, outside: [...outside] };
  };
  const pipeline = runPipeline(
    {
      items: labelled(inShard(sampled(dataset.items, request.sample), request.shard), info.value.labels, { from: request.labelsFrom, map: request.labelMap }, outside),
      known: await lookup(db, run, retry, request.topK),
      fetch: (source, fetchSignal) => fetchBytes(source, limits, dataset.s3, fetchSignal),
      fetchPack: (endpoint, files, fetchSignal) => fetchPack(endpoint, files, limits, fetchSignal),
      gate: control.gate,
      decode: {
        preprocess: info.value.preprocess,
        maxPixels,
        fullDecodePixels: Math.min(FULL_DECODE_PIXELS, maxPixels),
        applyExifOrientation: request.applyExifOrientation === true,
        thumbnail: request.thumbnails ?? THUMBNAIL,
      },
      session: {
        model: request.model,
        hubToken,
        device: resolved.device,
        dtype: resolved.dtype,
        numThreads: plan.threads,
        batchSize: plan.batchSize,
        labels: info.value.labels,
        inputWidth: info.value.preprocess.inputWidth,
        inputHeight: info.value.preprocess.inputHeight,
      },
      settings: {
        fetchConcurrency: plan.fetchConcurrency,
        decoders: plan.decoders,
        decodeInFlight: 2,
        sessions: plan.sessions,
        batchSize: plan.batchSize,
        topK: request.topK,
        writeBatch: 256,
      },
      write,
      sink: hooks.onStored,
    },
    signal,
  );

  pipeline.ready.then(() => {
    run.readyAt = Date.now();
  }, () => {});
  report = (state: Progress['state']) => {
    const counters = pipeline.counters();
    hooks.onProgress?.(progressFrom(run.id, state, counters, startedAt, dataset.stats, counters.listingDone, meter.sample(performance.now(), counters.written), device, note ?? replacedNote(counters) ?? dataset.stats.notice ?? null));
  };
  let saved = performance.now();
  const timer = setInterval(() => {
    report(control.gate.paused ? 'paused' : 'running');
    // The record's counts follow the run, so a tab that dies leaves a record that says how far it got.
    if (performance.now() - saved > SAVE_COUNTS_MS) {
      saved = performance.now();
      keepCounts(pipeline.counters());
      void putRun(db, run).catch(() => {});
    }
  }, PROGRESS_EVERY_MS);
  try {
    const counters = await pipeline.done;
    run.state = 'done';
    keepCounts(counters);
  } catch (error) {
    keepCounts(pipeline.counters());
    run.state = signal.aborted ? 'cancelled' : 'failed';
    run.error = signal.aborted ? 'cancelled' : reasonOf(error);
  } finally {
    clearInterval(timer);
  }
  run.finishedAt = Date.now();
  await putRun(db, run);
  report(run.state === 'done' ? 'done' : run.state === 'cancelled' ? 'cancelled' : 'failed');
  return run;
}
