// What the page and the CLI hear from a run, and how they ask a stored one to go on.

import type { Progress } from '../pipeline/progress.ts';
import type { ResultRow, RunRecord } from '../store/records.ts';

/** Going on with a stored run: the images it has no row for, or those and the failed ones. */
export interface Continuation {
  run: RunRecord;
  retry: 'missing' | 'failed';
}

export interface JobHooks {
  /** The run's id, as soon as its record exists. */
  onStart?(runId: string): void;
  onProgress?(progress: Progress): void;
  /**
   * The rows each store transaction stored, in the order stored; the run waits for it, so a slow
   * reader (the CLI writing --out) holds the run back rather than letting rows pile up.
   */
  onStored?(rows: ResultRow[]): Promise<void>;
}
