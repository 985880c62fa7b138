// A same-origin route to S3 for buckets that send no CORS headers (most public ones): the page
// signs each request for the bucket itself, then sends it here with the bucket's origin in a
// header; this passes it on unchanged and streams the answer back. Read-only: GET and HEAD.

import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { networkReason } from '../net/network-error.ts';
import { S3_PROXY, UPSTREAM_HEADER } from '../net/s3-client.ts';

export { S3_PROXY };

/** Request headers that go on to S3: the signed ones and those that shape the answer. */
const FORWARDED = /^(authorization|x-amz-.*|range|if-match|if-none-match|if-modified-since|if-unmodified-since|amz-sdk-.*)$/i;
/** Answer headers that come back. */
const RETURNED = /^(content-type|content-length|content-range|etag|last-modified|accept-ranges|x-amz-.*)$/i;

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(reason);
}

export function proxyS3(req: IncomingMessage, res: ServerResponse, path: string): void {
  // The page asks whether the route is here before it relies on it.
  if (path === S3_PROXY || path === `${S3_PROXY}/`) {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"tench":"s3-proxy"}');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'the S3 proxy only reads');
  const upstream = req.headers[UPSTREAM_HEADER];
  let target: URL;
  try {
    if (typeof upstream !== 'string') throw new Error('missing');
    target = new URL(upstream);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http');
  } catch {
    return refuse(res, 400, `the S3 proxy needs the bucket's http(s) origin in ${UPSTREAM_HEADER}`);
  }
  const headers: Record<string, string> = { host: target.host };
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && FORWARDED.test(name)) headers[name] = value;
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstreamRequest = send({
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port || undefined,
    method: req.method,
    path: (req.url ?? '/').slice(S3_PROXY.length) || '/',
    headers,
  }, (answer) => {
    const back: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && RETURNED.test(name)) back[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
  });
  upstreamRequest.on('error', (error: NodeJS.ErrnoException) => {
    if (res.headersSent) return res.destroy(error);
    // As S3 words an error, so that the page's S3 client reads the reason rather than failing to
    // parse the answer; a connection cut or timed out may go through on another try, a name that
    // does not resolve, a refused connection or a bad certificate will not.
    const code = /^(ETIMEDOUT|ECONNRESET|EPIPE)$/.test(error.code ?? '') ? 'UpstreamTimeout' : 'UpstreamUnreachable';
    const message = `the S3 proxy could not reach ${target.origin}: ${networkReason(error, target.origin) ?? error.message}`.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
    res.writeHead(502, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  });
  req.on('close', () => {
    if (!res.writableFinished) upstreamRequest.destroy();
  });
  upstreamRequest.end();
}
