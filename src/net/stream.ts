// A long body read as it arrives (a list of millions of URLs), never held whole. Every wait for
// the server is under the request timeout, as a download's is; a connection that fails, stalls or
// breaks is tried again under the downloads' policy (retry.ts), from the byte it had reached.

import { reasonOf } from '../core/outcome.ts';
import { idleTimer, REQUEST_TIMEOUT_MS, RETRY, RetryableFailure, retryableStatus, withRetries, type RetryOptions } from './retry.ts';

export interface StreamOptions {
  /** A wait for the server longer than this is a stall: that try is given up. */
  timeoutMs?: number;
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/** The first answer (its headers are the caller's to read) and the body, chunk by chunk. */
export interface Streamed {
  response: Response;
  chunks: AsyncGenerator<Uint8Array>;
}

/** Why the body could not be had, in words; what no try cured names the number of tries. */
export class StreamFailure extends Error {
  constructor(readonly reason: string, readonly status?: number) {
    super(reason);
  }
}

/** The body's chunks, from a stream or from what already reads one. */
export async function* chunksOf(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (!('getReader' in body)) return yield* body;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** One connection, reading from `from` on. */
interface Connection {
  response: Response;
  /** The next bytes past `from`, or null at the end; each wait under the timeout. */
  read(): Promise<Uint8Array | null>;
  close(): void;
}

/** What the first answer said of the body: a later connection must be to the same one. */
interface Identity {
  etag: string | null;
  lastModified: string | null;
}

const identityOf = (response: Response): Identity => ({ etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') });

/**
 * Waits for `step` with the request timeout running; past it, the connection is aborted and the
 * wait is a stall that another try may cure. Only the waits are timed: the caller may take as
 * long as it likes between reads (a paused run reads nothing).
 */
async function timed<T>(step: () => Promise<T>, connection: AbortController, timeoutMs: number): Promise<T> {
  const idle = idleTimer(connection.signal, timeoutMs);
  const onIdle = () => {
    if (idle.timedOut()) connection.abort(idle.signal.reason);
  };
  idle.signal.addEventListener('abort', onIdle, { once: true });
  try {
    return await step();
  } catch (error) {
    if (idle.timedOut()) throw new RetryableFailure(reasonOf(idle.signal.reason));
    throw error;
  } finally {
    idle.signal.removeEventListener('abort', onIdle);
    idle.clear();
  }
}

/**
 * A connection from byte `from` on, with its first bytes: a try that got nothing is not a try
 * that moved. A server that ignores the Range header sends the body from its start, whose first
 * `from` bytes are passed over here.
 */
async function connect(url: string, from: number, first: Identity | null, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ connection: Connection; bytes: Uint8Array | null }> {
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal!.reason);
  if (signal?.aborted) abort.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    signal?.removeEventListener('abort', onAbort);
    abort.abort(new DOMException('closed', 'AbortError'));
  };
  // The caller's cancel goes through as it is; anything else is worth another try.
  const again = (error: unknown, during: 'request' | 'body'): never => {
    if (signal?.aborted) throw error;
    if (error instanceof RetryableFailure) throw new RetryableFailure(during === 'request' ? error.reason : `the body stalled: ${error.reason}`);
    throw new RetryableFailure(during === 'request' ? reasonOf(error) : `the body was cut short: ${reasonOf(error)}`);
  };
  try {
    let response: Response;
    try {
      // A Range of the form bytes=N- needs no CORS preflight.
      response = await timed(() => fetch(url, { signal: abort.signal, ...(from ? { headers: { Range: `bytes=${from}-` } } : {}) }), abort, timeoutMs);
    } catch (error) {
      return again(error, 'request');
    }
    const status = `HTTP ${response.status} ${response.statusText}`.trim();
    if (!response.ok) {
      if (retryableStatus(response.status)) throw new RetryableFailure(status);
      throw new StreamFailure(status, response.status);
    }
    if (first) {
      const now = identityOf(response);
      if ((first.etag && now.etag && first.etag !== now.etag) || (first.lastModified && now.lastModified && first.lastModified !== now.lastModified)) {
        throw new StreamFailure(`it changed while it was read (after ${from} bytes)`);
      }
    }
    const resumed = response.status === 206;
    if (resumed && !new RegExp(`^bytes ${from}-`).test(response.headers.get('content-range') ?? '')) {
      throw new StreamFailure(`its server answered a request for bytes ${from}- with ${response.headers.get('content-range') ?? 'no Content-Range'}`);
    }
    const reader = response.body?.getReader();
    let skip = resumed ? 0 : from;
    const connection: Connection = {
      response,
      async read() {
        if (!reader) return null;
        for (;;) {
          const { done, value } = await timed(() => reader.read(), abort, timeoutMs);
          if (done) return null;
          if (skip >= value.byteLength) {
            skip -= value.byteLength;
            continue;
          }
          const bytes = skip ? value.subarray(skip) : value;
          skip = 0;
          return bytes;
        }
      },
      close,
    };
    let bytes: Uint8Array | null;
    try {
      bytes = await connection.read();
    } catch (error) {
      return again(error, 'body');
    }
    return { connection, bytes };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * Opens `url` and reads its body as it comes. A try that fails, stalls or breaks before any new
 * byte counts against the policy; one that broke after some goes on from there with the policy's
 * tries anew, so a long body is never read twice and never held. Fails with a StreamFailure.
 */
export async function streamBody(url: string, options: StreamOptions = {}): Promise<Streamed> {
  const { timeoutMs = REQUEST_TIMEOUT_MS, retry = RETRY, signal } = options;
  let identity: Identity | null = null;
  const open = async (from: number) => {
    try {
      return await withRetries(() => connect(url, from, identity, timeoutMs, signal), signal, retry);
    } catch (error) {
      if (signal?.aborted || error instanceof StreamFailure) throw error;
      const reason = error instanceof RetryableFailure ? error.reason : reasonOf(error);
      throw new StreamFailure(from ? `after ${from} bytes, ${reason}` : reason);
    }
  };
  let opened = await open(0);
  identity = identityOf(opened.connection.response);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let from = 0;
    try {
      for (;;) {
        const { connection, bytes } = opened;
        if (bytes === null) return;
        from += bytes.byteLength;
        yield bytes;
        let next: Uint8Array | null;
        try {
          next = await connection.read();
        } catch (error) {
          if (signal?.aborted) throw error;
          // Broken or stalled after some bytes: a new connection goes on from the byte reached.
          connection.close();
          opened = await open(from);
          continue;
        }
        opened = { connection, bytes: next };
      }
    } finally {
      opened.connection.close();
    }
  }
  return { response: opened.connection.response, chunks: chunks() };
}
