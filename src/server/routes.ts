// Routes the dev server, the preview server and the CLI's server add to the app: a local folder
// of images as a streamed manifest, a local list file and the files it names, and a local model
// folder. Missing files are 404s, never the app's index.html (transformers.js probes optional
// model files and must see them missing). Only what a listing gives is served: see local-files.ts.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { basename, dirname, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { PACK_HEADER } from '../net/pack.ts';
import { entries, manifestFormat } from '../datasets/manifest.ts';
import { servePack } from './data-pack.ts';
import { listedFile, pathSegments, realRoot, walkFiles } from './local-files.ts';
import { proxyS3, proxyStatus, s3Upstreams, S3_PROXY, S3_PROXY_STATUS } from './s3-proxy.ts';

export { walkFiles };

export interface RouteOptions {
  /** A folder of images, listed at /data/manifest.jsonl and served under /data/files/. */
  dataDir?: string;
  /**
   * A list file on this disk, served as /data/files/<its name>; of its folder, only the files the
   * list names by a relative URL are served, nothing else (no manifest, no packs).
   */
  dataList?: string;
  /**
   * Dataset files named one by one (WebDataset tar shards, Parquet files), listed at
   * /data/manifest.jsonl and served as /data/files/<name>, by ranges where asked; nothing else of
   * their folders. Their names must differ.
   */
  dataFiles?: readonly string[];
  /** Dataset files on other servers (a brace pattern's URLs), listed at /data/manifest.jsonl as they are. */
  dataUrls?: readonly string[];
  /** A model folder in the Hub's layout, served as /models/tench-local/<folder name>/. */
  modelDir?: string;
  /**
   * A Hub model the CLI keeps in the Hugging Face cache, served at /hub/ in the Hub's layout
   * (/hub/<id>/resolve/<revision>/<file>): that model at that revision, nothing else.
   */
  hubModel?: HubModelFiles;
  /** The same-origin S3 route for buckets without CORS (on unless false). */
  s3Proxy?: boolean;
  /** S3-compatible endpoints the S3 route may forward to, besides AWS S3 itself. */
  s3Endpoints?: readonly string[];
}

/** A Hub model's files: the path of one in a cache, fetched there first if need be; null if none. */
export interface HubModelFiles {
  id: string;
  revision: string;
  file(path: string): Promise<string | null>;
}

/** Where the CLI's server serves a Hub model from its cache: the page takes it for the hub. */
export const HUB_ROUTE = '/hub';

export const DATA_MANIFEST = '/data/manifest.jsonl';
/** Many files of the folder in one response (src/net/pack.ts); named by the manifest's header. */
export const DATA_PACK = '/data/pack';
export const DATA_FILES = '/data/files/';
/** Where a local model folder is served. The id must pass transformers.js's Hub id check
 * (letters, digits, '-', '_', '.'), or it does not look under localModelPath at all. */
export const LOCAL_MODELS = 'tench-local';
export function localModelId(modelDir: string): string {
  const name = basename(resolve(modelDir)).replace(/[^\w.-]+/g, '-').replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 96);
  return `${LOCAL_MODELS}/${name || 'model'}`;
}

/** Each path segment percent-encoded: names may hold '#', '?', '%' or spaces. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The manifest's lines: a file to classify, or one the listing skipped and why (counted by the page). */
async function serveManifest(root: string, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/jsonl; charset=utf-8', 'cache-control': 'no-store', [PACK_HEADER]: 'pack' });
  // The answer starts now: a folder of millions of files takes a while to read before its first
  // line, and the page counts silence against its request timeout.
  res.flushHeaders();
  const skipped: string[] = [];
  const flush = async (line: string) => {
    if (!res.write(`${line}\n`)) await new Promise((r) => res.once('drain', r));
  };
  for await (const f of walkFiles(root, (s) => skipped.push(JSON.stringify({ skip: s.path, reason: s.reason })))) {
    while (skipped.length) await flush(skipped.shift()!);
    await flush(JSON.stringify({ url: `files/${encodePath(f.path)}`, path: f.path, size: f.size, etag: `${f.size}-${f.mtimeMs}` }));
  }
  for (const line of skipped) await flush(line);
  res.end();
}

/** The named files and URLs as a list, in the order given. */
async function serveFileList(files: readonly string[], urls: readonly string[], res: ServerResponse): Promise<void> {
  const lines: string[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => null);
    const known = info ? { size: info.size, etag: `${info.size}-${Math.round(info.mtimeMs)}` } : {};
    lines.push(JSON.stringify({ url: `files/${encodeURIComponent(basename(file))}`, path: basename(file), ...known }));
  }
  for (const url of urls) lines.push(JSON.stringify({ url, path: decodeURIComponent(new URL(url).pathname.split('/').pop() || url) }));
  res.writeHead(200, { 'content-type': 'application/jsonl; charset=utf-8', 'cache-control': 'no-store' });
  res.end(lines.map((line) => `${line}\n`).join(''));
}

/** '/a%23b/c.png' -> 'a#b/c.png', each segment decoded whole; null when it does not decode. */
function decodedPath(encoded: string): string | null {
  try {
    return encoded.split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', onnx: 'application/octet-stream', txt: 'text/plain; charset=utf-8' };

/**
 * One file, found by `find` (null: 404). Not through sirv: it decodes with decodeURI, which leaves
 * '%3D', '%23', '%3F' and the like encoded, so files whose names hold them would be missing, and
 * it follows links wherever they lead.
 */
async function sendFile(file: string | null, res: ServerResponse, req?: IncomingMessage): Promise<void> {
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) return notFound(res);
  const type = CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
  const headers = { 'content-type': type, 'cache-control': 'no-store', 'accept-ranges': 'bytes' };
  const range = byteRange(req?.headers.range, info.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${info.size}` }).end();
    return;
  }
  if (range) res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${info.size}` });
  else res.writeHead(200, { ...headers, 'content-length': info.size });
  if (req?.method === 'HEAD' || info.size === 0) return void res.end();
  await new Promise<void>((done) => createReadStream(file, range ?? {}).on('error', () => done()).on('end', () => done()).pipe(res));
}

