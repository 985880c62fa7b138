// A Hub model for a CLI run: its files in the machine's Hugging Face cache (downloaded there once,
// with the progress on stderr), and served to the page by the CLI's own server as a mirror of the
// Hub on the page's origin (HUB_ROUTE). The page never reaches the hub, nor holds the token.

import { SingleBar } from 'cli-progress';
import { DTYPES, type Dtype } from '../core/device.ts';
import { DTYPE_FILES, hubRef, hubSource, missingDtypeFile, type HubSource } from '../model/model.ts';
import { HUB_ROUTE, type RouteOptions } from '../server/routes.ts';
import { inputOf } from '../settings.ts';
import { hubCache, hubCacheDir, hubOffline } from './hub-cache.ts';
import { usage, type Refusal } from './exit.ts';

/** What a model needs to start: labels and preprocessing, then the weights of the dtype asked. */
const START_FILES = ['config.json', 'preprocessor_config.json'] as const;

export interface HubModel {
  routes: RouteOptions;
  /** The hub the page reads the model from: the CLI's server, once its origin is known. */
  hubFor(origin: string): HubSource;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0)} MB`;

/** A bar on a terminal, two lines elsewhere (a log keeps no redrawn bar). */
function downloadReporter(err: (line: string) => void, dir: string) {
  const tty = process.stderr.isTTY === true;
  let bar: SingleBar | null = null;
  let current = '';
  return (d: { file: string; loaded: number; total: number; done: boolean }) => {
    if (d.file !== current) {
      current = d.file;
      err(`downloading ${d.file}${d.total ? ` (${mb(d.total)})` : ''} into ${dir}`);
      if (tty && d.total) {
        bar = new SingleBar({ format: '  {bar} {percentage}% · {done} of {size}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, undefined);
        bar.start(d.total, 0, { done: mb(0), size: mb(d.total) });
      }
    }
    bar?.update(d.loaded, { done: mb(d.loaded), size: mb(d.total) });
    if (d.done) {
      bar?.stop();
      bar = null;
      current = '';
      err(`downloaded ${d.file} (${mb(d.loaded)})`);
    }
  };
}

/**
 * The dtypes whose files the hub has for this model, by a HEAD of each (a redirect to the file
 * store is a file that exists), to name them when the one asked for is missing. A mirror may have
 * no listing API, but every mirror answers for files.
 */
async function dtypesOnHub(endpoint: string, id: string, revision: string, token?: string): Promise<Dtype[]> {
  const found = await Promise.all(DTYPES.map(async (d) => {
    try {
      const url = `${endpoint}/${id}/resolve/${encodeURIComponent(revision)}/${DTYPE_FILES[d].file}`;
      const response = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5000), headers: token ? { authorization: `Bearer ${token}` } : {} });
      return response.status < 400 ? d : null;
    } catch {
      return null;
    }
  }));
  return found.filter((d): d is Dtype => d !== null);
}

/**
 * The model's start files and weights in the cache, or one sentence why not: offline with nothing
 * cached, a hub that cannot be reached, a file the model does not have.
 */
export async function prepareHubModel(input: string, hub: Partial<HubSource> & { token?: string }, dtype: Dtype, err: (line: string) => void,
  env: Record<string, string | undefined> = process.env): Promise<{ ok: true; value: HubModel } | Refusal> {
  const ref = hubRef(input, hub);
  const source = hubSource(hub);
  const dir = hubCacheDir(env);
  const offline = hubOffline(env);
  const named = ref.asked ? `${ref.asked} (its ONNX export ${ref.id})` : ref.id;
  // The revision names folders of the cache (refs/<revision>, snapshots/<revision>): checked where
  // they are made, whoever asked.
  const revision = inputOf('revision').parse(source.revision);
  if (!revision.ok) return usage(revision.reason);
  const cache = hubCache({ dir, endpoint: source.endpoint, id: ref.id, revision: source.revision, token: hub.token, offline, onDownload: downloadReporter(err, dir) });
  const needed = [...START_FILES, DTYPE_FILES[dtype].file];
  if (offline && !(await cache.holds(needed))) {
    return { ok: false, reason: `HF_HUB_OFFLINE is set and the Hugging Face cache ${dir} does not hold model ${named} at ${source.revision} (${needed.join(', ')}): run once with the network, or give --model a model folder` };
  }
  for (const file of needed) {
    let path: string | null;
    try {
      path = await cache.file(file);
    } catch (error) {
      return { ok: false, reason: `model ${named}: ${(error as Error).message}` };
    }
    if (path) continue;
    const where = `model ${named} at ${source.endpoint}, revision ${source.revision},`;
    if (file !== DTYPE_FILES[dtype].file) return { ok: false, reason: `${where} has no ${file}` };
    return { ok: false, reason: missingDtypeFile(where, dtype, await dtypesOnHub(source.endpoint, ref.id, source.revision, hub.token)) };
  }
  return {
    ok: true,
    value: {
      routes: { hubModel: { id: ref.id, revision: source.revision, file: (f) => cache.file(f) } },
      hubFor: (origin) => ({ endpoint: `${origin}${HUB_ROUTE}`, revision: source.revision }),
    },
  };
}
