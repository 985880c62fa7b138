// The fetch stage's work: an item's source -> its bytes. The requests run in the browser's network
// service, off this thread; the bytes then move to a decode worker by transfer. Every failure is
// a reason, not a throw.

import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ItemSource } from '../core/item.ts';
import { idleTimer, REQUEST_TIMEOUT_MS, RETRY, RetryableFailure, retryableS3, retryableStatus, s3Reason, withRetries, type IdleTimer, type RetryOptions } from './retry.ts';
import { sharedS3Client, type S3Access } from './s3-client.ts';
import { readPack, type PackRequest } from './pack.ts';
import { reasonOf } from '../core/outcome.ts';
import { pageOrigin } from '../core/realm.ts';

export type Fetched = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: boolean; reason: string };

/**
 * One try's outcome: a failure that another try may cure says so, and one the browser refused to
 * show the page (no answer, or no CORS header: it does not say which) says that too.
 */
type Attempt = Fetched | { ok: false; tooLarge: false; reason: string; retryable: true; blocked?: true };

/**
 * Tries for a request the browser blocked. A missing CORS header fails every time, and the
 * browser words it as it words a dropped connection, so a second try is all that tells them apart.
 */
const BLOCKED_TRIES = 2;

/**
 * Whether the browser gave the page nothing for a request to another origin: fetch's TypeError
 * ("Failed to fetch" in Chromium, "NetworkError" in Firefox, "Load failed" in Safari). Node's
 * fetch (no `location`) names its causes itself.
 */
function blockedByBrowser(error: unknown, url: string): boolean {
  const origin = pageOrigin();
  if (origin === null || !(error instanceof TypeError) || !URL.canParse(url)) return false;
  return new URL(url).origin !== origin && /failed to fetch|networkerror|load failed/i.test(error.message);
}

/** A row's reason for a request the browser blocked (blockedOrigin reads it back). */
function blockedReason(url: string): string {
  return `the browser could not read ${url}: the server is unreachable, or sends no CORS header allowing ${pageOrigin() ?? 'this page'} to read it`;
}

/** The origin a row's error says the browser could not read, where blockedReason wrote it; else null. */
export function blockedOrigin(reason: string): string | null {
  const m = /^the browser could not read (\S+): the server is unreachable, or sends no CORS header/.exec(reason);
  return m && URL.canParse(m[1]!) ? new URL(m[1]!).origin : null;
}

export interface FetchLimits {
  maxBytes: number;
  /** A try that receives nothing for this long is abandoned (and tried again). */
  timeoutMs?: number;
}

function tooLarge(size: number, maxBytes: number): Fetched {
  return { ok: false, tooLarge: true, reason: `${size} bytes is over the ${maxBytes}-byte limit` };
}

/** Reads a body stream, refusing to hold more than maxBytes; every chunk restarts the idle timer. */
async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, idle: IdleTimer): Promise<Fetched> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    idle.touch();
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return tooLarge(total, maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0]! };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}


/**
 * An item's bytes, or the reason it has none. Failures another try may cure (5xx, throttling,
 * resets, stalls, bodies cut short) are tried again with backoff; a 403 or a 404 fails at once.
 * The reason says how many tries were made.
 */
export async function fetchBytes(source: ItemSource, limits: FetchLimits, s3?: S3Access, signal?: AbortSignal, retry: RetryOptions = RETRY): Promise<Fetched> {
  let blocked = 0;
  return tried(limits, signal, retry, async (idle): Promise<Fetched> => {
    const attempt = await fetchOnce(source, limits.maxBytes, s3, idle);
    if (!('retryable' in attempt)) return attempt;
    if (attempt.blocked && ++blocked >= BLOCKED_TRIES) return { ok: false, tooLarge: false, reason: `${attempt.reason} (after ${blocked} tries)` };
    throw new RetryableFailure(attempt.reason);
  }, (reason) => ({ ok: false, tooLarge: false, reason }));
}

/**
 * Tries with an idle timer each, as many times as the policy allows; what no try cured becomes
 * `failed(reason)`. The caller's cancel is thrown, never turned into a failure.
 */
async function tried<T>(limits: FetchLimits, signal: AbortSignal | undefined, retry: RetryOptions, attempt: (idle: IdleTimer) => Promise<T>, failed: (reason: string) => T): Promise<T> {
  try {
    return await withRetries(async () => {
      const idle = idleTimer(signal, limits.timeoutMs ?? REQUEST_TIMEOUT_MS);
      try {
        return await attempt(idle);
      } finally {
        idle.clear();
      }
    }, signal, retry);
  } catch (error) {
    if (signal?.aborted) throw error;
    return failed(error instanceof RetryableFailure ? error.reason : reasonOf(error));
  }
}

/**
 * Files of one pack endpoint (src/net/pack.ts) in one request: one outcome per file, in
 * order. The request is tried again as a download is; a file the server lacks or refuses as too
 * large is that file's failure alone, worded as its own download's would be.
 */
