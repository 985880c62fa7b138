import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.ts';

const BODY = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));

async function startUpstream(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, HEAD, PUT' }).end();
    } else if (req.method === 'GET' && req.url === '/obj') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BODY.length }).end(BODY);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

/** Starts an upstream and a proxy in front of it, runs body, and closes both whatever happens. */
async function withProxy(options: FaultProxyOptions, body: (endpoint: string, proxy: Awaited<ReturnType<typeof startFaultProxy>>) => Promise<void>): Promise<void> {
  const upstream = await startUpstream();
  const proxy = await startFaultProxy(upstream.endpoint, options);
  try {
    await body(proxy.endpoint, proxy);
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('startFaultProxy', () => {
  it('passes every request through unchanged at rate 0', async () => {
    await withProxy({ rate: 0, seed: 1 }, async (endpoint, proxy) => {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${endpoint}/obj`);
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(BODY)).toBe(true);
      }
      const preflight = await fetch(`${endpoint}/obj`, { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      const counts = proxy.counts();
      expect(counts.requests).toBe(21);
      expect(counts.faulted).toBe(0);
      expect(counts.byKind).toEqual({ http500: 0, slowdown503: 0, reset: 0, stall: 0, truncate: 0 });
    });
  });

  it('answers 500 with CORS headers', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['http500'] }, async (endpoint, proxy) => {
      const res = await fetch(`${endpoint}/obj`);
      expect(res.status).toBe(500);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      await res.text();
      expect(proxy.counts().byKind.http500).toBe(1);
    });
  });

  it('answers 503 SlowDown with an S3 error body', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['slowdown503'] }, async (endpoint) => {
      const res = await fetch(`${endpoint}/obj`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/xml');
      expect(await res.text()).toContain('<Code>SlowDown</Code>');
    });
  });

  it('resets the connection', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['reset'] }, async (endpoint) => {
      expect(await failure(() => fetch(`${endpoint}/obj`))).toBeInstanceOf(Error);
    });
  });

  it('cuts a body short of its Content-Length', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['truncate'] }, async (endpoint) => {
      let received = -1;
      const error = await failure(async () => {
        const res = await fetch(`${endpoint}/obj`);
        expect(res.headers.get('content-length')).toBe('1000');
        received = (await res.arrayBuffer()).byteLength;
      });
      expect(error !== undefined || (received >= 0 && received < BODY.length)).toBe(true);
    });
  });

  it('stalls, then drops the connection', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['stall'], stallMs: 100 }, async (endpoint) => {
      const started = Date.now();
      expect(await failure(() => fetch(`${endpoint}/obj`))).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  it('lets exempt methods through at rate 1', async () => {
    await withProxy({ rate: 1, seed: 1, kinds: ['http500'], exemptMethods: ['options'] }, async (endpoint, proxy) => {
      expect((await fetch(`${endpoint}/obj`, { method: 'OPTIONS' })).status).toBe(204);
      expect((await fetch(`${endpoint}/obj`)).status).toBe(500);
      expect(proxy.counts()).toMatchObject({ requests: 2, faulted: 1 });
    });
  });

  it('faults the same requests for the same seed', async () => {
    const run = async () => {
      const failed: number[] = [];
      let counts: unknown;
      // A stall here is one more way to fail, not a wait to measure: it drops the connection soon.
      await withProxy({ rate: 0.3, seed: 1234, stallMs: 10 }, async (endpoint, proxy) => {
        for (let i = 0; i < 50; i++) {
          const error = await failure(async () => {
            const res = await fetch(`${endpoint}/obj`);
            const bytes = Buffer.from(await res.arrayBuffer());
            if (res.status !== 200 || !bytes.equals(BODY)) throw new Error(`status ${res.status}`);
          });
          if (error) failed.push(i);
        }
        counts = proxy.counts();
      });
      return { failed, counts };
    };
    const first = await run();
    const second = await run();
    expect(second.failed).toEqual(first.failed);
    expect(second.counts).toEqual(first.counts);
    expect(first.failed.length).toBeGreaterThanOrEqual(5);
    expect(first.failed.length).toBeLessThanOrEqual(25);
    expect(first.counts).toMatchObject({ requests: 50, faulted: first.failed.length });
  });
});
