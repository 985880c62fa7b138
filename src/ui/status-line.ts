// The status line under the run's buttons: news, a warning or an error, worded and styled as what
// it says, and the sentence that sums up a run.

import { describe } from '../datasets/spec.ts';
import type { RunRecord } from '../store/runs.ts';
import { replace } from './dom.ts';
import { stateOf } from './runs-view.ts';

export type Tone = 'info' | 'warning' | 'error';

export function say(message: HTMLElement, tone: Tone, ...parts: Array<string | Node>): void {
  message.className = tone === 'info' ? 'message' : `message ${tone}`;
  replace(message, ...parts);
}

/** A run's tone: an error when it failed, a warning when it found no image to classify. */
function toneOf(run: RunRecord): Tone {
  if (run.state === 'failed') return 'error';
  return run.state === 'done' && run.counts?.listed === 0 ? 'warning' : 'info';
}

/** A run in a line: its state (interrupted when a page that is gone left it running), what it read, with which model, where. */
export function sayRun(message: HTMLElement, run: RunRecord, interrupted: ReadonlySet<string>): void {
  const tone = toneOf(run);
  say(message, tone, `Run ${run.id}: ${stateOf(run, interrupted)}${run.error && run.error !== run.state ? ` (${run.error})` : ''}${tone === 'warning' ? ' · no images were found there' : ''} · ${describe(run.dataset)} · ${run.model}`,
    run.runtime ? ` · ${run.runtime.device}: ${run.runtime.reason}` : '');
}
