// The CLI serves the built app. It builds it when dist/ is missing or older than the sources,
// once, under a lock, so that several CLI processes started together build it once.

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const SOURCES = ['src', 'workers', 'public', 'index.html', 'vite.config.ts', 'package-lock.json'];
const STAMP = '.tench-build.json';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function sourcesStamp(root: string): number {
  return Math.max(...SOURCES.map((p) => newestMtime(join(root, p))));
}

export function isBuilt(root: string, outDir = join(root, 'dist')): boolean {
  try {
    const stamp = JSON.parse(readFileSync(join(outDir, STAMP), 'utf8')) as { sources: number };
    return stamp.sources >= sourcesStamp(root) && existsSync(join(outDir, 'index.html'));
  } catch {
    return false;
  }
}

/** Builds the app into dist/ unless it is up to date. Returns the folder to serve. */
export async function ensureBuilt(root: string, log: (line: string) => void): Promise<string> {
  const outDir = join(root, 'dist');
  if (isBuilt(root, outDir)) return outDir;
  const lock = join(root, '.cache', 'build.lock');
  mkdirSync(join(root, '.cache'), { recursive: true });
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another tench is building; a lock older than five minutes is a crashed build.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await sleep(250);
      if (isBuilt(root, outDir)) return outDir;
    }
  }
  try {
    if (isBuilt(root, outDir)) return outDir;
    const sources = sourcesStamp(root);
    log('building the app (once, after a change to its sources)…');
    // Loaded only to build: most runs find the app built, and these take a good part of a second.
    const [{ build }, { appConfig }] = await Promise.all([import('vite'), import('../server/app-config.ts')]);
    await build({ ...appConfig(), configFile: false, root, logLevel: 'warn', build: { ...appConfig().build, outDir, emptyOutDir: true } });
    writeFileSync(join(outDir, STAMP), JSON.stringify({ sources, builtAt: Date.now() }));
    return outDir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
