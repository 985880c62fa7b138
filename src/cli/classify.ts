// `tench classify`: checks the inputs, serves the app, drives it in Chromium, writes the rows
// from the page's IndexedDB to --out.

import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import type { Page } from 'playwright-core';
import type { Progress } from '../pipeline/progress.ts';
import type { RequestedDevice } from '../pipeline/runtime.ts';
import { jsonlLine, toExportRecord } from '../store/export.ts';
import type { ResultRow } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import type { AutomationRequest } from '../ui/automation.ts';
import type { Dtype } from '../../workers/infer/api.ts';
import { findBrowser, launch } from './browser.ts';
import { ensureBuilt } from './build.ts';
import { chooseDataset, chooseModel } from './inputs.ts';
import type { ProgressSink } from './progress.ts';
import { serve } from './server.ts';

export interface ClassifyOptions {
  dataset: string;
  model: string;
  out: string;
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
}

export interface Console {
  out(line: string): void;
  err(line: string): void;
  progress: ProgressSink;
  /** Keys pressed at the terminal, if it is one: p pauses and resumes, q cancels. */
  onKey?(handler: (key: string) => void): () => void;
  /** The final line, as text or (--json) as an object. */
  summary(s: { images: number; errors: number; seconds: number; rate: number; state: string; out: string }): void;
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
  const browserPath = findBrowser(o.browser);
  if (!browserPath.ok) return fail(browserPath.reason);

  const outPath = resolve(o.out);
  try {
    await mkdir(dirname(outPath), { recursive: true });
  } catch (error) {
    return fail(`cannot create the folder for ${o.out}: ${(error as Error).message}`);
  }

  const dist = await ensureBuilt(root, io.err);
  const server = await serve(dist, { ...dataset.value.routes, ...model.value.routes });
  let browser;
  try {
    browser = await launch(browserPath.path, { headed: o.headed });
  } catch (error) {
    await server.close();
    return fail(`cannot start the browser at ${browserPath.path}: ${(error as Error).message.split('\n')[0]}`);
  }

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
    };
    const run = await page.evaluate((r) => window.tench!.run(r), request);
    io.progress.stop();
    if (run.state === 'failed') return fail(`the run failed: ${run.error ?? 'no reason given'}`);

    const written = await writeRows(page, run, outPath);
    const seconds = ((run.finishedAt ?? Date.now()) - run.createdAt) / 1000;
    io.err(`device: ${run.runtime?.device}, dtype: ${run.runtime?.dtype}; ${run.runtime?.reason}`);
    io.err(`wrote ${written} rows to ${o.out}`);
    io.summary({ images: written, errors: run.counts?.failed ?? 0, seconds, rate: written / Math.max(seconds, 1e-3), state: run.state, out: o.out });
    return run.state === 'cancelled' ? EXIT.cancelled : EXIT.ok;
  } finally {
    for (const d of detach) d();
    await browser.close();
    await server.close();
  }
}

/** Streams the run's rows out of IndexedDB in listing order, a page at a time. */
async function writeRows(page: Page, run: RunRecord, outPath: string): Promise<number> {
  const out = createWriteStream(outPath);
  let after = -1;
  let written = 0;
  for (;;) {
    const rows: ResultRow[] = await page.evaluate(([id, a, n]) => window.tench!.rows(id, a, n), [run.id, after, READ_PAGE] as const);
    for (const row of rows) {
      if (!out.write(jsonlLine(toExportRecord(row)))) await once(out, 'drain');
    }
    written += rows.length;
    if (rows.length < READ_PAGE) break;
    after = rows[rows.length - 1]!.seq;
  }
  out.end();
  await once(out, 'finish');
  return written;
}
