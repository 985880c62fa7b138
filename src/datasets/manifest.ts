// A list of image URLs in a file: .txt (one URL a line), .csv (a header naming a `url` column and
// optionally `path`, `label`, `size`, `etag`; or no header, then url[,label]) or .jsonl ({"url",
// "path"?, "label"?, "size"?, "etag"?} a line). Relative URLs resolve against the manifest's own
// URL. Read as a stream, so a long manifest is never held whole.

import { PACK_HEADER } from '../net/pack.ts';
import Papa from 'papaparse';
import { isImagePath } from './filter.ts';
import type { Item } from '../core/item.ts';
import type { ListStats } from './s3.ts';
import { reasonOf } from '../core/outcome.ts';
import { REQUEST_TIMEOUT_MS, type RetryOptions } from '../net/retry.ts';
import { MAX_LIST_BYTES, MAX_LIST_LINE_BYTES } from './list-limits.ts';
import { chunksOf, StreamFailure, streamBody, type Streamed } from '../net/stream.ts';
import { pageOrigin } from '../core/realm.ts';

type Format = 'txt' | 'csv' | 'jsonl';
/** `skip`: a file the list's server passed over, with its reason (a link out of its folder, say). */
type Entry = { url: string; path?: string; label?: string; size?: number; etag?: string; skip?: { path: string; reason: string } };

/** A list over one of its limits: the error names the limit and the flag that sets it. */
export class OverLimit extends Error {
  constructor(readonly part: string, readonly limit: number, readonly flag: string, readonly hint = '') {
    super(`${part}the list is longer than ${limit} bytes, the limit of ${flag}${hint}`);
  }

  of(url: string): string {
    return `${this.part}the list ${url} is longer than ${this.limit} bytes, the limit of ${this.flag}${this.hint}`;
  }
}

function joined(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * The body in pieces that each end where a record does. For CSV that is a line end outside quotes
 * (a quoted field may hold a newline; a doubled quote flips the state twice, so counting works).
 * Cut as bytes: a line end and a quote are single bytes that no UTF-8 character holds, so each
 * piece decodes alone, and what waits for its line end is counted exactly against `maxLine`.
 */
async function* records(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, quoted: boolean, maxLine: number): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest: Uint8Array[] = [];
  let restBytes = 0;
  // Bytes since the last record's end, and records ended so far: what the error names.
  let open = 0;
  let ended = 0;
  let inQuotes = false;
  const tooLong = () => new OverLimit(`${quoted ? 'record' : 'line'} ${ended + 1} of `, maxLine, '--max-list-line', ` (a list gives one image a ${quoted ? 'record' : 'line'})`);
  for await (const chunk of chunksOf(body)) {
    let end = -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (quoted && c === 34) inQuotes = !inQuotes;
      else if (c === 10 && !inQuotes) {
        end = i;
        open = -1;
        ended++;
      }
      if (++open > maxLine) throw tooLong();
    }
    if (end < 0) {
      rest.push(chunk);
      restBytes += chunk.byteLength;
      continue;
    }
    rest.push(chunk.subarray(0, end + 1));
    yield decoder.decode(joined(rest, restBytes + end + 1));
    rest = end + 1 < chunk.length ? [chunk.subarray(end + 1)] : [];
    restBytes = chunk.length - end - 1;
  }
  if (restBytes) yield decoder.decode(joined(rest, restBytes));
}

function jsonEntry(text: string, n: number): Entry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`manifest line ${n} is not JSON`);
  }
  const e = value as Record<string, unknown>;
  if (e && typeof e.skip === 'string' && typeof e.reason === 'string') return { url: '', skip: { path: e.skip, reason: e.reason } };
  if (!e || typeof e.url !== 'string') throw new Error(`manifest line ${n} has no "url"`);
  return {
    url: e.url,
    path: typeof e.path === 'string' ? e.path : undefined,
    label: typeof e.label === 'string' ? e.label : undefined,
    size: typeof e.size === 'number' ? e.size : undefined,
    etag: typeof e.etag === 'string' ? e.etag : typeof e.version === 'string' ? e.version : undefined,
  };
}

const CSV_COLUMNS = ['url', 'path', 'label', 'size', 'etag'] as const;
type Columns = Partial<Record<(typeof CSV_COLUMNS)[number], number>>;

/** A header names a `url` column; a first row without one is data, read as url[,label]. */
function csvColumns(first: string[]): { columns: Columns; header: boolean } {
  const names = first.map((f) => f.trim().toLowerCase());
  if (!names.includes('url')) return { columns: { url: 0, label: 1 }, header: false };
  const columns: Columns = {};
  for (const name of CSV_COLUMNS) if (names.includes(name)) columns[name] = names.indexOf(name);
  return { columns, header: true };
}

function csvEntry(fields: string[], columns: Columns, n: number): Entry | null {
  const at = (name: keyof Columns) => {
    const i = columns[name];
    const v = i === undefined ? undefined : fields[i]?.trim();
    return v === '' ? undefined : v;
  };
  const url = at('url');
  if (url === undefined) {
    if (fields.every((f) => f.trim() === '')) return null;
    throw new Error(`manifest row ${n} has no url`);
  }
  const size = at('size');
  return { url, path: at('path'), label: at('label'), size: size === undefined ? undefined : Number(size), etag: at('etag') };
}

