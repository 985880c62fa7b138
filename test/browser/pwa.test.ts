// tench as an installable app: its manifest and icons, a service worker that controls the page,
// a run with the network gone (the context offline, so the service worker's own fetches fail
// too), and the prompt that announces a new version.

import { decode } from 'fast-png';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../src/cli/build.ts';
import type { ResultRow } from '../../src/store/results.ts';
import { openApp, pageCookie, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { ROOT, SAMPLES } from '../helpers/paths.ts';

const READY_MS = 60_000;
const RUN_MS = 120_000;

const SAMPLE_IMAGES = readFileSync(join(SAMPLES, 'manifest.txt'), 'utf8').split('\n').filter(Boolean);

interface Manifest {
  name?: string;
  short_name?: string;
  description?: string;
  start_url?: string;
  scope?: string;
  display?: string;
  theme_color?: string;
  background_color?: string;
  icons?: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
}

async function waitReady(app: OpenApp): Promise<void> {
  await app.page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: READY_MS });
}

/** Resolves once a service worker is active and controls the page (it claims the first visit). */
async function waitControlled(app: OpenApp): Promise<string> {
  await app.page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await app.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: READY_MS });
  return app.page.evaluate(() => navigator.serviceWorker.controller!.scriptURL);
}

const labelsByPath = (rows: ResultRow[]) => Object.fromEntries(rows.map((r) => [r.path, r.label]));

