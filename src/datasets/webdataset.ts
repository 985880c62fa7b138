// The images of one WebDataset tar shard: consecutive members sharing a key make one sample, whose
// image member becomes an Item with the sample's class (.cls) and its .txt and .json as columns.

import type { Item } from '../core/item.ts';
import type { ListStats } from './s3.ts';
import { keptColumns, type KeepColumns } from './columns.ts';
import { tarEntries, type TarEntry } from './tar.ts';

/** The shard file: its path names the images in it; its version, where known, versions them. */
export interface Shard {
  path: string;
  version?: string;
}

export interface SampleOptions {
  /** Extensions (lower-case, no dot) of the member that is a sample's image. */
  extensions: readonly string[];
  keepColumns: KeepColumns;
}

/** The members of one sample that are read; the others' bytes are dropped as they pass. */
interface Sample {
  key: string;
  image?: TarEntry;
  cls?: string;
  txt?: string;
  json?: string;
}

const UTF8 = new TextDecoder();
/** Extensions read as the sample's class: webdataset writes `cls`; some writers use the others. */
const CLASS_EXTENSIONS: readonly string[] = ['cls', 'class', 'label'];

/**
 * A member's key and extension as webdataset splits them: at the first dot of the base name, so
 * `a/b/x.seg.png` is key `a/b/x`, extension `seg.png`. Null for a name with no dot in its base
 * name, which webdataset passes over too (its own regular expression, so keys match its keys).
 */
export function splitMemberName(name: string): { key: string; extension: string } | null {
  const match = /^((?:.*\/|)[^.]+)\.([^/]*)$/s.exec(name);
  if (!match) return null;
  return { key: match[1]!, extension: match[2]!.toLowerCase() };
}

/** Adds one member to its sample, keeping the first of each kind a sample repeats. */
function addMember(sample: Sample, entry: TarEntry, extension: string, options: SampleOptions): void {
  if (!sample.image && options.extensions.includes(extension)) sample.image = entry;
  else if (CLASS_EXTENSIONS.includes(extension)) sample.cls ??= UTF8.decode(entry.bytes);
  else if (extension === 'txt') sample.txt ??= UTF8.decode(entry.bytes);
  else if (extension === 'json') sample.json ??= UTF8.decode(entry.bytes);
}

/** The sample's .txt and .json as one record: a JSON object's fields each, any other JSON as `json`. */
function sampleRecord(sample: Sample): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  if (sample.txt !== undefined) record.txt = sample.txt;
  if (sample.json === undefined) return record;
  let parsed: unknown;
  try {
    parsed = JSON.parse(sample.json);
  } catch {
    // Kept as written: the user still sees what the shard holds.
    record.json = sample.json;
    return record;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(record, parsed);
  else record.json = parsed;
  return record;
}

function sampleItem(sample: Sample, image: TarEntry, shard: Shard, options: SampleOptions): Item {
  const size = image.bytes.byteLength;
  const item: Item = {
    path: `${shard.path}/${sample.key}`,
    // tarEntries gives each member an ArrayBuffer of its own, never a shared one.
    source: { kind: 'blob', blob: new Blob([image.bytes as Uint8Array<ArrayBuffer>]) },
    size,
    // The shard's version with the member's place in it: a rewritten shard changes every image's.
    version: shard.version === undefined ? undefined : `${shard.version}:${image.offset}:${size}`,
  };
  const cls = sample.cls?.trim();
  if (cls !== undefined && cls !== '') {
    if (/^-?\d+$/.test(cls)) item.classIndex = Number(cls);
    else item.label = cls;
  }
  const columns = keptColumns(sampleRecord(sample), options.keepColumns);
  if (columns !== undefined) item.columns = columns;
  return item;
}

/** One Item per sample that has an image member; a sample without one is counted as skipped. */
export async function* webDatasetItems(chunks: AsyncIterable<Uint8Array>, shard: Shard, options: SampleOptions, stats: ListStats): AsyncGenerator<Item> {
  let sample: Sample | null = null;
  const finish = (done: Sample): Item | null => {
    if (!done.image) {
      stats.skipped++;
      return null;
    }
    stats.listed++;
    return sampleItem(done, done.image, shard, options);
  };
  try {
    for await (const entry of tarEntries(chunks)) {
      const split = splitMemberName(entry.name);
      if (!split) continue;
      if (sample && sample.key !== split.key) {
        const item = finish(sample);
        // Dropped before the next sample's members are read, so only one sample's bytes are held.
        sample = null;
        if (item) yield item;
      }
      sample ??= { key: split.key };
      addMember(sample, entry, split.extension, options);
    }
  } catch (error) {
    // A shard that breaks: the sample read so far has whole members (a member is had whole or not
    // at all), and its image is as good as any before it; most often the break is in the next one.
    const item = sample?.image && finish(sample);
    if (item) yield item;
    throw error;
  }
  const item = sample && finish(sample);
  if (item) yield item;
}
