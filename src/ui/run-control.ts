// The page's run and what steers it: one at a time, whoever started it. The form's buttons and
// window.tench's pause(), resume() and cancel() act on this one controller, so a run the CLI or a
// test started is paused from the page, and one started from the page is paused by automation.
// A second run while one goes is refused, as the page's disabled Run button always said.

import { newControl, type JobControl } from '../run/control.ts';

/** What the page's buttons show. */
export interface Steering {
  running: boolean;
  paused: boolean;
}

export type RunControl = ReturnType<typeof createRunControl>;

export const BUSY = 'a run is already going in this page: wait for it to end, or cancel it first';

export function createRunControl() {
  let current: ReturnType<typeof newControl> | null = null;
  const listeners: Array<(now: Steering) => void> = [];
  let told: Steering = { running: false, paused: false };

  const state = (): Steering => ({ running: current !== null, paused: current?.gate.paused ?? false });

  /** Tells the listeners what changed since they were last told, and only then. */
  function changed(): void {
    const now = state();
    if (now.running === told.running && now.paused === told.paused) return;
    told = now;
    for (const listener of listeners) listener(now);
  }

  /** Runs `work` under the page's controller; a reason, and nothing run, while another run goes. */
  async function run<T>(work: (control: JobControl) => Promise<T>): Promise<T | { refused: string }> {
    if (current) return { refused: BUSY };
    const control = newControl();
    current = control;
    changed();
    try {
      return await work(control);
    } finally {
      current = null;
      changed();
    }
  }

  return {
    run,
    state,
    pause(): void {
      current?.gate.pause();
      changed();
    },
    resume(): void {
      current?.gate.resume();
      changed();
    },
    /** Stops the run; what it stored stays. */
    cancel(): void {
      current?.cancel();
    },
    /** Hears each start, end, pause and resume, in the same task. */
    onChange(listener: (now: Steering) => void): void {
      listeners.push(listener);
    },
    // The job pauses itself when the disk is full and says so only in its progress: each progress
    // report looks again.
    recheck: changed,
  };
}