export function manifestFormat(url: string): Format {
  const path = url.replace(/[?#].*$/, '');
  return /\.jsonl?$/i.test(path) ? 'jsonl' : /\.csv$/i.test(path) ? 'csv' : 'txt';
}

/** The manifest's entries in order, whatever its format. */
export async function* entries(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, format: Format, maxLine = MAX_LIST_LINE_BYTES): AsyncGenerator<Entry> {
  let n = 0;
  let columns: Columns | null = null;
  for await (const piece of records(body, format === 'csv', maxLine)) {
    if (format !== 'csv') {
      for (const line of piece.replace(/\n$/, '').split('\n')) {
        n++;
        const text = line.trim();
        if (!text || (format === 'txt' && text.startsWith('#'))) continue;
        yield format === 'txt' ? { url: text } : jsonEntry(text, n);
      }
      continue;
    }
    const parsed = Papa.parse<string[]>(piece, { delimiter: ',', skipEmptyLines: 'greedy' });
    const broken = parsed.errors[0];
    if (broken) throw new Error(`manifest row ${n + (broken.row ?? 0) + 1} is not valid CSV: ${broken.message}`);
    for (const fields of parsed.data) {
      n++;
      if (!columns) {
        const found = csvColumns(fields);
        columns = found.columns;
        if (found.header) continue;
      }
      const entry = csvEntry(fields, columns, n);
      if (entry) yield entry;
    }
  }
}

/** Where the manifest's own server hands out many of its files at once, if it says so (same origin only). */
function packEndpoint(response: Response, manifestUrl: string): string | null {
  const named = response.headers.get(PACK_HEADER);
  if (!named) return null;
  try {
    const url = new URL(named, manifestUrl);
    return url.origin === new URL(manifestUrl).origin ? url.href : null;
  } catch {
    return null;
  }
}

export interface ListLimits {
  /** The most bytes of the whole list (--max-list-size). */
  maxBytes: number;
  /** The most bytes of one line or CSV record (--max-list-line). */
  maxLineBytes: number;
  /** A wait for the list's server longer than this is a stall, tried again (--request-timeout). */
  timeoutMs: number;
}

/** The list's chunks, ending with an error that names the limit once there are more bytes than it allows. */
async function* capped(chunks: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new OverLimit('', maxBytes, '--max-list-size');
    yield chunk;
  }
}

export async function* listManifest(
  manifestUrl: string,
  extensions: readonly string[],
  stats: ListStats,
  signal?: AbortSignal,
  limits: Partial<ListLimits> = {},
  retry?: RetryOptions,
): AsyncGenerator<Item> {
  const { maxBytes = MAX_LIST_BYTES, maxLineBytes = MAX_LIST_LINE_BYTES, timeoutMs = REQUEST_TIMEOUT_MS } = limits;
  const failed = (error: unknown): Error => {
    if (error instanceof StreamFailure && error.status !== undefined) return new Error(`the list ${manifestUrl} answered ${error.reason}`);
    const reason = reasonOf(error);
    // The browser says only "Failed to fetch" for both: nothing answered, or the answer came
    // without a CORS header letting this page read it.
    const origin = pageOrigin();
    const why = /failed to fetch/i.test(reason) && origin !== null && new URL(manifestUrl).origin !== origin
      ? ` (the server is unreachable, or sends no CORS header allowing ${origin} to read it)`
      : '';
    return new Error(`cannot read the list ${manifestUrl}: ${reason}${why}`);
  };
  let body: Streamed;
  try {
    body = await streamBody(manifestUrl, { timeoutMs, retry, signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw failed(error);
  }
  const endpoint = packEndpoint(body.response, manifestUrl);
  // Rows are keyed by run and path, so a path listed twice would be fetched and classified twice
  // for one row: each path is listed once. tench's own folder listing is a walk of the file
  // system that names each file once, and a large folder's paths need not be held for it.
  const seen = endpoint ? null : new Set<string>();
  try {
    for await (const entry of entries(capped(body.chunks, maxBytes), manifestFormat(manifestUrl), maxLineBytes)) {
      if (entry.skip) {
        stats.skipped++;
        stats.skippedWhy = { ...stats.skippedWhy, [entry.skip.reason]: (stats.skippedWhy?.[entry.skip.reason] ?? 0) + 1 };
        continue;
      }
      let url: URL;
      try {
        url = new URL(entry.url, manifestUrl);
      } catch {
        throw new Error(`the manifest ${manifestUrl} lists ${JSON.stringify(entry.url)}, which is not a URL`);
      }
      const path = entry.path ?? entry.url;
      if (!isImagePath(url.pathname, extensions) && !isImagePath(path, extensions)) {
        stats.skipped++;
        continue;
      }
      if (seen?.has(path)) {
        stats.repeated = (stats.repeated ?? 0) + 1;
        continue;
      }
      seen?.add(path);
      stats.listed++;
      yield {
        path,
        source: endpoint && entry.path !== undefined ? { kind: 'url', url: url.href, pack: { endpoint, file: entry.path } } : { kind: 'url', url: url.href },
        size: entry.size !== undefined && Number.isFinite(entry.size) ? entry.size : undefined,
        version: entry.etag,
        label: entry.label,
      };
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof OverLimit) throw new Error(error.of(manifestUrl));
    // What the list's own lines say wrong is worded already; the network's failures are not.
    throw error instanceof StreamFailure ? failed(error) : error;
  }
}
