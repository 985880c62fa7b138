// The run on screen: the one running in this page, or the one chosen under Past runs, and
// nothing of another. Its status line, progress, first rows, evaluation, failures and gallery,
// read from the store, and while it runs, from the rows as they are stored.

import { describe } from '../datasets/dataset.ts';
import type { JobHooks } from '../job.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { failureTally, runEvaluation } from '../store/evaluate.ts';
import { countRows, eachRow, readRows, type ResultRow } from '../store/results.ts';
import { interruptedRuns, type RunRecord } from '../store/runs.ts';
import { reasonOf } from '../core/outcome.ts';
import { append, h, replace } from './dom.ts';
import { createEvaluationView } from './evaluation-view.ts';
import { createFailuresView } from './failures-view.ts';
import { createGalleryView, galleryEntry, type GalleryEntry } from './gallery-view.ts';
import { createProgressView } from './progress-view.ts';
import { createResultsView } from './results-view.ts';
import { stateOf } from './runs-view.ts';

const FIRST_ROWS = 50;

export type Tone = 'info' | 'warning' | 'error';

/** The status line, worded and styled as what it says: news, a warning or an error. */
export function say(message: HTMLElement, tone: Tone, ...parts: Array<string | Node>): void {
  message.className = tone === 'info' ? 'message' : `message ${tone}`;
  replace(message, ...parts);
}

/** A run's tone: an error when it failed, a warning when it found no image to classify. */
function toneOf(run: RunRecord): Tone {
  if (run.state === 'failed') return 'error';
  return run.state === 'done' && run.counts?.listed === 0 ? 'warning' : 'info';
}

export function createRunScreen(db: TenchDB, message: HTMLElement) {
  const progress = createProgressView();
  progress.root.hidden = true;
  const results = createResultsView();
  const evaluationView = createEvaluationView();
  const failuresView = createFailuresView();
  const gallery = createGalleryView(db);
  const runView = h('div', { class: 'run-view', hidden: true }, evaluationView.root, failuresView.root, gallery.root);
  // The run asked for last; a slower read for an earlier one stops when it sees it is stale.
  let showing = 0;
  let shownId: string | null = null;
  // The run the progress view was last given: shown only with that run.
  let progressOf: string | null = null;
  // The first rows of the run going on here, as stored, and how many were stored.
  let live: ResultRow[] = [];
  let liveCount = 0;

  /** Takes every view of the run on screen away, and stops reads still on their way to them. */
  function clear(): void {
    showing++;
    shownId = null;
    delete document.body.dataset.shownRun;
    live = [];
    liveCount = 0;
    results.show([], 0);
    runView.hidden = true;
    progress.root.hidden = true;
  }

  async function show(run: RunRecord | undefined): Promise<void> {
    if (!run) return;
    const asked = ++showing;
    shownId = run.id;
    progress.root.hidden = progressOf !== run.id;
    const [rows, total, interrupted] = await Promise.all([readRows(db, run.id, -1, FIRST_ROWS), countRows(db, run.id), interruptedRuns([run])]);
    if (asked !== showing) return;
    results.show(rows, total);
    const tone = toneOf(run);
    say(message, tone, `Run ${run.id}: ${stateOf(run, interrupted)}${run.error && run.error !== run.state ? ` (${run.error})` : ''}${tone === 'warning' ? ' · no images were found there' : ''} · ${describe(run.dataset)} · ${run.model}`,
      run.runtime ? ` · ${run.runtime.device}: ${run.runtime.reason}` : '');
    await showViews(run, asked).catch((error) => {
      if (asked === showing) append(message, [` · its evaluation and gallery could not be read: ${reasonOf(error)}`]);
    });
    // For automation and tests: every view now shows this run.
    if (asked === showing) document.body.dataset.shownRun = run.id;
  }

  /** One pass over the run's rows feeds the evaluation, the failures and the gallery's index. */
  async function showViews(run: RunRecord, asked: number): Promise<void> {
    const scores = runEvaluation(run);
    const failures = failureTally();
    const entries: GalleryEntry[] = [];
    for await (const row of eachRow(db, run.id)) {
      if (asked !== showing) return;
      scores.add(row);
      failures.add(row);
      entries.push(galleryEntry(row));
    }
    if (asked !== showing) return;
    runView.hidden = entries.length === 0;
    gallery.show(run.id, entries);
    failuresView.show(failures.result());
    evaluationView.show(run.id, scores.result());
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
        if (shownId !== rows[0]?.runId) return;
        liveCount += rows.length;
        // Once the first rows are there, a stored group changes only the count.
        if (live.length >= FIRST_ROWS) return results.count(liveCount);
        live = [...live, ...rows].slice(0, FIRST_ROWS);
        results.show(live, liveCount);
      },
    };
  }

  return {
    roots: [progress.root, results.root, runView],
    clear,
    show,
    showProgress,
    hooks,
    shown: () => shownId,
  };
}
