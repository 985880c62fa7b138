// Buckets without CORS, read from the page: through the app server's S3 proxy when it offers one
// (anonymous and signed requests alike), and a clear explanation when it does not. The proxy
// reaches S3 only, and the CLI's server answers only to its own loopback name.

import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/pipeline/progress.ts';
import { keyCookie, openApp, pageCookie, runFromForm, storedText, type OpenApp } from '../helpers/app.ts';
import { BROKEN, sampleDataset } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { S3RVER_KEYS, startS3, type S3Server } from '../helpers/s3.ts';
import { serve } from '../../src/cli/server.ts';
import { ROOT } from '../helpers/paths.ts';

/** A GET from Node with the headers given (Host included, which fetch will not set). */
function get(url: string, headers: IncomingHttpHeaders): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

const PREFIX = 'val/';

describe('an S3 bucket that sends no CORS headers', () => {
  let s3: S3Server;
  let keys: string[];
  beforeAll(async () => {
    s3 = await startS3([{ name: 'closed', cors: false }]);
    keys = (await s3.upload('closed', PREFIX, sampleDataset())).filter((k) => /\.(png|jpg)$/.test(k));
    expect(keys.length).toBeGreaterThan(BROKEN.length);
  });
  afterAll(async () => {
    await s3?.close();
  });

  describe('with the proxy route', () => {
    let app: OpenApp;
    beforeAll(async () => {
      app = await openApp({ modelDir: TINY_MODEL, s3Endpoints: [s3.endpoint] });
      await app.page.evaluate(() => {
        window.tenchProgress = (p: Progress) => {
          if (p.note) (window as unknown as { notes: string[] }).notes = [...((window as unknown as { notes?: string[] }).notes ?? []), p.note];
        };
      });
    });
    afterAll(async () => {
      await app?.close();
    });

    for (const access of ['anonymous', 'signed'] as const) {
      it(`lists and reads it through the proxy (${access})`, async () => {
        const url = access === 'anonymous' ? `s3://anonymous@closed/${PREFIX}` : `s3://closed/${PREFIX}`;
        const run = await app.page.evaluate(([u, endpoint, credentials]) => window.tench!.run({
          dataset: { kind: 's3', url: u, endpoint, region: null },
          credentials: credentials ?? undefined,
          model: 'tench-local/tench-tiny-vit', device: 'wasm', dtype: 'fp32', sessions: 1, decoders: null, batchSize: 4, topK: 3, limit: null,
        }), [url, s3.endpoint, access === 'signed' ? S3RVER_KEYS : null] as const);
        expect(run.state, run.error ?? '').toBe('done');
        const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
        const images = rows.filter((r) => keys.includes(r.path));
        expect(images).toHaveLength(keys.length);
        // Only the broken files fail, and for their own reason: every byte came through the proxy.
        const broken = BROKEN.map((b) => `${PREFIX}${b.name}`);
        expect(images.filter((r) => r.error !== null).map((r) => r.path).sort()).toEqual(broken.sort());
        expect(images.filter((r) => broken.includes(r.path)).every((r) => r.cause === 'decode_failed')).toBe(true);
        const notes = await app.page.evaluate(() => (window as unknown as { notes?: string[] }).notes ?? []);
        expect(notes).toContain("s3://closed sends no CORS headers for this page: reading it through tench's S3 proxy");
        // The credentials were used, never stored.
        const stored = JSON.stringify(await app.page.evaluate((id) => window.tench!.record(id), run.id));
        expect(stored).not.toContain(S3RVER_KEYS.secretAccessKey);
      });
    }

    it('reads it with keys typed in the page, and keeps them nowhere', async () => {
      const page = app.page;
      await page.selectOption('select[name=kind]', 's3');
      await page.fill('input[name=s3]', `s3://closed/${PREFIX}`);
      await page.fill('input[name=endpoint]', s3.endpoint);
      await page.fill('input[name=accessKeyId]', S3RVER_KEYS.accessKeyId);
      await page.fill('input[name=secretAccessKey]', S3RVER_KEYS.secretAccessKey);
      const run = await runFromForm(page);
      expect(run.state, run.error ?? '').toBe('done');
      const rows = await page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
      expect(rows.filter((r) => keys.includes(r.path) && r.error === null)).toHaveLength(keys.length - BROKEN.length);
      const stored = await storedText(page);
      expect(stored).toContain(run.id);
      expect(stored).not.toContain(S3RVER_KEYS.secretAccessKey);
      expect(stored).not.toContain(S3RVER_KEYS.accessKeyId);
      // Half a key pair is a mistake the form names, not an anonymous run.
      await page.fill('input[name=secretAccessKey]', '');
      await page.click('button[type=submit]');
      await expect(page.locator('.message').textContent()).resolves.toBe('Give both the access key ID and the secret access key, or neither for a public bucket.');
    });
  });

  it("lists a bucket's root through the proxy, virtual-hosted and path-style, and classifies its images", async () => {
    // s3rver takes a Host it does not know as a bucket's name, virtual-hosted; names under
    // .localhost reach it on loopback, as the proxy resolves them.
    const bucket = 'vhost.localhost';
    const root = await startS3([{ name: bucket, cors: false }]);
    const port = new URL(root.endpoint).port;
    const local = `http://localhost:${port}`;
    const images = (await root.upload(bucket, '', sampleDataset())).filter((k) => /\.(png|jpg)$/.test(k));
    const app = await openApp({ modelDir: TINY_MODEL, s3Endpoints: [local] });
    try {
      const cookie = await pageCookie(app);
      const listed = (body: string) => [...body.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!).filter((k) => images.includes(k)).sort();
      const virtual = await get(`${app.origin}/s3-proxy/?list-type=2`, { cookie, 'x-tench-upstream': `http://${bucket}:${port}` });
      expect(virtual.status, virtual.body).toBe(200);
      expect(listed(virtual.body)).toEqual([...images].sort());
      const pathStyle = await get(`${app.origin}/s3-proxy/${bucket}?list-type=2`, { cookie, 'x-tench-upstream': local });
      expect(pathStyle.status, pathStyle.body).toBe(200);
      expect(listed(pathStyle.body)).toEqual([...images].sort());
      // The page, from the bucket's root: the listing and every image through the proxy.
      const run = await app.page.evaluate(([u, endpoint]) => window.tench!.run({
        dataset: { kind: 's3', url: u, endpoint, region: null },
        model: 'tench-local/tench-tiny-vit', device: 'wasm', dtype: 'fp32', sessions: 1, decoders: null, batchSize: 4, topK: 3, limit: null,
      }), [`s3://anonymous@${bucket}/`, local] as const);
      expect(run.state, run.error ?? '').toBe('done');
      const rows = await app.page.evaluate((id) => window.tench!.rows(id, -1, 1000), run.id);
      expect(rows.filter((r) => images.includes(r.path)).map((r) => r.path).sort()).toEqual([...images].sort());
      expect(rows.filter((r) => images.includes(r.path) && r.error !== null).map((r) => r.path).sort()).toEqual(BROKEN.map((b) => b.name).sort());
    } finally {
      await app.close();
      await root.close();
    }
  });

  it('explains CORS, in the page, when the server offers no proxy', async () => {
    const app = await openApp({ modelDir: TINY_MODEL, s3Proxy: false });
    try {
      const failed = await app.page.evaluate((endpoint) => window.tench!.run({
        dataset: { kind: 's3', url: 's3://anonymous@closed/val/', endpoint, region: null },
        model: 'tench-local/tench-tiny-vit', device: 'wasm', dtype: 'fp32', sessions: 1, decoders: null, batchSize: 4, topK: 3, limit: null,
      }), s3.endpoint);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/^the browser could not read s3:\/\/closed\/val\/ at http:\/\/127\.0\.0\.1:\d+: either it is unreachable, or the bucket sends no CORS headers allowing http:\/\/127\.0\.0\.1:\d+ .*Add a CORS rule/);
      await app.page.reload();
      await app.page.waitForFunction(() => document.body.dataset.ready === 'true');
      await expect(app.page.locator('.message').textContent()).resolves.toContain('sends no CORS headers');
    } finally {
      await app.close();
    }
  });

  describe('the proxy and the server, to whoever can reach them', () => {
    let bystander: Server;
    let connections = 0;
    let bystanderOrigin: string;
    let server: Awaited<ReturnType<typeof serve>>;
    let cookie: string;
    beforeAll(async () => {
      // A service on this machine that is not S3: the proxy must never connect to it.
      bystander = createServer((_q, r) => r.end('secret'));
      bystander.on('connection', () => connections++);
      await new Promise<void>((ready) => bystander.listen(0, '127.0.0.1', ready));
      bystanderOrigin = `http://127.0.0.1:${(bystander.address() as AddressInfo).port}`;
      server = await serve(ROOT, { s3Endpoints: [s3.endpoint] });
      cookie = await keyCookie(server);
    });
    afterAll(async () => {
      await server?.close();
      await new Promise((done) => bystander?.close(done));
    });

    it('forwards to the endpoint it was started with, and refuses any other origin before connecting', async () => {
      const allowed = await get(`${server.origin}/s3-proxy/closed?list-type=2`, { cookie, 'x-tench-upstream': s3.endpoint });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toContain('<ListBucketResult');
      for (const upstream of [bystanderOrigin, 'http://169.254.169.254', 'https://s3.amazonaws.com.example.org', 'http://s3.amazonaws.com']) {
        const refused = await get(`${server.origin}/s3-proxy/latest/meta-data/`, { cookie, 'x-tench-upstream': upstream });
        expect(refused.status, upstream).toBe(403);
        expect(refused.body).toContain('<Code>UpstreamNotAllowed</Code>');
        expect(refused.body).toContain(`the S3 proxy forwards only to AWS S3 and to the endpoints its server was started with, and ${new URL(upstream).origin} is neither`);
      }
      expect(connections).toBe(0);
    });

    it('answers only requests addressed to its own loopback name', async () => {
      const port = new URL(server.origin).port;
      const rebound = await get(`${server.origin}/s3-proxy/closed?list-type=2`, { cookie, host: `attacker.example:${port}`, 'x-tench-upstream': s3.endpoint });
      expect(rebound).toEqual({ status: 421, body: `this server answers only as http://127.0.0.1:${port} or http://localhost:${port}` });
      expect((await get(`${server.origin}/s3-proxy-status`, { cookie, host: `localhost:${port}` })).status).toBe(200);
      // Without the key, as any other process on this machine would ask: nothing is forwarded.
      const keyless = await get(`${server.origin}/s3-proxy/closed?list-type=2`, { 'x-tench-upstream': s3.endpoint });
      expect(keyless.status).toBe(403);
      expect(keyless.body).not.toContain('ListBucketResult');
    });
  });
});
