// The CLI's local server: the built app, plus the dataset folder and the model folder it was
// given, on a free loopback port. A plain Node server, not Vite's preview: Vite's installs
// process-wide SIGTERM and stdin handlers that exit the process, and the CLI owns those.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';
import type { Connect } from 'vite';
import { ISOLATION_HEADERS } from '../server/isolation.ts';
import { CONTENT_SECURITY_POLICY_HEADER } from '../server/csp.ts';
import { routesMiddleware, type RouteOptions } from '../server/routes.ts';

export interface Served {
  origin: string;
  close(): Promise<void>;
}

/** `before`: routes tried ahead of the app's (the bench adds the one its pages report to). */
export async function serve(outDir: string, routes: RouteOptions, port = 0, before?: Connect.NextHandleFunction): Promise<Served> {
  const local = routesMiddleware(routes);
  const app = sirv(outDir, {
    etag: true,
    dotfiles: false,
    setHeaders: (res) => {
      setIsolation(res);
      res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER);
    },
  });
  // Only requests addressed to this server by its own loopback name: a page elsewhere whose host
  // name was pointed at 127.0.0.1 (DNS rebinding) gets nothing, the S3 proxy included.
  let own = new Set<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!own.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end(`this server answers only as ${[...own].map((h) => `http://${h}`).join(' or ')}`);
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
  return {
    origin: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

function setIsolation(res: ServerResponse): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
}
