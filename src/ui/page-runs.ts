// Runs the page itself starts, from its form or Past runs, and the run it shows: the screen
// cleared as one starts, the run's status line and progress while it goes, and, once it ends,
// the run as the store has it, with what its status line adds (run-hints.ts).

import type { JobControl } from '../run/control.ts';
import type { JobHooks } from '../run/types.ts';
import { reasonOf } from '../core/outcome.ts';
import type { TenchDB } from '../store/db.ts';
import type { RunRecord } from '../store/runs.ts';
import type { RunControl } from './run-control.ts';
import { runHint } from './run-hints.ts';
import type { RunScreen } from './run-screen.ts';
import { say } from './status-line.ts';
import type { RunsListing } from './runs-listing.ts';

export interface PageParts {
  db: TenchDB;
  control: RunControl;
  screen: RunScreen;
  message: HTMLElement;
  listing: RunsListing;
  /** The status line's button for a Hub that does not answer: the bundled model instead. */
  useBundled(): void;
}

export type PageRuns = ReturnType<typeof createPageRuns>;

export function createPageRuns({ db, control, screen, message, listing, useBundled }: PageParts) {
  /** The run on screen, and on its status line what it does not say itself. */
  async function show(run: RunRecord | undefined): Promise<void> {
    if (!run) return;
    // Read first: the line is whole when the page says the run is shown.
    const hint = await runHint(db, run, useBundled);
    await screen.show(run);
    if (hint && screen.shown() === run.id) say(message, hint.tone, ...message.childNodes, ...hint.parts);
  }

  const screenHooks = screen.hooks(() => control.state().running);
  const hooks: JobHooks = {
    ...screenHooks,
    onStart(runId) {
      screenHooks.onStart?.(runId);
      void listing.changed();
    },
    onProgress(p) {
      screenHooks.onProgress?.(p);
      control.recheck();
    },
  };

  /** Runs a job under the page's controller, then shows what it left in the store. */
  async function start(work: (control: JobControl, hooks: JobHooks) => Promise<RunRecord | { refused: string }>): Promise<void> {
    const run = await control.run((c) => {
      screen.clear();
      say(message, 'info', 'Starting…');
      return work(c, hooks);
    }).catch((error: unknown) => ({ refused: reasonOf(error) }));
    if ('refused' in run) say(message, 'error', run.refused);
    else await show(run);
    await listing.changed();
  }

  return { show, start };
}
