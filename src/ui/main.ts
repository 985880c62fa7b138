// The page: a form, a progress view, the first results, and a run's evaluation, failures and
// gallery, all rebuilt from IndexedDB on load.

import { describe } from '../datasets/dataset.ts';
import { continueJob, newControl, runJob, type JobControl } from '../job.ts';
import type { Progress } from '../pipeline/progress.ts';
import { openStore, type TenchDB } from '../store/db.ts';
import { evaluation, failureTally } from '../store/evaluate.ts';
import { countRows, eachRow, readRows } from '../store/results.ts';
import { clearAll, deleteRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import { reasonOf } from '../core/outcome.ts';
import { allRows, installAutomation } from './automation.ts';
import { append, h, replace } from './dom.ts';
import { createEvaluationView } from './evaluation-view.ts';
import { createFailuresView } from './failures-view.ts';
import { createForm } from './form.ts';
import { createGalleryView, galleryEntry, type GalleryEntry } from './gallery-view.ts';
import { mountOfflineNotice } from './offline-notice.ts';
import { createProgressView } from './progress-view.ts';
import { createResultsView } from './results-view.ts';
import { createRunsView } from './runs-view.ts';
import { mountUpdatePrompt } from './update-prompt.ts';
import './style.css';

const FIRST_ROWS = 50;

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const db: TenchDB = await openStore();
  let control: ReturnType<typeof newControl> | null = null;

  const message = h('p', { class: 'message', role: 'status' });
  const progress = createProgressView();
  const results = createResultsView();
  const evaluationView = createEvaluationView();
  const failuresView = createFailuresView();
  const gallery = createGalleryView(db);
  const runView = h('div', { class: 'run-view', hidden: true }, evaluationView.root, failuresView.root, gallery.root);
  // The run asked for last; a slower read for an earlier one stops when it sees it is stale.
  let showing = 0;

  async function showRun(run: RunRecord | undefined): Promise<void> {
    if (!run) return;
    const asked = ++showing;
    const [rows, total] = await Promise.all([readRows(db, run.id, -1, FIRST_ROWS), countRows(db, run.id)]);
    if (asked !== showing) return;
    results.show(rows, total);
    replace(message, `Run ${run.id}: ${run.state}${run.error ? ` (${run.error})` : ''} · ${describe(run.dataset)} · ${run.model}`,
      run.runtime ? ` · ${run.runtime.device}: ${run.runtime.reason}` : '');
    await showRunViews(run, asked).catch((error) => {
      if (asked === showing) append(message, [` · its evaluation and gallery could not be read: ${reasonOf(error)}`]);
    });
  }

  /** One pass over the run's rows feeds the evaluation, the failures and the gallery's index. */
  async function showRunViews(run: RunRecord, asked: number): Promise<void> {
    const scores = evaluation();
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

  async function refreshRuns(): Promise<RunRecord[]> {
    const runs = await listRuns(db);
    runsView.show(runs, await interruptedRuns(runs), control !== null);
    return runs;
  }

  /** Runs a job with the form's buttons controlling it, then shows what it left in the store. */
  async function running(work: (c: JobControl) => Promise<RunRecord | { refused: string }>): Promise<void> {
    control = newControl();
    form.busy(true);
    replace(message, 'Starting…');
    void refreshRuns();
    const run = await work(control).catch((error: unknown) => ({ refused: reasonOf(error) }));
    control = null;
    form.busy(false);
    if ('refused' in run) replace(message, run.refused);
    else await showRun(run);
    await refreshRuns();
  }

  const hooks = { onProgress: (p: Progress) => progress.show(p) };

  const runsView = createRunsView({
    show: (run) => void showRun(run),
    continue: (run, retry, folder) => void running((c) => continueJob(db, run.id, retry, { folder, credentials: form.credentials() }, hooks, c)),
    rows: (run) => allRows(db, run.id),
    async remove(run) {
      await deleteRun(db, run.id);
      await refreshRuns();
    },
    async clear() {
      await clearAll(db);
      results.show([], 0);
      runView.hidden = true;
      replace(message, 'Every run was deleted.');
      await refreshRuns();
    },
  });

  const form = createForm(
    () => {
      const read = form.read(location.origin);
      if ('error' in read) {
        replace(message, read.error);
        return;
      }
      void running((c) => runJob(db, read.request, read.runtime, hooks, c));
    },
    () => control?.cancel(),
    (pause) => (pause ? control?.gate.pause() : control?.gate.resume()),
  );

  installAutomation(db, (p) => progress.show(p), () => void refreshRuns());

  replace(app,
    form.root,
    message,
    progress.root,
    results.root,
    runView,
    runsView.root);

  const runs = await refreshRuns();
  await showRun(runs[0]);
  mountOfflineNotice(app);
  mountUpdatePrompt();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('app')!.textContent = `tench could not start: ${error instanceof Error ? error.message : String(error)}`;
});
