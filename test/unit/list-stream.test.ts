// A list of images read from a real loopback server, as the page reads an http(s) list: a server
// that never answers, one that stalls or breaks in the middle, one without Range support, one
// whose list changes, one that never ends a line or never ends at all, and repeated paths.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Item } from '../../src/core/item.ts';
import type { ListStats } from '../../src/datasets/s3.ts';
import { listManifest, type ListLimits } from '../../src/datasets/manifest.ts';
import type { RetryOptions } from '../../src/net/retry.ts';

/** The downloads' policy, with the waits shortened: four tries. */
const QUICK: RetryOptions = { retries: 3, factor: 1, minTimeout: 5, maxTimeout: 5, randomize: false };

/**
 * The timeout where a test waits it out (a stalled body is only found stalled once it passes).
 * Short, yet long enough for a loopback server that does answer on a busy machine. Tests in which
 * nothing stalls keep a second, so that no stall is seen where none was made.
 */
const STALL_MS = 250;

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[]; connections(): number }> {
  const requests: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  let connected = 0;
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  server.on('connection', (s) => {
    connected++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push({ server, sockets });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/list.txt`, requests, connections: () => connected };
}

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise((done) => server.close(done));
  }
});

async function list(url: string, limits: Partial<ListLimits> = {}, pace = 0): Promise<{ items: Item[]; stats: ListStats }> {
  const stats: ListStats = { listed: 0, skipped: 0 };
  const items: Item[] = [];
  for await (const item of listManifest(url, ['jpg'], stats, undefined, { timeoutMs: 1000, ...limits }, QUICK)) {
    items.push(item);
    if (pace) await new Promise((r) => setTimeout(r, pace));
  }
  return { items, stats };
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `img-${String(from + i).padStart(4, '0')}.jpg\n`).join('');

describe('a list read over http', () => {
  it('gives up on a server that accepts and never answers, after the policy\'s tries, naming the list and the timeout', async () => {
    const { url, connections } = await serve(() => {});
    const started = Date.now();
    await expect(list(url, { timeoutMs: 100 })).rejects.toThrow(`cannot read the list ${url}: no answer for 0.1 s (after 4 tries)`);
    expect(Date.now() - started).toBeLessThan(5000);
    // Each try reached the server (Node's fetch may open a spare connection besides: the count of
    // tries is the policy's, in the message; Chromium's, in the CLI's test, opens exactly four).
    expect(connections()).toBeGreaterThanOrEqual(4);
  });

  it('tries a 503 again and a 404 never', async () => {
    const flaky = await serve((_req, res, n) => (n <= 2 ? res.writeHead(503).end() : res.end(lines(3))));
    expect((await list(flaky.url)).items).toHaveLength(3);
    expect(flaky.requests).toHaveLength(3);
    const missing = await serve((_req, res) => res.writeHead(404).end());
    await expect(list(missing.url)).rejects.toThrow(`the list ${missing.url} answered HTTP 404 Not Found`);
    expect(missing.requests).toHaveLength(1);
  });

  it('is not a stall while the run is slow to take the next item', async () => {
    const { url, requests } = await serve((_req, res) => res.end(lines(3)));
    // Each pause outlasts the timeout, which the answer must not: it is kept longer here than
    // where a test waits it out, as a busy machine can hold up a loopback answer too.
    const { items } = await list(url, { timeoutMs: 500 }, 750);
    expect(items).toHaveLength(3);
    expect(requests).toHaveLength(1);
  });

  for (const ranges of [true, false]) {
    it(`goes on from the byte it reached when the body stalls (${ranges ? 'a Range request' : 'a server without ranges: the bytes read are passed over'})`, async () => {
      const body = lines(2000);
      const cut = 10_007;
      const { url, requests } = await serve((req, res) => {
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        const headers = { etag: '"v1"' };
        if (!req.headers.range) {
          // Part of the list, then nothing: the body stalls mid-line.
          res.writeHead(200, { ...headers, 'content-length': body.length });
          res.write(body.slice(0, cut));
          return;
        }
        if (ranges && range) {
          const from = Number(range[1]);
          res.writeHead(206, { ...headers, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` }).end(body.slice(from));
        } else res.writeHead(200, headers).end(body);
      });
      const { items } = await list(url, { timeoutMs: STALL_MS });
      expect(items.map((i) => i.path)).toEqual(body.trim().split('\n'));
      // The next request went on from the byte reached.
      expect(requests.map((r) => r.headers.range).filter(Boolean)[0]).toBe(`bytes=${cut}-`);
    });
  }

  it('stops when the list changed between two connections', async () => {
    const { url } = await serve((req, res) => {
      res.writeHead(200, { etag: req.headers.range ? '"v2"' : '"v1"' });
      if (!req.headers.range) res.write(lines(100));
      else res.end(lines(200));
    });
    await expect(list(url, { timeoutMs: STALL_MS })).rejects.toThrow(/^cannot read the list .*: it changed while it was read \(after \d+ bytes\)$/);
  });

  it('stops a line that never ends at the line limit, having read little more than it', async () => {
    let sent = 0;
    const { url } = await serve((_req, res) => {
      // Endless, but bounded here so that a broken reader still ends the test.
      const pump = () => {
        while (sent < 256 * 1024 * 1024) {
          sent += 64 * 1024;
          if (!res.write('x'.repeat(64 * 1024))) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await expect(list(url, { maxLineBytes: 100_000 })).rejects.toThrow(`line 1 of the list ${url} is longer than 100000 bytes, the limit of --max-list-line (a list gives one image a line)`);
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('counts a CSV record, quoted newlines and all, against the line limit', async () => {
    const { url } = await serve((_req, res) => res.end(`url,label\n1.jpg,"${'a\n'.repeat(600)}"\n`));
    await expect(list(url.replace('.txt', '.csv'), { maxLineBytes: 1000 })).rejects.toThrow(/^record 2 of the list .* is longer than 1000 bytes, the limit of --max-list-line/);
    expect((await list(url.replace('.txt', '.csv'), { maxLineBytes: 2000 })).items).toHaveLength(1);
  });

  it('stops a list over the size limit', async () => {
    const { url } = await serve((_req, res) => res.end(lines(1000)));
    await expect(list(url, { maxBytes: 5000 })).rejects.toThrow(`the list ${url} is longer than 5000 bytes, the limit of --max-list-size`);
    expect((await list(url, { maxBytes: 1000 * 13 })).items).toHaveLength(1000);
  });

  it('lists a repeated path once and counts the repeats', async () => {
    const { url } = await serve((_req, res) => res.end('a.jpg\nb.jpg\na.jpg\nnotes.txt\nnotes.txt\nb.jpg\na.jpg\nc.jpg\n'));
    const { items, stats } = await list(url);
    expect(items.map((i) => i.path)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect(stats).toMatchObject({ listed: 3, skipped: 2, repeated: 3 });
  });
});
