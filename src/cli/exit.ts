// The CLI's exit statuses: what a script or a Kubernetes Job's podFailurePolicy reads.

/**
 * 2 is a usage error: a bad flag, flag value or setting variable, wrong whatever the machine
 * holds, so running again cannot help (a Job fails at once). 1 is the world: what the flags name
 * is missing, unreadable, unreachable or not what it should be, or the run failed; another try,
 * or a fix there, may cure it.
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, cancelled: 130 });
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/**
 * Why a command cannot go on, and so how it exits: a refusal made by `usage` is what was typed
 * (2); any other is the world's (1). The checks that know which it is say so where they refuse,
 * so no caller has to guess it from the sentence.
 */
export interface Refusal {
  ok: false;
  reason: string;
  exit?: ExitStatus;
}

export type Outcome<T> = { ok: true; value: T } | Refusal;

/** A refusal of what was typed: a bad flag, flag value or setting variable. */
export function usage(reason: string): Refusal {
  return { ok: false, reason, exit: EXIT.usage };
}

export function exitOf(refusal: Refusal): ExitStatus {
  return refusal.exit ?? EXIT.failed;
}
