// What a server of tench may hand out of the user's disk: the files of the folder it was given,
// as a run lists them, and nothing else. A path is checked where it is read, not where it was
// listed, so a request made up by anyone (not the page) gets no further than a listing would:
// no hidden name ('.env', '.aws/', '.ssh/'), no link leading out of the folder (a link to '/', to
// /etc/passwd, to /proc/self/environ), no '..'.

import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** A name that starts with '.': hidden, never listed or served (dotfiles, .git, .aws, .ssh). */
export const isHidden = (name: string): boolean => name.startsWith('.');

/** Why a file of the folder is not part of the dataset; each is counted under its own words. */
export const SKIP_LINK_OUTSIDE = 'a link leading outside the dataset folder';
export const SKIP_LINK_FOLDER = 'a link to a folder, not followed';
export const SKIP_LINK_BROKEN = 'a broken link';

export interface LocalFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** A folder's real path, once: every check compares against it. */
export function realRoot(root: string): Promise<string> {
  return realpath(root);
}

/** Whether `file` (a real path) lies inside `real` (a real folder path). */
const inside = (real: string, file: string) => file.startsWith(real.endsWith(sep) ? real : real + sep);

/**
 * A file a link names: followed when it stays inside the folder and is a file, else the reason it
 * is skipped. Links to folders are not followed: they could loop, or list a subtree twice.
 */
async function followLink(real: string, full: string): Promise<{ size: number; mtimeMs: number } | string> {
  const target = await realpath(full).catch(() => null);
  if (target === null) return SKIP_LINK_BROKEN;
  if (!inside(real, target)) return SKIP_LINK_OUTSIDE;
  const s = await stat(target).catch(() => null);
  if (!s) return SKIP_LINK_BROKEN;
  if (!s.isFile()) return SKIP_LINK_FOLDER;
  return { size: s.size, mtimeMs: s.mtimeMs };
}

/**
 * Sorted recursive walk, paths relative to root with '/' separators. Hidden names are passed over
 * without a word (they are not the dataset's); links are followed only to files inside the folder,
 * and the others reported to `skipped` with why.
 */
export async function* walkFiles(
  root: string,
  skipped: (s: SkippedFile) => void = () => {},
  real?: string,
  rel = '',
): AsyncGenerator<LocalFile> {
  const base = real ?? await realRoot(root);
  const names: Array<{ name: string; kind: 'dir' | 'file' | 'link' }> = [];
  for await (const entry of await opendir(join(root, rel))) {
    if (isHidden(entry.name)) continue;
    if (entry.isDirectory()) names.push({ name: entry.name, kind: 'dir' });
    else if (entry.isFile()) names.push({ name: entry.name, kind: 'file' });
    else if (entry.isSymbolicLink()) names.push({ name: entry.name, kind: 'link' });
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, kind } of names) {
    const path = rel ? `${rel}/${name}` : name;
    if (kind === 'dir') {
      yield* walkFiles(root, skipped, base, path);
      continue;
    }
    const full = join(root, path);
    if (kind === 'link') {
      const found = await followLink(base, full);
      if (typeof found === 'string') skipped({ path, reason: found });
      else yield { path, size: found.size, mtimeMs: Math.round(found.mtimeMs) };
      continue;
    }
    const s = await stat(full).catch(() => null);
    if (s) yield { path, size: s.size, mtimeMs: Math.round(s.mtimeMs) };
  }
}

/** A path's segments, or null for anything that names no file of a listing: '..', '.', hidden, '\0'. */
export function pathSegments(path: string): string[] | null {
  const segments = path.split('/');
  if (!segments.length || segments.some((s) => !s || isHidden(s) || s.includes('\0') || (sep === '\\' && s.includes('\\')))) return null;
  return segments;
}

/**
 * The real path of the file `path` names under root, if a walk of root lists it: every folder on the
 * way a real folder (not a link), the last name a file, or a link to a file inside the folder.
 * Null for anything else, so that nothing outside the listing is read.
 */
export async function listedFile(root: string, real: string, path: string): Promise<string | null> {
  const segments = pathSegments(path);
  if (!segments) return null;
  const full = join(root, ...segments);
  const parent = join(real, ...segments.slice(0, -1));
  // The folders on the way are the folders themselves: a link among them was never walked into.
  const parentReal = await realpath(join(root, ...segments.slice(0, -1))).catch(() => null);
  if (parentReal !== parent) return null;
  const own = await lstat(full).catch(() => null);
  if (!own) return null;
  if (own.isFile()) return full;
  if (!own.isSymbolicLink()) return null;
  const target = await realpath(full).catch(() => null);
  if (!target || !inside(real, target)) return null;
  return (await stat(target).catch(() => null))?.isFile() ? target : null;
}
