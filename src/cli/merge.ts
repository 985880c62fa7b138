// `tench merge`: the part files of a sharded run -> one file sorted by path, once it is sure that
// every part is there once, that no image was answered twice, and (if asked) that every image of
// the dataset was answered. The rows keep what the parts hold besides tench's own columns: the
// dataset's kept columns and the embeddings, written by the rules of export.ts.

import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import Papa from 'papaparse';
import { openRemote } from '../datasets/remote.ts';
import { isImagePath } from '../datasets/filter.ts';
import { parseS3Url } from '../datasets/s3.ts';
import { makeS3Client } from '../net/s3-client.ts';
import { walkFiles } from '../server/routes.ts';
import { formatOf, fromSpreadsheetSafe, resultsFile, type ExportFormat, type ExportRecord, type Layout } from '../store/export.ts';
import type { ColumnValue, Columns } from '../core/item.ts';
import { columnValue } from '../datasets/columns.ts';
import { reasonOf } from '../core/outcome.ts';
import { nodeS3Credentials } from './credentials.ts';
import { EXIT, exitOf, usage, type ExitStatus, type Outcome } from './exit.ts';
import { chooseDataset, type Checked, type S3Options } from './inputs.ts';
import { chooseDestination, deliver } from './output.ts';
import { partOf, partStem } from './shard-flags.ts';

export interface MergeOptions {
  inputs: readonly string[];
  out: string;
  /** A dataset whose every image must have exactly one row: a folder, an s3:// prefix or a list URL. */
  expectFrom?: string;
  s3Endpoint?: string;
  s3Region?: string;
}

export interface Lines {
  out(line: string): void;
  err(line: string): void;
}

/** How many paths an error names before it says "and N more". */
const NAMED = 3;

