// A run's record in the store: made when the run starts, filled in as the backend and plan are
// chosen, its counts following the run, closed with its end state and reason.

import type { Counters } from '../pipeline/types.ts';
import type { JobRequest } from '../request.ts';
import { storedSettings } from '../settings.ts';
import { newRunId, type RunCounts, type RunRecord } from '../store/runs.ts';

export function newRecord(request: JobRequest): RunRecord {
  const { dataset: _dataset, ...stored } = request;
  return {
    id: newRunId(),
    createdAt: Date.now(),
    startedAt: Date.now(),
    finishedAt: null,
    state: 'running',
    dataset: request.dataset,
    model: request.model.id,
    fingerprint: '',
    settings: storedSettings(request),
    runtime: null,
    readyAt: null,
    firstRowAt: null,
    counts: null,
    error: null,
    request: stored,
  };
}

/** A stored run going on: its record as it starts again. */
export function goingOn(run: RunRecord): RunRecord {
  return { ...run, state: 'running', startedAt: Date.now(), finishedAt: null, error: null, firstRowAt: null };
}

export function countsOf(c: Counters): RunCounts {
  return { listed: c.listed, written: c.written, resumed: c.resumed, cached: c.cached, ok: c.ok, failed: c.failed, byCause: c.byCause };
}

/** The record as the run ended: how, and why when it did not finish. */
export function ended(run: RunRecord, state: RunRecord['state'], error: string | null): RunRecord {
  run.state = state;
  run.error = error;
  run.finishedAt = Date.now();
  return run;
}
