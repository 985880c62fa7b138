// The page: a form, the run on screen (run-screen.ts), and the past runs, all rebuilt from
// IndexedDB on load.

import { continueJob, newControl, runJob, type JobControl } from '../job.ts';
import { openStore, type TenchDB } from '../store/db.ts';
import { clearAll, deleteRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import { reasonOf } from '../core/outcome.ts';
import { allRows, installAutomation } from './automation.ts';
import { h, replace } from './dom.ts';
import { createForm } from './form.ts';
import { mountOfflineNotice } from './offline-notice.ts';
import { createRunScreen, say } from './run-screen.ts';
import { createRunsView } from './runs-view.ts';
import { mountUpdatePrompt } from './update-prompt.ts';
import './style.css';

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const db: TenchDB = await openStore();
  let control: ReturnType<typeof newControl> | null = null;

  const message = h('p', { class: 'message', role: 'status' });
  const screen = createRunScreen(db, message);

  async function refreshRuns(): Promise<RunRecord[]> {
    const runs = await listRuns(db);
    runsView.show(runs, await interruptedRuns(runs), control !== null);
    return runs;
  }

  /** Runs a job with the form's buttons controlling it, then shows what it left in the store. */
  async function running(work: (c: JobControl) => Promise<RunRecord | { refused: string }>): Promise<void> {
    control = newControl();
    form.busy(true);
    screen.clear();
    say(message, 'info', 'Starting…');
    void refreshRuns();
    const run = await work(control).catch((error: unknown) => ({ refused: reasonOf(error) }));
    control = null;
    form.busy(false);
    if ('refused' in run) say(message, 'error', run.refused);
    else await screen.show(run);
    await refreshRuns();
  }

  const hooks = screen.hooks(() => control !== null);

  const runsView = createRunsView({
    show: (run) => void screen.show(run),
    continue: (run, retry, folder) => void running((c) => continueJob(db, run.id, retry, { folder, ...form.secrets() }, hooks, c)),
    rows: (run) => allRows(db, run.id),
    async remove(run) {
      await deleteRun(db, run.id);
      if (screen.shown() === run.id) {
        screen.clear();
        say(message, 'info', `Run ${run.id} was deleted.`);
      }
      await refreshRuns();
    },
    async clear() {
      await clearAll(db);
      screen.clear();
      say(message, 'info', 'Every run was deleted.');
      await refreshRuns();
    },
  });

  const form = createForm(
    () => {
      const read = form.read(location.origin);
      if ('error' in read) {
        say(message, 'error', read.error);
        return;
      }
      void running((c) => runJob(db, read.request, read.runtime, hooks, c));
    },
    () => control?.cancel(),
    (pause) => (pause ? control?.gate.pause() : control?.gate.resume()),
  );

  installAutomation(db, screen.showProgress, () => void refreshRuns());

  // The run on screen comes last: its gallery may be as long as the run, and the page scrolls it.
  replace(app,
    form.root,
    message,
    runsView.root,
    ...screen.roots);

  const runs = await refreshRuns();
  await screen.show(runs[0]);
  mountOfflineNotice(app);
  mountUpdatePrompt();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('app')!.textContent = `tench could not start: ${error instanceof Error ? error.message : String(error)}`;
});