function some(items: readonly string[]): string {
  const more = items.length - NAMED;
  return `${items.slice(0, NAMED).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * The number of shards the inputs are the parts of, after checking each part is there once; null
 * when the inputs are not part files (nothing to count them against).
 */
export function checkParts(inputs: readonly string[]): Checked<number | null> {
  const seen = new Map<string, string>();
  // The same file by two names is the same part; an S3 key has one name.
  const where = (input: string) => (isS3(input) ? input : resolve(input));
  for (const input of inputs) {
    const again = seen.get(where(input));
    if (again !== undefined) return { ok: false, reason: `${input} is given twice` };
    seen.set(where(input), input);
  }
  const parts = inputs.map((input) => ({ input, shard: partOf(basename(input)) }));
  const named = parts.filter((p) => p.shard !== null);
  if (!named.length) return { ok: true, value: null };
  const odd = parts.find((p) => p.shard === null);
  if (odd) return { ok: false, reason: `${odd.input} is not named like the other inputs (part-NNNNN-of-NNNNN), so the parts cannot be counted` };
  const count = named[0]!.shard!.count;
  const other = named.find((p) => p.shard!.count !== count);
  if (other) return { ok: false, reason: `${named[0]!.input} and ${other.input} are parts of different numbers of shards` };
  const byIndex = new Map<number, string>();
  for (const { input, shard } of named) {
    const first = byIndex.get(shard!.index);
    if (first !== undefined) return { ok: false, reason: `part ${shard!.index} of ${count} is given twice: ${first} and ${input}` };
    byIndex.set(shard!.index, input);
  }
  const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !byIndex.has(index));
  if (missing.length) {
    const names = missing.map((index) => partStem({ index, count }));
    return { ok: false, reason: `${missing.length} of the ${count} parts ${missing.length === 1 ? 'is' : 'are'} missing: ${some(names)}` };
  }
  return { ok: true, value: count };
}

/** CSV has no null: an empty field is one, as export.ts writes it. */
function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The columns a part has besides tench's own. */
export interface PartColumns {
  /** Kept columns of their own, by output name: CSV and Parquet columns, JSONL fields. */
  named: string[];
  /** A `columns` column: the kept columns of each row as one JSON object. */
  packed: boolean;
  embedding: boolean;
}

/** A part's rows, and its columns. */
export interface Part extends PartColumns {
  records: ExportRecord[];
}

/** What a reader parsed, and the names of its columns (a JSONL file's fields, in the order first seen). */
interface Parsed {
  values: unknown[];
  names: string[];
}

/** tench's own columns: any other is a kept column. */
const OWN = ['path', 'label', 'score', 'top_k', 'error', 'true_label', 'embedding', 'columns'];
const REQUIRED = ['path', 'label', 'score', 'top_k'];

/** The `columns` cell's kept columns: a JSON object, or its text. */
function unpacked(value: unknown): Array<[string, ColumnValue]> {
  const parsed = typeof value === 'string' ? (value === '' ? null : JSON.parse(value) as unknown) : value;
  if (parsed === null || parsed === undefined) return [];
  const columns = columnValue(parsed);
  if (!columns || typeof columns !== 'object' || Array.isArray(columns)) throw new Error('its columns field is not a JSON object');
  return Object.entries(columns);
}

/** A row's kept columns. A JSONL field's null is kept as it was; CSV and Parquet cannot tell it from none. */
function keptOf(v: Record<string, unknown>, shape: PartColumns, nulls: boolean): Columns | undefined {
  const entries = shape.packed ? unpacked(v.columns) : [];
  for (const name of shape.named) {
    if (!Object.hasOwn(v, name)) continue;
    const value = columnValue(v[name]);
    if (value === undefined || ((value === null || value === '') && !nulls)) continue;
    entries.push([name, value]);
  }
  // From entries: a column named __proto__ stays a column.
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** A list of numbers: Parquet's list, JSONL's array, or the JSON text of one. */
function vector(value: unknown): number[] | undefined {
  const list = typeof value === 'string' ? (value === '' ? null : JSON.parse(value) as unknown) : value;
  if (list === null || list === undefined) return undefined;
  if (!Array.isArray(list) && !ArrayBuffer.isView(list)) throw new Error('its embedding is not a list of numbers');
  return Array.from(list as ArrayLike<unknown>, Number);
}

/** A row as export.ts writes it, from whatever a reader parsed; null when it is not one. */
function toRecord(value: unknown, shape: PartColumns, nulls: boolean): ExportRecord | null {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || typeof v.path !== 'string') return null;
  const topK = Array.isArray(v.top_k) ? v.top_k as Array<{ label: string; score: number }> : [];
  const trueLabel = text(v.true_label);
  const columns = keptOf(v, shape, nulls);
  const embedding = shape.embedding ? vector(v.embedding) : undefined;
  return {
    path: v.path,
    label: text(v.label),
    score: typeof v.score === 'number' ? v.score : null,
    top_k: topK.map(({ label, score }) => ({ label, score: Number(score) })),
    error: text(v.error),
    ...(trueLabel !== null ? { true_label: trueLabel } : {}),
    ...(columns ? { columns } : {}),
    ...(embedding ? { embedding } : {}),
  };
}

function fromCsv(text: string): Parsed {
  const parsed = Papa.parse<string[]>(text, { delimiter: ',' });
  const broken = parsed.errors[0];
  if (broken) throw new Error(`row ${(broken.row ?? 0) + 1} is not valid CSV: ${broken.message}`);
  const [written = [], ...rows] = parsed.data;
  // A kept column's name is made spreadsheet-safe as its values are.
  const header = written.map(fromSpreadsheetSafe);
  const missing = REQUIRED.concat('error').filter((column) => !header.includes(column));
  if (missing.length) throw new Error(`it is not a results file: it has no ${missing.join(', ')} column`);
  const values = rows.filter((fields) => fields.length > 1 || fields[0] !== '').map((fields) => {
    const v: Record<string, unknown> = Object.fromEntries(header.map((column, i) => [column, fromSpreadsheetSafe(fields[i] ?? '')]));
    v.score = v.score === '' ? null : Number(v.score);
    v.top_k = v.top_k === '' ? [] : JSON.parse(v.top_k as string);
    return v;
  });
  return { values, names: header };
}

function fromJsonl(text: string): Parsed {
  const names = new Set<string>();
  const values = text.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} is not JSON`);
    }
    if (value && typeof value === 'object') for (const name of Object.keys(value)) names.add(name);
    return [value];
  });
  return { values, names: [...names] };
}

