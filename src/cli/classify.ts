// `tench classify`: checks the inputs, serves the app, drives it in Chromium, and streams the rows
// the page stores to --out (and --failures) as the run goes (sink/outputs.ts).

import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import type { Sample } from '../datasets/sample.ts';
import { isEndpointUrl, isS3HttpsUrl, parseS3Url } from '../datasets/s3.ts';
import type { Shard } from '../datasets/shard.ts';
import { BUNDLED_MODEL, revisionProblem } from '../model/model.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { Evaluation, Failures } from '../store/evaluate.ts';
import type { ExportFormat } from '../store/export.ts';
import type { ResultRow } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import type { AutomationRequest } from '../ui/automation.ts';
import { valueOf, withDefaults, type SettingValues } from '../settings.ts';
import { findBrowser, launch, type Launched } from './browser.ts';
import { ensureBuilt } from './build.ts';
import { EXIT, exitOf, usage, type ExitStatus, type Outcome } from './exit.ts';
import { emptyRun } from './empty-run.ts';
import { awsCredentials } from './credentials.ts';
import { chooseDataset, chooseModel, type DatasetChoice, type ModelChoice } from './inputs.ts';
import { prepareHubModel } from './hub-model.ts';
import { parseLabelMap } from '../model/label-map.ts';
import type { ProgressSink } from './progress.ts';
import { chooseDestination, type Destination } from './output.ts';
import { serve, type Served } from './server.ts';
import { openOutputs, type Output, type Outputs, type StoredRows } from './sink/outputs.ts';
import { openState, stateDir, type State } from './state.ts';
import { steer, STOPPED, type Steering } from './steering.ts';

export interface ClassifyOptions {
  dataset: string;
  sample?: Sample | null;
  /** A JSON file: { "your class name": "the model's label" }. */
  labelMap?: string;
  model: string;
  /** For a Hub id: a mirror in the Hub's layout ($HF_ENDPOINT), the revision, and the token ($HF_TOKEN). */
  hub?: { endpoint?: string; revision?: string; token?: string };
  out: string;
  /** A second file with the failed images alone. */
  failures?: string;
  /** Where runs are kept between invocations; see state.ts. */
  state?: string;
  /** Go on with the newest unfinished run of this dataset and model, or start one. */
  resume: boolean;
  /** Classify again the images that failed in the newest run of this dataset and model. */
  retryFailed: boolean;
  /** The run settings given (settings.ts); the table's defaults for the rest. */
  settings: Partial<SettingValues>;
  s3Endpoint?: string;
  s3Region?: string;
  browser?: string;
  headed: boolean;
  /** Only this shard's images; see shard-flags.ts. */
  shard: Shard | null;
  /** The format of a part file when --out (or --failures) names a folder. */
  format?: ExportFormat;
}

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

/** Exit statuses, as the README lists them. */

const PAGE_READY_MS = 60_000;
const READ_PAGE = 1000;

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

