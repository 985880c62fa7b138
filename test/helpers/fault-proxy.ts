// A loopback HTTP proxy that answers a seeded fraction of requests with faults, to exercise retries.

import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultKind = 'http500' | 'slowdown503' | 'reset' | 'stall' | 'truncate';

export interface FaultProxyOptions {
  /** Fraction of requests that get a fault, 0..1. */
  rate: number;
  /** Seed for a deterministic PRNG (e.g. mulberry32); the same seed gives the same fault sequence. */
  seed: number;
  /** Kinds to use, chosen in turn (round robin) among faulted requests; default all five. */
  kinds?: FaultKind[];
  /** How long a 'stall' holds the request without answering before destroying the socket (default 20_000 ms). */
  stallMs?: number;
  /** Requests with these methods are never faulted (default: none exempt). */
  exemptMethods?: string[];
  /** A fault for every request it names, whatever the draw (a server that is down for one path). */
  always?: (method: string, url: string) => FaultKind | null;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Requests seen, and faults injected by kind (always all five keys, zero when unused). */
  counts(): { requests: number; faulted: number; byKind: Record<FaultKind, number> };
  close(): Promise<void>;
}

const ALL_KINDS: FaultKind[] = ['http500', 'slowdown503', 'reset', 'stall', 'truncate'];

const SLOWDOWN_XML = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>';

// Without these a browser reports a CORS failure instead of the status the retry logic must see.
const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': '*' };

// Hop-by-hop headers describe one connection, not the message; each hop sets its own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function endToEnd(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

export async function startFaultProxy(upstream: string, options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(upstream);
  const basePath = target.pathname.replace(/\/$/, '');
  const kinds = options.kinds?.length ? options.kinds : ALL_KINDS;
  const stallMs = options.stallMs ?? 20_000;
  const exempt = new Set((options.exemptMethods ?? []).map((m) => m.toUpperCase()));
  const random = mulberry32(options.seed);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const stalls = new Set<NodeJS.Timeout>();
  const byKind = Object.fromEntries(ALL_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  let requests = 0;
  let faulted = 0;

  function forward(req: IncomingMessage, res: ServerResponse, onResponse: (upRes: IncomingMessage) => void): void {
    const upReq = httpRequest({
      agent,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: basePath + (req.url ?? '/'),
      // The client's Host goes through unchanged: SigV4 signs it, and s3rver rejects a signed
      // request whose Host was rewritten. An IP or localhost Host keeps s3rver on path-style.
      headers: endToEnd(req.headers),
    }, onResponse);
    upReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain', ...CORS_HEADERS }).end('upstream unreachable');
      else req.socket.destroy();
    });
    // A client that gives up must not leave the upstream request holding a pooled socket.
    res.on('close', () => { if (!res.writableFinished) upReq.destroy(); });
    req.pipe(upReq);
  }

  function truncate(req: IncomingMessage, res: ServerResponse): void {
    forward(req, res, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (chunk: Buffer) => chunks.push(chunk));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks);
        if (body.length === 0) return void req.socket.destroy();
        const headers = endToEnd(upRes.headers);
        // The client only notices a short body if it was promised the full length.
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
        res.writeHead(upRes.statusCode ?? 502, headers);
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy());
      });
    });
  }

  function fault(kind: FaultKind, req: IncomingMessage, res: ServerResponse): void {
    switch (kind) {
      case 'http500': return void res.writeHead(500, { 'Content-Type': 'text/plain', ...CORS_HEADERS }).end('injected fault');
      case 'slowdown503': return void res.writeHead(503, { 'Content-Type': 'application/xml', ...CORS_HEADERS }).end(SLOWDOWN_XML);
      case 'reset': return void req.socket.destroy();
      case 'truncate': return truncate(req, res);
      case 'stall': {
        const timer = setTimeout(() => { stalls.delete(timer); req.socket.destroy(); }, stallMs);
        stalls.add(timer);
        req.socket.once('close', () => { clearTimeout(timer); stalls.delete(timer); });
      }
    }
  }

  const server = createServer((req, res) => {
    requests += 1;
    // Draw for every request, exempt or not, so exemptions do not shift which later requests fault.
    const hit = random() < options.rate && !exempt.has((req.method ?? '').toUpperCase());
    const forced = options.always?.(req.method ?? 'GET', req.url ?? '/') ?? null;
    if (forced) {
      byKind[forced] += 1;
      return fault(forced, req, res);
    }
    if (!hit) {
      forward(req, res, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEnd(upRes.headers));
        upRes.pipe(res);
      });
      return;
    }
    const kind = kinds[faulted % kinds.length]!;
    faulted += 1;
    byKind[kind] += 1;
    fault(kind, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as { port: number };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ requests, faulted, byKind: { ...byKind } }),
    close: () => new Promise<void>((done) => {
      for (const timer of stalls) clearTimeout(timer);
      stalls.clear();
      server.close(() => done());
      for (const socket of sockets) socket.destroy();
      agent.destroy();
    }),
  };
}
