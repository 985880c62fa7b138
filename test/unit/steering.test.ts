// Signals from the command's first moment: before the run is under way a pause is kept for it
// and a cancel stops the start-up; after, both go to the run in the page.

import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { steer, STOPPED, type Steering } from '../../src/cli/steering.ts';

const made: Steering[] = [];

function steering() {
  const said: string[] = [];
  const exit = vi.fn();
  const s = steer({ say: (l) => said.push(l), exit });
  made.push(s);
  return { s, said, exit };
}

afterEach(() => {
  for (const s of made.splice(0)) s.detach();
});

describe('steering a run that has not started yet', () => {
  it('keeps a pause for the run, and says so, until a second SIGUSR2 takes it back', () => {
    const { s, said } = steering();
    process.emit('SIGUSR2');
    expect(s.paused).toBe(true);
    expect(said.at(-1)).toBe('tench: paused before the run started: it will start paused (SIGUSR2 or p again resumes)');
    process.emit('SIGUSR2');
    expect(s.paused).toBe(false);
    expect(said.at(-1)).toMatch(/^tench: resumed before the run started/);
  });

  it('stops a wait on SIGTERM with one sentence, refuses to start the run, and quits on a second', async () => {
    const { s, said, exit } = steering();
    const waiting = s.until(new Promise(() => {}));
    process.emit('SIGTERM');
    await expect(waiting).resolves.toBe(STOPPED);
    expect(s.stopping).toBe(true);
    expect(said).toEqual(['tench: terminated before the run started: stopping; nothing was classified']);
    expect(s.attach({} as Page)).toBe(false);
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('hands pause and cancel to the page once the run is attached', async () => {
    const { s, said } = steering();
    const evaluate = vi.fn(async () => {});
    expect(s.attach({ evaluate } as unknown as Page)).toBe(true);
    process.emit('SIGUSR2');
    // window.tench's method, as the page is asked it (src/cli/page-calls.ts).
    expect(evaluate).toHaveBeenLastCalledWith(expect.any(Function), ['pause', []]);
    process.emit('SIGTERM');
    expect(evaluate).toHaveBeenCalledTimes(2);
    expect(evaluate).toHaveBeenLastCalledWith(expect.any(Function), ['cancel', []]);
    expect(said).toEqual(['tench: terminated: stopping; the images classified so far are kept']);
  });

  it('lets go of the signals', () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGUSR2'].map((n) => process.listenerCount(n));
    const { s } = steering();
    expect(['SIGINT', 'SIGTERM', 'SIGUSR2'].map((n) => process.listenerCount(n))).toEqual(before.map((n) => n + 1));
    s.detach();
    expect(['SIGINT', 'SIGTERM', 'SIGUSR2'].map((n) => process.listenerCount(n))).toEqual(before);
  });
});
