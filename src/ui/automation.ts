// window.tench: the page's API for the CLI and the browser tests. The same runJob the Run button
// uses, under the same controller; results come back from IndexedDB, not from memory.

import { describe } from '../datasets/spec.ts';
import type { DatasetRuntime } from '../datasets/dataset.ts';
import { sameShard } from '../datasets/shard.ts';
import { continueJob, runJob } from '../run/run.ts';
import type { JobControl } from '../run/control.ts';
import type { JobHooks } from '../run/types.ts';
import { modelIdentity, modelRefFromInput } from '../model/model.ts';
import { renewing, type Credentials } from '../net/s3-client.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { evaluation, failureTally, runEvaluation } from '../store/evaluate.ts';
import { countRows, eachRow, readRows, rowsByOrder, standing, type ResultRow } from '../store/results.ts';
import { clearAll, deleteRun, getRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import type { PageGlobals } from '../page-protocol.ts';
import type { RunControl } from './run-control.ts';
import { liveSentence } from './runs-view.ts';

declare global {
  // The window the page drives from outside: window.tench and what the CLI sets beside it.
  interface Window extends PageGlobals {}
}

/** Keys from the CLI that expire (a role's, IRSA's, SSO's) are renewed from it before they do. */
function renewable(credentials: Credentials | undefined): DatasetRuntime['credentials'] {
  const renew = window.tenchCredentials;
  return credentials?.expiration !== undefined && renew ? renewing(credentials, renew) : credentials;
}

export async function allRows(db: TenchDB, runId: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for await (const row of eachRow(db, runId)) rows.push(row);
  return rows;
}

/**
 * window.tench's runs are the page's run (run-control.ts): the form's buttons steer them, and its
 * pause(), resume() and cancel() steer a run the form started. `onRunsChanged` hears when a run
 * started here begins (its record is there) and when it ends.
 */
export function installAutomation(db: TenchDB, control: RunControl, onProgress: (p: Progress) => void, onRunsChanged: () => void = () => {}): void {
  const hooks: JobHooks = {
    onStart: () => onRunsChanged(),
    onProgress(p) {
      onProgress(p);
      control.recheck();
      window.tenchProgress?.(p);
    },
    // An embedding as a list: JSON would write a Float32Array as an object of numbered fields.
    onStored: async (rows) => window.tenchRows?.(JSON.stringify(rows, (_key, value: unknown) => (value instanceof Float32Array ? Array.from(value) : value))),
  };
  async function controlled<T>(work: (c: JobControl) => Promise<T>): Promise<T | { refused: string }> {
    try {
      return await control.run(work);
    } finally {
      onRunsChanged();
    }
  }
  window.tench = {
    async run(request) {
      const { credentials, model, hub, hubToken, ...rest } = request;
      const run = await controlled((c) => runJob(db, { ...rest, model: modelRefFromInput(model, location.origin, hub) }, { credentials: renewable(credentials), hubToken }, hooks, c));
      // Its promise has no other way to say it was refused.
      if ('refused' in run) throw new Error(run.refused);
      return run;
    },
    continue(runId, retry, credentials, hubToken) {
      return controlled((c) => continueJob(db, runId, retry, { credentials: renewable(credentials), hubToken }, hooks, c));
    },
    async latest(dataset, model, unfinished, shard, hub) {
      // The same model at the same revision: a run of another revision is of other weights.
      const wanted = modelIdentity(modelRefFromInput(model, location.origin, hub));
      const identity = (r: RunRecord) => (r.request ? modelIdentity(r.request.model) : r.model);
      const runs = (await listRuns(db)).filter((r) => describe(r.dataset) === describe(dataset) && identity(r) === wanted && sameShard(r.request?.shard, shard) && (!unfinished || r.state !== 'done'));
      return runs[0] ?? null;
    },
    pause: () => control.pause(),
    resume: () => control.resume(),
    cancel: () => control.cancel(),
    rows: (runId, afterSeq, limit) => readRows(db, runId, afterSeq, limit),
    rowsByOrder: (runId, afterOrder, limit) => rowsByOrder(db, runId, afterOrder, limit),
    standing: (runId, path, failuresOnly) => standing(db, runId, path, failuresOnly),
    count: (runId) => countRows(db, runId),
    async report(runId, shown) {
      const run = await getRun(db, runId);
      const e = run ? runEvaluation(run) : evaluation();
      const f = failureTally(shown);
      for await (const row of eachRow(db, runId)) {
        e.add(row);
        f.add(row);
      }
      return { evaluation: e.result(), failures: f.result() };
    },
    runs: () => listRuns(db),
    interrupted: async () => [...(await interruptedRuns(await listRuns(db)))],
    record: (id) => getRun(db, id),
    async remove(runId) {
      const done = await deleteRun(db, runId);
      return 'live' in done ? { refused: liveSentence(runId, done.live) } : done;
    },
    clear: async () => ({ kept: (await clearAll(db)).kept.map((k) => k.id) }),
  };
}
