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

/** Why a container is passed over, counted as one reason whatever the file: the first one's words with it. */
const UNREADABLE = 'a .tar or .parquet file that could not be read to its end';

/**
 * A container that cannot be read (not a tar at all, cut short, no image column, a network failure
 * past the retries) is passed over and counted, as a link out of a folder is: a listing may hold a
 * .tar that is no one's dataset, and the images read from a broken one before the break stay.
 */
function unreadable(stats: ListStats, path: string, reason: string): void {
  stats.skipped++;
  const why = stats.skippedWhy ?? {};
  const key = Object.keys(why).find((k) => k.startsWith(UNREADABLE)) ?? `${UNREADABLE} (the first: ${reason.startsWith(path) ? reason : `${path}: ${reason}`})`;
  stats.skippedWhy = { ...why, [key]: (why[key] ?? 0) + 1 };
}

/** The images of one container, as far as it can be read. */
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
    unreadable(stats, item.path, error instanceof Error ? error.message : String(error));
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
