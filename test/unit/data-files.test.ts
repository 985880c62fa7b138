// Dataset files named one by one (a .tar shard, a .parquet file, a brace pattern of them): what the
// CLI makes of the name, and what its routes then hand out: those files, by ranges, and nothing
// else of their folders.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseDataset } from '../../src/cli/inputs.ts';
import { byteRange, DATA_MANIFEST, routesMiddleware } from '../../src/server/routes.ts';

const dir = mkdtempSync(join(tmpdir(), 'tench-data-files-'));
const shard = join(dir, 'train-000000.tar');
const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
writeFileSync(shard, bytes);
writeFileSync(join(dir, 'train-000001.tar'), 'second');
writeFileSync(join(dir, 'secret.png'), 'not named');

describe('a dataset file named on the command line', () => {
  it('is served alone, and a brace pattern names each of its files', async () => {
    const one = await chooseDataset(shard, {});
    expect(one).toMatchObject({ ok: true, value: { routes: { dataFiles: [shard] } } });
    const many = await chooseDataset(join(dir, 'train-{000000..000001}.tar'), {});
    expect(many).toMatchObject({ ok: true, value: { routes: { dataFiles: [shard, join(dir, 'train-000001.tar')] } } });
    // The pattern is in the listing's URL: two patterns are two datasets when resuming.
    if (many.ok) expect(many.value.spec('http://x').url).toContain(encodeURIComponent('{000000..000001}'));
  });

  it('says in one sentence what is wrong with a pattern', async () => {
    expect(await chooseDataset(join(dir, 'train-{000000..000009}.tar'), {})).toEqual({ ok: false, reason: `8 of the 10 files ${join(dir, 'train-{000000..000009}.tar')} names do not exist, the first ${join(dir, 'train-000002.tar')}` });
    expect(await chooseDataset(join(dir, '{train-000000.tar,secret.png}'), {})).toMatchObject({ ok: false, reason: expect.stringMatching(/names .*secret\.png, which is neither a \.tar shard nor a \.parquet file$/) });
    expect(await chooseDataset(join(dir, 'train-{000000..000001.tar'), {})).toMatchObject({ ok: false });
    const elsewhere = mkdtempSync(join(tmpdir(), 'tench-data-files-'));
    writeFileSync(join(elsewhere, 'train-000000.tar'), 'same name');
    expect(await chooseDataset(`{${dir},${elsewhere}}/train-000000.tar`, {})).toMatchObject({ ok: false, reason: expect.stringContaining('have the same name') });
  });
});

describe('the routes of named dataset files', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    const routes = routesMiddleware({ dataFiles: [shard], dataUrls: ['https://data.example/shards/b.tar'] });
    server = createServer((req, res) => routes(req, res, () => res.writeHead(418).end()));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('lists the files and URLs named, and serves the files whole or by ranges', async () => {
    const list = (await (await fetch(`${origin}${DATA_MANIFEST}`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(list).toEqual([
      { url: 'files/train-000000.tar', path: 'train-000000.tar', size: 3000, etag: expect.stringMatching(/^3000-\d+$/) },
      { url: 'https://data.example/shards/b.tar', path: 'b.tar' },
    ]);
    const whole = await fetch(`${origin}/data/files/train-000000.tar`);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(`${origin}/data/files/train-000000.tar`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/3000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${origin}/data/files/train-000000.tar`, { headers: { range: 'bytes=-8' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(2992))).toBe(true);
    expect((await fetch(`${origin}/data/files/train-000000.tar`, { headers: { range: 'bytes=3000-' } })).status).toBe(416);
    const head = await fetch(`${origin}/data/files/train-000000.tar`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('3000');
  });

  it('serves nothing else of their folder', async () => {
    for (const path of ['secret.png', 'train-000001.tar', '..%2Fsecret.png', 'train-000000.tar%2F..%2Fsecret.png']) {
      expect((await fetch(`${origin}/data/files/${path}`)).status, path).toBe(404);
    }
  });

  it('reads a Range header as servers do', () => {
    expect(byteRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(byteRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(byteRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(byteRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(byteRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(byteRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(byteRange('bytes=4-2', 10)).toBe('unsatisfiable');
    expect(byteRange('bytes=0-1,4-5', 10)).toBeNull();
    expect(byteRange(undefined, 10)).toBeNull();
  });
});
