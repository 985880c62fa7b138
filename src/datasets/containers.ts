// Files that hold many images (a WebDataset tar shard, a Parquet file) turned into their images as
// a listing reaches them: whatever lists files (a folder, a list, an S3 prefix) lists datasets of
// these too. Each file is read as the pipeline asks for its images, never whole.

import type { Item } from '../core/item.ts';
import { byteSource } from '../net/byte-source.ts';
import type { S3Access } from '../net/s3-client.ts';
import type { KeepColumns } from './columns.ts';
import { extensionOf } from './filter.ts';
import { parquetItems } from './parquet.ts';
import type { ListStats } from './s3.ts';
import { webDatasetItems } from './webdataset.ts';

/** Extensions of the files that hold images rather than being one: listed whatever --extensions says. */
export const CONTAINER_EXTENSIONS: readonly string[] = Object.freeze(['tar', 'parquet']);

export function isContainer(path: string): boolean {
  return CONTAINER_EXTENSIONS.includes(extensionOf(path));
}

export interface ContainerOptions {
  /** Which members of a tar shard are the image. */
  extensions: readonly string[];
  keepColumns?: KeepColumns;
  imageColumn?: string | null;
  s3?: S3Access;
  timeoutMs?: number;
}

/** The images of one container, with its reading errors worded with its name. */
async function* opened(item: Item, o: ContainerOptions, stats: ListStats, signal?: AbortSignal): AsyncGenerator<Item> {
  const bytes = byteSource(item.source, { s3: o.s3, timeoutMs: o.timeoutMs, signal });
  const keepColumns = o.keepColumns ?? 'all';
  try {
    if (extensionOf(item.path) === 'tar') {
      yield* webDatasetItems(bytes.chunks(), { path: item.path, version: item.version }, { extensions: o.extensions, keepColumns }, stats);
      return;
    }
    const baseUrl = item.source.kind === 'url' ? item.source.url : undefined;
    yield* parquetItems({ path: item.path, file: await bytes.ranges(), version: item.version, baseUrl }, { imageColumn: o.imageColumn, keepColumns }, stats, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(reason.includes(item.path) ? reason : `${item.path}: ${reason}`);
  }
}

/** The listing with each container replaced by its images; other files pass as they are. */
export async function* expandContainers(items: AsyncIterable<Item>, o: ContainerOptions, stats: ListStats, signal?: AbortSignal): AsyncGenerator<Item> {
  for await (const item of items) {
    if (!isContainer(item.path)) {
      yield item;
      continue;
    }
    // The file was counted as listed; its images are counted instead.
    stats.listed--;
    yield* opened(item, o, stats, signal);
  }
}
