// A Hub model's files, downloaded once per machine: into the Hugging Face cache, laid out as
// huggingface_hub lays it out (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), so
// that every session, state folder and shard on this machine, and the Python tools, share one
// copy. The CLI downloads; the page reads the files from the CLI's own server, as a mirror of the
// Hub on its own origin: a mirror that sends no CORS headers works, and the token stays here.
//
//   models--<org>--<name>/blobs/<etag>                  the bytes, once
//   models--<org>--<name>/refs/<revision>                the commit a branch or tag was at
//   models--<org>--<name>/snapshots/<commit>/<file>      a link to ../../blobs/<etag>

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { networkReason } from '../net/network-error.ts';

export interface HubCacheOptions {
  /** The cache folder (hubCacheDir). */
  dir: string;
  /** The hub to download from: the Hub, or a mirror in its layout. */
  endpoint: string;
  id: string;
  revision: string;
  token?: string;
  /** HF_HUB_OFFLINE: only what the cache holds. */
  offline: boolean;
  /** Told of each download: its file, bytes so far and in all (0 when unknown); done at the end. */
  onDownload?: (d: { file: string; loaded: number; total: number; done: boolean }) => void;
}

const TRUE = /^(1|true|yes|on)$/i;

/** HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub: huggingface_hub's order. */
export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

export function hubOffline(env: Record<string, string | undefined> = process.env): boolean {
  return TRUE.test(env.HF_HUB_OFFLINE ?? '');
}

export const repoFolder = (dir: string, id: string): string => join(dir, `models--${id.split('/').join('--')}`);

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The snapshot a revision names: a commit as it is, a branch or tag through refs/; or a snapshot
 * named by the revision itself, where a mirror said no commit.
 */
async function snapshotOf(repo: string, revision: string): Promise<string | null> {
  if (COMMIT.test(revision)) return revision;
  const ref = await readFile(join(repo, 'refs', revision), 'utf8').catch(() => null);
  if (ref?.trim()) return ref.trim();
  return existsSync(join(repo, 'snapshots', revision)) ? revision : null;
}

/** The cached file, if the cache holds it at that revision. */
export async function cachedFile(dir: string, id: string, revision: string, file: string): Promise<string | null> {
  const repo = repoFolder(dir, id);
  const commit = await snapshotOf(repo, revision);
  if (!commit) return null;
  const path = join(repo, 'snapshots', commit, ...file.split('/'));
  return (await stat(path).catch(() => null))?.isFile() ? path : null;
}

/** What the hub says of a file before its bytes: where they are, its commit and its etag. */
interface Located {
  response: Response;
  commit: string | null;
  etag: string | null;
}

/**
 * An etag that can name a blob: the hex digest the Hub gives (a git sha1, an LFS sha256). Anything
 * else a server sends ('..', '/', a quoted date) is not taken as a file name: the bytes' own
 * sha256 names the blob then.
 */
const blobName = (etag: string | null) => {
  const bare = etag?.replace(/^W\//, '').replace(/"/g, '') ?? '';
  return /^[0-9a-f]{40,64}$/i.test(bare) ? bare.toLowerCase() : null;
};

/**
 * GET the file, following redirects by hand: the commit and the etag are on the hub's own answer
 * (a large file is redirected to a file store that knows neither), and the token goes only to the
 * hub itself.
 */
async function locate(o: HubCacheOptions, file: string, signal?: AbortSignal): Promise<Located | number> {
  let url = `${o.endpoint}/${o.id}/resolve/${encodeURIComponent(o.revision)}/${file}`;
  const hub = new URL(o.endpoint).origin;
  let commit: string | null = null;
  let etag: string | null = null;
  for (let hops = 0; hops < 8; hops++) {
    const own = new URL(url).origin === hub;
    const response = await fetch(url, { redirect: 'manual', signal, headers: own && o.token ? { authorization: `Bearer ${o.token}` } : {} });
    // Only a commit's own form names a snapshot folder: a server's header is no path to write to.
    const said = response.headers.get('x-repo-commit');
    if (said && COMMIT.test(said)) commit ??= said;
    etag ??= blobName(response.headers.get('x-linked-etag'));
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    if (!response.ok) return response.status;
    return { response, commit, etag: etag ?? blobName(response.headers.get('etag')) };
  }
  throw new Error(`${url}: too many redirects`);
}

/** Writes the body into blobs/, its etag (or, where the hub gives none, its sha256) naming it. */
async function keepBlob(repo: string, file: string, found: Located, onDownload?: HubCacheOptions['onDownload']): Promise<string> {
  const blobs = join(repo, 'blobs');
  await mkdir(blobs, { recursive: true });
  const partial = join(blobs, `${randomBytes(8).toString('hex')}.incomplete`);
  const total = Number(found.response.headers.get('content-length')) || 0;
  const hash = createHash('sha256');
  let loaded = 0;
  const out = createWriteStream(partial);
  try {
    for await (const chunk of found.response.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      loaded += chunk.byteLength;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      onDownload?.({ file, loaded, total, done: false });
    }
    await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())));
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
  if (total && loaded !== total) {
    await rm(partial, { force: true });
    throw new Error(`${file} ended after ${loaded} of ${total} bytes`);
  }
  const blob = join(blobs, found.etag ?? hash.digest('hex'));
  // Another process may have kept the same bytes meanwhile: the same name is the same content.
  await rename(partial, blob);
  onDownload?.({ file, loaded, total: total || loaded, done: true });
  return blob;
}

