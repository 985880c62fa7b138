// Many files of a local folder in one request (src/net/pack.ts): the server's route on a
// loopback server, the client's reader fed in chunks of every size, and fetchPack's outcomes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameHead, PACK_HEADER, readPack, type PackEntry } from '../../src/net/pack.ts';
import { fetchPack } from '../../src/net/fetch.ts';
import { routesMiddleware } from '../../src/server/routes.ts';
import { tempDir } from '../helpers/dataset.ts';

const FAST = { retries: 1, minTimeout: 1, maxTimeout: 2 };

// A loop, not Uint8Array.from with a callback: that takes a third of a second for the 5 MiB file.
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 255;
  return out;
}

function streamOf(body: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function entries(body: Uint8Array, chunk: number): Promise<PackEntry[]> {
  const out: PackEntry[] = [];
  for await (const e of readPack(streamOf(body, chunk))) out.push(e);
  return out;
}

describe('readPack', () => {
  it('gives each file its own bytes, however the body is cut into chunks', async () => {
    const files = [bytes(1000, 1), bytes(0, 2), bytes(3, 3), bytes(70_000, 4)];
    const parts = [frameHead(200, 1000), files[0]!, frameHead(404, 0), frameHead(200, 0), files[1]!, frameHead(413, 99_999), frameHead(200, 3), files[2]!, frameHead(200, 70_000), files[3]!];
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (body.set(p, at), at + p.length), 0);
    for (const chunk of [1, 3, 7, 8, 64, 4096, body.length]) {
      const got = await entries(body, chunk);
      expect(got.map((e) => ('bytes' in e ? e.bytes.length : `${e.status}:${e.size}`)), `chunks of ${chunk}`).toEqual([1000, '404:0', 0, '413:99999', 3, 70_000]);
      const whole = got.filter((e): e is { status: 200; bytes: Uint8Array } => 'bytes' in e);
      expect(Buffer.from(whole[3]!.bytes).equals(Buffer.from(files[3]!)), `chunks of ${chunk}`).toBe(true);
      // Each file in a buffer of its own, so it can be transferred alone.
      expect(whole[0]!.bytes.byteOffset).toBe(0);
      expect(whole[0]!.bytes.buffer.byteLength).toBe(1000);
    }
  });
});

describe('the pack route and fetchPack', () => {
  let server: Server;
  let base: string;
  const root = join(tempDir('tench-pack-'), 'data');
  beforeAll(async () => {
    mkdirSync(join(root, 'a b'), { recursive: true });
    writeFileSync(join(root, 'one.jpg'), bytes(5000, 7));
    writeFileSync(join(root, 'a b', 'two #.png'), bytes(300, 8));
    writeFileSync(join(root, 'big.jpg'), bytes(5 * 1024 * 1024, 9));
    writeFileSync(join(root, '..', 'outside.jpg'), bytes(10, 10));
    const routes = routesMiddleware({ dataDir: root });
    server = createServer((req, res) => routes(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('names itself in the manifest, same-origin', async () => {
    const r = await fetch(`${base}/data/manifest.jsonl`);
    expect(r.headers.get(PACK_HEADER)).toBe('pack');
    await r.text();
  });

  it('sends the files asked for in order, a missing, a too large and an outside one each its own failure', async () => {
    const out = await fetchPack(`${base}/data/pack`, ['one.jpg', 'nope.jpg', 'a b/two #.png', 'big.jpg', '../outside.jpg', 'one.jpg'], { maxBytes: 1024 * 1024 }, undefined, FAST);
    expect(out.map((f) => (f.ok ? f.bytes.length : f.reason))).toEqual([
      5000,
      'HTTP 404 Not Found',
      300,
      `${5 * 1024 * 1024} bytes is over the 1048576-byte limit`,
      'HTTP 404 Not Found',
      5000,
    ]);
    expect(out[3]).toMatchObject({ ok: false, tooLarge: true });
    expect(Buffer.from((out[2] as { bytes: Uint8Array }).bytes).equals(Buffer.from(bytes(300, 8)))).toBe(true);
  });

  it('streams a file larger than it reads whole', async () => {
    const [big] = await fetchPack(`${base}/data/pack`, ['big.jpg'], { maxBytes: 64 * 1024 * 1024 }, undefined, FAST);
    expect(big!.ok && Buffer.from(big!.bytes).equals(Buffer.from(bytes(5 * 1024 * 1024, 9)))).toBe(true);
  });

  it('refuses what is not a pack request, in a sentence', async () => {
    const get = await fetch(`${base}/data/pack`);
    expect(get.status).toBe(405);
    const many = await fetch(`${base}/data/pack`, { method: 'POST', body: JSON.stringify({ files: Array(17).fill('one.jpg') }) });
    expect([many.status, await many.text()]).toEqual([400, 'a pack is {"files": [at most 16 paths], "maxBytes": n}']);
    // Every file of a request the server refuses fails with the reason, after no retry (not a 5xx).
    const refused = await fetchPack(`${base}/data/pack`, Array(17).fill('one.jpg') as string[], { maxBytes: 1 << 20 }, undefined, FAST);
    expect(new Set(refused.map((f) => !f.ok && f.reason))).toEqual(new Set(['HTTP 400 Bad Request']));
  });
});

describe('fetchPack after a response cut short', () => {
  it('keeps the files that arrived whole and asks again for the rest only', async () => {
    const asked: string[][] = [];
    const content = (name: string) => bytes(1000 + name.length, name.length);
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const files = (JSON.parse(body) as { files: string[] }).files;
        asked.push(files);
        res.writeHead(200);
        const first = asked.length === 1;
        for (const [i, name] of files.entries()) {
          const data = content(name);
          if (first && i === 2) {
            // The third file's head and half its bytes, then the connection goes.
            res.write(frameHead(200, data.length));
            res.write(data.subarray(0, 500), () => res.destroy());
            return;
          }
          res.write(frameHead(200, data.length));
          res.write(data);
        }
        res.end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pack`;
      const names = ['a.jpg', 'bb.jpg', 'ccc.jpg', 'dddd.jpg', 'eeeee.jpg'];
      const out = await fetchPack(url, names, { maxBytes: 1 << 20 }, undefined, FAST);
      expect(asked).toEqual([names, names.slice(2)]);
      expect(out.map((f, i) => f.ok && Buffer.from(f.bytes).equals(Buffer.from(content(names[i]!))))).toEqual([true, true, true, true, true]);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});
