// The fetch stage's work: an item's source -> its bytes. The requests run in the browser's network
// service, off this thread; the bytes then move to a decode worker by transfer. Every failure is
// a reason, not a throw.

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ItemSource } from '../datasets/item.ts';
import { makeS3Client, type S3Access } from '../datasets/s3-client.ts';
import { reasonOf } from '../../workers/shared/results.ts';

export type Fetched = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: boolean; reason: string };

function tooLarge(size: number, maxBytes: number): Fetched {
  return { ok: false, tooLarge: true, reason: `${size} bytes is over the ${maxBytes}-byte limit` };
}

/** Reads a body stream, refusing to hold more than maxBytes. */
async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Fetched> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return tooLarge(total, maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0]! };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

let client: { key: string; s3: S3Client } | null = null;

/** One client per S3 setup, kept between items: its connections are reused. */

function s3Client(access: S3Access): S3Client {
  const key = JSON.stringify(access);
  if (client?.key !== key) client = { key, s3: makeS3Client(access) };
  return client.s3;
}

export async function fetchBytes(source: ItemSource, maxBytes: number, s3?: S3Access, signal?: AbortSignal): Promise<Fetched> {
  try {
    switch (source.kind) {
      case 'blob':
        if (source.blob.size > maxBytes) return tooLarge(source.blob.size, maxBytes);
        return { ok: true, bytes: new Uint8Array(await source.blob.arrayBuffer()) };
      case 'url': {
        const response = await fetch(source.url, { signal });
        if (!response.ok) return { ok: false, tooLarge: false, reason: `HTTP ${response.status} ${response.statusText}`.trim() };
        const length = Number(response.headers.get('content-length'));
        if (length > maxBytes) return tooLarge(length, maxBytes);
        if (!response.body) return { ok: true, bytes: new Uint8Array(await response.arrayBuffer()) };
        return await readCapped(response.body, maxBytes);
      }
      case 's3': {
        if (!s3) return { ok: false, tooLarge: false, reason: 'no S3 settings were given to the decoder' };
        const out = await s3Client(s3).send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }), { abortSignal: signal });
        if ((out.ContentLength ?? 0) > maxBytes) return tooLarge(out.ContentLength!, maxBytes);
        const body = out.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined;
        if (!body) return { ok: false, tooLarge: false, reason: 'S3 returned no body' };
        return await readCapped(body.transformToWebStream(), maxBytes);
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, tooLarge: false, reason: reasonOf(error) };
  }
}
