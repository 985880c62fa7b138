// window.tench: the page's API for the CLI and the browser tests. The same runJob the Run button
// uses; results come back from IndexedDB, not from memory.

import { describe, type DatasetRuntime, type DatasetSpec } from '../datasets/dataset.ts';
import { sameShard, type Shard } from '../datasets/shard.ts';
import { continueJob, newControl, runJob, type Continuation, type JobHooks, type JobRequest } from '../job.ts';
import { modelIdentity, modelRefFromInput, type HubSource, type HubToken } from '../model/model.ts';
import { renewing, type Credentials } from '../net/s3-client.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { evaluation, failureTally, runEvaluation, type Evaluation, type Failures } from '../store/evaluate.ts';
import { countRows, eachRow, readRows, rowsByOrder, standing, type ResultRow } from '../store/results.ts';
import { clearAll, deleteRun, getRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';
import { liveSentence } from './runs-view.ts';

export interface AutomationRequest extends Omit<JobRequest, 'model'> {
  dataset: DatasetSpec;
  /** As typed: a Hub id, the bundled model, tench-local/<name> or a folder URL. */
  model: string;
  /** Plain keys: the CLI's credential chain's answer, renewed through tenchCredentials. */
  credentials?: Credentials;
  /** For a Hub id: a mirror and a revision (HF_ENDPOINT, --revision), and the token (HF_TOKEN). */
  hub?: Partial<HubSource>;
  hubToken?: HubToken;
}

export interface TenchAutomation {
  run(request: AutomationRequest): Promise<RunRecord>;
  /** Goes on with a stored run; a reason when it cannot. */
  continue(runId: string, retry: Continuation['retry'], credentials?: Credentials, hubToken?: HubToken): Promise<RunRecord | { refused: string }>;
  /**
   * The newest run of this dataset, model and shard; with `unfinished`, only one that did not end
   * done. Another shard's run of the same dataset is never it.
   */
  latest(dataset: DatasetSpec, model: string, unfinished: boolean, shard?: Shard | null, hub?: Partial<HubSource>): Promise<RunRecord | null>;
  /** Stop admitting images; those in flight finish. */
  pause(): void;
  resume(): void;
  /** Stop the run; what was stored stays. */
  cancel(): void;
  rows(runId: string, afterSeq?: number, limit?: number): Promise<ResultRow[]>;
  /** Rows in the order they were stored, after position `afterOrder`. */
  rowsByOrder(runId: string, afterOrder: number, limit?: number): Promise<ResultRow[]>;
  /** Where the row at `path` stands in the store order (see results.ts standing()). */
  standing(runId: string, path: string, failuresOnly: boolean): Promise<{ order: number; upTo: number } | null>;
  count(runId: string): Promise<number>;
  /** How the run did against its labels, and its failures by cause (at most `shown` listed). */
  report(runId: string, shown: number): Promise<{ evaluation: Evaluation; failures: Failures }>;
  runs(): Promise<RunRecord[]>;
  /** Ids of runs left 'running' by a page that is gone. */
  interrupted(): Promise<string[]>;
  record(id: string): Promise<RunRecord | undefined>;
  /** Deletes a run with its rows; a run that a page is running is refused, in one sentence. */
  remove(runId: string): Promise<{ deleted: true } | { refused: string }>;
  /** Deletes every run but those a page is running: their ids come back. */
  clear(): Promise<{ kept: string[] }>;
}

declare global {
  interface Window {
    tench?: TenchAutomation;
    /** Set by the CLI (Playwright's exposeFunction) to receive progress. */
    tenchProgress?: (progress: Progress) => void;
    /**
     * Set by the CLI to receive each stored group of rows, in the order stored (its --out), as
     * JSON: the browser's own JSON.stringify costs the page's main thread about a third of what
     * Playwright's argument serializer, which walks every object in JavaScript, costs it.
     */
    tenchRows?: (rowsJson: string) => Promise<void>;
    /** Set by the CLI: its credential chain asked again, for keys that are about to expire. */
    tenchCredentials?: () => Promise<Credentials | undefined>;
  }
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

/** `onRunsChanged` hears when a run started here begins (its record is there) and when it ends. */
export function installAutomation(db: TenchDB, onProgress: (p: Progress) => void, onRunsChanged: () => void = () => {}): void {
  let control: ReturnType<typeof newControl> | null = null;
  const hooks: JobHooks = {
    onStart: () => onRunsChanged(),
    onProgress(p) {
      onProgress(p);
      window.tenchProgress?.(p);
    },
    onStored: async (rows) => window.tenchRows?.(JSON.stringify(rows)),
  };
  async function controlled<T>(work: (c: ReturnType<typeof newControl>) => Promise<T>): Promise<T> {
    control = newControl();
    try {
      return await work(control);
    } finally {
      control = null;
      onRunsChanged();
    }
  }
  window.tench = {
    run(request) {
      const { credentials, model, hub, hubToken, ...rest } = request;
      return controlled((c) => runJob(db, { ...rest, model: modelRefFromInput(model, location.origin, hub) }, { credentials: renewable(credentials), hubToken }, hooks, c));
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
    pause: () => control?.gate.pause(),
    resume: () => control?.gate.resume(),
    cancel: () => control?.cancel(),
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
