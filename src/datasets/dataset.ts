// What a user points tench at, and the one function that turns it into a stream of items.

import { IMAGE_EXTENSIONS } from './filter.ts';
import { listDirectory, listFiles } from './folder.ts';
import type { Item } from '../core/item.ts';
import { listManifest } from './manifest.ts';
import type { S3Access } from '../net/s3-client.ts';
import { listS3, parseS3Url, type ListStats } from './s3.ts';

/** Plain data, stored with the run. Never holds credentials or file handles. */
export type DatasetSpec =
  | { kind: 'manifest'; url: string }
  | { kind: 's3'; url: string; endpoint: string | null; region: string | null }
  | { kind: 'folder'; name: string };

/** What a spec needs at run time and cannot be stored. */
export interface DatasetRuntime {
  /** A picked folder: a directory handle or the files of <input webkitdirectory>. */
  folder?: FileSystemDirectoryHandle | readonly File[];
  credentials?: S3Access['credentials'];
  extensions?: readonly string[];
  limit?: number | null;
  /** The app server's S3 proxy route, tried when a bucket sends no CORS headers. */
  s3Proxy?: string;
  /** A listing page that receives nothing for this long is abandoned and tried again. */
  requestTimeoutMs?: number;
  /** A list's limits, in bytes: the whole list, and one line. */
  maxListBytes?: number;
  maxListLineBytes?: number;
}

export interface OpenDataset {
  items: AsyncIterable<Item>;
  stats: ListStats;
  /** For the decode workers, when the items are S3 objects. */
  s3?: S3Access;
}

export function describe(spec: DatasetSpec): string {
  return spec.kind === 'folder' ? `folder ${spec.name}` : spec.url;
}

async function* limited(items: AsyncIterable<Item>, limit: number | null | undefined): AsyncGenerator<Item> {
  if (limit === 0) return;
  let n = 0;
  for await (const item of items) {
    yield item;
    if (limit && ++n >= limit) return;
  }
}

/** Region: as given, else as the URL names it, else us-east-1 (the client follows S3's redirect to the right one). */
export function s3AccessFor(spec: Extract<DatasetSpec, { kind: 's3' }>, anonymous: boolean, credentials?: S3Access['credentials'], urlRegion?: string): S3Access {
  return {
    region: spec.region ?? urlRegion ?? 'us-east-1',
    endpoint: spec.endpoint ?? undefined,
    forcePathStyle: spec.endpoint !== null,
    credentials: anonymous ? undefined : credentials,
  };
}

export function openDataset(spec: DatasetSpec, runtime: DatasetRuntime, signal?: AbortSignal): OpenDataset {
  const extensions = runtime.extensions ?? IMAGE_EXTENSIONS;
  const stats: ListStats = { listed: 0, skipped: 0 };
  switch (spec.kind) {
    case 'manifest':
      return { items: limited(listManifest(spec.url, extensions, stats, signal, { timeoutMs: runtime.requestTimeoutMs, maxBytes: runtime.maxListBytes, maxLineBytes: runtime.maxListLineBytes }), runtime.limit), stats };
    case 's3': {
      const parsed = parseS3Url(spec.url);
      if (!parsed.ok) throw new Error(parsed.reason);
      const s3 = s3AccessFor(spec, parsed.value.anonymous, runtime.credentials, parsed.value.region);
      return { items: limited(listS3(parsed.value, s3, extensions, stats, signal, runtime.s3Proxy, runtime.requestTimeoutMs), runtime.limit), stats, s3 };
    }
    case 'folder': {
      const folder = runtime.folder;
      if (!folder) throw new Error('no folder was picked');
      const items = Array.isArray(folder)
        ? listFiles(folder as readonly File[], extensions, stats)
        : listDirectory(folder as FileSystemDirectoryHandle, extensions, stats);
      return { items: limited(items, runtime.limit), stats };
    }
  }
}
