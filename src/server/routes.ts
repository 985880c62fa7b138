// Routes the dev server, the preview server and the CLI's server add to the app: a local folder
// of images as a streamed manifest, and a local model folder. Missing files are 404s, never the
// app's index.html (transformers.js probes optional model files and must see them missing).

import { createReadStream } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, join, resolve, sep } from 'node:path';
import sirv from 'sirv';
import type { Connect, Plugin } from 'vite';
import { PACK_HEADER } from '../datasets/pack.ts';
import { servePack } from './data-pack.ts';
import { proxyS3, s3Upstreams, S3_PROXY } from './s3-proxy.ts';

export interface RouteOptions {
  /** A folder of images, listed at /data/manifest.jsonl and served under /data/files/. */
  dataDir?: string;
  /** A model folder in the Hub's layout, served as /models/tench-local/<folder name>/. */
  modelDir?: string;
  /** The same-origin S3 route for buckets without CORS (on unless false). */
  s3Proxy?: boolean;
  /** S3-compatible endpoints the S3 route may forward to, besides AWS S3 itself. */
  s3Endpoints?: readonly string[];
}

export const DATA_MANIFEST = '/data/manifest.jsonl';
/** Many files of the folder in one response (src/datasets/pack.ts); named by the manifest's header. */
export const DATA_PACK = '/data/pack';
/** Where a local model folder is served. The id must pass transformers.js's Hub id check
 * (letters, digits, '-', '_', '.'), or it does not look under localModelPath at all. */
export const LOCAL_MODELS = 'tench-local';
export function localModelId(modelDir: string): string {
  const name = basename(resolve(modelDir)).replace(/[^\w.-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 96);
  return `${LOCAL_MODELS}/${name || 'model'}`;
}

/** Sorted recursive walk, yielding paths relative to root with '/' separators. */
export async function* walkFiles(root: string, rel = ''): AsyncGenerator<{ path: string; size: number; mtimeMs: number }> {
  const names: Array<{ name: string; dir: boolean }> = [];
  for await (const entry of await opendir(join(root, rel))) {
    if (entry.isDirectory()) names.push({ name: entry.name, dir: true });
    else if (entry.isFile()) names.push({ name: entry.name, dir: false });
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, dir } of names) {
    const path = rel ? `${rel}/${name}` : name;
    if (dir) yield* walkFiles(root, path);
    else {
      const s = await stat(join(root, path));
      yield { path, size: s.size, mtimeMs: Math.round(s.mtimeMs) };
    }
  }
}

/** Each path segment percent-encoded: names may hold '#', '?', '%' or spaces. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

async function serveManifest(root: string, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/jsonl; charset=utf-8', 'cache-control': 'no-store', [PACK_HEADER]: 'pack' });
  for await (const f of walkFiles(root)) {
    const line = JSON.stringify({ url: `files/${encodePath(f.path)}`, path: f.path, size: f.size, etag: `${f.size}-${f.mtimeMs}` });
    if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

/**
 * One file of the data folder. Not through sirv: it decodes with decodeURI, which leaves '%3D',
 * '%23', '%3F' and the like encoded, so files whose names hold them would be missing. Each
 * segment is decoded whole here, and nothing outside the folder can be named.
 */
async function serveDataFile(root: string, encoded: string, res: ServerResponse): Promise<void> {
  let segments: string[];
  try {
    segments = encoded.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return notFound(res);
  }
  if (!segments.length || segments.some((s) => s === '.' || s === '..' || s.includes('/') || (sep === '\\' && s.includes('\\')) || s.includes('\0'))) return notFound(res);
  const file = resolve(root, ...segments);
  if (!file.startsWith(root + sep)) return notFound(res);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return notFound(res);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size, 'cache-control': 'no-store' });
  await new Promise<void>((done) => createReadStream(file).on('error', () => done()).on('end', () => done()).pipe(res));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

export function routesMiddleware(options: RouteOptions): Connect.NextHandleFunction {
  const model = options.modelDir ? sirv(resolve(options.modelDir), { dev: true }) : null;
  const upstreams = s3Upstreams(options.s3Endpoints ?? []);
  const modelPrefix = options.modelDir ? `/models/${localModelId(options.modelDir)}/` : null;

  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (options.s3Proxy !== false && (path === S3_PROXY || path.startsWith(`${S3_PROXY}/`))) return proxyS3(req, res, path, upstreams);
    if (path === DATA_MANIFEST) {
      if (!options.dataDir) return notFound(res);
      serveManifest(resolve(options.dataDir), res).catch((error) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(`\n{"error": ${JSON.stringify(String(error))}}\n`);
      });
      return;
    }
    if (path === DATA_PACK) {
      if (!options.dataDir) return notFound(res);
      servePack(resolve(options.dataDir), req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (path.startsWith('/data/files/')) {
      if (!options.dataDir) return notFound(res);
      serveDataFile(resolve(options.dataDir), path.slice('/data/files/'.length), res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (modelPrefix && path.startsWith(modelPrefix)) {
      req.url = url.slice(modelPrefix.length - 1);
      return model!(req, res, () => notFound(res));
    }
    if (path.startsWith(`/models/${LOCAL_MODELS}/`)) return notFound(res);
    next();
  };
}

export function tenchRoutes(options: RouteOptions = {}): Plugin {
  return {
    name: 'tench-routes',
    configureServer(server) {
      server.middlewares.use(routesMiddleware(options));
    },
    configurePreviewServer(server) {
      server.middlewares.use(routesMiddleware(options));
    },
  };
}
