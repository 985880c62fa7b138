// The page's API for whoever drives it from outside (the CLI, the browser tests): window.tench,
// and the functions the CLI sets beside it. Types only: the page implements them
// (src/ui/automation.ts), the CLI calls them through Playwright (src/cli/page-calls.ts).

import type { DatasetSpec } from './datasets/spec.ts';
import type { Shard } from './datasets/shard.ts';
import type { HubSource, HubToken } from './model/model.ts';
import type { Credentials } from './net/s3-client.ts';
import type { Progress } from './pipeline/progress.ts';
import type { JobRequest } from './request.ts';
import type { Continuation } from './run/types.ts';
import type { Evaluation, Failures } from './store/evaluate.ts';
import type { ResultRow, RunRecord } from './store/records.ts';

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

/** What the page's window holds for whoever drives it. */
export interface PageGlobals {
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

