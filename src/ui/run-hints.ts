// What the status line adds to a run's own words where they do not say what to do next: a Hub
// model that could not be reached (the bundled model runs offline), and a run none of whose
// images the browser could read (another origin, unreachable or without CORS headers). Said once
// for the run, where each row only says it of itself.

import { blockedOrigin } from '../net/fetch.ts';
import { BUNDLED_MODEL } from '../model/model.ts';
import type { TenchDB } from '../store/db.ts';
import { eachRow } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import { h } from './dom.ts';
import type { Tone } from './status-line.ts';

export interface RunHint {
  tone: Tone;
  parts: Array<string | Node>;
}

/** A run of a Hub model that failed because the hub did not answer: the CLI's words, and a button. */
function offlineHint(run: RunRecord, useBundled: () => void): RunHint | null {
  if (run.state !== 'failed' || !/cannot reach/.test(run.error ?? '') || run.request?.model.base !== null) return null;
  return {
    tone: 'error',
    parts: [' · without a network, the bundled demo model runs (random weights: its labels mean nothing): ',
      h('button', { type: 'button', class: 'link', onclick: useBundled }, `choose ${BUNDLED_MODEL}`)],
  };
}

/**
 * The origins the browser could not read, when every row of the run failed for that; null when
 * any row says something else (or there is none). Stops at the first such row: a run that
 * classified anything stops at once.
 */
async function blockedOrigins(db: TenchDB, run: RunRecord): Promise<string[] | null> {
  if (run.counts && run.counts.ok > 0) return null;
  const origins = new Set<string>();
  for await (const row of eachRow(db, run.id)) {
    const origin = row.error === null ? null : blockedOrigin(row.error);
    if (!origin) return null;
    origins.add(origin);
  }
  return origins.size ? [...origins] : null;
}

function corsHint(origins: readonly string[]): RunHint {
  const one = origins.length === 1;
  const shown = one ? origins[0]! : `${origins.slice(0, -1).join(', ')} and ${origins.at(-1)}`;
  return {
    tone: 'warning',
    parts: [` · none of the images could be read: ${shown} ${one ? 'is' : 'are'} unreachable, or ${one ? 'sends' : 'send'} no CORS header allowing ${location.origin} to read ${one ? 'its' : 'their'} images`],
  };
}

/** What the status line adds for `run`, if anything. */
export async function runHint(db: TenchDB, run: RunRecord, useBundled: () => void): Promise<RunHint | null> {
  const offline = offlineHint(run, useBundled);
  if (offline) return offline;
  if (run.state === 'running') return null;
  const origins = await blockedOrigins(db, run).catch(() => null);
  return origins ? corsHint(origins) : null;
}
