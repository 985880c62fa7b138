// The app under its Content-Security-Policy: a whole run (model load, WASM threads, WebGPU, the
// gallery's thumbnails, a download) breaks no rule of it, and markup slipped into the page runs no
// script.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../../src/cli/build.ts';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER, INFER_WORKER_CSP_HEADER } from '../../src/server/csp.ts';
import { openApp, runTiny, type OpenApp } from '../helpers/app.ts';
import { sampleDataset } from '../helpers/dataset.ts';
import { ROOT, TINY_MODEL } from '../helpers/paths.ts';

const violations = (errors: string[]) => errors.filter((e) => /Content Security Policy/i.test(e));

describe('the Content-Security-Policy', () => {
  let app: OpenApp;

  beforeAll(async () => {
    app = await openApp({ dataDir: sampleDataset(), modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is in the built page, and sent by the app server with frame-ancestors', async () => {
    const meta = await app.page.evaluate(() => {
      // The first of the policy and the scripts in <head>: the policy, so it governs every script.
      const first = document.head.querySelector('meta[http-equiv="Content-Security-Policy"], script');
      return first instanceof HTMLMetaElement ? first.content : null;
    });
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
    const response = await app.page.request.get(app.origin);
    expect(response.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY_HEADER);
  });

  it('allows eval in the inference worker alone (ONNX Runtime needs it for WebNN), the page and its other scripts keep the strict policy', async () => {
    const assets = readdirSync(join(await ensureBuilt(ROOT, () => {}), 'assets'));
    const policyOf = async (name: string) => (await app.page.request.get(`${app.origin}/assets/${name}`)).headers()['content-security-policy'];
    const infer = assets.find((n) => /^infer\.worker-.*\.js$/.test(n))!;
    const decode = assets.find((n) => /^decode\.worker-.*\.js$/.test(n))!;
    expect(await policyOf(infer)).toBe(INFER_WORKER_CSP_HEADER);
    expect(INFER_WORKER_CSP_HEADER).toContain("'unsafe-eval'");
    expect(await policyOf(decode)).toBe(CONTENT_SECURITY_POLICY_HEADER);
    expect(CONTENT_SECURITY_POLICY_HEADER).not.toContain("'unsafe-eval'");
  });

  it('lets a whole run through on wasm and WebGPU, gallery and download included, with no violation', async () => {
    // WebGPU first: the wasm run would otherwise answer its images from the store.
    for (const device of ['webgpu', 'wasm'] as const) {
      const run = await runTiny(app, { device, sessions: 1, limit: device === 'webgpu' ? 3 : null });
      expect(run.state, run.error ?? '').toBe('done');
    }
    await app.page.reload();
    await app.page.waitForFunction(() => document.body.dataset.ready === 'true');
    await app.page.locator('[data-testid=gallery-cell] img[src^="blob:"]').first().waitFor();
    const menu = app.page.locator('[data-testid=runs] li').first().locator('select');
    const [download] = await Promise.all([app.page.waitForEvent('download'), menu.selectOption({ label: 'CSV' })]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    expect(violations(app.errors)).toEqual([]);
  }, 300_000);

  it('runs no script from markup that reaches the page', async () => {
    const blocked = await app.page.evaluate(async () => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
      const w = window as unknown as { inline?: boolean; handler?: boolean };
      const script = document.createElement('script');
      script.textContent = 'window.inline = true';
      document.head.append(script);
      const holder = document.createElement('div');
      holder.innerHTML = '<img src="data:," onerror="window.handler = true">';
      document.body.append(holder);
      await new Promise((r) => setTimeout(r, 300));
      holder.remove();
      return { inline: w.inline ?? false, handler: w.handler ?? false, seen };
    });
    expect(blocked.inline).toBe(false);
    expect(blocked.handler).toBe(false);
    expect(blocked.seen).toContain('script-src-elem');
    // The console reports it too: what the run's check above would have caught.
    expect(violations(app.errors).length).toBeGreaterThan(0);
  });
});
