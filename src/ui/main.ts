// The page: a form, a progress view, the first results, and a run's evaluation, failures and
// gallery, all rebuilt from IndexedDB on load.

import { describe } from '../datasets/dataset.ts';
import { newControl, runJob } from '../job.ts';
import type { Progress } from '../pipeline/progress.ts';
import { openStore, type TenchDB } from '../store/db.ts';
import { evaluation, failureTally } from '../store/evaluate.ts';
import { countRows, eachRow, readRows } from '../store/results.ts';
import { listRuns, type RunRecord } from '../store/runs.ts';
import { installAutomation } from './automation.ts';
import { h, replace } from './dom.ts';
import { createEvaluationView } from './evaluation-view.ts';
import { createFailuresView } from './failures-view.ts';
import { createForm } from './form.ts';
import { createGalleryView, galleryEntry, type GalleryEntry } from './gallery-view.ts';
import { createProgressView } from './progress-view.ts';
import { createResultsView } from './results-view.ts';
import './style.css';

const FIRST_ROWS = 50;

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const db: TenchDB = await openStore();
  let control: ReturnType<typeof newControl> | null = null;

  const message = h('p', { class: 'message', role: 'status' });
  const progress = createProgressView();
  const results = createResultsView();
  const runsList = h('ol', { class: 'runs' });
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
    await showRunViews(run, asked);
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
    replace(runsList, ...runs.slice(0, 20).map((r) =>
      h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => void showRun(r) }, r.id),
        ` ${r.state} · ${r.counts ? `${r.counts.written} images, ${r.counts.failed} errors` : 'no results'} · ${describe(r.dataset)}`)));
    return runs;
  }

  const form = createForm(
    async () => {
      const read = form.read(location.origin);
      if ('error' in read) {
        replace(message, read.error);
        return;
      }
      control = newControl();
      form.busy(true);
      replace(message, 'Starting…');
      let last: Progress | null = null;
      const run = await runJob(db, read.request, read.runtime, {
        onProgress(p) {
          last = p;
          progress.show(p);
        },
      }, control);
      control = null;
      form.busy(false);
      if (last) progress.show(last);
      await showRun(run);
      await refreshRuns();
    },
    () => control?.cancel(),
    (pause) => (pause ? control?.gate.pause() : control?.gate.resume()),
  );

  installAutomation(db, (p) => progress.show(p));

  replace(app,
    form.root,
    message,
    progress.root,
    results.root,
    runView,
    h('section', { class: 'history' }, h('h2', {}, 'Past runs'), runsList));

  const runs = await refreshRuns();
  await showRun(runs[0]);
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('app')!.textContent = `tench could not start: ${error instanceof Error ? error.message : String(error)}`;
});
