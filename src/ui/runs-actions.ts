// What Past runs' buttons do: show a run, go on with it, export its rows, delete it, clear all.

import { continueJob, type JobRuntime } from '../run/run.ts';
import type { TenchDB } from '../store/db.ts';
import { clearAll, deleteRun } from '../store/runs.ts';
import { allRows } from './automation.ts';
import type { PageRuns } from './page-runs.ts';
import type { RunScreen } from './run-screen.ts';
import { say } from './status-line.ts';
import type { RunsListing } from './runs-listing.ts';
import { keptSentence, liveSentence, type RunActions } from './runs-view.ts';

export interface ActionParts {
  db: TenchDB;
  runs: PageRuns;
  screen: RunScreen;
  message: HTMLElement;
  listing: RunsListing;
  /** The keys and the hub's token typed in the form: no run stores them. */
  secrets(): JobRuntime;
}

export function runActions({ db, runs, screen, message, listing, secrets }: ActionParts): RunActions {
  return {
    show: (run) => void runs.show(run),
    continue: (run, retry, folder) => void runs.start((c, hooks) => continueJob(db, run.id, retry, { folder, ...secrets() }, hooks, c)),
    rows: (run) => allRows(db, run.id),
    async remove(run) {
      const done = await deleteRun(db, run.id);
      if ('live' in done) say(message, 'error', liveSentence(run.id, done.live));
      else if (screen.shown() === run.id) {
        screen.clear();
        say(message, 'info', `Run ${run.id} was deleted.`);
      }
      await listing.changed();
    },
    async clear() {
      const { kept } = await clearAll(db);
      if (!kept.some((k) => k.id === screen.shown())) screen.clear();
      say(message, 'info', keptSentence(kept));
      await listing.changed();
    },
  };
}