describe('tench as an installable app that works offline', () => {
  let app: OpenApp;

  beforeAll(async () => {
    app = await openApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('links a valid web app manifest whose icons are PNGs of the stated sizes', async () => {
    const href = await app.page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel=manifest]')?.href ?? null);
    expect(href).toBe(`${app.origin}/manifest.webmanifest`);
    // As the page asks: the app's server answers only requests with its key.
    const headers = { cookie: await pageCookie(app) };
    const response = await fetch(href!, { headers });
    expect(response.status).toBe(200);
    const manifest = await response.json() as Manifest;
    expect(manifest).toMatchObject({ name: 'tench', short_name: 'tench', start_url: '/', scope: '/', display: 'standalone' });
    expect(manifest.description).toMatch(/\w/);
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    const icons = manifest.icons ?? [];
    const any = icons.filter((i) => (i.purpose ?? 'any').split(' ').includes('any')).map((i) => i.sizes);
    expect(any).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(icons.some((i) => i.purpose?.split(' ').includes('maskable'))).toBe(true);
    for (const icon of icons) {
      const file = await fetch(new URL(icon.src, href!), { headers });
      expect(file.status, icon.src).toBe(200);
      expect(file.headers.get('content-type'), icon.src).toBe('image/png');
      expect(icon.type).toBe('image/png');
      const png = decode(new Uint8Array(await file.arrayBuffer()));
      expect(`${png.width}x${png.height}`, icon.src).toBe(icon.sizes);
    }
  });

  it('controls the page after a reload, which stays cross-origin isolated', async () => {
    await app.page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await app.page.reload();
    await waitReady(app);
    const state = await app.page.evaluate(() => ({
      controller: navigator.serviceWorker.controller?.scriptURL ?? null,
      isolated: self.crossOriginIsolated,
    }));
    expect(state).toEqual({ controller: `${app.origin}/sw.js`, isolated: true });
    expect(app.errors).toEqual([]);
  });

  it('classifies a local folder offline with the model used once online, with the same labels', async () => {
    await waitControlled(app);
    // Online, through the service worker: the bundled model's files and the samples are kept.
    const online = await app.page.evaluate(() => window.tench!.run({
      dataset: { kind: 'manifest', url: `${location.origin}/samples/manifest.txt` },
      model: 'tench-tiny-vit', device: 'wasm', dtype: 'fp32', sessions: 1, decoders: null, batchSize: 4, topK: 5, limit: null,
    }));
    expect(online.state, online.error ?? '').toBe('done');
    const expected = labelsByPath(await app.page.evaluate((id) => window.tench!.rows(id), online.id));
    // Installed with the app: ONNX Runtime's CPU build; its WebGPU build only once used.
    const precached = await app.page.evaluate(async () => {
      const name = (await caches.keys()).find((k) => k.startsWith('workbox-precache'))!;
      return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
    });
    expect(precached.some((p) => /^\/assets\/ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(p))).toBe(true);
    expect(precached.filter((p) => p.includes('asyncify'))).toEqual([]);
    expect(Object.keys(expected).sort()).toEqual([...SAMPLE_IMAGES].sort());

    await app.context.setOffline(true);
    await app.page.reload();
    await waitReady(app);
    // Chromium 150 keeps the network cut for the reloaded page but no longer tells its new
    // document's navigator.onLine; setting it again makes the browser say so, as it says to a
    // page whose network goes away.
    if (await app.page.evaluate(() => navigator.onLine)) {
      await app.context.setOffline(false);
      await app.context.setOffline(true);
    }
    const notice = app.page.getByTestId('offline-notice');
    await expect(notice.isVisible()).resolves.toBe(true);
    await expect(notice.textContent()).resolves.toMatch(/offline.*Folders on this computer.*bundled sample images.*models already used once.*S3 buckets/);
    await expect(app.page.evaluate(() => self.crossOriginIsolated)).resolves.toBe(true);

    // The same images as a folder picked in the page: a new dataset, so every image is computed.
    const folder = tempDir('tench-offline-');
    cpSync(SAMPLES, folder, { recursive: true });
    await app.page.locator('select[name=kind]').selectOption('folder');
    await app.page.locator('input[name=folder]').setInputFiles(folder);
    await app.page.locator('select[name=device]').selectOption('wasm');
    await app.page.getByRole('button', { name: 'Run', exact: true }).click();
    // The Run button is enabled again when the run ended; the message then names the new run.
    await app.page.waitForFunction((before) => {
      const message = document.querySelector('.message')?.textContent ?? '';
      const running = document.querySelector<HTMLButtonElement>('form.run-form button.primary')!.disabled;
      return !running && !message.startsWith('Starting') && !message.includes(before);
    }, online.id, { timeout: RUN_MS });
    const run = (await app.page.evaluate(() => window.tench!.runs()))[0]!;
    expect(run.id).not.toBe(online.id);
    expect(run.state, `${run.error ?? ''} ${await app.page.locator('.message').textContent()}`).toBe('done');
    expect(run.dataset.kind).toBe('folder');
    expect(run.counts).toMatchObject({ written: SAMPLE_IMAGES.length, ok: SAMPLE_IMAGES.length, failed: 0, cached: 0 });
    const rows = await app.page.evaluate((id) => window.tench!.rows(id), run.id);
    expect(rows).toHaveLength(SAMPLE_IMAGES.length);
    for (const row of rows) expect(row.error, row.path).toBeNull();
    expect(labelsByPath(rows)).toEqual(expected);
    console.log(`offline run ${run.id}: ${rows.length} rows, ${rows.filter((r) => r.label === expected[r.path]).length} labels equal to the online run's`);
    expect(app.errors).toEqual([]);

    // The service worker's own fetches were offline too, so all of the above came from its caches:
    // a model file never used is not there.
    const unused = await app.page.evaluate(() => fetch('/models/tench-tiny-vit/onnx/model_fp16.onnx').then((r) => `status ${r.status}`, (e: Error) => e.name));
    expect(unused).toBe('TypeError');

    await app.context.setOffline(false);
    await notice.waitFor({ state: 'hidden', timeout: READY_MS });
  });
});

describe('a new version of the app', () => {
  let app: OpenApp;
  let dist: string;

  beforeAll(async () => {
    // A copy of the build, so that its service worker can change under the open page.
    dist = tempDir('tench-dist-');
    cpSync(await ensureBuilt(ROOT, () => {}), dist, { recursive: true });
    app = await openApp({}, { dist });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('waits for the Reload in the banner, then takes over', async () => {
    const first = await waitControlled(app);
    expect(await app.page.getByTestId('update-prompt').count()).toBe(0);
    // The next version: another index.html. Same length, as the server keeps each file's size from its start.
    const sw = join(dist, 'sw.js');
    const next = readFileSync(sw, 'utf8').replace(/("?url"?:\s*"index\.html",\s*"?revision"?:\s*")[0-9a-f]{32}"/, `$1${'f'.repeat(32)}"`);
    expect(next).not.toBe(readFileSync(sw, 'utf8'));
    writeFileSync(sw, next);
    // The server computes ETags when it starts: revalidating its cached sw.js, the browser would get a 304.
    await (await app.context.newCDPSession(app.page)).send('Network.clearBrowserCache');
    await app.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r!.update()));
    const banner = app.page.getByTestId('update-prompt');
    await banner.waitFor({ timeout: READY_MS });
    await expect(banner.textContent()).resolves.toMatch(/^A new version of tench is ready — Reload/);
    // Waiting, not in control: the page still runs the version it loaded.
    const waiting = await app.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r!.waiting !== null));
    expect(waiting).toBe(true);

    await Promise.all([app.page.waitForEvent('load', { timeout: READY_MS }), banner.getByRole('button', { name: 'Reload' }).click()]);
    await waitReady(app);
    const after = await app.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => ({
      waiting: r!.waiting !== null,
      controller: navigator.serviceWorker.controller?.scriptURL ?? null,
      banner: document.querySelector('[data-testid=update-prompt]') !== null,
    })));
    expect(after).toEqual({ waiting: false, controller: first, banner: false });
    expect(app.errors).toEqual([]);
  });
});
