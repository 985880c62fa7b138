// A first run that makes sense: the first screen says the bundled model is a random-weight demo
// and offers the real one with its download size (the default once the Hub answers), or says the
// Hub cannot be reached; the run shows the model loading, in bytes, then a bar that moves back
// and forth until the listing's end is known; one control picks a folder; the form keeps what was typed across a reload, never a key.

import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelControls, openApp, runFromForm, storedText, type OpenApp } from '../helpers/app.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const REAL = 'google/vit-base-patch16-224';
/** Where the page asks the Hub for the real model's size: its ONNX export's fp32 weights. */
const REAL_WEIGHTS = 'https://huggingface.co/Xenova/vit-base-patch16-224/resolve/main/onnx/model.onnx';

describe('the first run', () => {
  let app: OpenApp;
  // A list that comes in two halves, two seconds apart: the run starts before its end is known.
  let slowList: Server;
  let slowListUrl: string;

  beforeAll(async () => {
    app = await openApp({ modelDir: TINY_MODEL });
    const names = readFileSync(join(SAMPLES, 'manifest.txt'), 'utf8').split('\n').filter(Boolean);
    slowList = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
      const lines = names.map((n) => `${app.origin}/samples/${n}\n`);
      res.write(lines.slice(0, 6).join(''));
      setTimeout(() => res.end(lines.slice(6).join('')), 2000);
    });
    await new Promise<void>((ready) => slowList.listen(0, '127.0.0.1', ready));
    slowListUrl = `http://127.0.0.1:${(slowList.address() as AddressInfo).port}/list.txt`;
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((done) => slowList?.close(done));
  });

  const { page, offer, model, reload } = modelControls(() => app);

  it('says the bundled model runs offline and the Hub cannot be reached, and offers the real one anyway', async () => {
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
    // openApp keeps the Hub out of reach: no download is offered as if it could start
    // (page-offline-hub.test.ts has the sentences; the size offered once the Hub answers is below).
    await expect.poll(() => offer().getAttribute('data-hub'), { timeout: 10_000 }).toBe('unreachable');
    const text = (await offer().textContent())!;
    expect(text).toMatch(/^The Hugging Face Hub \(huggingface\.co\) cannot be reached from here, so ViT-B\/16 cannot be downloaded: the bundled demo model runs offline \(random weights: its labels mean nothing\)\. /);
    expect(text).not.toContain('a download of');

    await offer().getByRole('button', { name: 'Try ViT-B/16 anyway' }).click();
    await expect(model().inputValue()).resolves.toBe(REAL);
    await expect(offer().textContent()).resolves.toMatch(/^ViT-B\/16 comes from the Hugging Face Hub \(huggingface\.co\), which cannot be reached from here.* Use the bundled demo model/);
    await offer().getByRole('button', { name: 'Use the bundled demo model' }).click();
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
  });

  it('makes the real model the default when the Hub answers, with the size it gives', async () => {
    const size = 346_351_599;
    const asked: string[] = [];
    await page().route(REAL_WEIGHTS, (route) => {
      asked.push(`${route.request().method()} ${route.request().url()}`);
      return route.fulfill({ status: 200, headers: { 'content-length': String(size), 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length' }, body: '' });
    });
    try {
      await page().evaluate(() => localStorage.clear());
      await reload();
      // Another field changed and remembered: the model, left alone, still follows its default.
      await page().getByLabel('Top-k', { exact: true }).fill('4');
      await reload();
      await expect.poll(() => model().inputValue()).toBe(REAL);
      await expect(page().getByLabel('Top-k', { exact: true }).inputValue()).resolves.toBe('4');
      expect(asked).toEqual([`HEAD ${REAL_WEIGHTS}`, `HEAD ${REAL_WEIGHTS}`]);
      await expect(offer().textContent()).resolves.toContain('a download of 346 MB the first time');
    } finally {
      await page().unroute(REAL_WEIGHTS);
    }
    // A model the user chose stays theirs, Hub or no Hub.
    await model().fill('tench-tiny-vit');
    await reload();
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
  });

  it('keeps what was typed across a reload, never the keys', async () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    await page().selectOption('select[name=kind]', 's3');
    await page().fill('input[name=s3]', 's3://photos/2026/');
    await page().fill('input[name=endpoint]', 'http://127.0.0.1:9000');
    await page().fill('input[name=accessKeyId]', 'AKIAIOSFODNN7EXAMPLE');
    await page().fill('input[name=secretAccessKey]', secret);
    await page().fill('input[name=sessionToken]', `token-${secret}`);
    await page().getByLabel('Top-k', { exact: true }).fill('3');
    await reload();
    await expect(page().locator('select[name=kind]').inputValue()).resolves.toBe('s3');
    await expect(page().locator('input[name=s3]').inputValue()).resolves.toBe('s3://photos/2026/');
    await expect(page().locator('input[name=endpoint]').inputValue()).resolves.toBe('http://127.0.0.1:9000');
    await expect(page().getByLabel('Top-k', { exact: true }).inputValue()).resolves.toBe('3');
    for (const name of ['accessKeyId', 'secretAccessKey', 'sessionToken']) {
      await expect(page().locator(`input[name=${name}]`).inputValue(), name).resolves.toBe('');
    }
    const kept = await page().evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(kept).toContain('s3://photos/2026/');
    for (const text of [kept, await storedText(page())]) {
      expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(text).not.toContain(secret);
    }
    await page().selectOption('select[name=kind]', 'samples');
    await page().getByLabel('Top-k', { exact: true }).fill('5');
  });

  it('picks a folder with one control', async () => {
    await page().selectOption('select[name=kind]', 'folder');
    const visible = await page().locator('fieldset').first().evaluate((set) =>
      [...set.querySelectorAll('input, button, select')].filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e as HTMLInputElement).name || e.textContent));
    expect(visible).toEqual(['kind', 'Choose folder…', 'labels-from']);
    await page().selectOption('select[name=kind]', 'samples');
  });

  it('shows the model loading, in bytes, then a true bar once the listing has ended', async () => {
    await page().evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const bar = document.querySelector<HTMLProgressElement>('section.progress progress')!;
      const note = () => seen.push(`${bar.hasAttribute('value') ? `${bar.value}/${bar.max}` : 'moving'} | ${document.querySelector('[data-testid=counts]')!.textContent} | ${document.querySelector('p.message')!.textContent}`);
      new MutationObserver(note).observe(document.querySelector('[data-testid=counts]')!, { childList: true, subtree: true, characterData: true });
    });
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', slowListUrl);
    const run = await runFromForm(page());
    expect(run.state).toBe('done');
    const seen = await page().evaluate(() => (window as unknown as { seen: string[] }).seen);
    const weights = statSync(join(TINY_MODEL, 'onnx', 'model.onnx')).size;
    const loading = seen.filter((s) => s.includes('Loading the model'));
    const bytes = loading.map((line) => /Loading the model: ([\d.]+ k?B) of (\d+) kB/.exec(line)).filter((m) => m !== null);
    expect(bytes.length, seen.join('\n')).toBeGreaterThan(0);
    // The total is every file the session reads: the weights and the config beside them.
    for (const m of bytes) expect(Number(m[2]) * 1000, m[0]).toBeGreaterThanOrEqual(Math.floor(weights / 1000) * 1000);
    for (const line of loading) expect(line).toContain(`Run ${run.id}: loading the model`);
    // Until the listing has ended the bar shows no share; after, the images done of all of them.
    const listing = seen.filter((s) => /\d+\+ images/.test(s));
    expect(listing.length, seen.join('\n')).toBeGreaterThan(0);
    for (const line of listing) expect(line, line).toMatch(/^moving \| /);
    expect(seen.at(-1)).toMatch(/^12\/12 \| 12 \/ 12 images · 0 errors · .* · done/);
  });
});
