// window.tench: the page's API for the CLI and the browser tests. The same runJob the Run button
// uses; results come back from IndexedDB, not from memory.

import type { DatasetRuntime, DatasetSpec } from '../datasets/dataset.ts';
import { newControl, runJob, type JobRequest } from '../job.ts';
import { modelRefFromInput } from '../model/model.ts';
import type { Progress } from '../pipeline/progress.ts';
import type { TenchDB } from '../store/db.ts';
import { countRows, readRows, type ResultRow } from '../store/results.ts';
import { getRun, listRuns, type RunRecord } from '../store/runs.ts';

export interface AutomationRequest extends Omit<JobRequest, 'model'> {
  dataset: DatasetSpec;
  /** As typed: a Hub id, the bundled model, tench-local/<name> or a folder URL. */
  model: string;
  credentials?: DatasetRuntime['credentials'];
  extensions?: string[];
}

export interface TenchAutomation {
  run(request: AutomationRequest): Promise<RunRecord>;
  /** Stop admitting images; those in flight finish. */
  pause(): void;
  resume(): void;
  /** Stop the run; what was stored stays. */
  cancel(): void;
  rows(runId: string, afterSeq?: number, limit?: number): Promise<ResultRow[]>;
  count(runId: string): Promise<number>;
  runs(): Promise<RunRecord[]>;
  record(id: string): Promise<RunRecord | undefined>;
}

declare global {
  interface Window {
    tench?: TenchAutomation;
    /** Set by the CLI (Playwright's exposeFunction) to receive progress. */
    tenchProgress?: (progress: Progress) => void;
  }
}

export function installAutomation(db: TenchDB, onProgress: (p: Progress) => void): void {
  let control: ReturnType<typeof newControl> | null = null;
  window.tench = {
    async run(request) {
      control = newControl();
      const { credentials, extensions, model, ...rest } = request;
      try {
        return await runJob(db, { ...rest, model: modelRefFromInput(model, location.origin) }, { credentials, extensions }, {
          onProgress(p) {
            onProgress(p);
            window.tenchProgress?.(p);
          },
        }, control);
      } finally {
        control = null;
      }
    },
    pause: () => control?.gate.pause(),
    resume: () => control?.gate.resume(),
    cancel: () => control?.cancel(),
    rows: (runId, afterSeq, limit) => readRows(db, runId, afterSeq, limit),
    count: (runId) => countRows(db, runId),
    runs: () => listRuns(db),
    record: (id) => getRun(db, id),
  };
}
