// An S3 prefix, listed page by page: the first page's images are in the pipeline before the
// second page is asked for, and no listing is ever held whole.

import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { reasonOf } from '../core/outcome.ts';
import { isImagePath } from './filter.ts';
import type { Item } from '../core/item.ts';
import { idleTimer, REQUEST_TIMEOUT_MS, RetryableFailure, retryableS3, s3Reason, withRetries } from '../net/retry.ts';
import { makeS3Client, type S3Access } from '../net/s3-client.ts';
import { pageOrigin } from '../core/realm.ts';

export interface S3Location {
  bucket: string;
  prefix: string;
  /** s3://anonymous@bucket/...: unsigned requests, as in Ray. */
  anonymous: boolean;
  /** The region an https URL names (bucket.s3.eu-west-1.amazonaws.com); undefined when it does not. */
  region?: string;
}

export type ParsedUrl = { ok: true; value: S3Location } | { ok: false; reason: string };

const BUCKET = /^[a-z0-9][a-z0-9.\-_]{1,254}$/i;
/** bucket.s3.amazonaws.com, bucket.s3.REGION.amazonaws.com, bucket.s3-REGION.amazonaws.com */
const VIRTUAL_HOST = /^(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/i;
/** s3.amazonaws.com/bucket, s3.REGION.amazonaws.com/bucket, s3-REGION.amazonaws.com/bucket */
const PATH_HOST = /^s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/i;

function s3Location(bucket: string, prefix: string, anonymous: boolean, region?: string): ParsedUrl {
  if (!BUCKET.test(bucket)) return { ok: false, reason: `${JSON.stringify(bucket)} is not a bucket name` };
  const known = region && region !== 'dualstack' ? { region } : {};
  return { ok: true, value: { bucket, prefix, anonymous, ...known } };
}

/** An https URL of an S3 bucket, virtual-hosted or path-style; null for any other URL. */
function parseHttpsS3(url: URL): ParsedUrl | null {
  const path = decodeURIComponent(url.pathname.slice(1));
  const virtual = VIRTUAL_HOST.exec(url.hostname);
  if (virtual) return s3Location(virtual[1]!, path, false, virtual[2]);
  const pathStyle = PATH_HOST.exec(url.hostname);
  if (pathStyle) {
    const [bucket = '', ...rest] = path.split('/');
    return s3Location(bucket, rest.join('/'), false, pathStyle[1]);
  }
  return null;
}

/** Whether an http(s) URL names an S3 bucket rather than a file. */
/** An S3-compatible endpoint must be an http(s) URL with a host (what the CLI and the page both check). */
export function isEndpointUrl(endpoint: string): boolean {
  return /^https?:\/\/[^/]/i.test(endpoint);
}

export function isS3HttpsUrl(url: string): boolean {
  try {
    return parseHttpsS3(new URL(url)) !== null;
  } catch {
    return false;
  }
}

export function parseS3Url(url: string): ParsedUrl {
  const text = url.trim();
  if (/^https?:\/\//i.test(text)) {
    const parsed = isS3HttpsUrl(text) ? parseHttpsS3(new URL(text)) : null;
    return parsed ?? { ok: false, reason: `${JSON.stringify(url)} is not an S3 bucket URL like https://bucket.s3.us-east-1.amazonaws.com/prefix/` };
  }
  const m = /^s3:\/\/(?:(anonymous)@)?([^/@]+)(?:\/(.*))?$/.exec(text);
  if (!m) return { ok: false, reason: `${JSON.stringify(url)} is not an S3 URL like s3://bucket/prefix/` };
  return s3Location(m[2]!, m[3] ?? '', m[1] === 'anonymous');
}

export interface ListStats {
  listed: number;
  skipped: number;
  /** Of skipped, those skipped for another reason than their extension, by that reason (a link out of the folder, say). */
  skippedWhy?: Record<string, number>;
  /** Entries of a list that repeat a path listed before: dropped, so that each path is one row. */
  repeated?: number;
  /** Something the user should know about how the dataset is read (a proxy in use, say). */
  notice?: string;
}

/** A request the browser refused to make or to show the page: no CORS headers, or no answer at all. */
function blocked(error: unknown): boolean {
  const reason = error instanceof RetryableFailure ? error.reason : reasonOf(error);
  return error instanceof TypeError || /failed to fetch|networkerror|load failed/i.test(reason);
}

/** Whether the app's server offers the S3 proxy route at `url`: it says so beside it (S3_PROXY_STATUS). */
async function proxyOffered(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/$/, '')}-status`, { signal: AbortSignal.timeout(5000) });
    return response.ok && (await response.json() as { tench?: string }).tench === 's3-proxy';
  } catch {
    return false;
  }
}

function corsExplanation(where: S3Location, access: S3Access): string {
  const origin = pageOrigin() ?? 'this page';
  return `the browser could not read s3://${where.bucket}/${where.prefix}${access.endpoint ? ` at ${access.endpoint}` : ''}: either it is unreachable, or the bucket sends no CORS headers allowing ${origin} (most public buckets do not). Add a CORS rule to the bucket that allows GET from ${origin}, or open tench from its own server (npm start, npm run preview, or the tench CLI), which reads such buckets through its S3 proxy`;
}