/** Its columns are the schema's, whether or not any row has a value in them. */
async function fromParquet(bytes: Uint8Array): Promise<Parsed> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  return { values: await parquetReadObjects({ file, metadata, rowFormat: 'object' }), names };
}

const isS3 = (input: string) => input.startsWith('s3://');

/**
 * A part's bytes: a local file, or an S3 object read with the environment's credentials (as
 * --out writes one), at --s3-endpoint when given.
 */
async function partBytes(input: string, s3: S3Options): Promise<Uint8Array> {
  if (!isS3(input)) return readFile(input);
  const parsed = parseS3Url(input);
  if (!parsed.ok) throw new Error(parsed.reason);
  const { bucket, prefix: key, anonymous, region } = parsed.value;
  const credentials = anonymous ? undefined : await nodeS3Credentials();
  const client = makeS3Client({ region: s3.region ?? region ?? 'us-east-1', endpoint: s3.endpoint, forcePathStyle: s3.endpoint !== undefined, credentials });
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!object.Body) throw new Error('the object has no body');
    return await object.Body.transformToByteArray();
  } finally {
    client.destroy();
  }
}

/** The rows of one part file (a local path or an s3:// key), in the format its extension says, and its columns. */
export async function readResults(input: string, s3: S3Options = {}): Promise<Outcome<Part>> {
  const format = formatOf(input);
  if (!format) return usage(`${input}: the name must end in .jsonl, .csv or .parquet, which says the format`);
  let parsed: Parsed;
  try {
    const bytes = await partBytes(input, s3);
    const text = () => new TextDecoder().decode(bytes);
    parsed = format === 'parquet' ? await fromParquet(bytes) : format === 'csv' ? fromCsv(text()) : fromJsonl(text());
  } catch (error) {
    return { ok: false, reason: `cannot read ${input}: ${reasonOf(error)}` };
  }
  const shape = { named: parsed.names.filter((name) => !OWN.includes(name)), packed: parsed.names.includes('columns'), embedding: parsed.names.includes('embedding') };
  const records: ExportRecord[] = [];
  for (const [i, value] of parsed.values.entries()) {
    let record: ExportRecord | null;
    try {
      record = toRecord(value, shape, format === 'jsonl');
    } catch (error) {
      return { ok: false, reason: `${input}: row ${i + 1}: ${reasonOf(error)}` };
    }
    if (!record) return { ok: false, reason: `${input}: row ${i + 1} is not a result row (it has no path)` };
    records.push(record);
  }
  return { ok: true, value: { records, ...shape } };
}

/** A reason naming the first few paths that have more than one row, or null. */
export function doubledPaths(records: readonly ExportRecord[]): string | null {
  const seen = new Set<string>();
  const doubled = new Set<string>();
  for (const { path } of records) (seen.has(path) ? doubled : seen).add(path);
  if (!doubled.size) return null;
  return `${doubled.size} ${doubled.size === 1 ? 'path has' : 'paths have'} more than one row: ${some([...doubled])}`;
}

