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

/** A picked file's path in its folder: without the picked folder's own name. */
function relativePath(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  return rel.includes('/') ? rel.slice(rel.indexOf('/') + 1) : rel;
}

/** Files from <input webkitdirectory> or a drop; paths drop the picked folder's own name. */
export async function* listFiles(files: readonly File[], extensions: readonly string[], stats: ListStats): AsyncGenerator<Item> {
  const named = files.map((f) => [relativePath(f), f] as const);
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

/** The name a run over loose files dropped on the page keeps: they have no folder name. */
export const DROPPED_FILES = 'dropped files';

export type PickedFolder = FileSystemDirectoryHandle | readonly File[];

/** The picked folder's own name, as the page shows it and the run's record keeps it. */
export function folderName(folder: PickedFolder): string {
  if (!Array.isArray(folder)) return (folder as FileSystemDirectoryHandle).name;
  const first = (folder as readonly File[])[0] as (File & { webkitRelativePath?: string }) | undefined;
  return first?.webkitRelativePath?.split('/')[0] || 'folder';
}

/** The path of every file in the folder, as the listing names them (images or not). */
export async function folderPaths(folder: PickedFolder): Promise<Set<string>> {
  if (Array.isArray(folder)) return new Set((folder as readonly File[]).map(relativePath));
  const paths = new Set<string>();
  for await (const [path] of walk(folder as DirectoryHandle, '')) paths.add(path);
  return paths;
}

/**
 * Why a folder picked to go on with a run is not the one the run read, in one sentence; null when
 * it is. The same folder has the run's name and still holds every image the run stored a row
 * for: files added since are more of that folder (a resume classifies them), and a changed file
 * is classified again by its version, but a folder without the images already answered is another.
 */
export async function otherFolder(runId: string, name: string, folder: PickedFolder, stored: AsyncIterable<string>): Promise<string | null> {
  const pickedName = folderName(folder);
  // Loose files dropped on the page had no folder name to match: what they held has to match.
  if (pickedName !== name && name !== DROPPED_FILES) return `run ${runId} read the folder ${name}, not ${pickedName}: pick ${name} to go on`;
  const present = await folderPaths(folder);
  let total = 0;
  let missing = 0;
  let first = '';
  for await (const path of stored) {
    total++;
    if (present.has(path)) continue;
    if (!missing++) first = path;
  }
  if (!missing) return null;
  return `the folder ${name} picked is not the one run ${runId} read: ${missing} of the ${total} images it answered are not in it (${first}${missing > 1 ? ', …' : ''}); pick that folder to go on`;
}
