// A list of image URLs in a file: .txt (one URL a line), .csv (a header naming a `url` column and
// optionally `path`, `label`, `size`, `etag`; or no header, then url[,label]) or .jsonl ({"url",
// "path"?, "label"?, "size"?, "etag"?} a line). Relative URLs resolve against the manifest's own
// URL. Read as a stream, so a long manifest is never held whole.

import { PACK_HEADER } from './pack.ts';
import Papa from 'papaparse';
import { isImagePath } from './filter.ts';
import type { Item } from '../core/item.ts';
import type { ListStats } from './s3.ts';

type Format = 'txt' | 'csv' | 'jsonl';
type Entry = { url: string; path?: string; label?: string; size?: number; etag?: string };

/**
 * The body in pieces that each end where a record does. For CSV that is a line end outside quotes
 * (a quoted field may hold a newline; a doubled quote flips the state twice, so counting works).
 */
async function* records(body: ReadableStream<Uint8Array>, quoted: boolean): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  let scanned = 0;
  let inQuotes = false;
  const take = (): string | null => {
    let end = -1;
    for (let i = scanned; i < rest.length; i++) {
      const c = rest.charCodeAt(i);
      if (quoted && c === 34) inQuotes = !inQuotes;
      else if (c === 10 && !inQuotes) end = i;
    }
    scanned = rest.length;
    if (end < 0) return null;
    const piece = rest.slice(0, end + 1);
    rest = rest.slice(end + 1);
    // The cut was outside quotes, so the state counted so far is the tail's own.
    scanned = rest.length;
    return piece;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += decoder.decode(value, { stream: true });
    const piece = take();
    if (piece !== null) yield piece;
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

function jsonEntry(text: string, n: number): Entry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`manifest line ${n} is not JSON`);
  }
  const e = value as Record<string, unknown>;
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
async function* entries(body: ReadableStream<Uint8Array>, format: Format): AsyncGenerator<Entry> {
  let n = 0;
  let columns: Columns | null = null;
  for await (const piece of records(body, format === 'csv')) {
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

export async function* listManifest(
  manifestUrl: string,
  extensions: readonly string[],
  stats: ListStats,
  signal?: AbortSignal,
): AsyncGenerator<Item> {
  let response: Response;
  try {
    response = await fetch(manifestUrl, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    // The browser says only "Failed to fetch" for both: nothing answered, or the answer came
    // without a CORS header letting this page read it.
    const why = error instanceof TypeError && typeof location !== 'undefined' && new URL(manifestUrl).origin !== location.origin
      ? ` (the server is unreachable, or sends no CORS header allowing ${location.origin} to read it)`
      : '';
    throw new Error(`cannot fetch the manifest ${manifestUrl}: ${error instanceof Error ? error.message : String(error)}${why}`);
  }
  if (!response.ok || !response.body) throw new Error(`the manifest ${manifestUrl} answered HTTP ${response.status}`);
  const endpoint = packEndpoint(response, manifestUrl);
  for await (const entry of entries(response.body, manifestFormat(manifestUrl))) {
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
    stats.listed++;
    yield {
      path,
      source: endpoint && entry.path !== undefined ? { kind: 'url', url: url.href, pack: { endpoint, file: entry.path } } : { kind: 'url', url: url.href },
      size: entry.size !== undefined && Number.isFinite(entry.size) ? entry.size : undefined,
      version: entry.etag,
      label: entry.label,
    };
  }
}
