// How a running job is steered: pause and resume at the gate, cancel with the signal. A run has
// one, whoever started it; the page keeps the one in use, so its buttons and window.tench steer
// the same run.

import { createGate, type Gate } from '../pipeline/gate.ts';

export interface JobControl {
  gate: Gate;
  signal: AbortSignal;
}

export interface RunControl extends JobControl {
  cancel(reason?: string): void;
}

export function newControl(): RunControl {
  const controller = new AbortController();
  return { gate: createGate(), signal: controller.signal, cancel: (reason = 'cancelled') => controller.abort(new Error(reason)) };
}
