// `tench classify`: checks the inputs, serves the app, drives it in Chromium, writes the rows
// from the page's IndexedDB to --out.

import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import type { Sample } from '../datasets/sample.ts';
import type { LabelSource } from '../model/synsets.ts';
import type { Shard } from '../datasets/shard.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { RequestedDevice } from '../pipeline/runtime.ts';
import { evaluate, failuresByCause, type Evaluation, type Failures } from '../store/evaluate.ts';
import { exportFile, type ExportFormat } from '../store/export.ts';
import type { ResultRow } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import type { AutomationRequest } from '../ui/automation.ts';
import type { Dtype } from '../core/device.ts';
import { findBrowser, launch } from './browser.ts';
import { ensureBuilt } from './build.ts';
import { chooseDataset, chooseModel } from './inputs.ts';
import type { ProgressSink } from './progress.ts';
import { chooseDestination, deliver, type Destination } from './output.ts';
import { serve, type Served } from './server.ts';
import { openState, stateDir } from './state.ts';

export interface ClassifyOptions {
  dataset: string;
  maxObjectBytes?: number | null;
  maxPixels?: number | null;
  requestTimeoutMs?: number | null;
  extensions?: string[];
  sample?: Sample | null;
  labelsFrom?: LabelSource;
  /** A JSON file: { "your class name": "the model's label" }. */
  labelMap?: string;
  model: string;
  out: string;
  /** A second file with the failed images alone. */
  failures?: string;
  /** Where runs are kept between invocations; see state.ts. */
  state?: string;
  /** Go on with the newest unfinished run of this dataset and model, or start one. */
  resume: boolean;
  /** Classify again the images that failed in the newest run of this dataset and model. */
  retryFailed: boolean;
  device: RequestedDevice;
  dtype: Dtype;
  concurrency: number | null;
  batchSize: number | null;
  decoders: number | null;
  threads: number | null;
  fetchConcurrency: number | null;
  topK: number;
  limit: number | null;
  applyExifOrientation: boolean;
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
  summary(s: { images: number; errors: number; seconds: number; rate: number; state: string; out: string; resumed: number; cached: number; firstRowSeconds: number | null }): void;
}