/** One page of the listing, tried again as a download would be: throttling, 5xx, resets, stalls. */
async function listPage(client: S3Client, where: S3Location, token: string | undefined, signal: AbortSignal | undefined, timeoutMs: number): Promise<ListObjectsV2CommandOutput> {
  return withRetries(async () => {
    const idle = idleTimer(signal, timeoutMs);
    try {
      return await client.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, ContinuationToken: token, MaxKeys: 1000 }), { abortSignal: idle.signal });
    } catch (error) {
      if (idle.timedOut()) throw new RetryableFailure(`no answer for ${timeoutMs / 1000} s`);
      if (signal?.aborted) throw error;
      throw retryableS3(error) ? new RetryableFailure(s3Reason(error)) : error;
    } finally {
      idle.clear();
    }
  }, signal);
}

/**
 * Lists page by page, each page tried again on failures another try may cure. When the first page
 * stays blocked and the app's server offers the S3 proxy (`proxy`), the listing starts again
 * through it, and `access` says so for the downloads too. A page that cannot be had ends the
 * listing with the reason; what was listed before it stays in the run.
 */
export async function* listS3(
  where: S3Location,
  access: S3Access,
  extensions: readonly string[],
  stats: ListStats,
  signal?: AbortSignal,
  proxy?: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): AsyncGenerator<Item> {
  let started = false;
  let switched = false;
  let token: string | undefined;
  let client = makeS3Client(access);
  try {
    for (;;) {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await listPage(client, where, token, signal, timeoutMs);
      } catch (error) {
        if (signal?.aborted) throw error;
        const reason = error instanceof RetryableFailure ? error.reason : reasonOf(error);
        if (started || !blocked(error)) throw new Error(`cannot list s3://${where.bucket}/${where.prefix}: ${reason}`);
        if (!proxy || access.proxy || !(await proxyOffered(proxy))) throw new Error(corsExplanation(where, access));
        access.proxy = proxy;
        switched = true;
        client.destroy();
        client = makeS3Client(access);
        continue;
      }
      // Said only once the proxy answered: a bucket that is not there at all is no CORS matter.
      if (!started && switched) stats.notice = `s3://${where.bucket} sends no CORS headers for this page: reading it through tench's S3 proxy`;
      started = true;
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key || key.endsWith('/')) continue;
        if (!isImagePath(key, extensions)) {
          stats.skipped++;
          continue;
        }
        stats.listed++;
        yield {
          path: key,
          source: { kind: 's3', bucket: where.bucket, key },
          size: object.Size,
          version: object.ETag?.replaceAll('"', ''),
        };
      }
      if (!page.IsTruncated || !page.NextContinuationToken) return;
      token = page.NextContinuationToken;
    }
  } finally {
    client.destroy();
  }
}
