// A dataset file (a WebDataset tar shard, a Parquet file) wherever a listing found it: read from
// start to end as a stream, or by ranges. Neither way holds the whole file.

import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { asyncBufferFromUrl, cachedAsyncBuffer, type AsyncBuffer } from 'hyparquet';
import type { ItemSource } from '../core/item.ts';
import { sharedS3Client, type S3Access } from './s3-client.ts';
import { chunksOf, streamBody } from './stream.ts';

export interface ByteSource {
  /** The file's bytes in order, as they arrive. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The file read by ranges (its footer read once and kept). */
  ranges(): Promise<AsyncBuffer>;
}

export interface ByteSourceOptions {
  s3?: S3Access;
  /** A wait for the server longer than this is a stall, tried again (streams). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

async function* s3Chunks(source: Extract<ItemSource, { kind: 's3' }>, o: ByteSourceOptions): AsyncGenerator<Uint8Array> {
  if (!o.s3) throw new Error(`no S3 settings were given to read s3://${source.bucket}/${source.key}`);
  const out = await sharedS3Client(o.s3).send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }), { abortSignal: o.signal });
  const body = out.Body as { transformToWebStream(): ReadableStream<Uint8Array> } | undefined;
  if (!body) throw new Error(`s3://${source.bucket}/${source.key} came with no body`);
  yield* chunksOf(body.transformToWebStream());
}


async function s3Ranges(source: Extract<ItemSource, { kind: 's3' }>, o: ByteSourceOptions): Promise<AsyncBuffer> {
  if (!o.s3) throw new Error(`no S3 settings were given to read s3://${source.bucket}/${source.key}`);
  const client = sharedS3Client(o.s3);
  const head = await client.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }), { abortSignal: o.signal });
  return {
    byteLength: head.ContentLength ?? 0,
    async slice(start, end) {
      const range = `bytes=${start}-${end === undefined ? '' : end - 1}`;
      const out = await client.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key, Range: range }), { abortSignal: o.signal });
      const bytes = await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

async function urlRanges(url: string, signal?: AbortSignal): Promise<AsyncBuffer> {
  try {
    return await asyncBufferFromUrl({ url, requestInit: { signal } });
  } catch (error) {
    throw new Error(`cannot read ${url} by ranges: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function byteSource(source: ItemSource, o: ByteSourceOptions = {}): ByteSource {
  switch (source.kind) {
    case 'blob':
      return {
        chunks: () => chunksOf(source.blob.stream()),
        ranges: async () => ({ byteLength: source.blob.size, slice: (start, end) => source.blob.slice(start, end).arrayBuffer() }),
      };
    case 'url':
      return {
        chunks: () => streamChunks(source.url, o),
        ranges: async () => cachedAsyncBuffer(await urlRanges(source.url, o.signal)),
      };
    case 's3':
      return {
        chunks: () => s3Chunks(source, o),
        ranges: async () => cachedAsyncBuffer(await s3Ranges(source, o)),
      };
  }
}

async function* streamChunks(url: string, o: ByteSourceOptions): AsyncGenerator<Uint8Array> {
  const body = await streamBody(url, { timeoutMs: o.timeoutMs, signal: o.signal });
  yield* body.chunks;
}
