// The page: a form, the run on screen (run-screen.ts), and the past runs, all rebuilt from
// IndexedDB on load.

import { continueJob, newControl, runJob, type JobControl } from '../job.ts';
import { openStore, type TenchDB } from '../store/db.ts';
import { clearAll, deleteRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import { storedCounts } from '../store/results.ts';
import { reasonOf } from '../core/outcome.ts';
import { BUNDLED_MODEL } from '../model/model.ts';
import { allRows, installAutomation } from './automation.ts';
import { h, replace } from './dom.ts';
import { createForm } from './form.ts';
import { mountOfflineNotice } from './offline-notice.ts';
import { runHint } from './run-hints.ts';
import { createRunScreen, say } from './run-screen.ts';
import { createRunsView, keptSentence, liveSentence } from './runs-view.ts';
import { mountUpdatePrompt } from './update-prompt.ts';
import './style.css';

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const db: TenchDB = await openStore();
  let control: ReturnType<typeof newControl> | null = null;

  const message = h('p', { class: 'message', role: 'status' });
  const screen = createRunScreen(db, message);

  /** The run on screen, and on its status line what it does not say itself (run-hints.ts). */
  async function show(run: RunRecord | undefined): Promise<void> {
    if (!run) return;
    // Read first: the line is whole when the page says the run is shown.
    const hint = await runHint(db, run, () => form.useModel(BUNDLED_MODEL));
    await screen.show(run);
    if (hint && screen.shown() === run.id) say(message, hint.tone, ...message.childNodes, ...hint.parts);
  }

  let listing = 0;
  async function refreshRuns(): Promise<RunRecord[]> {
    const asked = ++listing;
    const runs = await listRuns(db);
    const [interrupted, counts] = await Promise.all([interruptedRuns(runs), storedCounts(db, runs.map((r) => r.id))]);
    // A slower read for an earlier refresh does not draw over a later one.
    if (asked === listing) runsView.show(runs, interrupted, control !== null, counts);
    return runs;
  }

  // Other tabs of the page share the store: each tells them when a run starts, ends or goes, so
  // that their Past runs (and which Delete buttons they enable) follow.
  const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('tench-runs') : null;
  if (tabs) tabs.onmessage = () => void refreshRuns();
  // A tab that closed or crashed tells nobody: look again when this one is looked at.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refreshRuns();
  });
  function changed(): Promise<RunRecord[]> {
    tabs?.postMessage('runs');
    return refreshRuns();
  }

  /** Runs a job with the form's buttons controlling it, then shows what it left in the store. */
  async function running(work: (c: JobControl) => Promise<RunRecord | { refused: string }>): Promise<void> {
    control = newControl();
    form.busy(true);
    screen.clear();
    say(message, 'info', 'Starting…');
    // Busy now: no Resume or Retry to press again while this one starts.
    void refreshRuns();
    const run = await work(control).catch((error: unknown) => ({ refused: reasonOf(error) }));
    control = null;
    form.busy(false);
    if ('refused' in run) say(message, 'error', run.refused);
    else await show(run);
    await changed();
  }

  const screenHooks = screen.hooks(() => control !== null);
  const hooks = {
    ...screenHooks,
    onStart(runId: string) {
      screenHooks.onStart?.(runId);
      void changed();
    },
  };

  const runsView = createRunsView({
    show: (run) => void show(run),
    continue: (run, retry, folder) => void running((c) => continueJob(db, run.id, retry, { folder, ...form.secrets() }, hooks, c)),
    rows: (run) => allRows(db, run.id),
    async remove(run) {
      const done = await deleteRun(db, run.id);
      if ('live' in done) say(message, 'error', liveSentence(run.id, done.live));
      else if (screen.shown() === run.id) {
        screen.clear();
        say(message, 'info', `Run ${run.id} was deleted.`);
      }
      await changed();
    },
    async clear() {
      const { kept } = await clearAll(db);
      if (!kept.some((k) => k.id === screen.shown())) screen.clear();
      say(message, 'info', keptSentence(kept));
      await changed();
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

  installAutomation(db, screen.showProgress, () => void changed());

  // The run's bar and counts under the buttons that steer it, then the status line, then the rest
  // of its progress (style.css orders them so, and holds the bar in view while the run goes on);
  // the run's results come last: its gallery may be as long as the run, and the page scrolls it.
  const [progress, ...results] = screen.roots;
  replace(app,
    form.root,
    progress,
    message,
    runsView.root,
    ...results);

  const runs = await refreshRuns();
  await show(runs[0]);
  mountOfflineNotice(app);
  mountUpdatePrompt();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('app')!.textContent = `tench could not start: ${error instanceof Error ? error.message : String(error)}`;
});
