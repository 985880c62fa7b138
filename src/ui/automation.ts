// window.tench: the page's API for the CLI and the browser tests. The same runJob the Run button
// uses; results come back from IndexedDB, not from memory.

import { describe, type DatasetRuntime, type DatasetSpec } from '../datasets/dataset.ts';
import { sameShard, type Shard } from '../datasets/shard.ts';
import { continueJob, newControl, runJob, type Continuation, type JobHooks, type JobRequest } from '../job.ts';
import { modelRefFromInput } from '../model/model.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { countRows, eachRow, readRows, type ResultRow } from '../store/results.ts';
import { clearAll, deleteRun, getRun, interruptedRuns, listRuns, type RunRecord } from '../store/runs.ts';

export interface AutomationRequest extends Omit<JobRequest, 'model'> {
  dataset: DatasetSpec;
  /** As typed: a Hub id, the bundled model, tench-local/<name> or a folder URL. */
  model: string;
  credentials?: DatasetRuntime['credentials'];
}

export interface TenchAutomation {
  run(request: AutomationRequest): Promise<RunRecord>;
  /** Goes on with a stored run; a reason when it cannot. */
  continue(runId: string, retry: Continuation['retry'], credentials?: DatasetRuntime['credentials']): Promise<RunRecord | { refused: string }>;
  /**
   * The newest run of this dataset, model and shard; with `unfinished`, only one that did not end
   * done. Another shard's run of the same dataset is never it.
   */
  latest(dataset: DatasetSpec, model: string, unfinished: boolean, shard?: Shard | null): Promise<RunRecord | null>;
  /** Stop admitting images; those in flight finish. */
  pause(): void;
  resume(): void;
  /** Stop the run; what was stored stays. */
  cancel(): void;
  rows(runId: string, afterSeq?: number, limit?: number): Promise<ResultRow[]>;
  count(runId: string): Promise<number>;
  runs(): Promise<RunRecord[]>;
  /** Ids of runs left 'running' by a page that is gone. */
  interrupted(): Promise<string[]>;
  record(id: string): Promise<RunRecord | undefined>;
  remove(runId: string): Promise<void>;
  clear(): Promise<void>;
}

declare global {
  interface Window {
    tench?: TenchAutomation;
    /** Set by the CLI (Playwright's exposeFunction) to receive progress. */
    tenchProgress?: (progress: Progress) => void;
  }
}

export async function allRows(db: TenchDB, runId: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for await (const row of eachRow(db, runId)) rows.push(row);
  return rows;
}

export function installAutomation(db: TenchDB, onProgress: (p: Progress) => void, onEnd: () => void = () => {}): void {
  let control: ReturnType<typeof newControl> | null = null;
  const hooks: JobHooks = {
    onProgress(p) {
      onProgress(p);
      window.tenchProgress?.(p);
    },
  };
  async function controlled<T>(work: (c: ReturnType<typeof newControl>) => Promise<T>): Promise<T> {
    control = newControl();
    try {
      return await work(control);
    } finally {
      control = null;
      onEnd();
    }
  }
  window.tench = {
    run(request) {
      const { credentials, model, ...rest } = request;
      return controlled((c) => runJob(db, { ...rest, model: modelRefFromInput(model, location.origin) }, { credentials }, hooks, c));
    },
    continue(runId, retry, credentials) {
      return controlled((c) => continueJob(db, runId, retry, { credentials }, hooks, c));
    },
    async latest(dataset, model, unfinished, shard) {
      const id = modelRefFromInput(model, location.origin).id;
      const runs = (await listRuns(db)).filter((r) => describe(r.dataset) === describe(dataset) && r.model === id && sameShard(r.request?.shard, shard) && (!unfinished || r.state !== 'done'));
      return runs[0] ?? null;
    },
    pause: () => control?.gate.pause(),
    resume: () => control?.gate.resume(),
    cancel: () => control?.cancel(),
    rows: (runId, afterSeq, limit) => readRows(db, runId, afterSeq, limit),
    count: (runId) => countRows(db, runId),
    runs: () => listRuns(db),
    interrupted: async () => [...(await interruptedRuns(await listRuns(db)))],
    record: (id) => getRun(db, id),
    remove: (runId) => deleteRun(db, runId),
    clear: () => clearAll(db),
  };
}