/** snapshots/<commit>/<file> -> the blob, relative, as huggingface_hub links it. */
async function linkSnapshot(repo: string, commit: string, file: string, blob: string): Promise<string> {
  const path = join(repo, 'snapshots', commit, ...file.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await unlink(path).catch(() => {});
  await symlink(relative(dirname(path), blob), path);
  return path;
}

/**
 * One cache for a model at a revision: files are taken from the cache, or downloaded into it once
 * (two requests for one file at once share one download). Null for a file the hub does not have.
 */
export function hubCache(o: HubCacheOptions) {
  const repo = repoFolder(o.dir, o.id);
  const pending = new Map<string, Promise<string | null>>();
  let latest: Promise<string | null> | null = null;

  /**
   * The commit a branch or tag is at now, asked once (a HEAD, as huggingface_hub asks), so that a
   * cache made before the branch moved is not used for it; null when the hub does not answer or
   * say, and then the cache is used as it is.
   */
  const currentCommit = () => (latest ??= (async () => {
    if (COMMIT.test(o.revision)) return o.revision;
    try {
      const url = `${o.endpoint}/${o.id}/resolve/${encodeURIComponent(o.revision)}/config.json`;
      const response = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5000), headers: o.token ? { authorization: `Bearer ${o.token}` } : {} });
      return response.headers.get('x-repo-commit');
    } catch {
      return null;
    }
  })());

  async function download(file: string): Promise<string | null> {
    let found: Located | number;
    try {
      found = await locate(o, file);
    } catch (error) {
      throw new Error(`cannot reach ${o.endpoint}/${o.id}/resolve/${o.revision}/${file} (${networkReason(error, o.endpoint) ?? (error as Error).message})`);
    }
    if (typeof found === 'number') {
      if (found === 404) return null;
      throw new Error(`${o.endpoint}/${o.id}/resolve/${o.revision}/${file} answered HTTP ${found}${found === 401 || found === 403 ? ' (a gated or private model: set HF_TOKEN)' : ''}`);
    }
    const commit = found.commit ?? o.revision;
    const blob = await keepBlob(repo, file, found, o.onDownload);
    const path = await linkSnapshot(repo, commit, file, blob);
    if (commit !== o.revision) {
      await mkdir(join(repo, 'refs'), { recursive: true });
      await writeFile(join(repo, 'refs', o.revision), commit);
    }
    return path;
  }

  return {
    repo,
    /** The file's path in the cache, downloaded first unless it is there (or offline). */
    file(file: string): Promise<string | null> {
      const running = pending.get(file);
      if (running) return running;
      const job = (async () => {
        const cached = await cachedFile(o.dir, o.id, o.revision, file);
        if (o.offline) return cached;
        if (cached) {
          const now = await currentCommit();
          if (now === null || now === (await snapshotOf(repo, o.revision))) return cached;
        }
        return download(file);
      })().finally(() => pending.delete(file));
      pending.set(file, job);
      return job;
    },
    /** Whether the cache holds the files a model needs to start, for HF_HUB_OFFLINE. */
    async holds(files: readonly string[]): Promise<boolean> {
      for (const f of files) if (!(await cachedFile(o.dir, o.id, o.revision, f))) return false;
      return existsSync(repo);
    },
  };
}

export type HubCache = ReturnType<typeof hubCache>;
