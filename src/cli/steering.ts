// Pause, resume and cancel, from the command's first moment: SIGUSR2 or p pauses and resumes;
// SIGINT, SIGTERM (Kubernetes stopping a pod), q or Ctrl-C cancels, and a second one quits at
// once. Until the run is under way in the page there is nothing to pause or cancel there: a pause
// is kept and the run starts paused, and a cancel stops the start-up. Without handlers from the
// start, SIGUSR2's default action would kill the process, and SIGTERM would leave no word.

import type { Page } from 'playwright-core';
import { callPage } from './page-calls.ts';
import { EXIT } from './exit.ts';
import { printable } from './printable.ts';

/** Where steering speaks, and the keys of a terminal, once the command has its console. */
export interface SteeringConsole {
  err(line: string): void;
  progress: { stop(): void };
  onKey?(handler: (key: string) => void): () => void;
}

/** What a stopped wait gives instead of its value. */
export const STOPPED = Symbol('stopped');

export interface Steering {
  /** A stop was asked for. */
  readonly stopping: boolean;
  /** The run is to start paused: a pause came, and no resume after it, before it started. */
  readonly paused: boolean;
  /** Speaks through the command's console (and takes its keys) from now on. */
  bind(io: SteeringConsole): void;
  /** `step`'s value, or STOPPED as soon as a stop is asked for; the step is left to end on its own. */
  until<T>(step: Promise<T>): Promise<T | typeof STOPPED>;
  /**
   * From now on pause and cancel go to the run in this page; false, and nothing changes, when a
   * stop came first. Call it just before starting the run, in the same turn.
   */
  attach(page: Page): boolean;
  /** Lets go of the signals and the keys. */
  detach(): void;
}

export interface SteeringOptions {
  /** Quits at once (a second cancel); process.exit unless a test says otherwise. */
  exit?: (code: number) => void;
  /** Where the words go before bind(): stderr. */
  say?: (line: string) => void;
}

export function steer(options: SteeringOptions = {}): Steering {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let say = options.say ?? ((line: string) => console.error(printable(line)));
  let io: SteeringConsole | null = null;
  let page: Page | null = null;
  let stopping = false;
  let paused = false;
  let offKeys: (() => void) | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<typeof STOPPED>((done) => {
    stop = () => done(STOPPED);
  });

  const cancel = (why: string) => {
    if (stopping) return exit(EXIT.cancelled);
    stopping = true;
    io?.progress.stop();
    if (page) {
      say(`tench: ${why}: stopping; the images classified so far are kept`);
      void callPage(page, 'cancel').catch(() => {});
    } else {
      say(`tench: ${why} before the run started: stopping; nothing was classified`);
    }
    stop();
  };
  const togglePause = () => {
    paused = !paused;
    if (page) {
      void callPage(page, paused ? 'pause' : 'resume').catch(() => {});
      return;
    }
    // Nothing shows the state yet (no progress before the run): say it was heard.
    say(paused
      ? 'tench: paused before the run started: it will start paused (SIGUSR2 or p again resumes)'
      : 'tench: resumed before the run started: it will start as soon as it can');
  };
  const onInt = () => cancel('interrupted');
  const onTerm = () => cancel('terminated');
  const onKey = (key: string) => {
    if (key === 'p') togglePause();
    if (key === 'q' || key === '\u0003') cancel('interrupted');
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGUSR2', togglePause);

  return {
    get stopping() {
      return stopping;
    },
    get paused() {
      return paused;
    },
    bind(given) {
      io = given;
      say = (line) => given.err(line);
      offKeys ??= given.onKey?.(onKey);
    },
    until(step) {
      // A step left behind may still fail: that is no one's concern any more.
      step.catch(() => {});
      return Promise.race([step, stopped]);
    },
    attach(p) {
      if (stopping) return false;
      page = p;
      return true;
    },
    detach() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGUSR2', togglePause);
      offKeys?.();
      offKeys = undefined;
    },
  };
}
