// A Hub id through a mirror in the Hub's layout (HF_ENDPOINT in the CLI, the Hub field in the page),
// at a revision, with a token that goes to the mirror alone and is kept nowhere; then again with
// the mirror stopped: the model comes from the browser's caches.

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, storedText, type OpenApp } from '../helpers/app.ts';
import { freshState, readJsonl, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { startHubMirror, type HubMirror } from '../helpers/hub-mirror.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));
const REPO = 'tench-test/tiny-vit';
const REVISION = 'v1';
const TOKEN = 'hf_tenchTestToken0123456789';

/** The samples under another folder: other paths, so a run computes them rather than reuse rows. */
function samplesAt(): string {
  const dir = tempDir();
  cpSync(SAMPLES, dir, { recursive: true });
  return dir;
}

function expectReferenceLabels(rows: Array<{ path: string; label: string | null }>): void {
  expect(rows).toHaveLength(reference.size);
  for (const row of rows) expect(row.label, row.path).toBe(reference.get(row.path.split('/').pop()!)!.top_k[0]!.label);
}

/**
 * What reached the mirror: the model's files at the revision, each with the token. (The page also
 * asks the hub it is given for the suggested model's size, a HEAD that needs no token.)
 */
function expectMirrored(mirror: HubMirror): void {
  const model = mirror.requests.filter((r) => r.path.startsWith(`/${REPO}/`));
  const paths = new Set(model.map((r) => r.path));
  for (const file of ['config.json', 'preprocessor_config.json', 'onnx/model.onnx']) expect([...paths]).toContain(`/${REPO}/resolve/${REVISION}/${file}`);
  expect(model.every((r) => r.authorization === `Bearer ${TOKEN}`), JSON.stringify(mirror.requests)).toBe(true);
  expect(mirror.requests.filter((r) => !r.path.startsWith(`/${REPO}/`)).every((r) => r.method === 'HEAD' && r.authorization === null), JSON.stringify(mirror.requests)).toBe(true);
}

describe('a Hub model through a mirror', () => {
  it('in the CLI: HF_ENDPOINT, --revision and HF_TOKEN, then from the cache with the mirror stopped', async () => {
    const mirror = await startHubMirror(TINY_MODEL, REPO, REVISION);
    const env = { HF_ENDPOINT: mirror.endpoint, HF_TOKEN: TOKEN, TENCH_STATE: freshState(), HF_HUB_CACHE: tempDir('tench-hf-') };
    const out = tempDir();
    try {
      const first = await runCli(['classify', samplesAt(), '--model', REPO, '--revision', REVISION, '--out', join(out, 'first.jsonl')], env);
      expect(first.code, first.stderr).toBe(0);
      expectReferenceLabels(readJsonl(join(out, 'first.jsonl')));
      expectMirrored(mirror);
      expect(first.stdout + first.stderr).not.toContain(TOKEN);
    } finally {
      await mirror.close();
    }
    const second = await runCli(['classify', samplesAt(), '--model', REPO, '--revision', REVISION, '--out', join(out, 'second.jsonl')], env);
    expect(second.code, second.stderr).toBe(0);
    expectReferenceLabels(readJsonl(join(out, 'second.jsonl')));
  });

  it('says HF_ENDPOINT is not a URL, in one sentence', async () => {
    const r = await runCli(['classify', SAMPLES, '--model', REPO, '--out', join(tempDir(), 'x.jsonl')], { HF_ENDPOINT: 'hf-mirror.com' });
    // A setting given wrong, as a bad flag value is.
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('tench: HF_ENDPOINT hf-mirror.com is not an http(s) URL, such as https://hf-mirror.com');
  });

  describe('in the page', () => {
    let app: OpenApp;
    let mirror: HubMirror;
    beforeAll(async () => {
      mirror = await startHubMirror(TINY_MODEL, REPO, REVISION);
      app = await openApp({ dataDir: samplesAt() });
    });
    afterAll(async () => {
      await app?.close();
      await mirror?.close();
    });

    it('reads the model through the Hub field, at a revision, with the token kept nowhere; then from the cache', async () => {
      const page = app.page;
      await page.getByLabel('Model', { exact: true }).fill(REPO);
      await page.locator('details.hub summary').click();
      await page.getByLabel('Hub', { exact: true }).fill(mirror.endpoint);
      await page.getByLabel('Revision', { exact: true }).fill(REVISION);
      await page.getByLabel('Hub token', { exact: true }).fill(TOKEN);
      const first = await runFromForm(page, REPO);
      expect(first.state, first.error ?? '').toBe('done');
      expectReferenceLabels(await page.evaluate((id) => window.tench!.rows(id, -1, 1000), first.id));
      expectMirrored(mirror);
      const kept = (await storedText(page)) + (await page.evaluate(() => JSON.stringify({ ...localStorage })));
      expect(kept).toContain(mirror.endpoint);
      expect(kept).not.toContain(TOKEN);

      await mirror.close();
      await page.selectOption('select[name=kind]', 'manifest');
      await page.fill('input[name=manifest]', `${app.origin}/data/manifest.jsonl`);
      const second = await runFromForm(page, REPO);
      expect(second.state, second.error ?? '').toBe('done');
      expectReferenceLabels(await page.evaluate((id) => window.tench!.rows(id, -1, 1000), second.id));
    });
  });

  it('in the page, downloads the weights once for all its sessions', async () => {
    const mirror = await startHubMirror(TINY_MODEL, REPO, REVISION);
    const app = await openApp();
    try {
      const run = await app.page.evaluate(([model, endpoint, revision]) => window.tench!.run({
        dataset: { kind: 'manifest', url: `${location.origin}/samples/manifest.txt` }, model, hub: { endpoint, revision },
        device: 'wasm', dtype: 'fp32', sessions: 3, decoders: null, batchSize: 2, topK: 5, limit: null,
      }), [REPO, mirror.endpoint, REVISION] as const);
      expect(run.state, run.error ?? '').toBe('done');
      expect(run.settings?.sessions).toBe(3);
      // Whole downloads: transformers.js may also ask for a file's first byte, to learn its size.
      const weights = mirror.requests.filter((r) => r.method === 'GET' && !r.range && r.path === `/${REPO}/resolve/${REVISION}/onnx/model.onnx`);
      expect(weights).toHaveLength(1);
    } finally {
      await app.close();
      await mirror.close();
    }
  });

  it('in the installed app offline, with the model used once online', async () => {
    const mirror = await startHubMirror(TINY_MODEL, REPO, REVISION);
    const app = await openApp();
    try {
      const page = app.page;
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
      const online = await page.evaluate(([model, endpoint, revision, token]) => window.tench!.run({
        dataset: { kind: 'manifest', url: `${location.origin}/samples/manifest.txt` }, model, hub: { endpoint, revision }, hubToken: { endpoint, token },
        device: 'wasm', dtype: 'fp32', sessions: 1, decoders: null, batchSize: 4, topK: 5, limit: null,
      }), [REPO, mirror.endpoint, REVISION, TOKEN] as const);
      expect(online.state, online.error ?? '').toBe('done');
      expectMirrored(mirror);

      await app.context.setOffline(true);
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
      // The same images as a folder picked in the page: a new dataset, so every image is computed.
      await page.selectOption('select[name=kind]', 'folder');
      await page.locator('input[name=folder]').setInputFiles(samplesAt());
      await page.locator('details.hub summary').click();
      await page.getByLabel('Hub', { exact: true }).fill(mirror.endpoint);
      await page.getByLabel('Revision', { exact: true }).fill(REVISION);
      const offline = await runFromForm(page, REPO);
      expect(offline.state, offline.error ?? '').toBe('done');
      expect(offline.counts).toMatchObject({ written: reference.size, cached: 0 });
      expectReferenceLabels(await page.evaluate((id) => window.tench!.rows(id, -1, 1000), offline.id));
    } finally {
      await app.context.setOffline(false);
      await app.close();
      await mirror.close();
    }
  });
});