async function classifyWith(root: string, o: ClassifyOptions, io: Console, steering: Steering): Promise<number> {
  const fail = (reason: string, exit: ExitStatus = EXIT.failed) => {
    io.progress.stop();
    io.err(`tench: ${reason}`);
    return exit;
  };
  // Stopped before the run started: the words were said when the signal came.
  const cancelled = () => EXIT.cancelled;
  if (steering.stopping) return cancelled();
  const checked = await steering.until(checkInputs(o));
  if (checked === STOPPED) return cancelled();
  if (!checked.ok) return fail(checked.reason, exitOf(checked));
  const { model, dataset, labelMap, out, failuresOut, state } = checked.value;
  // A Hub model is in this machine's Hugging Face cache before the browser starts (downloaded once).
  const hubModel = model.routes.modelDir ? null : await steering.until(prepareHubModel(o.model, o.hub ?? {}, withDefaults(o.settings).dtype, io.err));
  if (hubModel === STOPPED) return cancelled();
  if (hubModel && !hubModel.ok) return fail(withOfflineHint(hubModel.reason, model, root), exitOf(hubModel));
  // Not cut short: it may be starting a browser, which must then be closed here.
  const app = await openApp(root, checked.value.browserPath, { ...dataset.routes, ...model.routes, ...hubModel?.value.routes }, state, o.headed, io);
  if (!app.ok) return steering.stopping ? cancelled() : fail(app.reason);
  const { browser, server } = app;

  let outputs: Outputs | null = null;
  try {
    if (steering.stopping) return cancelled();
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    let lastProgress: Progress | null = null;
    await page.exposeFunction('tenchProgress', (p: Progress) => {
      lastProgress = p;
      io.progress.update(p);
    });
    // The rows each store transaction made durable, in order: the run waits for the outputs.
    // Keys that expire are asked for again, from the same chain, before they do; never stored.
    await page.exposeFunction('tenchCredentials', async () => {
      const again = await awsCredentials();
      return again.ok ? again.value : undefined;
    });
    await page.exposeFunction('tenchRows', (rowsJson: string) => outputs?.take(JSON.parse(rowsJson) as ResultRow[]));
    if ((await steering.until(page.goto(server.origin))) === STOPPED) return cancelled();
    try {
      const ready = await steering.until(page.waitForFunction(() => document.body.dataset.ready === 'true' && !!window.tench, null, { timeout: PAGE_READY_MS }));
      if (ready === STOPPED) return cancelled();
    } catch {
      return fail(`the app did not start in the browser${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
    }

    const request: AutomationRequest = {
      ...withDefaults(o.settings),
      dataset: dataset.spec(server.origin),
      model: model.input,
      credentials: dataset.credentials,
      // The page reads a Hub model from this server, never from the hub: the token stays here.
      hub: hubModel ? hubModel.value.hubFor(server.origin) : {},
      shard: o.shard,
      sample: o.sample ?? null,
      labelMap,
    };
    const prior = await steering.until(findPrior(page, request, o, io));
    if (prior === STOPPED) return cancelled();
    const wanted: Output[] = [{ to: out, kind: 'results' }, ...(failuresOut ? [{ to: failuresOut, kind: 'failures' as const }] : [])];
    try {
      outputs = await openOutputs(wanted, !prior ? 'new' : o.retryFailed ? 'rewrite' : 'resume', prior && storedRows(page, prior.id), s3Options(o));
    } catch (error) {
      return fail(`cannot write ${shownAll(wanted)}: ${(error as Error).message}`);
    }
    for (const note of outputs.notes) io.err(`tench: ${note}`);
    // From here a pause or a cancel goes to the run; one that came before it is applied as it
    // starts, in the same call, so none is lost in between.
    if (!steering.attach(page)) return cancelled();
    const paused = steering.paused;
    const run = prior
      ? await page.evaluate(([id, retry, c, t, p]) => {
        const going = window.tench!.continue(id, retry, c, t);
        if (p) window.tench!.pause();
        return going;
      }, [prior.id, o.retryFailed ? 'failed' : 'missing', request.credentials, request.hubToken, paused] as const)
      : await page.evaluate(([r, p]) => {
        const going = window.tench!.run(r);
        if (p) window.tench!.pause();
        return going;
      }, [request, paused] as const);
    io.progress.stop();
    if ('refused' in run) return fail(run.refused);
    let written: number;
    try {
      written = await outputs.finish(storedRows(page, run.id));
    } catch (error) {
      return fail(`cannot write ${shownAll(wanted)}: ${(error as Error).message}`);
    }
    if (run.state === 'failed') return fail(`the run failed: ${withOfflineHint(run.error ?? 'no reason given', model, root)}`);
    await report(page, run, o, io, written, out, failuresOut, { unsandboxed: browser.unsandboxed, progress: lastProgress });
    if (run.state === 'cancelled') return EXIT.cancelled;
    const counts = run.counts ?? { ok: 0, failed: 0 };
    const kind = dataset.routes.dataDir ? 'folder' : dataset.spec(server.origin).kind === 's3' ? 'prefix' : 'list';
    const empty = emptyRun(counts.ok + counts.failed, { dataset: shownDataset(o.dataset), kind, shard: o.shard, listing: lastProgress, extensions: valueOf(run.request ?? {}, 'extensions') ?? [] });
    if (empty) io.err(`tench: ${empty.line}`);
    return empty?.exit ?? EXIT.ok;
  } finally {
    await outputs?.abort().catch(() => {});
    await browser.close();
    await server.close();
  }
}

interface Checked {
  model: ModelChoice;
  dataset: DatasetChoice;
  labelMap: Record<string, string> | undefined;
  browserPath: string;
  out: Destination;
  failuresOut: Destination | null;
  state: State;
}

/** A Hub model that cannot be reached: say what runs without a network. */
function withOfflineHint(reason: string, model: ModelChoice, root: string): string {
  if (model.routes.modelDir || !/cannot reach/.test(reason)) return reason;
  const bundled = join(root, 'public', 'models', BUNDLED_MODEL);
  const shown = relative(process.cwd(), bundled);
  return `${reason}; without a network, the bundled demo model runs (random weights: its labels mean nothing): --model ${shown.startsWith('..') || isAbsolute(shown) ? bundled : shown}`;
}

/**
 * Everything that can be wrong before a browser starts, each as one sentence: what was typed is a
 * usage error (exit 2), what it names is the world's (exit 1).
 */
async function checkInputs(o: ClassifyOptions): Promise<Outcome<Checked>> {
  if (o.hub?.endpoint && !isEndpointUrl(o.hub.endpoint)) return usage(`HF_ENDPOINT ${o.hub.endpoint} is not an http(s) URL, such as https://hf-mirror.com`);
  const revision = revisionProblem(o.model, o.hub ?? {});
  if (revision) return usage(revision);
  const bucketUrl = o.dataset.startsWith('s3://') || isS3HttpsUrl(o.dataset) ? parseS3Url(o.dataset) : null;
  if (bucketUrl && !bucketUrl.ok) return usage(bucketUrl.reason);
  const model = chooseModel(o.model, withDefaults(o.settings).dtype);
  if (!model.ok) return model;
  const dataset = await chooseDataset(o.dataset, { endpoint: o.s3Endpoint, region: o.s3Region });
  if (!dataset.ok) return dataset;
  const labelMap = await readLabelMap(o.labelMap);
  if (!labelMap.ok) return labelMap;
  const browserPath = findBrowser(o.browser);
  if (!browserPath.ok) return browserPath;
  const out = chooseDestination('--out', o.out, { shard: o.shard, format: o.format });
  if (!out.ok) return out;
  const failuresOut = o.failures === undefined ? null : chooseDestination('--failures', o.failures, { shard: o.shard, format: o.format, base: 'failures' });
  if (failuresOut && !failuresOut.ok) return failuresOut;
  const opened = await openState(stateDir(o.state));
  if (!opened.ok) return opened;
  return { ok: true, value: { model: model.value, dataset: dataset.value, labelMap: labelMap.value, browserPath: browserPath.path, out: out.value, failuresOut: failuresOut?.ok ? failuresOut.value : null, state: opened.state } };
}

/** The browser, started while the app is checked and served (each takes a few hundred ms). */
async function openApp(root: string, browserPath: string, routes: Parameters<typeof serve>[1], state: State, headed: boolean, io: Console): Promise<{ ok: true; browser: Launched; server: Served } | { ok: false; reason: string }> {
  const launching = launch(browserPath, { headed, userDataDir: state.profile, serviceWorkers: 'block' }).then(
    (launched) => ({ ok: true as const, launched }),
    (error: unknown) => ({ ok: false as const, message: (error as Error).message }),
  );
  // Whatever stops the command before the run, the browser it started must not keep it alive.
  const closeBrowser = async () => {
    const started = await launching;
    if (started.ok) await started.launched.close();
  };
  let server: Served;
  try {
    const dist = await ensureBuilt(root, io.err);
    try {
      server = await serve(dist, routes, state.port ?? 0);
    } catch (error) {
      const busy = (error as { code?: string }).code === 'EADDRINUSE';
      await closeBrowser();
      return { ok: false, reason: busy
        ? `port ${state.port}, where the runs in ${state.dir} are served, is in use: another tench may be using that state folder (give each process its own --state)`
        : `cannot start the local server: ${(error as Error).message}` };
    }
    if (state.port === null) await state.remember(Number(new URL(server.origin).port)).catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
  } catch (error) {
    await closeBrowser();
    throw error;
  }
  const started = await launching;
  if (!started.ok) {
    await server.close();
    return { ok: false, reason: /ProcessSingleton|SingletonLock|profile.*in use/i.test(started.message)
      ? `the browser profile in ${state.dir} is in use by another tench; give each process its own --state`
      : `cannot start the browser at ${browserPath}: ${started.message.split('\n')[0]}` };
  }
  await server.admit(started.launched.context);
  return { ok: true, browser: started.launched, server };
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
  const { evaluation, failures } = await page.evaluate(([id, n]) => window.tench!.report(id, n), [run.id, 20] as const);
  io.report(evaluation, failures);
  io.err(`wrote ${written} rows to ${out.shown}${failuresOut ? ` and ${failures.total} failures to ${failuresOut.shown}` : ''}`);
  // This process's part of the run: from its start (or resumption) to its end.
  const seconds = ((run.finishedAt ?? Date.now()) - (run.startedAt ?? run.createdAt)) / 1000;
  const computed = Math.max(0, counts.written - counts.cached);
  // From this command's start (the browser shares the system clock) to the first stored row.
  const firstRowSeconds = run.firstRowAt ? (run.firstRowAt - performance.timeOrigin) / 1000 : null;
  io.summary({ images: counts.ok + counts.failed, errors: counts.failed, seconds, rate: computed / Math.max(seconds, 1e-3), computed, state: run.state, out: out.shown, resumed: counts.resumed, cached: counts.cached, repeated, firstRowSeconds });
}

async function readLabelMap(file: string | undefined): Promise<{ ok: true; value: Record<string, string> | undefined } | { ok: false; reason: string }> {
  if (file === undefined) return { ok: true, value: undefined };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, reason: `--label-map ${file}: ${(error as Error).message}` };
  }
  return parseLabelMap(text, `--label-map ${file}`);
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
  const prior = await page.evaluate(([d, m, u, s, h]) => window.tench!.latest(d, m, u, s, h), [request.dataset, request.model, !o.retryFailed, o.shard, request.hub] as const);
  if (prior) io.err(`${o.retryFailed ? 'retrying the failed images of' : 'resuming'} run ${prior.id} (${prior.state}); its own settings apply`);
  else io.err(`no ${o.retryFailed ? '' : 'unfinished '}run of this dataset${o.shard ? `, shard` : ''} and model to go on with: starting a new one`);
  return prior;
}

/** The run's rows in the page's store, as the outputs read them. */
function storedRows(page: Page, runId: string): StoredRows {
  return {
    byOrder: (after, limit) => page.evaluate(([id, a, n]) => window.tench!.rowsByOrder(id, a, n), [runId, after, limit] as const),
    standing: (path, failuresOnly) => page.evaluate(([id, p, f]) => window.tench!.standing(id, p, f), [runId, path, failuresOnly] as const),
    count: () => page.evaluate((id) => window.tench!.count(id), runId),
  };
}

function shownAll(outputs: readonly Output[]): string {
  return outputs.map((x) => x.to.shown).join(' or ');
}
