// Time per step of an image's preparation, as laps of one clock: each lap is charged to the step
// that just ended.

import type { DecodeStep, StepTimes } from './api.ts';

export interface Stopwatch {
  lap(step: DecodeStep): void;
  readonly steps: StepTimes;
}

export function stopwatch(): Stopwatch {
  let last = performance.now();
  const steps: StepTimes = {};
  return {
    lap(step) {
      const now = performance.now();
      steps[step] = (steps[step] ?? 0) + now - last;
      last = now;
    },
    steps,
  };
}
