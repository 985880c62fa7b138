// What a run's rows add up to, under its first rows: its evaluation, its failures and its
// gallery, fed by one pass over the rows in the store.

import type { TenchDB } from '../store/db.ts';
import { failureTally, runEvaluation } from '../store/evaluate.ts';
import { eachRow } from '../store/results.ts';
import type { RunRecord } from '../store/runs.ts';
import { h } from './dom.ts';
import { createEvaluationView } from './evaluation-view.ts';
import { createFailuresView } from './failures-view.ts';
import { galleryEntry, type GalleryEntry } from './gallery-entries.ts';
import { createGalleryView } from './gallery-view.ts';

export function createRunViews(db: TenchDB) {
  const evaluationView = createEvaluationView();
  const failuresView = createFailuresView();
  const gallery = createGalleryView(db);
  const root = h('div', { class: 'run-view', hidden: true }, evaluationView.root, failuresView.root, gallery.root);

  /** Reads the run's rows into every view; stops, showing nothing, once `wanted` says another run is. */
  async function show(run: RunRecord, wanted: () => boolean): Promise<void> {
    const scores = runEvaluation(run);
    const failures = failureTally();
    const entries: GalleryEntry[] = [];
    for await (const row of eachRow(db, run.id)) {
      if (!wanted()) return;
      scores.add(row);
      failures.add(row);
      entries.push(galleryEntry(row));
    }
    if (!wanted()) return;
    root.hidden = entries.length === 0;
    gallery.show(run.id, entries);
    failuresView.show(failures.result());
    evaluationView.show(run.id, scores.result());
  }

  return {
    root,
    show,
    hide(): void {
      root.hidden = true;
    },
  };
}
