// A run, end to end: model facts -> backend choice -> plan -> dataset -> pipeline -> store. The
// page and the CLI both start and resume runs here; everything a run leaves behind is in
// IndexedDB. Each step has its module beside this one; this file only puts them in order.

import type { Device, Dtype } from '../core/device.ts';
import { reasonOf } from '../core/outcome.ts';
import { describe } from '../datasets/spec.ts';
import { openDataset, type DatasetRuntime } from '../datasets/dataset.ts';
import type { OpenDataset } from '../datasets/remote.ts';
import { otherFolder } from '../datasets/folder.ts';
import { fetchBytes, fetchPack } from '../net/fetch.ts';
import { S3_PROXY } from '../net/s3-client.ts';
import { loadModelInfo, modelIdentity, tokenFor, type HubToken, type ModelInfo } from '../model/model.ts';
import { runPipeline, type PipelineInput } from '../pipeline/scheduler.ts';
import type { JobRequest } from '../request.ts';
import { withDefaults, type SettingValues } from '../settings.ts';
import type { TenchDB } from '../store/db.ts';
import type { ResultRow } from '../store/results.ts';
import { storedPaths } from '../store/results.ts';
import { claimingRunLock, getRun, holdingRunLock, putRun, type RunRecord } from '../store/runs.ts';
import { probeAdapter, resolveRuntime, type AdapterFacts } from './backend.ts';
import { newControl, type JobControl } from './control.ts';
import { fingerprint } from './fingerprint.ts';
import { runItems } from './items.ts';
import { lookup } from './lookup.ts';
import { planRun, type Host, type RunPlan } from './plan.ts';
import { startReporting, type Reporter } from './progress.ts';
import { countsOf, ended, goingOn, newRecord } from './record.ts';
import type { Continuation, JobHooks } from './types.ts';
import { createWriter } from './writer.ts';

/** What a run needs and must never store: the dataset's keys or picked folder, and a hub's token
 * with the endpoint it was given for. */
export type JobRuntime = DatasetRuntime & { hubToken?: HubToken };

/** Longer side of the gallery's thumbnails unless the run says. */
const THUMBNAIL = 96;

/** The page's machine, read once per run. */
export function hostFacts(): Host {
  return { cores: navigator.hardwareConcurrency || 2, crossOriginIsolated: globalThis.crossOriginIsolated === true };
}

/**
 * Runs one job to its end and returns its record. A run that cannot start (model missing,
 * no adapter for --device webgpu) still gets a record, with state 'failed' and the reason.
 */
export async function runJob(db: TenchDB, request: JobRequest, runtime: JobRuntime, hooks: JobHooks = {}, control: JobControl = newControl(), adapter?: AdapterFacts): Promise<RunRecord> {
  const run = newRecord(request);
  // The lock before the record: a record that says running is never without its lock.
  return holdingRunLock(run.id, () => started(db, { run, request, runtime, hooks, control, adapter, retry: null }));
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
    const request = { ...run.request, dataset: run.dataset };
    return started(db, { run: goingOn(run), request, runtime, hooks, control, adapter, retry });
  });
  return claimed?.value ?? { refused: `run ${runId} is still running in another tab or process` };
}

/** One run as it goes: what it was asked and given, and how it is steered. */
interface Going {
  run: RunRecord;
  request: JobRequest;
  runtime: JobRuntime;
  hooks: JobHooks;
  control: JobControl;
  adapter: AdapterFacts | undefined;
  retry: Continuation['retry'] | null;
}

async function started(db: TenchDB, going: Going): Promise<RunRecord> {
  await putRun(db, going.run);
  going.hooks.onStart?.(going.run.id);
  const prepared = await prepare(db, going);
  if (!prepared.ok) {
    await putRun(db, ended(going.run, 'failed', prepared.reason));
    return going.run;
  }
  return execute(db, going, prepared.value);
}

/** What a run decides before its first image: model, backend, plan, fingerprint, dataset. */
interface Prepared {
  settings: SettingValues;
  model: ModelInfo;
  hubToken: string | undefined;
  plan: RunPlan;
  backend: { device: Device; dtype: Dtype; reason: string };
  dataset: OpenDataset;
}

