// The unit every stage passes on: one image of a dataset, and how to get its bytes.

/** Where an image's bytes come from. Plain data, so it crosses into a worker as is. */
export type ItemSource =
  /** pack: where the server also hands this file out with others (pack.ts); url alone works too. */
  | { kind: 'url'; url: string; pack?: { endpoint: string; file: string } }
  /** A File from a picked folder or a drop: a handle, not a copy of the bytes. */
  | { kind: 'blob'; blob: Blob }
  | { kind: 's3'; bucket: string; key: string };

export interface Item {
  /** Stable identity within the dataset: relative path, object key or URL. */
  path: string;
  source: ItemSource;
  size?: number;
  /** ETag, or size and mtime, so a changed file is not taken for the one already classified. */
  version?: string;
  /** Ground truth, where the dataset says it. */
  label?: string;
}
