// The page: a form, the run on screen (run-screen.ts), and the past runs, all rebuilt from
// IndexedDB on load. One run at a time, steered by the form's buttons and by window.tench alike
// (run-control.ts).

import { runJob } from '../run/run.ts';
import { openStore } from '../store/db.ts';
import { BUNDLED_MODEL } from '../model/model.ts';
import { installAutomation } from './automation.ts';
import { h, replace } from './dom.ts';
import { createForm } from './form.ts';
import { mountOfflineNotice } from './offline-notice.ts';
import { createPageRuns } from './page-runs.ts';
import { createRunControl } from './run-control.ts';
import { createRunScreen } from './run-screen.ts';
import { runActions } from './runs-actions.ts';
import { keepRunsListed } from './runs-listing.ts';
import { createRunsView } from './runs-view.ts';
import { say } from './status-line.ts';
import { mountUpdatePrompt } from './update-prompt.ts';
import './style.css';

async function main(): Promise<void> {
  const app = document.getElementById('app')!;
  const db = await openStore();
  const control = createRunControl();
  const message = h('p', { class: 'message', role: 'status' });
  const screen = createRunScreen(db, message);
  const listing = keepRunsListed(db, control, (runs, interrupted, counts) => runsView.show(runs, interrupted, control.state().running, counts));
  const runs = createPageRuns({ db, control, screen, message, listing, useBundled: () => form.useModel(BUNDLED_MODEL) });
  const runsView = createRunsView(runActions({ db, runs, screen, message, listing, secrets: () => form.secrets() }));
  const form = createForm(control, () => {
    const read = form.read(location.origin);
    if ('error' in read) return say(message, 'error', read.error);
    void runs.start((c, hooks) => runJob(db, read.request, read.runtime, hooks, c));
  });
  installAutomation(db, control, screen.showProgress, () => void listing.changed());

  // The run's bar and counts under the buttons that steer it, then the status line, then the rest
  // of its progress (style.css orders them so, and holds the bar in view while the run goes on);
  // the run's results come last: its gallery may be as long as the run, and the page scrolls it.
  const [progress, ...results] = screen.roots;
  replace(app, form.root, progress, message, runsView.root, ...results);

  await runs.show((await listing.refresh())[0]);
  mountOfflineNotice(app);
  mountUpdatePrompt();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('app')!.textContent = `tench could not start: ${error instanceof Error ? error.message : String(error)}`;
});
