// The images of one Parquet file, a row each: the Hugging Face `Image` struct of bytes and path, a
// binary column or a column of URLs, with the row's label and kept columns. Read a row group at a
// time over ranges, so memory holds one group's rows and a remote file is fetched only where read.

import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
// ZSTD (polars' default), gzip, brotli and LZ4 besides hyparquet's own snappy.
import { compressors } from 'hyparquet-compressors';
import type { AsyncBuffer, FileMetaData, SchemaTree } from 'hyparquet';
import type { Item, ItemSource } from '../core/item.ts';
import type { ListStats } from './s3.ts';
import { reasonOf } from '../core/outcome.ts';
import { keptColumns, type KeepColumns } from './columns.ts';

export interface ParquetFile {
  path: string;
  file: AsyncBuffer;
  version?: string;
  /** for resolving relative URLs of a URL column */
  baseUrl?: string;
}

export interface ParquetOptions {
  /** The column holding the images (--image-column); found from the schema when absent. */
  imageColumn?: string | null;
  keepColumns: KeepColumns;
}

/** What the file's `huggingface` metadata says of one column. */
interface Feature {
  image: boolean;
  /** A ClassLabel's names by index; holes where the metadata names no class. */
  names?: readonly (string | undefined)[];
}

/** The columns a read takes and what each of them is for. */
interface Plan {
  image: string;
  label?: string;
  names?: readonly (string | undefined)[];
  read: string[];
  keep: KeepColumns;
  skip: string[];
}

type Found = { source: ItemSource; size?: number } | { skipped: string };

const STRUCT_NAMES: readonly string[] = ['image', 'img'];
const BINARY_NAMES: readonly string[] = ['image', 'img', 'jpg', 'png', 'bytes'];
const URL_NAMES: readonly string[] = ['url', 'image_url', 'img_url', 'URL', 'link', 'image'];
const LABEL_NAMES: readonly string[] = ['label', 'labels'];
/** Schemes a page can fetch; anything else in a URL column is no image tench can read. */
const FETCHABLE: readonly string[] = ['http:', 'https:', 'data:'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

/** A leaf of one value a row (an old-style repeated leaf is a list). */
function isPlainLeaf(node: SchemaTree): boolean {
  return node.children.length === 0 && node.element.repetition_type !== 'REPEATED';
}

/** Raw bytes: a BYTE_ARRAY that no annotation makes text, a date or anything else. */
function isBinary(node: SchemaTree): boolean {
  const { type, converted_type, logical_type } = node.element;
  return isPlainLeaf(node) && type === 'BYTE_ARRAY' && converted_type === undefined && logical_type === undefined;
}

function isText(node: SchemaTree): boolean {
  const { type, converted_type, logical_type } = node.element;
  return isPlainLeaf(node) && type === 'BYTE_ARRAY' && (converted_type === 'UTF8' || logical_type?.type === 'STRING');
}

function isInteger(node: SchemaTree): boolean {
  const { type, converted_type, logical_type } = node.element;
  if (!isPlainLeaf(node) || (type !== 'INT32' && type !== 'INT64')) return false;
  const plain = converted_type === undefined || /^U?INT_/.test(converted_type);
  return plain && (logical_type === undefined || logical_type.type === 'INTEGER');
}

/** The Hugging Face `Image` layout: a struct (not a list or map) with a binary `bytes` field. */
function isBytesStruct(node: SchemaTree): boolean {
  const { converted_type, logical_type } = node.element;
  if (node.children.length === 0 || converted_type === 'LIST' || converted_type === 'MAP' || logical_type !== undefined) return false;
  return node.children.some((child) => child.element.name === 'bytes' && isBinary(child));
}

function holdsImages(node: SchemaTree): boolean {
  return isBytesStruct(node) || isBinary(node) || isText(node);
}

/** ClassLabel names as `datasets` writes them: a list, or (its YAML style) an object of index to name. */
function namesOf(names: unknown): (string | undefined)[] | undefined {
  if (Array.isArray(names)) return names.map((n) => (typeof n === 'string' ? n : undefined));
  if (!isRecord(names)) return undefined;
  const out: (string | undefined)[] = [];
  for (const [key, name] of Object.entries(names)) {
    const index = Number(key);
    if (Number.isInteger(index) && index >= 0 && typeof name === 'string') out[index] = name;
  }
  return out;
}

/**
 * One feature as `datasets` describes it: `{"_type": "Image"}` and `{"_type": "ClassLabel",
 * "names": [...]}` in a file's metadata, `{"dtype": "image"}` and `{"dtype": {"class_label":
 * {"names": {"0": ...}}}}` in its YAML style.
 */
function featureOf(feature: unknown): Feature {
  const type = field(feature, '_type');
  const dtype = field(feature, 'dtype');
  const classLabel = type === 'ClassLabel' ? feature : field(dtype, 'class_label') ?? field(feature, 'class_label');
  const names = namesOf(field(classLabel, 'names'));
  const image = type === 'Image' || dtype === 'image';
  return names ? { image, names } : { image };
}

/**
 * The features of the `huggingface` key-value metadata that `datasets` writes:
 * `{"info": {"features": {"<column>": {...}}}}`, or a list of `{"name": ..., ...}` features. Only
 * a hint: a file without it, or with one tench cannot parse, is read from its schema alone.
 */
function hfFeatures(metadata: FileMetaData): Map<string, Feature> {
  const out = new Map<string, Feature>();
  const json = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value;
  if (!json) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return out;
  }
  const features = field(field(parsed, 'info'), 'features') ?? field(parsed, 'features');
  if (Array.isArray(features)) {
    for (const feature of features) {
      const name = field(feature, 'name');
      if (typeof name === 'string') out.set(name, featureOf(feature));
    }
  } else if (isRecord(features)) {
    for (const [name, feature] of Object.entries(features)) out.set(name, featureOf(feature));
  }
  return out;
}

