// Where --out and --failures go: a local file, an S3 object (PutObject with the environment's
// credentials), or an http(s) URL taken as a presigned PUT. The format is the name's extension.

import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Shard } from '../datasets/shard.ts';
import { makeS3Client } from '../net/s3-client.ts';
import { parseS3Url } from '../datasets/s3.ts';
import { formatOf, MEDIA_TYPES, type ExportFormat } from '../store/export.ts';
import { reasonOf } from '../core/outcome.ts';
import type { S3Options } from './inputs.ts';
import { nodeS3Credentials } from './credentials.ts';
import { usage, type Outcome } from './exit.ts';
import { partName } from './shard-flags.ts';

export type Destination =
  | { kind: 'file'; path: string; format: ExportFormat; shown: string }
  | { kind: 's3'; bucket: string; key: string; format: ExportFormat; shown: string }
  | { kind: 'http'; url: string; format: ExportFormat; shown: string };

/** How a destination that names a folder is completed: the shard's part file, in this format. */
export interface InFolder {
  shard: Shard | null;
  format?: ExportFormat;
  /** `part` for results, `failures` beside them. */
  base?: string;
}

const WHOLE: Shard = Object.freeze({ index: 0, count: 1 });

/**
 * A local path or an s3:// prefix that ends in `/` names a folder: the file in it is the shard's
 * part (an unsharded run is part 0 of 1), so the tasks of one job each write their own file.
 * Anything else is a file name, and its extension must agree with --format when both are given.
 * Every refusal here is of what was typed (exit 2): nothing is looked at but the text.
 */
export function inFolder(flag: string, value: string, folder: InFolder): Outcome<string> {
  const remote = /^https?:\/\//i.test(value);
  if (value.endsWith('/') && !remote) return { ok: true, value: value + partName(folder.shard ?? WHOLE, folder.format ?? 'jsonl', folder.base) };
  // A presigned URL carries its signature in the query: never show it.
  const name = remote ? value.split('?')[0]! : value;
  const named = formatOf(name);
  if (folder.format && named && named !== folder.format) return usage(`${flag} ${name} names a ${named} file but --format says ${folder.format}`);
  return { ok: true, value };
}

/** Where the rows go, from the destination's text alone: a refusal is of what was typed (exit 2). */
export function chooseDestination(flag: string, given: string, folder?: InFolder): Outcome<Destination> {
  const completed = folder ? inFolder(flag, given, folder) : { ok: true as const, value: given };
  if (!completed.ok) return completed;
  const value = completed.value;
  const remote = /^https?:\/\//i.test(value);
  // A presigned URL carries its signature in the query: never show it.
  const shown = remote ? value.split('?')[0]! : value;
  const name = remote ? urlPath(value) : value;
  if (name === null) return usage(`${flag} ${shown} is not a URL`);
  const format = formatOf(name);
  if (!format) return usage(`${flag} ${shown}: the name must end in .jsonl, .csv or .parquet, which says the format`);
  if (value.startsWith('s3://')) {
    const parsed = parseS3Url(value);
    if (!parsed.ok) return usage(`${flag}: ${parsed.reason}`);
    if (parsed.value.anonymous) return usage(`${flag} ${value}: uploads need credentials; drop anonymous@ and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
    if (!parsed.value.prefix || parsed.value.prefix.endsWith('/')) return usage(`${flag} ${value}: give the object's full key, such as s3://bucket/results.parquet`);
    return { ok: true, value: { kind: 's3', bucket: parsed.value.bucket, key: parsed.value.prefix, format, shown } };
  }
  if (remote) return { ok: true, value: { kind: 'http', url: value, format, shown } };
  return { ok: true, value: { kind: 'file', path: resolve(value), format, shown } };
}

/** The path of an http(s) URL; null when the text is no URL (`https://`, `http://[`). */
function urlPath(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** A reason when it could not be written. */
export async function deliver(to: Destination, body: Uint8Array | string, s3: S3Options): Promise<string | null> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  try {
    switch (to.kind) {
      case 'file':
        await mkdir(dirname(to.path), { recursive: true });
        await writeFile(to.path, bytes);
        return null;
      case 's3': {
        const credentials = await nodeS3Credentials();
        const client = makeS3Client({ region: s3.region ?? 'us-east-1', endpoint: s3.endpoint, forcePathStyle: s3.endpoint !== undefined, credentials });
        try {
          await client.send(new PutObjectCommand({ Bucket: to.bucket, Key: to.key, Body: bytes, ContentType: MEDIA_TYPES[to.format] }));
        } finally {
          client.destroy();
        }
        return null;
      }
      case 'http': {
        const response = await fetch(to.url, { method: 'PUT', body: new Blob([bytes as Uint8Array<ArrayBuffer>]), headers: { 'content-type': MEDIA_TYPES[to.format] } });
        return response.ok ? null : `the server answered ${response.status} ${response.statusText}`.trim();
      }
    }
  } catch (error) {
    return reasonOf(error);
  }
}
