// A Hugging Face Hub mirror on loopback: a model folder served as the Hub lays files out,
// <endpoint>/<org>/<name>/resolve/<revision>/<file>, with the Hub's CORS, recording each request.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface HubMirror {
  endpoint: string;
  /** Every request but CORS preflights: method, path, and the Authorization header sent. */
  requests: Array<{ method: string; path: string; authorization: string | null }>;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range, content-type, cache-control',
  'access-control-expose-headers': 'content-length, content-range, etag, x-linked-size, x-repo-commit',
};

export async function startHubMirror(modelDir: string, repo: string, revision: string): Promise<HubMirror> {
  const prefix = `/${repo}/resolve/${revision}/`;
  const requests: HubMirror['requests'] = [];
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') return res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD' }).end();
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization ?? null });
    const file = path.startsWith(prefix) ? join(modelDir, normalize(path.slice(prefix.length))) : null;
    if (!file || !file.startsWith(modelDir) || !existsSync(file) || !statSync(file).isFile()) {
      return res.writeHead(404, { ...CORS, 'content-type': 'text/plain' }).end('Entry not found');
    }
    res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': statSync(file).size, etag: `"${statSync(file).mtimeMs}"` });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
