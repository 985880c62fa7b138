// What the page says when the dataset is not there: the cause in words (nothing listening, a name
// that does not resolve, a certificate not trusted, no CORS, a 404, a typo in the endpoint), styled as an error, tried once when another try cannot
// help; an empty list is a warning, not a success; a run that stored nothing offers no Resume or
// Export.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { ROOT, TINY_MODEL } from '../helpers/paths.ts';

describe('the page on a dataset that is not there', () => {
  let app: OpenApp;
  let noCors: Server;
  let noCorsOrigin: string;
  let untrusted: Server;
  let untrustedOrigin: string;

  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.txt'), '');
    // A list server that answers, but without a CORS header.
    noCors = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('a.jpg\n'));
    await new Promise<void>((ready) => noCors.listen(0, '127.0.0.1', ready));
    noCorsOrigin = `http://127.0.0.1:${(noCors.address() as AddressInfo).port}`;
    // An S3 endpoint whose certificate nobody signed.
    const tls = join(ROOT, 'test/fixtures/tls');
    untrusted = createHttpsServer({ key: readFileSync(join(tls, 'self-signed.key')), cert: readFileSync(join(tls, 'self-signed.crt')) }, (_q, s) => s.end());
    await new Promise<void>((ready) => untrusted.listen(0, '127.0.0.1', ready));
    untrustedOrigin = `https://127.0.0.1:${(untrusted.address() as AddressInfo).port}`;
    // The S3 proxy forwards only to the endpoints its server was started with.
    app = await openApp({ dataDir: dir, modelDir: TINY_MODEL, s3Endpoints: ['http://127.0.0.1:9', 'http://tench-missing.invalid:9000', untrustedOrigin] });
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((done) => noCors?.close(done));
    await new Promise((done) => untrusted?.close(done));
  });

  const page = () => app.page;
  const said = async () => ({ text: (await page().locator('p.message').textContent()) ?? '', tone: (await page().locator('p.message').getAttribute('class')) ?? '' });

  async function runList(url: string) {
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', url);
    return runFromForm(page());
  }

  /** Lists s3://mybucket/photos/ at `endpoint`; the page's words, once it failed. */
  async function listAt(endpoint: string) {
    await page().selectOption('select[name=kind]', 's3');
    await page().fill('input[name=s3]', 's3://mybucket/photos/');
    await page().fill('input[name=endpoint]', endpoint);
    const run = await runFromForm(page());
    expect(run.state).toBe('failed');
    const words = await said();
    expect(words.tone).toContain('error');
    // Said once: another try cannot help, and no bucket that cannot be reached is a CORS matter.
    expect(words.text).not.toMatch(/DOMParser|after \d tries|CORS/);
    return words.text;
  }

  it('names an S3 endpoint where nothing listens, once, as an error', async () => {
    expect(await listAt('http://127.0.0.1:9')).toContain('cannot list s3://mybucket/photos/: the S3 proxy could not reach http://127.0.0.1:9: nothing listens at http://127.0.0.1:9 (connection refused)');
  });

  it('names an S3 endpoint whose name does not resolve', async () => {
    // .invalid never resolves (RFC 6761).
    expect(await listAt('http://tench-missing.invalid:9000')).toMatch(/the S3 proxy could not reach http:\/\/tench-missing\.invalid:9000: the name tench-missing\.invalid does not resolve \(DNS E[A-Z_]+\)/);
  });

  it('names an S3 endpoint whose certificate is not trusted', async () => {
    expect(await listAt(untrustedOrigin)).toContain(`the S3 proxy could not reach ${untrustedOrigin}: ${untrustedOrigin} showed a TLS certificate this machine does not trust (DEPTH_ZERO_SELF_SIGNED_CERT)`);
  });

  it('says what is wrong with an endpoint typed without http://, before any run', async () => {
    const before = (await page().evaluate(() => window.tench!.runs())).length;
    await page().fill('input[name=endpoint]', '127.0.0.1:9000');
    await page().locator('button[type=submit]').click();
    await expect.poll(async () => (await said()).text).toBe('Endpoint: give an http(s) URL such as http://localhost:9000, got "127.0.0.1:9000".');
    expect((await said()).tone).toContain('error');
    expect(await page().evaluate(() => window.tench!.runs())).toHaveLength(before);
    await page().fill('input[name=endpoint]', '');
  });

  it('says a list without CORS headers may be what stops the browser', async () => {
    const run = await runList(`${noCorsOrigin}/list.txt`);
    expect(run.state).toBe('failed');
    const { text, tone } = await said();
    expect(tone).toContain('error');
    expect(text).toContain(`(the server is unreachable, or sends no CORS header allowing ${app.origin} to read it)`);
  });

  it('shows a list that is not there as an error, with neither Resume nor Export', async () => {
    const run = await runList(`${app.origin}/data/files/missing.txt`);
    expect(run.state).toBe('failed');
    const { text, tone } = await said();
    expect(tone).toContain('error');
    expect(text).toContain('answered HTTP 404');
    const line = page().locator(`[data-testid=runs] li[data-run="${run.id}"]`);
    await expect(line.getByRole('button', { name: 'Resume' }).count()).resolves.toBe(0);
    await expect(line.getByRole('combobox', { name: `Export run ${run.id}` }).count()).resolves.toBe(0);
  });

  it('warns that an empty list found no images', async () => {
    const run = await runList(`${app.origin}/data/files/empty.txt`);
    expect(run.state).toBe('done');
    const { text, tone } = await said();
    expect(tone).toContain('warning');
    expect(text).toMatch(new RegExp(`^Run ${run.id}: done · no images were found there · `));
  });
});
