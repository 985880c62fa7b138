// What the gallery keeps of each image in memory, and which of them a filter lets through.

import type { ResultRow } from '../store/results.ts';

export interface GalleryEntry {
  path: string;
  seq: number;
  label: string | null;
  score: number | null;
  trueLabel: string | null;
  failed: boolean;
  /** A failed image's cause and reason, shown on its tile. */
  cause: string | null;
  error: string | null;
}

export type GalleryShow = 'all' | 'wrong' | 'errors';

export interface GalleryFilter {
  /** A class name matched against the predicted or the true label; '' for every class. */
  label: string;
  show: GalleryShow;
}

export function galleryEntry(row: ResultRow): GalleryEntry {
  return { path: row.path, seq: row.seq, label: row.label, score: row.score, trueLabel: row.trueLabel, failed: row.error !== null, cause: row.cause, error: row.error };
}

/** Wrong means a prediction that differs from a known true label; a failed image has no prediction. */
export const isWrong = (e: GalleryEntry): boolean => !e.failed && e.trueLabel !== null && e.label !== e.trueLabel;

export function matches(e: GalleryEntry, f: GalleryFilter): boolean {
  if (f.label && e.label !== f.label && e.trueLabel !== f.label) return false;
  if (f.show === 'wrong') return isWrong(e);
  if (f.show === 'errors') return e.failed;
  return true;
}
