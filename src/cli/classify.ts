// `tench classify`: checks the inputs, serves the app, drives it in Chromium, and streams the rows
// the page stores to --out (and --failures) as the run goes (sink/outputs.ts).

import { isAbsolute, join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { BUNDLED_MODEL } from '../model/model.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { Evaluation, Failures } from '../store/evaluate.ts';
import { exportOptions } from '../store/export.ts';
import type { ResultRow, RunRecord } from '../store/records.ts';
import type { AutomationRequest } from '../page-protocol.ts';
import { callPage, pageReady, startInPage } from './page-calls.ts';
import { valueOf, withDefaults } from '../settings.ts';
import type { Launched } from './browser.ts';
import { checkInputs, type Checked } from './checks.ts';
import type { ClassifyOptions } from './classify-flags.ts';
import { awsCredentials } from './credentials.ts';
import { emptyRun } from './empty-run.ts';
import { EXIT, exitOf, type ExitStatus } from './exit.ts';
import { prepareHubModel, type HubModel } from './hub-model.ts';
import type { ModelChoice } from './inputs.ts';
import { openApp } from './open-app.ts';
import type { Destination } from './output.ts';
import type { ProgressSink } from './progress.ts';
import type { Served } from './server.ts';
import { openOutputs, type Output, type Outputs, type StoredRows } from './sink/outputs.ts';
import { steer, STOPPED, type Steering } from './steering.ts';

export interface Console {
  out(line: string): void;
  err(line: string): void;
  progress: ProgressSink;
  /** Keys pressed at the terminal, if it is one: p pauses and resumes, q cancels. */
  onKey?(handler: (key: string) => void): () => void;
  /** How good the predictions were, when the dataset gives labels; and the failures by cause. */
  report(evaluation: Evaluation, failures: Failures): void;
  /** The final line, as text or (--json) as an object. */
  summary(s: Summary): void;
}

/**
 * The run's images and errors, all of them; the seconds this process ran it, and the rate at
 * which it computed (rows it found stored or copied from other runs are counted apart).
 */
export interface Summary {
  images: number;
  errors: number;
  seconds: number;
  rate: number;
  computed: number;
  state: string;
  out: string;
  resumed: number;
  cached: number;
  /** Entries of a list that repeated a path listed before: not images of the run, not rows. */
  repeated: number;
  firstRowSeconds: number | null;
}

const PAGE_READY_MS = 60_000;

/**
 * `steering` is the command's, listening since it started (main.ts); without one, the signals
 * are listened to from here on.
 */
export async function classify(root: string, o: ClassifyOptions, io: Console, steering?: Steering): Promise<number> {
  const own = steering ?? steer();
  own.bind(io);
  try {
    return await classifyWith(root, o, io, own);
  } finally {
    if (!steering) own.detach();
  }
}

/** What a run here is made of: the options, the console, what was opened for it, and the outputs once open. */
interface Run {
  root: string;
  o: ClassifyOptions;
  io: Console;
  steering: Steering;
  checked: Checked;
  hubModel: HubModel | null;
  browser: Launched;
  server: Served;
  /** Open from before the run starts until it ends: aborted then unless finished. */
  outputs: Outputs | null;
}

async function classifyWith(root: string, o: ClassifyOptions, io: Console, steering: Steering): Promise<number> {
  const run = await prepare(root, o, io, steering);
  if (typeof run === 'number') return run;
  try {
    return await runInPage(run);
  } finally {
    await run.outputs?.abort().catch(() => {});
    await run.browser.close();
    await run.server.close();
  }
}

/** One sentence on stderr, the progress line stopped first: the status to exit with. */
function failed(io: Console, reason: string, exit: ExitStatus = EXIT.failed): ExitStatus {
  io.progress.stop();
  io.err(`tench: ${reason}`);
  return exit;
}

/**
 * The inputs checked, a Hub model in this machine's Hugging Face cache (downloaded once) and the
 * app open in the browser; or the status to exit with. Stopped before the run started, the words
 * were said when the signal came.
 */
async function prepare(root: string, o: ClassifyOptions, io: Console, steering: Steering): Promise<Run | ExitStatus> {
  if (steering.stopping) return EXIT.cancelled;
  const checked = await steering.until(checkInputs(o));
  if (checked === STOPPED) return EXIT.cancelled;
  if (!checked.ok) return failed(io, checked.reason, exitOf(checked));
  const { model, dataset, state } = checked.value;
  const hubModel = model.routes.modelDir ? null : await steering.until(prepareHubModel(o.model, o.hub ?? {}, withDefaults(o.settings).dtype, io.err));
  if (hubModel === STOPPED) return EXIT.cancelled;
  if (hubModel && !hubModel.ok) return failed(io, withOfflineHint(hubModel.reason, model, root), exitOf(hubModel));
  // Not cut short: it may be starting a browser, which must then be closed here.
  const app = await openApp(root, checked.value.browserPath, { ...dataset.routes, ...model.routes, ...hubModel?.value.routes }, state, o.headed, io.err);
  if (!app.ok) return steering.stopping ? EXIT.cancelled : failed(io, app.reason);
  return { root, o, io, steering, checked: checked.value, hubModel: hubModel?.value ?? null, browser: app.browser, server: app.server, outputs: null };
}

/** The run in the page: started or gone on with, its rows streamed to the outputs, then reported. */
async function runInPage(run: Run): Promise<number> {
  const { o, io, steering } = run;
  if (steering.stopping) return EXIT.cancelled;
  const page = await openPage(run);
  if (typeof page === 'number') return page;
  const request = requestFor(run);
  const prior = await steering.until(findPrior(page.page, request, o, io));
  if (prior === STOPPED) return EXIT.cancelled;
  const wanted = outputsWanted(run.checked);
  try {
    run.outputs = await openOutputs(wanted, !prior ? 'new' : o.retryFailed ? 'rewrite' : 'resume', prior && storedRows(page.page, prior.id), s3Options(o), exportOptions(prior?.request ?? request));
  } catch (error) {
    return failed(io, `cannot write ${shownAll(wanted)}: ${(error as Error).message}`);
  }
  for (const note of run.outputs.notes) io.err(`tench: ${note}`);
  // From here a pause or a cancel goes to the run; one that came before it is applied as it
  // starts, in the same call, so none is lost in between.
  if (!steering.attach(page.page)) return EXIT.cancelled;
  const record = await start(page.page, prior, request, o.retryFailed, steering.paused);
  io.progress.stop();
  if ('refused' in record) return failed(io, record.refused);
  return finish(run, page, record, run.outputs, wanted);
}

/** The page the run is in, and the last progress it sent. */
interface InPage {
  page: Page;
  progress(): Progress | null;
}

/** The app's page, ready, with the functions it calls back here; or the status to exit with. */
async function openPage(run: Run): Promise<InPage | ExitStatus> {
  const { io, steering } = run;
  const page = await run.browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  let last: Progress | null = null;
  await page.exposeFunction('tenchProgress', (p: Progress) => {
    last = p;
    io.progress.update(p);
  });
  // Keys that expire are asked for again, from the same chain, before they do; never stored.
  await page.exposeFunction('tenchCredentials', async () => {
    const again = await awsCredentials();
    return again.ok ? again.value : undefined;
  });
  // The rows each store transaction made durable, in order: the run waits for the outputs.
  await page.exposeFunction('tenchRows', (rowsJson: string) => run.outputs?.take(JSON.parse(rowsJson) as ResultRow[]));
  if ((await steering.until(page.goto(run.server.origin))) === STOPPED) return EXIT.cancelled;
  try {
    const ready = await steering.until(pageReady(page, PAGE_READY_MS));
    if (ready === STOPPED) return EXIT.cancelled;
  } catch {
    return failed(io, `the app did not start in the browser${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
  }
  return { page, progress: () => last };
}

/** What the page runs: the settings given, the table's defaults for the rest. */
function requestFor(run: Run): AutomationRequest {
  const { o, checked, server } = run;
  return {
    ...withDefaults({ ...o.settings, shard: o.shard, sample: o.sample, labelMap: checked.labelMap }),
    dataset: checked.dataset.spec(server.origin),
    model: checked.model.input,
    credentials: checked.dataset.credentials,
    // The page reads a Hub model from this server, never from the hub: the token stays here.
    hub: run.hubModel ? run.hubModel.hubFor(server.origin) : {},
  };
}

function outputsWanted(checked: Checked): Output[] {
  return [{ to: checked.out, kind: 'results' }, ...(checked.failuresOut ? [{ to: checked.failuresOut, kind: 'failures' as const }] : [])];
}

/** A new run, or the prior one going on; paused at once when a pause came before it started. */
function start(page: Page, prior: RunRecord | null, request: AutomationRequest, retryFailed: boolean, paused: boolean): Promise<RunRecord | { refused: string }> {
  return prior
    ? startInPage(page, { continue: [prior.id, retryFailed ? 'failed' : 'missing', request.credentials, request.hubToken] }, paused)
    : startInPage(page, { run: request }, paused);
}

/** After the run: the outputs completed, the report, and the status: a run of no images is no success. */
async function finish(run: Run, page: InPage, record: RunRecord, outputs: Outputs, wanted: readonly Output[]): Promise<number> {
  const { root, o, io, checked } = run;
  let written: number;
  try {
    written = await outputs.finish(storedRows(page.page, record.id));
  } catch (error) {
    return failed(io, `cannot write ${shownAll(wanted)}: ${(error as Error).message}`);
  }
  if (record.state === 'failed') return failed(io, `the run failed: ${withOfflineHint(record.error ?? 'no reason given', checked.model, root)}`);
  await report(page.page, record, o, io, written, checked.out, checked.failuresOut, { unsandboxed: run.browser.unsandboxed, progress: page.progress() });
  if (record.state === 'cancelled') return EXIT.cancelled;
  const counts = record.counts ?? { ok: 0, failed: 0 };
  const kind = checked.dataset.routes.dataDir ? 'folder' : checked.dataset.spec(run.server.origin).kind === 's3' ? 'prefix' : 'list';
  const empty = emptyRun(counts.ok + counts.failed, { dataset: shownDataset(o.dataset), kind, shard: o.shard, listing: page.progress(), extensions: valueOf(record.request ?? {}, 'extensions') ?? [] });
  if (empty) io.err(`tench: ${empty.line}`);
  return empty?.exit ?? EXIT.ok;
}

/** A Hub model that cannot be reached: say what runs without a network. */
function withOfflineHint(reason: string, model: ModelChoice, root: string): string {
  if (model.routes.modelDir || !/cannot reach/.test(reason)) return reason;
  const bundled = join(root, 'public', 'models', BUNDLED_MODEL);
  const shown = relative(process.cwd(), bundled);
  return `${reason}; without a network, the bundled demo model runs (random weights: its labels mean nothing): --model ${shown.startsWith('..') || isAbsolute(shown) ? bundled : shown}`;
}

/** What this process saw of the run besides its record: the browser's sandbox, the last progress. */
interface Seen {
  unsandboxed: string | null;
  progress: Progress | null;
}

/** The end of a run: what ran where, the evaluation, what was written, the summary line. */
async function report(page: Page, run: RunRecord, o: ClassifyOptions, io: Console, written: number, out: Destination, failuresOut: Destination | null, seen: Seen): Promise<void> {
  const counts = run.counts ?? { ok: 0, failed: 0, written: 0, resumed: 0, cached: 0 };
  const sandbox = seen.unsandboxed ? `; the browser runs without its sandbox: ${seen.unsandboxed}` : '';
  io.err(`run ${run.id}${o.shard ? ` (shard ${o.shard.index} of ${o.shard.count})` : ''}; device: ${run.runtime?.device}, dtype: ${run.runtime?.dtype}; ${run.runtime?.reason}${sandbox}`);
  for (const [reason, n] of Object.entries(seen.progress?.skippedWhy ?? {})) io.err(`skipped ${n} ${n === 1 ? 'file' : 'files'}, each ${reason}`);
  const repeated = seen.progress?.repeated ?? 0;
  if (repeated) io.err(`${repeated} ${repeated === 1 ? 'entry' : 'entries'} of the list repeated a path listed before: each path was classified once, as its first entry gives it`);
  if (counts.resumed || counts.cached) {
    io.err(`${counts.resumed} rows were already stored by this run, ${counts.cached} taken from earlier runs of the same images and model`);
  }
  const { evaluation, failures } = await callPage(page, 'report', run.id, 20);
  io.report(evaluation, failures);
  io.err(`wrote ${written} rows to ${out.shown}${failuresOut ? ` and ${failures.total} failures to ${failuresOut.shown}` : ''}`);
  // This process's part of the run: from its start (or resumption) to its end.
  const seconds = ((run.finishedAt ?? Date.now()) - (run.startedAt ?? run.createdAt)) / 1000;
  const computed = Math.max(0, counts.written - counts.cached);
  // From this command's start (the browser shares the system clock) to the first stored row.
  const firstRowSeconds = run.firstRowAt ? (run.firstRowAt - performance.timeOrigin) / 1000 : null;
  io.summary({ images: counts.ok + counts.failed, errors: counts.failed, seconds, rate: computed / Math.max(seconds, 1e-3), computed, state: run.state, out: out.shown, resumed: counts.resumed, cached: counts.cached, repeated, firstRowSeconds });
}

/** The dataset as the user gave it, without a presigned list URL's signature. */
function shownDataset(dataset: string): string {
  return /^https?:\/\//i.test(dataset) ? dataset.split('?')[0]! : dataset;
}

function s3Options(o: ClassifyOptions) {
  return { endpoint: o.s3Endpoint, region: o.s3Region };
}

/** The run --resume or --retry-failed goes on with, if there is one. */
async function findPrior(page: Page, request: AutomationRequest, o: ClassifyOptions, io: Console): Promise<RunRecord | null> {
  if (!o.resume && !o.retryFailed) return null;
  const prior = await callPage(page, 'latest', request.dataset, request.model, !o.retryFailed, o.shard, request.hub);
  if (prior) io.err(`${o.retryFailed ? 'retrying the failed images of' : 'resuming'} run ${prior.id} (${prior.state}); its own settings apply`);
  else io.err(`no ${o.retryFailed ? '' : 'unfinished '}run of this dataset${o.shard ? `, shard` : ''} and model to go on with: starting a new one`);
  return prior;
}

/** The run's rows in the page's store, as the outputs read them. */
function storedRows(page: Page, runId: string): StoredRows {
  return {
    byOrder: (after, limit) => callPage(page, 'rowsByOrder', runId, after, limit),
    standing: (path, failuresOnly) => callPage(page, 'standing', runId, path, failuresOnly),
    count: () => callPage(page, 'count', runId),
  };
}

function shownAll(outputs: readonly Output[]): string {
  return outputs.map((x) => x.to.shown).join(' or ');
}