export async function fetchPack(endpoint: string, files: readonly string[], limits: FetchLimits, signal?: AbortSignal, retry: RetryOptions = RETRY): Promise<Fetched[]> {
  // What arrived whole is kept; another try asks only for the rest.
  const out: Fetched[] = [];
  const rest = (reason: string) => [...out, ...files.slice(out.length).map((): Fetched => ({ ok: false, tooLarge: false, reason }))];
  return tried(limits, signal, retry, async (idle) => {
    const failed = (error: unknown, during: string): never => {
      if (signal?.aborted && !idle.timedOut()) throw error;
      throw new RetryableFailure(idle.timedOut() ? `the pack ${during} stalled: ${reasonOf(idle.signal.reason)}` : reasonOf(error));
    };
    const request: PackRequest = { files: files.slice(out.length), maxBytes: limits.maxBytes };
    let response: Response;
    try {
      response = await fetch(endpoint, { method: 'POST', body: JSON.stringify(request), signal: idle.signal });
    } catch (error) {
      return failed(error, 'request');
    }
    idle.touch();
    const status = `HTTP ${response.status} ${response.statusText}`.trim();
    if (!response.ok || !response.body) {
      if (retryableStatus(response.status)) throw new RetryableFailure(status);
      return rest(status);
    }
    try {
      for await (const entry of readPack(response.body, idle.touch)) {
        if (out.length === files.length) break;
        if ('bytes' in entry) out.push({ ok: true, bytes: entry.bytes });
        else if (entry.status === 413) out.push(tooLarge(entry.size, limits.maxBytes));
        else out.push({ ok: false, tooLarge: false, reason: entry.status === 404 ? 'HTTP 404 Not Found' : `HTTP ${entry.status}` });
      }
    } catch (error) {
      return failed(error, 'body');
    }
    if (out.length !== files.length) throw new RetryableFailure(`the body was cut short: ${out.length} of ${files.length} files`);
    return out;
  }, rest);
}

/** Fewer bytes than the server announced: the connection broke, whatever the stream said. */
function complete(got: Fetched, announced: number): Attempt {
  if (got.ok && announced > 0 && got.bytes.byteLength !== announced) {
    return { ok: false, tooLarge: false, reason: `the body was cut short: ${got.bytes.byteLength} of ${announced} bytes`, retryable: true };
  }
  return got;
}

async function fetchOnce(source: ItemSource, maxBytes: number, s3: S3Access | undefined, idle: IdleTimer): Promise<Attempt> {
  const { signal } = idle;
  const again = (reason: string): Attempt => ({ ok: false, tooLarge: false, reason, retryable: true });
  // The caller's cancel propagates; the idle timer's own abort is a stall, worth another try.
  const failed = (error: unknown, during: 'request' | 'body'): Attempt => {
    if (idle.timedOut()) return again(during === 'request' ? reasonOf(signal.reason) : `the body stalled: ${reasonOf(signal.reason)}`);
    if (signal.aborted) throw error;
    return again(during === 'request' ? reasonOf(error) : `the body was cut short: ${reasonOf(error)}`);
  };
  try {
    switch (source.kind) {
      case 'blob':
        if (source.blob.size > maxBytes) return tooLarge(source.blob.size, maxBytes);
        return { ok: true, bytes: new Uint8Array(await source.blob.arrayBuffer()) };
      case 'url': {
        let response: Response;
        try {
          response = await fetch(source.url, { signal });
        } catch (error) {
          if (!idle.timedOut() && !signal.aborted && blockedByBrowser(error, source.url)) return { ok: false, tooLarge: false, reason: blockedReason(source.url), retryable: true, blocked: true };
          return failed(error, 'request');
        }
        idle.touch();
        const status = `HTTP ${response.status} ${response.statusText}`.trim();
        if (!response.ok) return retryableStatus(response.status) ? again(status) : { ok: false, tooLarge: false, reason: status };
        const length = Number(response.headers.get('content-length'));
        if (length > maxBytes) return tooLarge(length, maxBytes);
        try {
          const got = response.body ? await readCapped(response.body, maxBytes, idle) : { ok: true as const, bytes: new Uint8Array(await response.arrayBuffer()) };
          return complete(got, length);
        } catch (error) {
          return failed(error, 'body');
        }
      }
      case 's3': {
        if (!s3) return { ok: false, tooLarge: false, reason: 'no S3 settings were given to the decoder' };
        let out;
        try {
          out = await sharedS3Client(s3).send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }), { abortSignal: signal });
        } catch (error) {
          if (idle.timedOut() || signal.aborted) return failed(error, 'request');
          return retryableS3(error) ? again(s3Reason(error)) : { ok: false, tooLarge: false, reason: s3Reason(error) };
        }
        idle.touch();
        if ((out.ContentLength ?? 0) > maxBytes) return tooLarge(out.ContentLength!, maxBytes);
        const body = out.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined;
        if (!body) return again('S3 returned no body');
        try {
          return complete(await readCapped(body.transformToWebStream(), maxBytes, idle), out.ContentLength ?? 0);
        } catch (error) {
          return failed(error, 'body');
        }
      }
    }
  } catch (error) {
    if (signal.aborted && !idle.timedOut()) throw error;
    return { ok: false, tooLarge: false, reason: reasonOf(error) };
  }
}
