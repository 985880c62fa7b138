// Past runs kept current. Other tabs of the page share the store: each tells the others when a
// run starts, ends or goes, so that their Past runs (and which Delete buttons they enable)
// follow; a tab that closed or crashed tells nobody, so a tab looked at again reads them again.

import type { TenchDB } from '../store/db.ts';
import { storedCounts } from '../store/results.ts';
import { interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import type { RunControl } from './run-control.ts';
import type { StoredCount } from './runs-view.ts';

export type RunsListing = ReturnType<typeof keepRunsListed>;

type Shown = (runs: RunRecord[], interrupted: ReadonlySet<string>, counts: ReadonlyMap<string, StoredCount>) => void;

/** Reads the runs into `shown`, again whenever they may have changed; `changed` tells the other tabs too. */
export function keepRunsListed(db: TenchDB, control: RunControl, shown: Shown) {
  let listing = 0;
  async function refresh(): Promise<RunRecord[]> {
    const asked = ++listing;
    const runs = await listRuns(db);
    const [interrupted, counts] = await Promise.all([interruptedRuns(runs), storedCounts(db, runs.map((r) => r.id))]);
    // A slower read for an earlier refresh does not draw over a later one.
    if (asked === listing) shown(runs, interrupted, counts);
    return runs;
  }

  const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('tench-runs') : null;
  if (tabs) tabs.onmessage = () => void refresh();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh();
  });
  // A run starting here: no Resume or Retry to press while it starts, whoever started it.
  let running = false;
  control.onChange((now) => {
    if (now.running && !running) void refresh();
    running = now.running;
  });

  return {
    refresh,
    changed(): Promise<RunRecord[]> {
      tabs?.postMessage('runs');
      return refresh();
    },
  };
}
