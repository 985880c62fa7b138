// The run on screen: the one running in this page, or the one chosen under Past runs, and
// nothing of another. Its status line, progress, first rows, evaluation, failures and gallery,
// read from the store, and while it runs, from the rows as they are stored.

import type { JobHooks } from '../run/types.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { countRows, readRows, type ResultRow } from '../store/results.ts';
import { interruptedRuns, type RunRecord } from '../store/runs.ts';
import { reasonOf } from '../core/outcome.ts';
import { append } from './dom.ts';
import { createProgressView } from './progress-view.ts';
import { createResultsView } from './results-view.ts';
import { createRunViews } from './run-views.ts';
import { say, sayRun } from './status-line.ts';

const FIRST_ROWS = 50;

export type RunScreen = ReturnType<typeof createRunScreen>;

/** The first rows of the run going on here, as stored, and how many were stored. */
function liveRows(results: ReturnType<typeof createResultsView>) {
  let live: ResultRow[] = [];
  let count = 0;
  return {
    reset(): void {
      live = [];
      count = 0;
    },
    add(rows: readonly ResultRow[]): void {
      count += rows.length;
      // Once the first rows are there, a stored group changes only the count.
      if (live.length >= FIRST_ROWS) return results.count(count);
      live = [...live, ...rows].slice(0, FIRST_ROWS);
      results.show(live, count);
    },
  };
}

export function createRunScreen(db: TenchDB, message: HTMLElement) {
  const progress = createProgressView();
  progress.root.hidden = true;
  const results = createResultsView();
  const views = createRunViews(db);
  const live = liveRows(results);
  // The run asked for last; a slower read for an earlier one stops when it sees it is stale.
  let showing = 0;
  let shownId: string | null = null;
  // The run the progress view was last given: shown only with that run.
  let progressOf: string | null = null;

  /** Takes every view of the run on screen away, and stops reads still on their way to them. */
  function clear(): void {
    showing++;
    shownId = null;
    delete document.body.dataset.shownRun;
    live.reset();
    results.show([], 0);
    views.hide();
    progress.root.hidden = true;
  }

  async function show(run: RunRecord | undefined): Promise<void> {
    if (!run) return;
    const asked = ++showing;
    const current = () => asked === showing;
    shownId = run.id;
    progress.root.hidden = progressOf !== run.id;
    const [rows, total, interrupted] = await Promise.all([readRows(db, run.id, -1, FIRST_ROWS), countRows(db, run.id), interruptedRuns([run])]);
    if (!current()) return;
    results.show(rows, total);
    sayRun(message, run, interrupted);
    await views.show(run, current).catch((error) => {
      if (current()) append(message, [` · its evaluation and gallery could not be read: ${reasonOf(error)}`]);
    });
    // For automation and tests: every view now shows this run.
    if (current()) document.body.dataset.shownRun = run.id;
  }

  function showProgress(p: Progress): void {
    progressOf = p.runId;
    progress.show(p);
    progress.root.hidden = shownId !== null && shownId !== p.runId;
  }

  /** What a run started in this page reports to the screen; `ours` is true while it goes on. */
  function hooks(ours: () => boolean): JobHooks {
    return {
      onStart(runId) {
        shownId = runId;
      },
      onProgress(p) {
        showProgress(p);
        if (ours() && shownId === p.runId) say(message, 'info', `Run ${p.runId}: ${p.model && p.state === 'running' ? 'loading the model' : p.state}`);
      },
      async onStored(rows) {
        if (shownId === rows[0]?.runId) live.add(rows);
      },
    };
  }

  return {
    roots: [progress.root, results.root, views.root],
    clear,
    show,
    showProgress,
    hooks,
    shown: () => shownId,
  };
}
