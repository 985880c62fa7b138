// What happens to one image, shared by the workers, the pipeline, the store and the exports.

/** Why an image has no prediction. Counters, the page and the CLI are keyed by these. */
export type ErrorCause = 'fetch_failed' | 'decode_failed' | 'too_large' | 'infer_failed';

export const ERROR_CAUSES: readonly ErrorCause[] = Object.freeze([
  'fetch_failed',
  'decode_failed',
  'too_large',
  'infer_failed',
]);

export interface Failure {
  cause: ErrorCause;
  /** One short sentence a user can act on. */
  reason: string;
}

export interface Prediction {
  label: string;
  score: number;
  /** Class index in the model's id2label; accuracy compares indices, labels may repeat. */
  index: number;
}

/** embedding: the image's pooled vector (hidden size long), when the run asked for it. */
export type Outcome = { ok: true; topK: Prediction[]; embedding?: Float32Array } | ({ ok: false } & Failure);

export function failure(cause: ErrorCause, reason: string): { ok: false } & Failure {
  return { ok: false, cause, reason };
}

/** The reason of any thrown value, as one line. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
