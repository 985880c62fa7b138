// A list of image URLs in a file: .txt (one URL a line) or .jsonl ({"url", "path"?, "label"?,
// "size"?, "etag"?} a line). Relative URLs resolve against the manifest's own URL. Read as a
// stream, so a long manifest is never held whole.

import { isImagePath } from './filter.ts';
import type { Item } from './item.ts';
import type { ListStats } from './s3.ts';

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

type Entry = { url: string; path?: string; label?: string; size?: number; etag?: string };

function parseLine(line: string, format: 'txt' | 'jsonl', n: number): Entry | null {
  const text = line.trim();
  if (!text || (format === 'txt' && text.startsWith('#'))) return null;
  if (format === 'txt') return { url: text };
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

export function manifestFormat(url: string): 'txt' | 'jsonl' {
  return /\.jsonl?(\?|#|$)/i.test(url) ? 'jsonl' : 'txt';
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
    throw new Error(`cannot fetch the manifest ${manifestUrl}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok || !response.body) throw new Error(`the manifest ${manifestUrl} answered HTTP ${response.status}`);
  const format = manifestFormat(manifestUrl);
  let n = 0;
  for await (const line of lines(response.body)) {
    n++;
    const entry = parseLine(line, format, n);
    if (!entry) continue;
    const path = entry.path ?? entry.url;
    if (!isImagePath(new URL(entry.url, manifestUrl).pathname, extensions) && !isImagePath(path, extensions)) {
      stats.skipped++;
      continue;
    }
    stats.listed++;
    yield {
      path,
      source: { kind: 'url', url: new URL(entry.url, manifestUrl).href },
      size: entry.size,
      version: entry.etag,
      label: entry.label,
    };
  }
}
