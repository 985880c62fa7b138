// The fetch stage against a real HTTP server that fails on purpose: what another try may cure is
// tried again, what it cannot is not, and every failure names its cause and its tries.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes } from '../../src/net/fetch.ts';

const BODY = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 251));
const FAST = { retries: 3, factor: 1, minTimeout: 1, maxTimeout: 5, randomize: true };

describe('fetchBytes', () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      if (path === '/flaky' && n <= 2) return res.writeHead(503).end('slow down');
      if (path === '/throttled' && n === 1) return res.writeHead(429).end();
      if (path === '/gone') return res.writeHead(404).end();
      if (path === '/forbidden') return res.writeHead(403).end();
      if (path === '/down') return res.writeHead(500).end();
      if (path === '/reset' && n === 1) return req.socket.destroy();
      // Says nothing at all, or stops halfway, until the client gives up on it.
      if (path === '/stall' && n === 1) return;
      if (path === '/stall-body' && n === 1) {
        res.writeHead(200, { 'content-length': BODY.length });
        return res.write(BODY.subarray(0, 100));
      }
      if (path === '/slow') {
        // Slower in all than the idle timeout, but never silent for that long.
        res.writeHead(200, { 'content-length': BODY.length });
        let sent = 0;
        const drip = setInterval(() => {
          res.write(BODY.subarray(sent, sent + 100));
          sent += 100;
          if (sent >= BODY.length) {
            clearInterval(drip);
            res.end();
          }
        }, 40);
        return;
      }
      if (path === '/cut' && n <= 2) {
        // Announces the whole body, sends a tenth of it, and hangs up.
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 100));
        return setTimeout(() => req.socket.destroy(), 10);
      }
      if (path === '/hang') return;
      res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  }));

  const get = (path: string) => fetchBytes({ kind: 'url', url: `${base}${path}` }, { maxBytes: 1 << 20, timeoutMs: 250 }, undefined, undefined, FAST);

  it.each(['/flaky', '/throttled', '/reset', '/cut', '/stall', '/stall-body'])('tries %s again until it answers whole', async (path) => {
    const got = await get(path);
    expect(got).toEqual({ ok: true, bytes: BODY });
    expect(hits.get(path)).toBe({ '/flaky': 3, '/throttled': 2, '/reset': 2, '/cut': 3, '/stall': 2, '/stall-body': 2 }[path]);
  });

  it('lets a slow download that keeps moving finish in one try', async () => {
    expect(await get('/slow')).toEqual({ ok: true, bytes: BODY });
    expect(hits.get('/slow')).toBe(1);
  });

  it('stops at once when the caller cancels, without more tries', async () => {
    const cancel = new AbortController();
    const pending = fetchBytes({ kind: 'url', url: `${base}/hang` }, { maxBytes: 1 << 20, timeoutMs: 10_000 }, undefined, cancel.signal, FAST);
    // Cancelled once the server has the request (a fixed delay can come first on a busy machine).
    while (!hits.get('/hang')) await new Promise((r) => setTimeout(r, 10));
    cancel.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    expect(hits.get('/hang')).toBe(1);
  });

  it.each([['/gone', 'HTTP 404 Not Found'], ['/forbidden', 'HTTP 403 Forbidden']])('fails %s at once', async (path, reason) => {
    expect(await get(path)).toEqual({ ok: false, tooLarge: false, reason });
    expect(hits.get(path)).toBe(1);
  });

  it('gives up after four tries with the last reason', async () => {
    expect(await get('/down')).toEqual({ ok: false, tooLarge: false, reason: 'HTTP 500 Internal Server Error (after 4 tries)' });
    expect(hits.get('/down')).toBe(4);
  });
});
