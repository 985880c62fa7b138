// A Hugging Face Hub mirror on loopback: a model folder served as the Hub lays files out,
// <endpoint>/<org>/<name>/resolve/<revision>/<file>, with the Hub's CORS, recording each request.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface HubMirror {
  endpoint: string;
  /** Every request but CORS preflights: method, path, the Authorization and Range headers sent. */
  requests: Array<{ method: string; path: string; authorization: string | null; range?: string }>;
  close(): Promise<void>;
}

const HUB_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range, content-type, cache-control',
  'access-control-expose-headers': 'content-length, content-range, etag, x-linked-size, x-repo-commit',
};

/**
 * `cors: false`: a plain file server, as most corporate mirrors are, which a page cannot read.
 * `commit`: sent as the Hub sends it (X-Repo-Commit), with each file's sha256 as its ETag.
 */
export async function startHubMirror(modelDir: string, repo: string, revision: string, options: { cors?: boolean; commit?: string } = {}): Promise<HubMirror> {
  const prefix = `/${repo}/resolve/${revision}/`;
  const requests: HubMirror['requests'] = [];
  const CORS = options.cors === false ? {} : HUB_CORS;
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') return res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD' }).end();
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization ?? null, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const file = path.startsWith(prefix) ? join(modelDir, normalize(path.slice(prefix.length))) : null;
    if (!file || !file.startsWith(modelDir) || !existsSync(file) || !statSync(file).isFile()) {
      return res.writeHead(404, { ...CORS, 'content-type': 'text/plain' }).end('Entry not found');
    }
    // A byte range, as the Hub answers one (transformers.js asks for the first byte to learn a size).
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range && req.method === 'GET') {
      const size = statSync(file).size;
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), size - 1);
      res.writeHead(206, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
      return createReadStream(file, { start, end }).pipe(res);
    }
    const etag = options.commit ? createHash('sha256').update(readFileSync(file)).digest('hex') : String(statSync(file).mtimeMs);
    res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': statSync(file).size, etag: `"${etag}"`, ...(options.commit ? { 'x-repo-commit': options.commit } : {}) });
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
