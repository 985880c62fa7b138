// Where an output's bytes go while the run goes on: a local file (each chunk in one write, so a
// killed process leaves whole rows), an S3 object (a multipart upload, fed as rows come, that
// appears when it completes), or a presigned URL (one PUT: the bytes are held until the end).

import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { makeS3Client, type S3Access } from '../../net/s3-client.ts';
import { MEDIA_TYPES, type ExportFormat } from '../../store/export.ts';
import type { S3Options } from '../inputs.ts';

export interface Target {
  /** Appends, or with `over`, writes over that many bytes at the end (a file's footer). */
  write(bytes: Uint8Array, over?: number): Promise<void>;
  /** Completes the output: the file's data on disk, the object made, the PUT done. */
  close(): Promise<void>;
  /** Gives up: an upload is cancelled (a local file keeps what was written). */
  abort(): Promise<void>;
}

/**
 * `append` goes on at the end of what is there; `new` starts the file again. Each chunk is one
 * write(2), which a killed process does not leave half done. Written synchronously: a chunk is a
 * few hundred kilobytes at most, and one not held across turns of the event loop is garbage at
 * once, so the process's memory stays where it started.
 */
export async function fileTarget(path: string, mode: 'new' | 'append'): Promise<Target> {
  await mkdir(dirname(path), { recursive: true });
  const fd = openSync(path, mode === 'new' ? 'w' : 'r+');
  let size = fstatSync(fd).size;
  return {
    async write(bytes, over = 0) {
      let at = size - over;
      for (let done = 0; done < bytes.length;) {
        const n = writeSync(fd, bytes, done, bytes.length - done, at);
        done += n;
        at += n;
      }
      // A chunk that replaces a footer is longer than it: nothing of the old one is left after.
      size = Math.max(size, at);
    },
    async close() {
      fdatasyncSync(fd);
      closeSync(fd);
    },
    async abort() {
      closeSync(fd);
    },
  };
}

/** S3 wants parts of at least 5 MiB; two in flight keep the upload going while rows come. */
const PART_BYTES = 8 * 1024 * 1024;

export function s3Target(bucket: string, key: string, format: ExportFormat, s3: S3Options, credentials: S3Access['credentials']): Target {
  const client = makeS3Client({ region: s3.region ?? 'us-east-1', endpoint: s3.endpoint, forcePathStyle: s3.endpoint !== undefined, credentials });
  const body = new PassThrough({ highWaterMark: PART_BYTES });
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body, ContentType: MEDIA_TYPES[format] }, partSize: PART_BYTES, queueSize: 2, leavePartsOnError: false });
  const done = upload.done();
  // A failed upload is reported by the next write or by close; never unhandled.
  const failed = done.then(() => new Promise<never>(() => {}), (error: unknown) => Promise.reject(error));
  failed.catch(() => {});
  return {
    async write(bytes, over = 0) {
      if (over) throw new Error('an upload is only appended to');
      if (!body.write(bytes)) await Promise.race([once(body, 'drain'), failed]);
    },
    async close() {
      body.end();
      try {
        await done;
      } finally {
        client.destroy();
      }
    },
    async abort() {
      await upload.abort().catch(() => {});
      body.destroy();
      client.destroy();
    },
  };
}

export const PRESIGNED_NOTE = 'a presigned URL takes the whole file in one PUT: its rows are held in memory until the run ends';

export function httpTarget(url: string, format: ExportFormat): Target {
  const chunks: Uint8Array[] = [];
  return {
    async write(bytes, over = 0) {
      if (over) throw new Error('an upload is only appended to');
      chunks.push(bytes);
    },
    async close() {
      const response = await fetch(url, { method: 'PUT', body: new Blob(chunks as Uint8Array<ArrayBuffer>[]), headers: { 'content-type': MEDIA_TYPES[format] } });
      chunks.length = 0;
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
    },
    async abort() {
      chunks.length = 0;
    },
  };
}
