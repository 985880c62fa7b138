// The CLI's local server: the built app, plus the dataset folder and the model folder it was
// given, on a free loopback port. A plain Node server, not Vite's preview: Vite's installs
// process-wide SIGTERM and stdin handlers that exit the process, and the CLI owns those.
//
// Any process on this machine can connect to a loopback port, and curl sets any Host header. So
// every request must also carry the key made for this server (256 random bits), which only the
// browser tench started holds: an HttpOnly cookie set in its context before the page opens (a
// cookie, because the page's workers, module imports, WebAssembly and model fetches all send it
// without being told to, where a header would have to be added to each).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import sirv from 'sirv';
import type { Connect } from 'vite';
import { ISOLATION_HEADERS } from '../server/isolation.ts';
import { cspHeaderFor } from '../server/csp.ts';
import { routesMiddleware, type RouteOptions } from '../server/routes.ts';

export interface Served {
  origin: string;
  /** Lets this context's pages use the server (sets the key's cookie); nothing else can. */
  admit(context: BrowserContext): Promise<void>;
  /**
   * A URL of this server that sets the key's cookie and leads on to `path`, for a browser started
   * without Playwright (the bench's plain one). It carries the key: never print it.
   */
  entry(path: string): string;
  close(): Promise<void>;
}

/** The cookie that carries the server's key, and the query parameter of an entry URL. */
export const KEY_COOKIE = 'tench-key';

/** Whether a Cookie header holds `key` under KEY_COOKIE, compared in constant time. */
export function holdsKey(cookie: string | undefined, key: Buffer): boolean {
  for (const part of (cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== KEY_COOKIE) continue;
    const given = Buffer.from(part.slice(eq + 1).trim());
    if (given.length === key.length && timingSafeEqual(given, key)) return true;
  }
  return false;
}

/** `before`: routes tried ahead of the app's (the bench adds the one its pages report to). */
export async function serve(outDir: string, routes: RouteOptions, port = 0, before?: Connect.NextHandleFunction): Promise<Served> {
  const local = routesMiddleware(routes);
  const app = sirv(outDir, {
    etag: true,
    dotfiles: false,
    setHeaders: (res, pathname) => {
      setIsolation(res);
      res.setHeader('Content-Security-Policy', cspHeaderFor(pathname));
    },
  });
  // Only requests addressed to this server by its own loopback name: a page elsewhere whose host
  // name was pointed at 127.0.0.1 (DNS rebinding) gets nothing, the S3 proxy included.
  let own = new Set<string>();
  const key = Buffer.from(randomBytes(32).toString('base64url'));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!own.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end(`this server answers only as ${[...own].map((h) => `http://${h}`).join(' or ')}`);
      return;
    }
    if (!holdsKey(req.headers.cookie, key)) {
      // Before any route runs: nothing is read, listed or forwarded for a request without the key.
      if (!entered(req, res, key)) res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('this server answers only the page tench opened');
      return;
    }
    setIsolation(res);
    const rest = () => local(req, res, () => app(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }));
    if (before) before(req, res, rest);
    else rest();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
  const { port: bound } = server.address() as AddressInfo;
  own = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
  const origin = `http://127.0.0.1:${bound}`;
  return {
    origin,
    entry: (path) => {
      const url = new URL(path, origin);
      url.searchParams.set(KEY_COOKIE, key.toString());
      return url.href;
    },
    admit: (context) => context.addCookies([{ name: KEY_COOKIE, value: key.toString(), url: origin, httpOnly: true, sameSite: 'Strict' }]),
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

/** A GET of an entry URL with the right key: the cookie is set and the browser sent on without the key. */
function entered(req: IncomingMessage, res: ServerResponse, key: Buffer): boolean {
  if (req.method !== 'GET') return false;
  const url = new URL(req.url ?? '/', 'http://server');
  const given = url.searchParams.get(KEY_COOKIE);
  if (given === null || !holdsKey(`${KEY_COOKIE}=${given}`, key)) return false;
  url.searchParams.delete(KEY_COOKIE);
  res.writeHead(303, {
    location: `${url.pathname}${url.search}`,
    'set-cookie': `${KEY_COOKIE}=${key.toString()}; Path=/; HttpOnly; SameSite=Strict`,
    'cache-control': 'no-store',
  }).end();
  return true;
}

function setIsolation(res: ServerResponse): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
}
