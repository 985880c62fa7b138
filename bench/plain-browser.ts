// The bench page in a browser that no automation is attached to, as a user's browser runs it.
// Playwright enables DevTools' Network domain on every page and worker it drives, and Blink then
// keeps a copy of each response body for the inspector, up to 200 MB per page or worker: memory
// of the harness, not of tench. The page runs one bench call by itself (bench.html?call=...) and
// posts the outcome back here.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Served } from '../src/cli/server.ts';
import { CHROMIUM_ARGS, sandboxArgs } from '../src/cli/browser.ts';
import type { Bench } from './bench-page.ts';

type Outcome = { ok: true; result: unknown } | { ok: false; reason: string };

const PROFILES = join(tmpdir(), `tench-bench-profiles-${process.pid}`);

/** Every profile the bench's browsers left, once they are all closed. */
export function removeProfiles(): void {
  rmSync(PROFILES, { recursive: true, force: true, maxRetries: 5 });
}

const waiting = new Map<string, (outcome: Outcome) => void>();
const marks = new Map<string, (done: number) => void>();
const REPORT_PATH = '/bench/report';
const REPORT_WITHIN_MS = 30 * 60_000;

/** The server's end of the page's report: a route ahead of the app's (src/cli/server.ts). */
export function reportRoute(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const url = new URL(req.url ?? '', 'http://bench');
  if (url.pathname !== REPORT_PATH) return next();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const token = url.searchParams.get('token') ?? '';
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (url.searchParams.get('mark')) marks.get(token)?.((body as { done: number }).done);
    else waiting.get(token)?.(body as Outcome);
    res.end('ok');
  });
}

/**
 * Runs one bench call in a fresh browser. `onMark` hears the page say that its run has reached
 * steady state (the scenario's markAt), so that the caller can start its CPU count there.
 */
export async function plainCall<K extends keyof Bench>(browserPath: string, server: Served, name: K, arg: Parameters<Bench[K]>[0], onMark?: (done: number) => void): Promise<Awaited<ReturnType<Bench[K]>>> {
  const token = randomUUID();
  if (onMark) marks.set(token, onMark);
  mkdirSync(PROFILES, { recursive: true });
  const profile = mkdtempSync(join(PROFILES, 'profile-'));
  const query = new URLSearchParams({ call: name, arg: JSON.stringify(arg), report: `${server.origin}${REPORT_PATH}?token=${token}` });
  const child = spawn(browserPath, [...CHROMIUM_ARGS, ...sandboxArgs(process.getuid?.()).args, '--headless', `--user-data-dir=${profile}`, server.entry(`/bench/bench.html?${query}`)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const outcome = await new Promise<Outcome>((resolve, reject) => {
      waiting.set(token, resolve);
      child.once('error', reject);
      void exited.then(() => reject(new Error(`the browser exited before the page reported (${name})`)));
      // A page that never loads (a build error, say) says nothing at all.
      setTimeout(() => reject(new Error(`the page did not report ${name} within ${REPORT_WITHIN_MS / 60_000} minutes`)), REPORT_WITHIN_MS).unref();
    });
    if (!outcome.ok) throw new Error(outcome.reason);
    return outcome.result as Awaited<ReturnType<Bench[K]>>;
  } finally {
    waiting.delete(token);
    marks.delete(token);
    child.kill();
    await exited;
    try {
      rmSync(profile, { recursive: true, force: true });
    } catch {
      // Its helper processes may still be writing to it as the main one exits: removeProfiles().
    }
  }
}
