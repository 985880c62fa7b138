// The unit every stage passes on: one image of a dataset, and how to get its bytes.

/** Where an image's bytes come from. Plain data, so it crosses into a worker as is. */
export type ItemSource =
  /** pack: where the server also hands this file out with others (pack.ts); url alone works too. */
  | { kind: 'url'; url: string; pack?: { endpoint: string; file: string } }
  /** A File from a picked folder or a drop: a handle, not a copy of the bytes. */
  | { kind: 'blob'; blob: Blob }
  | { kind: 's3'; bucket: string; key: string };

/** A value of a dataset's own column, carried into the outputs as JSON carries it. */
export type ColumnValue = string | number | boolean | null | ColumnValue[] | { [key: string]: ColumnValue };

/** The dataset's own columns of one image (a Parquet row's, a WebDataset sample's txt and json). */
export type Columns = Record<string, ColumnValue>;

export interface Item {
  /** Stable identity within the dataset: relative path, object key or URL. */
  path: string;
  source: ItemSource;
  size?: number;
  /** ETag, or size and mtime, so a changed file is not taken for the one already classified. */
  version?: string;
  /** Ground truth, where the dataset says it. */
  label?: string;
  /**
   * Ground truth as a class index with no name (a WebDataset `.cls`, an integer label without the
   * file's class names): the model's label of that index.
   */
  classIndex?: number;
  /** The dataset's own columns kept for the outputs (--keep-columns); absent when none. */
  columns?: Columns;
}