/** Every image path the dataset lists, read the way a run reads it (the same extensions). */
async function datasetPaths(dataset: string, s3: S3Options): Promise<Set<string>> {
  const paths = new Set<string>();
  if (!/^(s3|https?):\/\//.test(dataset)) {
    // A folder, walked here as the CLI's server walks it for a run.
    for await (const file of walkFiles(resolve(dataset))) if (isImagePath(file.path)) paths.add(file.path);
    return paths;
  }
  const chosen = await chooseDataset(dataset, s3);
  if (!chosen.ok) throw new Error(chosen.reason);
  const opened = openRemote(chosen.value.spec(''), { credentials: chosen.value.credentials });
  for await (const item of opened.items) paths.add(item.path);
  return paths;
}

/** A reason when the rows and the dataset's images are not the same set of paths. */
export function coverageProblem(records: readonly ExportRecord[], expected: ReadonlySet<string>, dataset: string): string | null {
  const got = new Set(records.map((r) => r.path));
  const missing = [...expected].filter((p) => !got.has(p));
  const extra = [...got].filter((p) => !expected.has(p));
  if (missing.length) return `${missing.length} of the ${expected.size} images of ${dataset} ${missing.length === 1 ? 'has' : 'have'} no row: ${some(missing)}`;
  if (extra.length) return `${extra.length} ${extra.length === 1 ? 'row is' : 'rows are'} for images ${dataset} does not list: ${some(extra)}`;
  return null;
}

/**
 * The merged file's columns: every part's kept columns, each of its own or in `columns` as the
 * parts have them, and the embedding where a part has one (never in CSV).
 */
function mergedLayout(parts: readonly PartColumns[], records: readonly ExportRecord[], format: ExportFormat): Layout {
  return {
    trueLabel: records.some((r) => r.true_label !== undefined),
    named: [...new Set(parts.flatMap((p) => p.named))],
    packed: parts.some((p) => p.packed),
    embedding: format === 'parquet' && parts.some((p) => p.embedding),
  };
}

export async function merge(o: MergeOptions, io: Lines): Promise<number> {
  const fail = (reason: string, exit: ExitStatus = EXIT.failed) => {
    io.err(`tench: ${reason}`);
    return exit;
  };
  const out = chooseDestination('--out', o.out);
  if (!out.ok) return fail(out.reason, exitOf(out));
  const parts = checkParts(o.inputs);
  if (!parts.ok) return fail(parts.reason);
  const s3: S3Options = { endpoint: o.s3Endpoint, region: o.s3Region };

  const records: ExportRecord[] = [];
  const shapes: PartColumns[] = [];
  for (const input of o.inputs) {
    const read = await readResults(input, s3);
    if (!read.ok) return fail(read.reason, exitOf(read));
    const { records: rows, ...shape } = read.value;
    for (const record of rows) records.push(record);
    shapes.push(shape);
  }
  const doubled = doubledPaths(records);
  if (doubled) return fail(doubled);
  if (o.expectFrom) {
    let expected: Set<string>;
    try {
      expected = await datasetPaths(o.expectFrom, s3);
    } catch (error) {
      return fail(`cannot list ${o.expectFrom}: ${reasonOf(error)}`);
    }
    const problem = coverageProblem(records, expected, o.expectFrom);
    if (problem) return fail(problem);
  }

  // By path, in UTF-16 code units: the same order whichever shards finished first.
  records.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const format = out.value.format;
  if (format === 'csv' && records.some((r) => r.embedding)) io.err(`tench: the parts' embeddings are left out of ${out.value.shown}: CSV has no column for them; merge into .jsonl or .parquet to keep them`);
  const problem = await deliver(out.value, resultsFile(records, format, mergedLayout(shapes, records, format)), s3);
  if (problem) return fail(`cannot write ${out.value.shown}: ${problem}`);
  io.out(`merged ${records.length} rows from ${o.inputs.length} parts into ${out.value.shown}`);
  // Each shard of a dataset with no image finishes well, with an empty part (empty-run.ts): here,
  // where every part is seen, is where that shows.
  return records.length ? EXIT.ok : fail(`the ${o.inputs.length === 1 ? 'part holds' : `${o.inputs.length} parts hold`} no rows: no image of the dataset was classified`);
}
