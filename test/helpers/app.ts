// The built app, served as the CLI serves it, open in headless Chromium.

import type { BrowserContext, Page } from 'playwright-core';
import { findBrowser, launch } from '../../src/cli/browser.ts';
import { ensureBuilt } from '../../src/cli/build.ts';
import { serve } from '../../src/cli/server.ts';
import { DATA_MANIFEST, type RouteOptions } from '../../src/server/routes.ts';
import type { RunRecord } from '../../src/store/runs.ts';
import type { AutomationRequest } from '../../src/page-protocol.ts';
import { ROOT } from './paths.ts';

export interface OpenApp {
  page: Page;
  context: BrowserContext;
  origin: string;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * With `userDataDir` and `port`, a second openApp sees the first one's IndexedDB (same profile, same
 * origin). With `dist`, that folder is served instead of the app built from the sources.
 */
export async function openApp(routes: RouteOptions = {}, options: { userDataDir?: string; port?: number; dist?: string } = {}): Promise<OpenApp> {
  const dist = options.dist ?? await ensureBuilt(ROOT, () => {});
  const server = await serve(dist, routes, options.port ?? 0);
  const browser = findBrowser();
  if (!browser.ok) throw new Error(browser.reason);
  const launched = await launch(browser.path, options);
  await server.admit(launched.context);
  // The Hub is out of reach, as on the machines these tests run on, even where it is not: the page
  // would make the real model its default. A test that wants it routes it again (later routes win).
  await launched.context.route(/^https:\/\/huggingface\.co\//, (route) => route.abort('internetdisconnected'));
  const page = await launched.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // The first screen asks the Hub whether it is online; that refused request is no error of the page.
    if (m.type() === 'error' && !m.location().url.startsWith('https://huggingface.co/')) errors.push(m.text());
  });
  await page.goto(server.origin);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  return {
    page,
    context: launched.context,
    origin: server.origin,
    errors,
    async close() {
      await launched.close();
      await server.close();
    },
  };
}

/** The bundled tiny model on WASM, over a list the app's server serves: what most page tests run. */
export const TINY_RUN = Object.freeze({
  model: 'tench-local/tench-tiny-vit',
  device: 'wasm' as const,
  dtype: 'fp32' as const,
  sessions: 2,
  decoders: null,
  batchSize: 3,
  topK: 3,
  limit: null,
});

/** Runs a job in the page over `list` (a path on the app's origin) and returns its record. */
export function runTiny(app: OpenApp, settings: Partial<Omit<AutomationRequest, 'dataset'>> = {}, list = DATA_MANIFEST): Promise<RunRecord> {
  return app.page.evaluate(([s, path]) => window.tench!.run({ ...s, dataset: { kind: 'manifest', url: `${location.origin}${path}` } }), [{ ...TINY_RUN, ...settings }, list] as const);
}

/** Fills the model part of the form, presses Run, and waits for the run the page lists next. */
export async function runFromForm(page: Page, model = 'tench-local/tench-tiny-vit'): Promise<RunRecord> {
  const before = (await page.evaluate(() => window.tench!.runs())).length;
  await page.fill('input[name=model]', model);
  await page.selectOption('select[name=device]', 'wasm');
  await page.click('button[type=submit]');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const runs = await page.evaluate(() => window.tench!.runs());
    const run = runs.length > before && runs[0]!.state !== 'running' ? runs[0]! : null;
    // Ended in the store; over once the page shows it (its views are read back from the store).
    if (run && (await page.evaluate(() => document.body.dataset.shownRun)) === run.id) return run;
    if (Date.now() > deadline) throw new Error('the run did not end');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Everything the origin keeps in IndexedDB and Web Storage, as text: for asserting what is never stored. */
export function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })];
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => ok(open.result);
        open.onerror = () => fail(open.error);
      });
      for (const store of db.objectStoreNames) {
        const all = await new Promise<unknown[]>((ok, fail) => {
          const get = db.transaction(store).objectStore(store).getAll();
          get.onsuccess = () => ok(get.result);
          get.onerror = () => fail(get.error);
        });
        parts.push(JSON.stringify(all));
      }
      db.close();
    }
    return parts.join('\n');
  });
}

/** The Cookie header the page tench opened sends: what a test in Node needs to be that page. */
export async function keyCookie(served: { entry(path: string): string }): Promise<string> {
  const response = await fetch(served.entry('/'), { redirect: 'manual' });
  const set = response.headers.get('set-cookie');
  if (response.status !== 303 || !set) throw new Error(`the entry URL answered ${response.status} without a cookie`);
  return set.split(';')[0]!;
}

/** The Cookie header the page of an open app sends to its server, for a test's own requests in Node. */
export async function pageCookie(app: Pick<OpenApp, 'context' | 'origin'>): Promise<string> {
  return (await app.context.cookies(app.origin)).map((c) => `${c.name}=${c.value}`).join('; ');
}

/** The first screen's model controls, read afresh from the app's page each time (a reload replaces them). */
export function modelControls(app: () => OpenApp) {
  const page = () => app().page;
  return {
    page,
    offer: () => page().getByTestId('model-offer'),
    model: () => page().getByLabel('Model', { exact: true }),
    async reload() {
      await page().reload();
      await page().waitForFunction(() => document.body.dataset.ready === 'true');
    },
  };
}
