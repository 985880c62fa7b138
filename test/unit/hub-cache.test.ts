// The Hugging Face cache the CLI keeps, against a loopback hub: the layout huggingface_hub reads,
// and nothing written outside it, whatever headers a server sends.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubCache, hubCacheDir, hubOffline } from '../../src/cli/hub-cache.ts';

const BODY = '{"model_type": "vit"}';

describe('the Hugging Face cache', () => {
  let server: Server;
  let endpoint: string;
  let headers: Record<string, string> = {};
  let gets = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'GET') gets++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length, ...headers }).end(req.method === 'HEAD' ? undefined : BODY);
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("is found where huggingface_hub looks, and HF_HUB_OFFLINE is read as it reads it", () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/c' })).toBe('/c');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe('/h/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    for (const on of ['1', 'true', 'YES', 'on']) expect(hubOffline({ HF_HUB_OFFLINE: on }), on).toBe(true);
    for (const off of ['', '0', 'false', undefined]) expect(hubOffline({ HF_HUB_OFFLINE: off }), String(off)).toBe(false);
  });

  it('names blobs by a hex etag and snapshots by a commit, and downloads a file once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tench-hf-'));
    const commit = 'b'.repeat(40);
    const sha = createHash('sha256').update(BODY).digest('hex');
    headers = { 'x-repo-commit': commit, etag: `"${sha}"` };
    gets = 0;
    const cache = hubCache({ dir, endpoint, id: 'org/name', revision: 'main', offline: false });
    const [a, b] = await Promise.all([cache.file('config.json'), cache.file('config.json')]);
    expect(a).toBe(b);
    expect(gets).toBe(1);
    const repo = join(dir, 'models--org--name');
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readlinkSync(join(repo, 'snapshots', commit, 'config.json'))).toBe(`../../blobs/${sha}`);
    // Again, in another process's cache object: from the disk, the hub asked only for its commit.
    expect(await hubCache({ dir, endpoint, id: 'org/name', revision: 'main', offline: false }).file('config.json')).toBe(a);
    expect(gets).toBe(1);
  });

  it('writes nothing outside the cache for a server that sends paths as its etag and commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tench-hf-'));
    headers = { 'x-repo-commit': '../../../escaped-commit', etag: '"../../../escaped-blob"' };
    const cache = hubCache({ dir, endpoint, id: 'org/name', revision: 'v1', offline: false });
    const path = await cache.file('config.json');
    expect(readFileSync(path!, 'utf8')).toBe(BODY);
    expect(readdirSync(dir)).toEqual(['models--org--name']);
    const repo = join(dir, 'models--org--name');
    // Named by the bytes' sha256, in a snapshot named by the revision asked for.
    expect(readdirSync(join(repo, 'blobs'))).toEqual([createHash('sha256').update(BODY).digest('hex')]);
    expect(readdirSync(join(repo, 'snapshots'))).toEqual(['v1']);
    expect(existsSync(join(dir, '..', 'escaped-blob')) || existsSync(join(dir, '..', 'escaped-commit'))).toBe(false);
  });

  it('offline, answers from the cache alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tench-hf-'));
    gets = 0;
    expect(await hubCache({ dir, endpoint, id: 'org/name', revision: 'main', offline: true }).file('config.json')).toBeNull();
    expect(gets).toBe(0);
  });
});
