// Run, Pause/Resume and Cancel: they show and steer the page's run (run-control.ts), whether the
// form, Past runs or window.tench started it.

import { h } from './dom.ts';
import type { RunControl, Steering } from './run-control.ts';

export function createRunButtons(control: RunControl) {
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const pause = h('button', { type: 'button', disabled: true, 'aria-pressed': 'false', onclick: () => (control.state().paused ? control.resume() : control.pause()) }, 'Pause');
  const cancel = h('button', { type: 'button', disabled: true, onclick: () => control.cancel() }, 'Cancel');

  function show({ running, paused }: Steering): void {
    run.disabled = running;
    cancel.disabled = !running;
    pause.disabled = !running;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
  }
  control.onChange(show);

  return { root: h('div', { class: 'buttons' }, run, pause, cancel) };
}
