// A real S3 server (s3rver) on loopback, with buckets and objects put through the AWS SDK.

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeS3Client } from '../../src/net/s3-client.ts';
import { tempDir } from './dataset.ts';
import { ROOT } from './paths.ts';

/** Any origin may GET: what a public bucket's owner adds so pages can read it. */
export const OPEN_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** s3rver's built-in account. */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  endpoint: string;
  close(): Promise<void>;
  /** Uploads every file under dir to bucket/prefix, keeping relative paths. */
  upload(bucket: string, prefix: string, dir: string): Promise<string[]>;
  put(bucket: string, key: string, body: Uint8Array | string): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
}

function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).sort().flatMap((name) => {
    const path = rel ? `${rel}/${name}` : name;
    return statSync(join(dir, path)).isDirectory() ? filesUnder(dir, path) : [path];
  });
}

async function spawnServer(options: object): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', resolve(ROOT, 'test/helpers/s3rver-process.js'), JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`s3rver exited with ${code}`)));
    lines.once('line', (line) => {
      const m = /^READY (\d+)$/.exec(line);
      if (m) done(Number(m[1]));
      else fail(new Error(`s3rver said ${line}`));
    });
  });
  return {
    port,
    stop: () => new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}

export async function startS3(buckets: Array<{ name: string; cors: boolean }>): Promise<S3Server> {
  const server = await spawnServer({
    directory: tempDir('tench-s3rver-'),
    configureBuckets: buckets.map((b) => ({ name: b.name, configs: b.cors ? [OPEN_CORS] : [] })),
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = makeS3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3RVER_KEYS });
  const put = async (bucket: string, key: string, body: Uint8Array | string) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  return {
    endpoint,
    put,
    async get(bucket, key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    },
    async upload(bucket, prefix, dir) {
      const keys: string[] = [];
      for (const path of filesUnder(dir)) {
        const key = `${prefix}${path}`;
        await put(bucket, key, readFileSync(join(dir, path)));
        keys.push(key);
      }
      return keys;
    },
    async close() {
      client.destroy();
      await server.stop();
    },
  };
}
