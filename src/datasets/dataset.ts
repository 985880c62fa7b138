// The one function that turns what a user points the page at into a stream of items: a list of
// URLs or an S3 prefix (remote.ts), or a folder picked in the page.

import { listDirectory, listFiles } from './folder.ts';
import type { ListStats } from './s3.ts';
import { expandedItems, listedExtensions, openRemote, type ListingRuntime, type OpenDataset } from './remote.ts';
import type { DatasetSpec } from './spec.ts';

/** What a spec needs at run time and cannot be stored, a picked folder included. */
export interface DatasetRuntime extends ListingRuntime {
  /** A picked folder: a directory handle or the files of <input webkitdirectory>. */
  folder?: FileSystemDirectoryHandle | readonly File[];
}

export function openDataset(spec: DatasetSpec, runtime: DatasetRuntime, signal?: AbortSignal): OpenDataset {
  if (spec.kind !== 'folder') return openRemote(spec, runtime, signal);
  const folder = runtime.folder;
  if (!folder) throw new Error('no folder was picked');
  const extensions = listedExtensions(runtime);
  const stats: ListStats = { listed: 0, skipped: 0 };
  const items = Array.isArray(folder)
    ? listFiles(folder as readonly File[], extensions, stats)
    : listDirectory(folder as FileSystemDirectoryHandle, extensions, stats);
  return { items: expandedItems(items, runtime, stats, undefined, signal), stats };
}