async function prepare(db: TenchDB, { run, request, runtime, control, adapter }: Going): Promise<{ ok: true; value: Prepared } | { ok: false; reason: string }> {
  const settings = withDefaults(request);
  const { hubToken: given, ...datasetRuntime } = runtime;
  // A token goes only to the hub it was given for: a resumed run may read another (its own).
  const hubToken = tokenFor(request.model, given);
  const info = await loadModelInfo(request.model, control.signal, hubToken);
  if (!info.ok) return info;
  const facts = adapter ?? (await probeAdapter());
  const resolved = resolveRuntime(settings.device, settings.dtype, facts);
  if (!resolved.ok) return resolved;

  const plan = planRun(settings, resolved.device, info.value.shape, hostFacts(), facts);
  run.fingerprint = await fingerprint({
    model: modelIdentity(request.model), dtype: resolved.dtype, preprocess: info.value.preprocess,
    orientation: settings.applyExifOrientation ? 'apply' : 'ignore',
    // Only when asked: a run without embeddings keeps the fingerprint rows had before they existed.
    ...(settings.embeddings ? { embeddings: true as const } : {}),
  });
  run.runtime = { device: resolved.device, dtype: resolved.dtype, reason: resolved.reason, threads: plan.threads };
  run.settings = { ...run.settings, sessions: plan.sessions, decoders: plan.decoders, batchSize: plan.batchSize };
  await putRun(db, run);

  try {
    const dataset = openDataset(request.dataset, {
      s3Proxy: `${location.origin}${S3_PROXY}`, ...datasetRuntime, extensions: settings.extensions, limit: settings.limit,
      requestTimeoutMs: settings.requestTimeoutMs, maxListBytes: settings.maxListBytes, maxListLineBytes: settings.maxListLineBytes,
      imageColumn: settings.imageColumn, keepColumns: settings.keepColumns,
    }, control.signal);
    return { ok: true, value: { settings, model: info.value, hubToken, plan, backend: resolved, dataset } };
  } catch (error) {
    return { ok: false, reason: `${describe(request.dataset)}: ${reasonOf(error)}` };
  }
}

/** The engine's input: the run's images, what the store already answers, and every stage's sizes. */
async function pipelineInput(db: TenchDB, going: Going, p: Prepared, outside: Set<string>, write: PipelineInput<ResultRow[]>['write']): Promise<PipelineInput<ResultRow[]>> {
  const { request, control, run } = going;
  const { settings, model, plan, dataset } = p;
  const limits = { maxBytes: settings.maxObjectBytes, timeoutMs: settings.requestTimeoutMs };
  return {
    items: runItems(dataset.items, { sample: request.sample, shard: request.shard, labels: { from: settings.labelsFrom, map: request.labelMap } }, model.labels, outside),
    known: await lookup(db, run, going.retry, settings.topK),
    fetch: (source, signal) => fetchBytes(source, limits, dataset.s3, signal),
    fetchPack: (endpoint, files, signal) => fetchPack(endpoint, files, limits, signal),
    gate: control.gate,
    decode: {
      preprocess: model.preprocess,
      maxPixels: plan.maxPixels,
      fullDecodePixels: plan.fullDecodePixels,
      applyExifOrientation: settings.applyExifOrientation,
      thumbnail: request.thumbnails ?? THUMBNAIL,
    },
    session: {
      model: request.model,
      hubToken: p.hubToken,
      device: p.backend.device,
      dtype: p.backend.dtype,
      numThreads: plan.threads,
      batchSize: plan.batchSize,
      labels: model.labels,
      inputWidth: model.preprocess.inputWidth,
      inputHeight: model.preprocess.inputHeight,
      embeddings: settings.embeddings,
    },
    settings: {
      fetchConcurrency: plan.fetchConcurrency,
      decoders: plan.decoders,
      decodeInFlight: plan.decodeInFlight,
      sessions: plan.sessions,
      batchSize: plan.batchSize,
      topK: settings.topK,
      writeBatch: plan.writeBatch,
    },
    write,
    sink: going.hooks.onStored,
  };
}

async function execute(db: TenchDB, going: Going, p: Prepared): Promise<RunRecord> {
  const { run, control, hooks } = going;
  const outside = new Set(run.labels?.outside);
  let reporter: Reporter | null = null;
  const write = await createWriter(db, run, control.gate, control.signal, {
    firstRow: () => reporter?.report(control.gate.paused ? 'paused' : 'running'),
    full: (note) => {
      reporter?.setNote(note);
      if (note) reporter?.report('paused');
    },
  });
  const pipeline = runPipeline(await pipelineInput(db, going, p, outside, write), control.signal);
  pipeline.ready.then(() => void (run.readyAt = Date.now()), () => {});
  const keepCounts = () => {
    run.counts = countsOf(pipeline.counters());
    run.labels = { classes: p.model.labels.length, outside: [...outside] };
  };
  reporter = startReporting({ runId: run.id, device: `${p.backend.device} (${p.backend.reason})`, startedAt: performance.now(), listing: p.dataset.stats }, pipeline.counters, () => control.gate.paused, (progress) => hooks.onProgress?.(progress), () => {
    keepCounts();
    void putRun(db, run).catch(() => {});
  });
  try {
    await pipeline.done;
    ended(run, 'done', null);
  } catch (error) {
    const cancelled = control.signal.aborted;
    ended(run, cancelled ? 'cancelled' : 'failed', cancelled ? 'cancelled' : reasonOf(error));
  } finally {
    reporter.stop();
    keepCounts();
  }
  await putRun(db, run);
  reporter.report(run.state === 'done' ? 'done' : run.state === 'cancelled' ? 'cancelled' : 'failed');
  return run;
}
