// Rows -> bytes, a group at a time, for outputs written while the run goes on. JSONL and CSV are
// appended line by line. Parquet is written a row group at a time; for a local file each row
// group is followed by a footer that covers every group so far, the two written over the
// previous footer in one write, so the file is a whole Parquet file after every write and holds
// one footer.
//
// The columns are those of export.ts. A streamed CSV or Parquet file always has the true_label
// column (empty where the dataset gives none): its header is written before any row is seen, and
// a fixed schema lets the part files of a sharded run merge whatever their images. For the same
// reason its kept columns are those the run's options name, or one `columns` column of them all.

import type { FileMetaData, RowGroup } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { csvLine, exportOptions, failuresSchema, jsonlLine, layoutOf, resultColumns, resultCsvLine, resultJsonlLine, resultsColumnData, resultsSchema, spreadsheetSafe, toExportRecord, toFailureRecord, type ExportFormat, type ExportOptions, type Layout } from './export.ts';
import type { ResultRow } from './records.ts';

export type OutputKind = 'results' | 'failures';

/** Bytes to write, over the last `over` bytes written before them (a footer they replace). */
export interface Chunk {
  bytes: Uint8Array;
  over: number;
}

export interface Encoder {
  /** What opens a new file: the CSV header, Parquet's magic number (and an empty footer); nothing for JSONL. */
  head(): Chunk;
  /** The rows' bytes: lines, or a Parquet row group (and, with `footers`, a footer after it). */
  rows(rows: readonly ResultRow[]): Chunk;
  /** What closes the file: Parquet's footer where it was not written after each group. */
  end(): Chunk;
}

/** Where a Parquet file written before goes on: its footer, its length, and the footer's. */
export interface ParquetTail {
  metadata: FileMetaData;
  size: number;
  footerLength: number;
}

const text = new TextEncoder();
const PAR1 = 0x31524150;

/** How an output is written: a file's footer after every row group, where it goes on, and the run's columns. */
export interface EncoderOptions extends Partial<ExportOptions> {
  footers?: boolean;
  resume?: ParquetTail;
}

/** The layout of a streamed results file: fixed before its first row. */
function streamedLayout(format: ExportFormat, options: Partial<ExportOptions>): Layout {
  const run = exportOptions();
  return layoutOf(format, { columns: options.columns ?? run.columns, embeddings: options.embeddings ?? run.embeddings }, true);
}

const FAILURE_COLUMNS = ['path', 'cause', 'error'];

/** The header a streamed CSV output starts with. */
export function csvHeader(kind: OutputKind, options: Partial<ExportOptions> = {}): string[] {
  return kind === 'failures' ? FAILURE_COLUMNS : resultColumns(streamedLayout('csv', options));
}

/** The schema a streamed Parquet output has. */
export function parquetSchemaOf(kind: OutputKind, options: Partial<ExportOptions> = {}) {
  return kind === 'failures' ? failuresSchema() : resultsSchema(streamedLayout('parquet', options));
}

/** `options` left out: the settings' defaults (every kept column, no embeddings). */
export function encoder(format: ExportFormat, kind: OutputKind, options: EncoderOptions = {}): Encoder {
  if (format === 'parquet') return parquetEncoder(kind, options);
  const layout = streamedLayout(format, options);
  const line = format === 'jsonl'
    ? (row: ResultRow) => (kind === 'failures' ? jsonlLine(toFailureRecord(row)) : resultJsonlLine(toExportRecord(row)))
    : kind === 'failures'
      ? (row: ResultRow) => {
        const f = toFailureRecord(row);
        return csvLine([spreadsheetSafe(f.path), f.cause, spreadsheetSafe(f.error)]);
      }
      : (row: ResultRow) => resultCsvLine(toExportRecord(row), layout);
  const header = format === 'csv' ? csvLine(csvHeader(kind, options)) : '';
  return {
    head: () => ({ bytes: text.encode(header), over: 0 }),
    rows: (rows) => ({ bytes: text.encode(rows.map(line).join('')), over: 0 }),
    end: () => ({ bytes: new Uint8Array(0), over: 0 }),
  };
}

function columnsOf(kind: OutputKind, rows: readonly ResultRow[], layout: Layout) {
  if (kind === 'failures') {
    const records = rows.map(toFailureRecord);
    return (['path', 'cause', 'error'] as const).map((name) => ({ name, data: records.map((r) => r[name]) }));
  }
  return resultsColumnData(rows.map(toExportRecord), layout);
}

function parquetEncoder(kind: OutputKind, options: EncoderOptions): Encoder {
  const { footers = false, resume } = options;
  const layout = streamedLayout('parquet', options);
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema: parquetSchemaOf(kind, options), createdBy: 'tench' });
  // The footer at the end of what was written: the next chunk goes over it.
  let footer = 0;
  if (resume) {
    writer.index = 0;
    writer.offset = resume.size - resume.footerLength;
    footer = resume.footerLength;
    // Statistics read back come converted; the groups are kept without them rather than risk
    // writing them back in another form.
    parquet.row_groups = resume.metadata.row_groups.map(withoutStatistics) as unknown as ParquetWriter['row_groups'];
    parquet.num_rows = BigInt(resume.metadata.num_rows);
  }
  const writeFooter = () => {
    const start = writer.offset;
    writeMetadata(writer, { version: 2, created_by: 'tench', schema: parquet.schema, num_rows: parquet.num_rows, row_groups: parquet.row_groups, metadata_length: 0 });
    writer.appendUint32(PAR1);
    return writer.offset - start;
  };
  const take = (withFooter: boolean): Chunk => {
    const written = withFooter ? writeFooter() : 0;
    const chunk = { bytes: writer.getBytes().slice(), over: footer };
    writer.index = 0;
    // The next row group starts where this footer does, and is written over it.
    writer.offset -= written;
    footer = written;
    return chunk;
  };
  return {
    // With footers, even a file with no row group yet is one a reader opens.
    head: () => take(footers),
    rows(rows) {
      if (!rows.length) return { bytes: new Uint8Array(0), over: 0 };
      const columnData = columnsOf(kind, rows, layout).map((c) => ({ ...c, offsetIndex: false }));
      void parquet.write({ columnData, rowGroupSize: rows.length });
      // Offset indexes are off: nothing waits to be written at the end, so nothing grows.
      parquet.pendingIndexes = [];
      return take(footers);
    },
    end: () => (footers ? { bytes: new Uint8Array(0), over: 0 } : take(true)),
  };
}

function withoutStatistics(group: RowGroup): RowGroup {
  return { ...group, columns: group.columns.map((c) => (c.meta_data ? { ...c, meta_data: { ...c.meta_data, statistics: undefined, size_statistics: undefined, geospatial_statistics: undefined } } : c)) };
}
