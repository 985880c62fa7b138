// When a request is worth another try, and how long to wait for an answer: one policy for listing
// pages and downloads alike, so "after 4 tries" means the same thing everywhere.

import pRetry, { type Options as RetryOptions } from 'p-retry';
import { reasonOf } from '../core/outcome.ts';

export type { RetryOptions };

/**
 * Up to 4 tries, 250 ms then about 0.5 s and 1 s apart, each delay randomized (so a bucket that
 * throttles many clients is not hit by all of them again at once).
 */
export const RETRY: RetryOptions = Object.freeze({ retries: 3, factor: 2, minTimeout: 250, maxTimeout: 4000, randomize: true });

/** A request that has sent nothing for this long has stalled: it is given up and tried again. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A failure another try may cure, with the reason to give if none does. */
export class RetryableFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The server's trouble, throttling, or a request timeout. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** The same for an error the AWS SDK threw; a TypeError is the browser's word for a broken connection. */
export function retryableS3(error: unknown): boolean {
  const e = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; name?: string };
  // tench's S3 proxy could not connect, and another try would not either (s3-proxy.ts).
  if (e.name === 'UpstreamUnreachable') return false;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return retryableStatus(status);
  return !!e.$retryable || /SlowDown|Throttl|Timeout|NetworkingError/.test(e.name ?? '') || error instanceof TypeError;
}

/**
 * An S3 error as a user needs it: the status and S3's code first, since the SDK's own message may
 * only say that it could not read the answer ("DOMParser XML parsing error" for a proxy's 500).
 */
export function s3Reason(error: unknown): string {
  const e = error as { $metadata?: { httpStatusCode?: number }; name?: string };
  const status = e.$metadata?.httpStatusCode;
  const message = reasonOf(error);
  // The proxy's own words already say what happened.
  if (!status || /^Upstream/.test(e.name ?? '')) return message;
  const code = e.name && !/^(Error|Unknown\w*|\d+)$/.test(e.name) ? ` ${e.name}` : '';
  return `HTTP ${status}${code}: ${message}`;
}

/**
 * Runs `attempt` until it returns, or throws something other than a RetryableFailure, or the
 * tries run out; then the last reason names the number of tries.
 */
export async function withRetries<T>(attempt: () => Promise<T>, signal: AbortSignal | undefined, retry: RetryOptions = RETRY): Promise<T> {
  let tries = 0;
  try {
    return await pRetry(() => {
      tries++;
      return attempt();
    }, { ...retry, signal, shouldRetry: (error) => error instanceof RetryableFailure });
  } catch (error) {
    if (error instanceof RetryableFailure && tries > 1) throw new RetryableFailure(`${error.reason} (after ${tries} tries)`);
    throw error;
  }
}

export interface IdleTimer {
  /** Aborts with the caller's signal, or once nothing has happened for the timeout. */
  signal: AbortSignal;
  /** Something arrived: the wait starts again. */
  touch(): void;
  timedOut(): boolean;
  clear(): void;
}

/** A timeout that restarts whenever data arrives, so a slow but moving download is not cut. */
export function idleTimer(outer: AbortSignal | undefined, ms: number): IdleTimer {
  const controller = new AbortController();
  let fired = false;
  const onAbort = () => controller.abort(outer!.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  // Touched on every chunk of a body: a timestamp, not a new timer each time; the one timer,
  // when it fires, waits out what is left since the last touch.
  let last = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (wait: number) => {
    timer = setTimeout(() => {
      const idle = performance.now() - last;
      if (idle < ms) return arm(ms - idle);
      fired = true;
      controller.abort(new DOMException(`no answer for ${ms / 1000} s`, 'TimeoutError'));
    }, wait);
  };
  arm(ms);
  return {
    signal: controller.signal,
    touch: () => {
      last = performance.now();
    },
    timedOut: () => fired,
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
