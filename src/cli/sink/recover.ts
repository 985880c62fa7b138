// What a local output file left by an earlier process holds, cut back to its last complete row
// (JSONL, CSV) or its last footer (Parquet), so that writing can go on after it. Read in chunks
// from the ends: the file is never held whole.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import Papa from 'papaparse';
import { fromSpreadsheetSafe, type ExportFormat } from '../../store/export.ts';
import type { ParquetTail } from '../../store/export-stream.ts';

export interface Found {
  /** Complete rows in the file, and the path of the last one (null when there is none). */
  rows: number;
  lastPath: string | null;
  /** Bytes kept: the file was cut back to this. 0 means it starts again, header and all. */
  size: number;
  /** A CSV file's header, whole: its columns, which rows written after it must have. */
  header?: string[];
  parquet?: ParquetTail;
}

const CHUNK = 1 << 20;
/** A footer is looked for this far from the end: past a row group or two cut short. */
const PARQUET_TAIL = 32 << 20;

async function read(fh: FileHandle, start: number, end: number): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, end - start));
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return out.subarray(0, done);
}

/** Null when there is no such file. */
export async function recoverFile(path: string, format: ExportFormat): Promise<Found | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const size = (await fh.stat()).size;
    const found = format === 'parquet' ? await parquetFound(fh, size) : await textFound(fh, size, format === 'csv');
    if (found.size < size) await fh.truncate(found.size);
    return found;
  } finally {
    await fh.close();
  }
}

/**
 * Records end at a line break outside quotes (CSV quotes its fields' line breaks; JSONL has none).
 * The first CSV record is the header.
 */
async function textFound(fh: FileHandle, size: number, csv: boolean): Promise<Found> {
  let records = 0;
  let lastStart = 0;
  let end = 0;
  let headerEnd = 0;
  let quoted = false;
  for (let at = 0; at < size; at += CHUNK) {
    const chunk = await read(fh, at, Math.min(size, at + CHUNK));
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (csv && b === 0x22) quoted = !quoted;
      else if (b === 0x0a && !quoted) {
        lastStart = end;
        end = at + i + 1;
        if (!records++) headerEnd = end;
      }
    }
  }
  const header = csv && records ? { header: await csvRecord(fh, 0, headerEnd) } : {};
  const rows = csv ? Math.max(0, records - 1) : records;
  if (!rows) return { rows: 0, lastPath: null, size: csv && records ? end : 0, ...header };
  const path = csv ? fromSpreadsheetSafe(String((await csvRecord(fh, lastStart, end))[0] ?? '')) : (JSON.parse(new TextDecoder().decode(await read(fh, lastStart, end))) as { path: string }).path;
  return { rows, lastPath: path, size: end, ...header };
}

/** The fields of the CSV record between two offsets. */
async function csvRecord(fh: FileHandle, start: number, end: number): Promise<string[]> {
  const record = new TextDecoder().decode(await read(fh, start, end));
  return Papa.parse<string[]>(record.trimEnd(), { delimiter: ',' }).data[0] ?? [];
}

/** The last footer that parses (tench writes one, at the end); the file is cut back to the end of it. */
async function parquetFound(fh: FileHandle, size: number): Promise<Found> {
  const tail = await read(fh, Math.max(0, size - PARQUET_TAIL), size);
  const base = size - tail.length;
  for (let e = tail.length; e >= 12; e--) {
    // "PAR1" ends every footer.
    if (tail[e - 4] !== 0x50 || tail[e - 3] !== 0x41 || tail[e - 2] !== 0x52 || tail[e - 1] !== 0x31) continue;
    const length = new DataView(tail.buffer, tail.byteOffset + e - 8, 4).getUint32(0, true);
    const footerStart = base + e - 8 - length;
    if (footerStart < 4) continue;
    let metadata;
    try {
      metadata = parquetMetadata(await read(fh, footerStart, base + e));
    } catch {
      continue;
    }
    const rows = Number(metadata.num_rows);
    const file: AsyncBuffer = { byteLength: base + e, slice: async (s, t) => (await read(fh, s, t ?? base + e)).slice().buffer };
    const last = rows ? await parquetReadObjects({ file, metadata, columns: ['path'], rowStart: rows - 1, rowEnd: rows }) : [];
    return { rows, lastPath: (last[0]?.path as string | undefined) ?? null, size: base + e, parquet: { metadata, size: base + e, footerLength: length + 8 } };
  }
  return { rows: 0, lastPath: null, size: 0 };
}
