// A folder on the user's disk, picked in the page: a directory handle (File System Access API)
// or the FileList of <input webkitdirectory>. Files cross into workers as handles, not copies.

import { isImagePath } from './filter.ts';
import type { Item } from '../core/item.ts';
import type { ListStats } from './s3.ts';

function fileItem(path: string, file: File): Item {
  return { path, source: { kind: 'blob', blob: file }, size: file.size, version: `${file.size}-${file.lastModified}` };
}

type DirectoryHandle = FileSystemDirectoryHandle & {
  values(): AsyncIterable<FileSystemDirectoryHandle | FileSystemFileHandle>;
};

async function* walk(dir: DirectoryHandle, prefix: string): AsyncGenerator<[string, FileSystemFileHandle]> {
  const entries: Array<FileSystemDirectoryHandle | FileSystemFileHandle> = [];
  for await (const entry of dir.values()) entries.push(entry);
  // Sorted, so the order (and resume positions) do not depend on the file system.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.kind === 'directory') yield* walk(entry as DirectoryHandle, path);
    else yield [path, entry as FileSystemFileHandle];
  }
}

export async function* listDirectory(
  dir: FileSystemDirectoryHandle,
  extensions: readonly string[],
  stats: ListStats,
): AsyncGenerator<Item> {
  for await (const [path, handle] of walk(dir as DirectoryHandle, '')) {
    if (!isImagePath(path, extensions)) {
      stats.skipped++;
      continue;
    }
    stats.listed++;
    yield fileItem(path, await handle.getFile());
  }
}

/** Files from <input webkitdirectory> or a drop; paths drop the picked folder's own name. */
export async function* listFiles(files: readonly File[], extensions: readonly string[], stats: ListStats): AsyncGenerator<Item> {
  const named = files.map((f) => {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    return [rel.includes('/') ? rel.slice(rel.indexOf('/') + 1) : rel, f] as const;
  });
  named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [path, file] of named) {
    if (!isImagePath(path, extensions)) {
      stats.skipped++;
      continue;
    }
    stats.listed++;
    yield fileItem(path, file);
  }
}
