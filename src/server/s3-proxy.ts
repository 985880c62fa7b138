// A same-origin route to S3 for buckets that send no CORS headers (most public ones): the page
// signs each request for the bucket itself, then sends it here with the bucket's origin in a
// header; this passes it on unchanged and streams the answer back. Read-only: GET and HEAD, and
// only to S3: AWS's own S3 hosts over https, and the endpoints the server was started with. Any
// other origin (a cloud metadata service, a host on the private network) is refused before a
// connection is made: whoever can reach this server must not make it fetch what they choose.

import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup } from 'node:dns';
import { networkReason } from '../net/network-error.ts';
import { S3_PROXY, S3_PROXY_STATUS, UPSTREAM_HEADER } from '../net/s3-client.ts';

export { S3_PROXY, S3_PROXY_STATUS };

/** Request headers that go on to S3: the signed ones and those that shape the answer. */
const FORWARDED = /^(authorization|x-amz-.*|range|if-match|if-none-match|if-modified-since|if-unmodified-since|amz-sdk-.*)$/i;
/** Answer headers that come back. */
const RETURNED = /^(content-type|content-length|content-range|etag|last-modified|accept-ranges|x-amz-.*)$/i;

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(reason);
}

/**
 * AWS S3's hosts: path-style and virtual-hosted, regional, dual-stack, accelerate, FIPS, Express,
 * China. The s3 label is followed by at most dualstack and a region: a name such as
 * s3-x.us-east-1.elb.amazonaws.com (a load balancer whose name its owner chose) is not S3.
 */
const AWS_S3_HOST = /^([a-z0-9][a-z0-9.-]*\.)?s3[a-z0-9-]*(\.dualstack)?(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;

/** The variable the dev and preview servers read for the S3-compatible endpoints their proxy may reach. */
export const S3_ENDPOINTS_VARIABLE = 'TENCH_S3_ENDPOINTS';

/** Whether the proxy may forward to a target: AWS S3 over https, or one of `endpoints` (their
 * origins; a virtual-hosted bucket under an endpoint's host counts as that endpoint). The
 * endpoints are read once, not for each request. */
export function s3Upstreams(endpoints: readonly string[]): (target: URL) => boolean {
  const given = endpoints.filter((e) => URL.canParse(e)).map((e) => new URL(e));
  return (target) => {
    if (target.protocol === 'https:' && AWS_S3_HOST.test(target.hostname) && (target.port === '' || target.port === '443')) return true;
    return given.some((e) => e.protocol === target.protocol && e.port === target.port && (e.hostname === target.hostname || target.hostname.endsWith(`.${e.hostname}`)));
  };
}

/** S3 words its errors in XML: the page's S3 client reads the reason from it. */
function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const text = message.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${text}</Message></Error>`);
}

/** '/s3-proxy/bucket/key?x' -> '/bucket/key?x'; '/s3-proxy?list-type=2' -> '/?list-type=2'. */
export function upstreamPath(url: string): string {
  const rest = url.slice(S3_PROXY.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The page asks whether the route is here before it relies on it. */
export function proxyStatus(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"tench":"s3-proxy"}');
}

/**
 * Names under .localhost are the loopback address (RFC 6761), as browsers resolve them; the
 * system's resolver may not know them, and a virtual-hosted bucket of a local endpoint is one.
 */
function lookupLocalhost(hostname: string, options: object, callback: (...args: never[]) => void): void {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    const all = (options as { all?: boolean }).all;
    (callback as (e: null, a: unknown, f?: number) => void)(null, all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', all ? undefined : 4);
    return;
  }
  lookup(hostname, options, callback as never);
}

export function proxyS3(req: IncomingMessage, res: ServerResponse, path: string, allowed: (target: URL) => boolean = s3Upstreams([])): void {
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
  if (!allowed(target)) {
    return s3Error(res, 403, 'UpstreamNotAllowed', `the S3 proxy forwards only to AWS S3 and to the endpoints its server was started with, and ${target.origin} is neither: give it to the tench CLI as --s3-endpoint, or to npm start / npm run preview in ${S3_ENDPOINTS_VARIABLE}`);
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
    path: upstreamPath(req.url ?? '/'),
    headers,
    lookup: lookupLocalhost,
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
    s3Error(res, 502, code, `the S3 proxy could not reach ${target.origin}: ${networkReason(error, target.origin) ?? error.message}`);
  });
  req.on('close', () => {
    if (!res.writableFinished) upstreamRequest.destroy();
  });
  upstreamRequest.end();
}
