// A list of URLs or an S3 prefix turned into a stream of items: the sources the page and the CLI
// (tench merge --expect-from) both read. A picked folder is the page's alone (dataset.ts).

import type { Item } from '../core/item.ts';
import type { S3Access } from '../net/s3-client.ts';
import type { KeepColumns } from './columns.ts';
import { CONTAINER_EXTENSIONS, expandContainers, isContainer } from './containers.ts';
import { IMAGE_EXTENSIONS } from './filter.ts';
import { listManifest } from './manifest.ts';
import { listS3, parseS3Url, type ListStats } from './s3.ts';
import type { DatasetSpec } from './spec.ts';

export type RemoteSpec = Exclude<DatasetSpec, { kind: 'folder' }>;

/** What a spec needs at run time and cannot be stored. */
export interface ListingRuntime {
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
  /** A Parquet dataset's image column (found from the file when absent) and the columns kept. */
  imageColumn?: string | null;
  keepColumns?: KeepColumns;
}

export interface OpenDataset {
  items: AsyncIterable<Item>;
  stats: ListStats;
  /** For the decode workers, when the items are S3 objects. */
  s3?: S3Access;
}

export async function* limited(items: AsyncIterable<Item>, limit: number | null | undefined): AsyncGenerator<Item> {
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

/** What a listing lets through: the images, and the files that hold images (containers.ts). */
export function listedExtensions(runtime: ListingRuntime): readonly string[] {
  return [...(runtime.extensions ?? IMAGE_EXTENSIONS), ...CONTAINER_EXTENSIONS];
}

/** A listing's items with the containers among them opened, then limited. */
export function expandedItems(listing: AsyncIterable<Item>, runtime: ListingRuntime, stats: ListStats, s3: S3Access | undefined, signal?: AbortSignal): AsyncIterable<Item> {
  const options = { extensions: runtime.extensions ?? IMAGE_EXTENSIONS, keepColumns: runtime.keepColumns, imageColumn: runtime.imageColumn, s3, timeoutMs: runtime.requestTimeoutMs };
  return limited(expandContainers(listing, options, stats, signal), runtime.limit);
}

/** A list whose URL names a tar shard or a Parquet file is that one file, not a list of images. */
async function* oneFile(url: string, stats: ListStats): AsyncGenerator<Item> {
  stats.listed++;
  yield { path: decodeURIComponent(new URL(url).pathname.split('/').pop() || url), source: { kind: 'url', url } };
}

export function openRemote(spec: RemoteSpec, runtime: ListingRuntime, signal?: AbortSignal): OpenDataset {
  const extensions = listedExtensions(runtime);
  const stats: ListStats = { listed: 0, skipped: 0 };
  if (spec.kind === 'manifest') {
    const listing = isContainer(new URL(spec.url).pathname)
      ? oneFile(spec.url, stats)
      : listManifest(spec.url, extensions, stats, signal, { timeoutMs: runtime.requestTimeoutMs, maxBytes: runtime.maxListBytes, maxLineBytes: runtime.maxListLineBytes });
    return { items: expandedItems(listing, runtime, stats, undefined, signal), stats };
  }
  const parsed = parseS3Url(spec.url);
  if (!parsed.ok) throw new Error(parsed.reason);
  const s3 = s3AccessFor(spec, parsed.value.anonymous, runtime.credentials, parsed.value.region);
  return { items: expandedItems(listS3(parsed.value, s3, extensions, stats, signal, runtime.s3Proxy, runtime.requestTimeoutMs), runtime, stats, s3, signal), stats, s3 };
}
