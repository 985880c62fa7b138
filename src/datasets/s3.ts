// An S3 prefix, listed page by page: the first page's images are in the pipeline before the
// second page is asked for, and no listing is ever held whole.

import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { reasonOf } from '../../workers/shared/results.ts';
import { isImagePath } from './filter.ts';
import type { Item } from './item.ts';
import { makeS3Client, type S3Access } from './s3-client.ts';

export interface S3Location {
  bucket: string;
  prefix: string;
  /** s3://anonymous@bucket/...: unsigned requests, as in Ray. */
  anonymous: boolean;
}

export type ParsedUrl = { ok: true; value: S3Location } | { ok: false; reason: string };

export function parseS3Url(url: string): ParsedUrl {
  const m = /^s3:\/\/(?:(anonymous)@)?([^/@]+)(?:\/(.*))?$/.exec(url.trim());
  if (!m) return { ok: false, reason: `${JSON.stringify(url)} is not an S3 URL like s3://bucket/prefix/` };
  const bucket = m[2]!;
  if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(bucket)) return { ok: false, reason: `${JSON.stringify(bucket)} is not a bucket name` };
  return { ok: true, value: { bucket, prefix: m[3] ?? '', anonymous: m[1] === 'anonymous' } };
}

export interface ListStats {
  listed: number;
  skipped: number;
}

export async function* listS3(
  where: S3Location,
  access: S3Access,
  extensions: readonly string[],
  stats: ListStats,
  signal?: AbortSignal,
): AsyncGenerator<Item> {
  const client = makeS3Client(access);
  const pages = paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: where.bucket, Prefix: where.prefix });
  try {
    for await (const page of pages) {
      signal?.throwIfAborted();
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key || key.endsWith('/')) continue;
        if (!isImagePath(key, extensions)) {
          stats.skipped++;
          continue;
        }
        stats.listed++;
        yield {
          path: key,
          source: { kind: 's3', bucket: where.bucket, key },
          size: object.Size,
          version: object.ETag?.replaceAll('"', ''),
        };
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(`cannot list s3://${where.bucket}/${where.prefix}: ${reasonOf(error)}`);
  } finally {
    client.destroy();
  }
}