/** The first candidate named as `names` prefers, in that order; else the first candidate. */
function preferred(candidates: readonly SchemaTree[], names: readonly string[]): SchemaTree | undefined {
  for (const name of names) {
    const found = candidates.find((c) => c.element.name === name);
    if (found) return found;
  }
  return candidates[0];
}

function columnList(columns: readonly SchemaTree[]): string {
  return columns.map((c) => c.element.name).join(', ');
}

function namedImageColumn(path: string, columns: readonly SchemaTree[], name: string): string {
  const node = columns.find((c) => c.element.name === name);
  if (!node) throw new Error(`${path} has no column "${name}"; its columns are ${columnList(columns)}`);
  if (!holdsImages(node)) {
    throw new Error(`${path}'s column "${name}" holds no images: name a column of image bytes, a struct of bytes and path, or URLs with --image-column`);
  }
  return name;
}

/** The column of images: the named one, else the metadata's Image feature, else by layout and name. */
function imageColumn(path: string, columns: readonly SchemaTree[], features: Map<string, Feature>, named?: string | null): string {
  if (named) return namedImageColumn(path, columns, named);
  const found =
    columns.find((c) => features.get(c.element.name)?.image && holdsImages(c)) ??
    preferred(columns.filter(isBytesStruct), STRUCT_NAMES) ??
    preferred(columns.filter(isBinary), BINARY_NAMES) ??
    URL_NAMES.map((name) => columns.find((c) => c.element.name === name && isText(c))).find((c) => c !== undefined);
  if (!found) {
    throw new Error(`${path} has no image column (a struct of bytes and path, a binary column, or a column of URLs): name one with --image-column`);
  }
  return found.element.name;
}

/**
 * The label column: `label`, else `labels`, of text or integers (a list of labels is a kept
 * column, not one label); else the file's one ClassLabel feature, where it has exactly one.
 */
function labelColumn(columns: readonly SchemaTree[], image: string, features: Map<string, Feature>): string | undefined {
  const usable = columns.filter((c) => c.element.name !== image && (isText(c) || isInteger(c)));
  const named = LABEL_NAMES.map((name) => usable.find((c) => c.element.name === name)).find((c) => c !== undefined);
  if (named) return named.element.name;
  const classLabels = usable.filter((c) => features.get(c.element.name)?.names && isInteger(c));
  return classLabels.length === 1 ? classLabels[0]!.element.name : undefined;
}

function planOf(path: string, metadata: FileMetaData, options: ParquetOptions): Plan {
  const columns = parquetSchema(metadata).children;
  const features = hfFeatures(metadata);
  const image = imageColumn(path, columns, features, options.imageColumn);
  const label = labelColumn(columns, image, features);
  const keep = options.keepColumns;
  if (keep !== 'all') {
    const missing = keep.find((name) => !columns.some((c) => c.element.name === name));
    if (missing !== undefined) throw new Error(`${path} has no column "${missing}" to keep; its columns are ${columnList(columns)}`);
  }
  const kept = keep === 'all' ? columns.map((c) => c.element.name) : keep;
  const read = [...new Set([image, ...(label === undefined ? [] : [label]), ...kept])];
  const names = label === undefined ? undefined : features.get(label)?.names;
  return { image, label, names, read, keep, skip: label === undefined ? [image] : [image, label] };
}

