// The CLI serves the built app. It builds it when dist/ is missing or was built from other
// sources, once, under a lock, so that several CLI processes started together build it once.

import { createHash, type Hash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const SOURCES = ['src', 'workers', 'public', 'index.html', 'vite.config.ts'];
/** Stands for the build tools' versions; not in the npm package, where no build happens. */
const LOCKFILE = 'package-lock.json';
const STAMP = '.tench-build.json';

/** What npm leaves out of a package, whatever its "files" say, and links: not sources. */
const NOT_SHIPPED = /^(\..*|node_modules|CVS|npm-debug\.log|.*\.orig)$/;

function hashTree(hash: Hash, root: string, rel: string): void {
  const path = join(root, rel);
  if (!existsSync(path)) return;
  const s = lstatSync(path);
  if (s.isFile()) {
    hash.update(`${rel}\0${s.size}\0`).update(readFileSync(path));
    return;
  }
  if (!s.isDirectory()) return;
  for (const name of readdirSync(path).sort()) if (!NOT_SHIPPED.test(name)) hashTree(hash, root, `${rel}/${name}`);
}

/**
 * What the app is built from, by content: file modification times do not survive an npm package
 * (files are as new as their extraction) or a container image's layers.
 */
export function sourcesStamp(root: string): { sources: string; lockfile: string | null } {
  const hash = createHash('sha256');
  for (const source of SOURCES) hashTree(hash, root, source);
  const lock = join(root, LOCKFILE);
  return { sources: hash.digest('hex'), lockfile: existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : null };
}

export function isBuilt(root: string, outDir = join(root, 'dist')): boolean {
  try {
    const stamp = JSON.parse(readFileSync(join(outDir, STAMP), 'utf8')) as { sources: string; lockfile: string | null };
    const now = sourcesStamp(root);
    return stamp.sources === now.sources && (now.lockfile === null || stamp.lockfile === now.lockfile) && existsSync(join(outDir, 'index.html'));
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
    // They are development dependencies: an install without them (npm ci --omit=dev, the npm
    // package) runs the app built before.
    const [{ build }, { appConfig }] = await Promise.all([import('vite'), import('../server/app-config.ts')]).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      throw new Error(`the app in ${outDir} is missing or was built from other sources, and this install has no build tools (installed with --omit=dev): run npm ci, or install the tench package, which holds the app built`);
    });
    await build({ ...appConfig(), configFile: false, root, logLevel: 'warn', build: { ...appConfig().build, outDir, emptyOutDir: true } });
    writeFileSync(join(outDir, STAMP), JSON.stringify({ ...sources, builtAt: Date.now() }));
    return outDir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
