// One way to build an S3 client, for the page's listing and the workers' downloads alike.

import { S3Client } from '@aws-sdk/client-s3';

/** How to reach a bucket. Credentials stay in memory: never stored, logged or exported. */
/** Keys, as typed or as a credential chain resolved them; expiration in ms since the epoch. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: number;
}

/** Asked before each request; answers from memory until the credentials near their expiry. */
export type CredentialSource = () => Promise<Credentials>;

export interface S3Access {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: Credentials | CredentialSource;
  /** A same-origin proxy route (the tench servers' /s3-proxy) to send requests through, for
   * buckets that send no CORS headers. Requests are signed for the bucket, then redirected. */
  proxy?: string;
}

/** The route, on the app's own origin, of the S3 proxy the tench servers offer. */
export const S3_PROXY = '/s3-proxy';
/**
 * Where the page asks whether that route is there: beside it, not under it, where every path is
 * an S3 path (a virtual-hosted bucket's own listing is /s3-proxy/?list-type=2).
 */
export const S3_PROXY_STATUS = '/s3-proxy-status';

/** Where the proxy is told to send a request on: the request's own origin, as signed. */
export const UPSTREAM_HEADER = 'x-tench-upstream';


/** Renewed this long before they expire, so a request signed with them still lands in time. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** Credentials that expire, renewed from `renew` shortly before they do; others as they are. */
export function renewing(first: Credentials, renew: () => Promise<Credentials | undefined>): CredentialSource {
  let current = first;
  let pending: Promise<Credentials> | null = null;
  return async () => {
    if (current.expiration === undefined || current.expiration - Date.now() > RENEW_BEFORE_MS) return current;
    pending ??= renew().then((fresh) => {
      if (fresh) current = fresh;
      return current;
    }).finally(() => {
      pending = null;
    });
    return pending;
  };
}

/** The SDK's form: a provider whose expiration is a Date. */
function forSdk(credentials: Credentials | CredentialSource) {
  const sdk = (c: Credentials) => ({ ...c, expiration: c.expiration === undefined ? undefined : new Date(c.expiration) });
  return typeof credentials === 'function' ? async () => sdk(await credentials()) : sdk(credentials);
}

let shared: { key: string; s3: S3Client } | null = null;

/** One client per S3 setup, kept between objects: its connections are reused. */
export function sharedS3Client(access: S3Access): S3Client {
  const key = JSON.stringify(access);
  if (shared?.key !== key) shared = { key, s3: makeS3Client(access) };
  return shared.s3;
}

export function makeS3Client(access: S3Access): S3Client {
  const client = new S3Client({
    region: access.region,
    endpoint: access.endpoint,
    forcePathStyle: access.forcePathStyle,
    ...(access.credentials
      ? { credentials: forSdk(access.credentials) }
      // Public buckets: requests go unsigned, as Ray's s3://anonymous@ does.
      : { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request) => request } }),
    // S3-compatible servers reject the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A bucket in another region answers with a redirect that names it: follow it, so users need
    // not know their bucket's region.
    followRegionRedirects: true,
    // tench tries again itself (src/datasets/retry.ts), with one policy for every request.
    maxAttempts: 1,
  });
  if (access.forcePathStyle) bareBucketPath(client);
  if (!access.credentials) simpleRequests(client);
  if (access.proxy) throughProxy(client, new URL(access.proxy));
  return client;
}

/** Headers the SDK adds for its own bookkeeping; any one of them makes a GET need a CORS preflight. */
const BOOKKEEPING_HEADERS = ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent'];

/**
 * Unsigned requests without the SDK's bookkeeping headers: a plain GET is then a "simple" request
 * that needs no CORS preflight, which halves the requests to a public bucket and leaves none that
 * an abort cannot cancel (Chromium lets a stalled preflight run on after its fetch is aborted).
 */
function simpleRequests(client: S3Client): void {
  const strip = (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
    const headers = (args.request as { headers: Record<string, string> }).headers;
    for (const name of BOOKKEEPING_HEADERS) delete headers[name];
    return next(args);
  };
  client.middlewareStack.addRelativeTo(strip as never, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tenchSimpleRequests' });
}

/**
 * Path-style bucket requests (a listing) as /bucket rather than /bucket/. S3, MinIO and R2 take
 * both; s3rver and other servers modelled on the older SDK check signatures against /bucket only.
 */
function bareBucketPath(client: S3Client): void {
  const trim = (next: (args: { input: unknown; request: unknown }) => Promise<unknown>) => async (args: { input: unknown; request: unknown }) => {
    const bucket = (args.input as { Bucket?: string }).Bucket;
    const request = args.request as { path: string };
    if (bucket && request.path === `/${bucket}/`) request.path = `/${bucket}`;
    return next(args);
  };
  client.middlewareStack.add(trim as never, { step: 'build', name: 'tenchBareBucketPath' });
}

/**
 * After signing, points the request at the proxy and names the real origin in a header. The
 * signature still matches: the proxy sends the same method, path, query and signed headers to
 * the same host.
 */
function throughProxy(client: S3Client, proxy: URL): void {
  const redirect = (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
    const request = args.request as { protocol: string; hostname: string; port?: number; path: string; headers: Record<string, string> };
    request.headers[UPSTREAM_HEADER] = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
    request.protocol = proxy.protocol;
    request.hostname = proxy.hostname;
    request.port = proxy.port ? Number(proxy.port) : undefined;
    request.path = `${proxy.pathname.replace(/\/$/, '')}${request.path}`;
    return next(args);
  };
  // The stack's types are generic over every command; this middleware only touches the HTTP request.
  client.middlewareStack.addRelativeTo(redirect as never, { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tenchS3Proxy' });
}