/**
 * A Range header's one range (bytes=a-b, a-, -n) within a file of `size` bytes: a Parquet file is
 * read by ranges. Null for none (or several: the whole file answers them); past the end, unsatisfiable.
 */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

/** Memoized, dropped if it fails, so that a later request tries again. */
function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make().catch((error: unknown) => {
    made = null;
    throw error;
  }));
}

/**
 * The files of the list's folder the list names (by a URL relative to the list, within its
 * folder), as decoded paths. Read once, on the first request for one.
 */
async function namedByList(list: string): Promise<Set<string>> {
  const base = `http://list.invalid${DATA_FILES}${encodeURIComponent(basename(list))}`;
  const named = new Set<string>();
  const body = Readable.toWeb(createReadStream(list)) as ReadableStream<Uint8Array>;
  // The user's own file on this disk: the page applies the run's line limit when it reads it.
  for await (const entry of entries(body, manifestFormat(list), Number.MAX_SAFE_INTEGER)) {
    let url: URL;
    try {
      url = new URL(entry.url, base);
    } catch {
      continue;
    }
    if (url.origin !== 'http://list.invalid' || !url.pathname.startsWith(DATA_FILES)) continue;
    const path = decodedPath(url.pathname.slice(DATA_FILES.length));
    if (path) named.add(path);
  }
  return named;
}

/** '<id>/resolve/<revision>/<file>' of the one model served; null for anything else. */
async function hubFile(model: HubModelFiles, rest: string): Promise<string | null> {
  const prefix = `${model.id}/resolve/${encodeURIComponent(model.revision)}/`;
  if (!rest.startsWith(prefix)) return null;
  const file = decodedPath(rest.slice(prefix.length));
  if (file === null || !pathSegments(file)) return null;
  return model.file(file);
}

const reasonText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function failed(res: ServerResponse): () => void {
  return () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  };
}

export function routesMiddleware(options: RouteOptions): Connect.NextHandleFunction {
  const upstreams = s3Upstreams(options.s3Endpoints ?? []);
  const modelPrefix = options.modelDir ? `/models/${localModelId(options.modelDir)}/` : null;
  const dataDir = options.dataDir ? resolve(options.dataDir) : null;
  const dataReal = dataDir ? memo(() => realRoot(dataDir)) : null;
  const list = options.dataList ? resolve(options.dataList) : null;
  const listDir = list ? dirname(list) : null;
  const listReal = listDir ? memo(() => realRoot(listDir)) : null;
  const listed = list ? memo(() => namedByList(list)) : null;
  const modelDir = options.modelDir ? resolve(options.modelDir) : null;
  const namedFiles = new Map((options.dataFiles ?? []).map((file) => [basename(file), resolve(file)]));
  const modelReal = modelDir ? memo(() => realRoot(modelDir)) : null;

  /** A data file as the page names it: in the folder's listing, or the list (or one it names). */
  const dataFile = async (encoded: string): Promise<string | null> => {
    const path = decodedPath(encoded);
    if (path === null) return null;
    if (dataDir) return listedFile(dataDir, await dataReal!(), path);
    if (namedFiles.size) return namedFiles.get(path) ?? null;
    if (!list) return null;
    if (path === basename(list)) return list;
    if (!(await listed!()).has(path)) return null;
    return listedFile(listDir!, await listReal!(), path);
  };

  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (options.s3Proxy !== false && path === S3_PROXY_STATUS) return proxyStatus(res);
    if (options.s3Proxy !== false && (path === S3_PROXY || path.startsWith(`${S3_PROXY}/`))) return proxyS3(req, res, path, upstreams);
    if (path === DATA_MANIFEST && (namedFiles.size || options.dataUrls?.length)) {
      serveFileList([...namedFiles.values()], options.dataUrls ?? [], res).catch(failed(res));
      return;
    }
    if (path === DATA_MANIFEST) {
      if (!dataDir) return notFound(res);
      serveManifest(dataDir, res).catch((error) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(`\n{"error": ${JSON.stringify(String(error))}}\n`);
      });
      return;
    }
    if (path === DATA_PACK) {
      if (!dataDir) return notFound(res);
      dataReal!().then((real) => servePack(dataDir, real, req, res)).catch(failed(res));
      return;
    }
    if (path.startsWith(DATA_FILES)) {
      dataFile(path.slice(DATA_FILES.length)).then((file) => sendFile(file, res, req)).catch(failed(res));
      return;
    }
    if (modelPrefix && path.startsWith(modelPrefix)) {
      const rel = decodedPath(path.slice(modelPrefix.length));
      (rel === null ? Promise.resolve(null) : modelReal!().then((real) => listedFile(modelDir!, real, rel)))
        .then((file) => sendFile(file, res)).catch(failed(res));
      return;
    }
    if (path.startsWith(`/models/${LOCAL_MODELS}/`)) return notFound(res);
    if (path.startsWith(`${HUB_ROUTE}/`)) {
      if (!options.hubModel) return notFound(res);
      hubFile(options.hubModel, path.slice(HUB_ROUTE.length + 1)).then((file) => sendFile(file, res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(reasonText(error));
      });
      return;
    }
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