/** Exit statuses, as the README lists them. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, cancelled: 130 });

const PAGE_READY_MS = 60_000;
const READ_PAGE = 1000;

export async function classify(root: string, o: ClassifyOptions, io: Console): Promise<number> {
  const fail = (reason: string) => {
    io.progress.stop();
    io.err(`tench: ${reason}`);
    return EXIT.failed;
  };

  const model = chooseModel(o.model);
  if (!model.ok) return fail(model.reason);
  const dataset = await chooseDataset(o.dataset, { endpoint: o.s3Endpoint, region: o.s3Region });
  if (!dataset.ok) return fail(dataset.reason);
  const labelMap = await readLabelMap(o.labelMap);
  if (!labelMap.ok) return fail(labelMap.reason);
  const browserPath = findBrowser(o.browser);
  if (!browserPath.ok) return fail(browserPath.reason);

  const out = chooseDestination('--out', o.out, { shard: o.shard, format: o.format });
  if (!out.ok) return fail(out.reason);
  const failuresOut = o.failures === undefined ? null : chooseDestination('--failures', o.failures, { shard: o.shard, format: o.format, base: 'failures' });
  if (failuresOut && !failuresOut.ok) return fail(failuresOut.reason);
  const opened = await openState(stateDir(o.state));
  if (!opened.ok) return fail(opened.reason);
  const { state } = opened;

  // The browser starts while the app is checked and served: each takes a few hundred ms.
  const launching = launch(browserPath.path, { headed: o.headed, userDataDir: state.profile, serviceWorkers: 'block' }).then(
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
      server = await serve(dist, { ...dataset.value.routes, ...model.value.routes }, state.port ?? 0);
    } catch (error) {
      const busy = (error as { code?: string }).code === 'EADDRINUSE';
      await closeBrowser();
      return fail(busy
        ? `port ${state.port}, where the runs in ${state.dir} are served, is in use: another tench may be using that state folder (give each process its own --state)`
        : `cannot start the local server: ${(error as Error).message}`);
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
    return fail(/ProcessSingleton|SingletonLock|profile.*in use/i.test(started.message)
      ? `the browser profile in ${state.dir} is in use by another tench; give each process its own --state`
      : `cannot start the browser at ${browserPath.path}: ${started.message.split('\n')[0]}`);
  }
  const browser = started.launched;

  const detach: Array<() => void> = [];
  try {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.exposeFunction('tenchProgress', (p: Progress) => io.progress.update(p));
    await page.goto(server.origin);
    try {
      await page.waitForFunction(() => document.body.dataset.ready === 'true' && !!window.tench, null, { timeout: PAGE_READY_MS });
    } catch {
      return fail(`the app did not start in the browser${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
    }

    // Ctrl-C or SIGTERM (Kubernetes stopping the pod): cancel, keep what was classified, write it.
    // A second one quits at once. SIGUSR2 or the p key pauses and resumes.
    let stopping = false;
    let paused = false;
    const cancel = (why: string) => {
      if (stopping) process.exit(EXIT.cancelled);
      stopping = true;
      io.progress.stop();
      io.err(`tench: ${why}: stopping; the images classified so far are kept`);
      void page.evaluate(() => window.tench!.cancel()).catch(() => {});
    };
    const togglePause = () => {
      paused = !paused;
      void page.evaluate((p) => (p ? window.tench!.pause() : window.tench!.resume()), paused).catch(() => {});
    };
    const onInt = () => cancel('interrupted');
    const onTerm = () => cancel('terminated');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGUSR2', togglePause);
    detach.push(() => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGUSR2', togglePause);
    });
    const offKeys = io.onKey?.((key) => {
      if (key === 'p') togglePause();
      if (key === 'q' || key === '\u0003') cancel('interrupted');
    });
    if (offKeys) detach.push(offKeys);

    const request: AutomationRequest = {
      dataset: dataset.value.spec(server.origin),
      model: model.value.input,
      device: o.device,
      dtype: o.dtype,
      sessions: o.concurrency,
      decoders: o.decoders,
      threads: o.threads,
      fetchConcurrency: o.fetchConcurrency,
      batchSize: o.batchSize,
      topK: o.topK,
      limit: o.limit,
      applyExifOrientation: o.applyExifOrientation,
      credentials: dataset.value.credentials,
      shard: o.shard,
      extensions: o.extensions,
      maxObjectBytes: o.maxObjectBytes ?? null,
      maxPixels: o.maxPixels ?? null,
      requestTimeoutMs: o.requestTimeoutMs ?? null,
      sample: o.sample ?? null,
      labelsFrom: o.labelsFrom ?? 'auto',
      labelMap: labelMap.value,
    };
    const run = await start(page, request, o, io);
    io.progress.stop();
    if ('refused' in run) return fail(run.refused);
    if (run.state === 'failed') return fail(`the run failed: ${run.error ?? 'no reason given'}`);

    const rows = await readAll(page, run.id);
    const problem = await deliver(out.value, exportFile(rows, out.value.format), s3Options(o))
      ?? (failuresOut?.ok ? await deliver(failuresOut.value, exportFile(rows, failuresOut.value.format, 'failures'), s3Options(o)) : null);
    if (problem) return fail(`cannot write ${where(problem, out.value, failuresOut?.ok ? failuresOut.value : null)}`);
    const seconds = ((run.finishedAt ?? Date.now()) - run.createdAt) / 1000;
    const errors = rows.filter((r) => r.error !== null).length;
    io.err(`run ${run.id}${o.shard ? ` (shard ${o.shard.index} of ${o.shard.count})` : ''}; device: ${run.runtime?.device}, dtype: ${run.runtime?.dtype}; ${run.runtime?.reason}`);
    if (run.counts && (run.counts.resumed || run.counts.cached)) {
      io.err(`${run.counts.resumed} rows were already stored by this run, ${run.counts.cached} taken from earlier runs of the same images and model`);
    }
    io.report(evaluate(rows), failuresByCause(rows, 20));
    io.err(`wrote ${rows.length} rows to ${out.value.shown}${failuresOut?.ok ? ` and ${errors} failures to ${failuresOut.value.shown}` : ''}`);
    // From this command's start (the browser shares the system clock) to the first stored row.
    const firstRowSeconds = run.firstRowAt ? (run.firstRowAt - performance.timeOrigin) / 1000 : null;
    io.summary({ images: rows.length, errors, seconds, rate: rows.length / Math.max(seconds, 1e-3), state: run.state, out: out.value.shown, resumed: run.counts?.resumed ?? 0, cached: run.counts?.cached ?? 0, firstRowSeconds });
    return run.state === 'cancelled' ? EXIT.cancelled : EXIT.ok;
  } finally {
    for (const d of detach) d();
    await browser.close();
    await server.close();
  }
}

async function readLabelMap(file: string | undefined): Promise<{ ok: true; value: Record<string, string> | undefined } | { ok: false; reason: string }> {
  if (file === undefined) return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { ok: false, reason: `--label-map ${file}: ${error instanceof SyntaxError ? 'not JSON' : (error as Error).message}` };
  }
  const entries = value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
  if (!entries || entries.some(([, v]) => typeof v !== 'string')) return { ok: false, reason: `--label-map ${file}: give a JSON object of class name to model label, such as {"cats": "tabby, tabby cat"}` };
  return { ok: true, value: Object.fromEntries(entries) as Record<string, string> };
}

function s3Options(o: ClassifyOptions) {
  return { endpoint: o.s3Endpoint, region: o.s3Region };
}

function where(problem: string, out: Destination, failures: Destination | null): string {
  return `${failures ? `${out.shown} or ${failures.shown}` : out.shown}: ${problem}`;
}

/** A new run, or (--resume, --retry-failed) the stored one it goes on with. */
async function start(page: Page, request: AutomationRequest, o: ClassifyOptions, io: Console): Promise<RunRecord | { refused: string }> {
  if (o.resume || o.retryFailed) {
    const prior = await page.evaluate(([d, m, u, s]) => window.tench!.latest(d, m, u, s), [request.dataset, request.model, !o.retryFailed, o.shard] as const);
    if (prior) {
      io.err(`${o.retryFailed ? 'retrying the failed images of' : 'resuming'} run ${prior.id} (${prior.state}); its own settings apply`);
      return page.evaluate(([id, retry, c]) => window.tench!.continue(id, retry, c), [prior.id, o.retryFailed ? 'failed' : 'missing', request.credentials] as const);
    }
    io.err(`no ${o.retryFailed ? '' : 'unfinished '}run of this dataset${o.shard ? `, shard` : ''} and model to go on with: starting a new one`);
  }
  return page.evaluate((r) => window.tench!.run(r), request);
}

/** The run's rows out of IndexedDB in listing order, a page at a time. */
async function readAll(page: Page, runId: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  let after = -1;
  for (;;) {
    const got: ResultRow[] = await page.evaluate(([id, a, n]) => window.tench!.rows(id, a, n), [runId, after, READ_PAGE] as const);
    rows.push(...got);
    if (got.length < READ_PAGE) return rows;
    after = got[got.length - 1]!.seq;
  }
}
