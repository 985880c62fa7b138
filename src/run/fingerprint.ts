// What makes two predictions of the same image comparable: the model, its dtype and the exact
// preprocessing. Rows carry it; a change to any of these means the image is computed again.

import type { PreprocessSpec } from '../model/preprocessor.ts';

export interface FingerprintParts {
  model: string;
  dtype: string;
  preprocess: PreprocessSpec;
  /** Turning images by their EXIF orientation changes the pixels the model sees. */
  orientation: 'ignore' | 'apply';
  /** Rows that carry an embedding are never copied into a run from rows that do not. */
  embeddings?: true;
}

/** Key order fixed, so equal settings always give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function fingerprint(parts: FingerprintParts): Promise<string> {
  const bytes = new TextEncoder().encode(canonical(parts));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}