/** A URL a page can fetch, relative ones against the file's own URL; null for anything else. */
function fetchableUrl(value: string, baseUrl: string | undefined): string | null {
  try {
    const url = new URL(value.trim(), baseUrl);
    return FETCHABLE.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function bytesSource(bytes: Uint8Array): Found {
  if (bytes.byteLength === 0) return { skipped: 'no image' };
  return { source: { kind: 'blob', blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }, size: bytes.byteLength };
}

function urlSource(value: string, baseUrl: string | undefined): Found {
  if (value.trim() === '') return { skipped: 'no image' };
  const url = fetchableUrl(value, baseUrl);
  return url === null ? { skipped: 'not a URL' } : { source: { kind: 'url', url } };
}

/**
 * Where one row's image comes from. A struct's `path` without bytes counts only as an absolute URL:
 * `datasets` writes there the name of a file on the machine that wrote it, not one beside the Parquet.
 */
function imageOf(value: unknown, baseUrl: string | undefined): Found {
  if (value instanceof Uint8Array) return bytesSource(value);
  if (typeof value === 'string') return urlSource(value, baseUrl);
  const bytes = field(value, 'bytes');
  if (bytes instanceof Uint8Array && bytes.byteLength > 0) return bytesSource(bytes);
  const path = field(value, 'path');
  const url = typeof path === 'string' ? fetchableUrl(path, undefined) : null;
  return url === null ? { skipped: 'no image' } : { source: { kind: 'url', url } };
}

/** A text label as is; an integer as its ClassLabel name, else as a class index; -1 or null: none. */
function setLabel(item: Item, value: unknown, names: readonly (string | undefined)[] | undefined): void {
  if (typeof value === 'string') {
    if (value.trim() !== '') item.label = value;
    return;
  }
  if (typeof value !== 'number' && typeof value !== 'bigint') return;
  const index = Number(value);
  if (!Number.isSafeInteger(index) || index < 0) return;
  const name = names?.[index];
  if (name !== undefined) item.label = name;
  else item.classIndex = index;
}

function skip(stats: ListStats, reason: string): void {
  stats.skipped++;
  stats.skippedWhy = { ...stats.skippedWhy, [reason]: (stats.skippedWhy?.[reason] ?? 0) + 1 };
}

function rowItem(row: Record<string, unknown>, rowIndex: number, plan: Plan, source: ParquetFile, stats: ListStats): Item | undefined {
  const found = imageOf(row[plan.image], source.baseUrl);
  if ('skipped' in found) {
    skip(stats, found.skipped);
    return undefined;
  }
  const item: Item = { path: `${source.path}/${rowIndex}`, source: found.source };
  if (found.size !== undefined) item.size = found.size;
  // The row's place in this version of the file: a rewritten file changes every row's version.
  if (source.version !== undefined) item.version = `${source.version}:${rowIndex}`;
  if (plan.label !== undefined) setLabel(item, row[plan.label], plan.names);
  const columns = keptColumns(row, plan.keep, plan.skip);
  if (columns !== undefined) item.columns = columns;
  stats.listed++;
  return item;
}

/** The footer, with hyparquet's messages turned into ones that name the file. */
async function readMetadata(source: ParquetFile): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(source.file);
  } catch (error) {
    const reason = reasonOf(error);
    // A file shorter than the footer fails in hyparquet's DataView before its own check.
    if (error instanceof RangeError || /PAR1|too short/.test(reason)) throw new Error(`${source.path} is not a Parquet file`);
    if (/metadata length/.test(reason)) throw new Error(`${source.path} is cut short or not a Parquet file: its footer names more bytes than it holds`);
    // Anything else is the file's own read failing (a network error, say): its message says more.
    if (!reason.startsWith('parquet ')) throw error;
    throw new Error(`${source.path} has a Parquet footer tench cannot read (${reason})`);
  }
}

async function readRows(source: ParquetFile, metadata: FileMetaData, plan: Plan, rowStart: number, rowEnd: number): Promise<Record<string, unknown>[]> {
  try {
    // utf8 off: a BYTE_ARRAY with no text annotation is image bytes, not a string to decode.
    return await parquetReadObjects({ file: source.file, metadata, columns: plan.read, rowStart, rowEnd, utf8: false, compressors });
  } catch (error) {
    const reason = reasonOf(error);
    const codec = /unsupported compression codec: (\w+)/.exec(reason)?.[1];
    if (codec) throw new Error(`${source.path} is compressed with ${codec}, which tench cannot read: write it with snappy, zstd or gzip compression, or none`);
    if (!reason.startsWith('parquet ')) throw error;
    throw new Error(`${source.path} could not be read at rows ${rowStart} to ${rowEnd - 1} (${reason})`);
  }
}

/**
 * One Item a row with an image, counted in `stats`; a row without one is counted as skipped. The
 * footer is read once; then each row group's columns, only those needed, and its items yielded
 * before the next group is read.
 */
export async function* parquetItems(source: ParquetFile, options: ParquetOptions, stats: ListStats, signal?: AbortSignal): AsyncGenerator<Item> {
  signal?.throwIfAborted();
  const metadata = await readMetadata(source);
  const plan = planOf(source.path, metadata, options);
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    signal?.throwIfAborted();
    const rows = groupEnd > groupStart ? await readRows(source, metadata, plan, groupStart, groupEnd) : [];
    for (let i = 0; i < rows.length; i++) {
      const item = rowItem(rows[i]!, groupStart + i, plan, source, stats);
      if (item) yield item;
    }
    groupStart = groupEnd;
  }
}
