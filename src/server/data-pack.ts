// The server's end of src/net/pack.ts: files of the data folder, many to a response.

import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { frameHead, PACK_FILES, type PackRequest } from '../net/pack.ts';
import { listedFile } from './local-files.ts';

/** Read whole below this; stream above, so a pack never holds a large file in memory. */
const READ_WHOLE_BYTES = 4 * 1024 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;

async function readRequest(req: IncomingMessage): Promise<PackRequest | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_REQUEST_BYTES) return null;
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<PackRequest>;
    const files = body.files;
    if (!Array.isArray(files) || files.length > PACK_FILES || files.some((f) => typeof f !== 'string')) return null;
    return { files, maxBytes: typeof body.maxBytes === 'number' && body.maxBytes > 0 ? body.maxBytes : Infinity };
  } catch {
    return null;
  }
}

/** A file to send: its bytes already read, or an open handle to stream it from; or why not. */
interface Opened {
  status: 200 | 404 | 413;
  size: number;
  bytes?: Uint8Array;
  handle?: FileHandle;
}

/** Resolves when the bytes are handed to the socket, false if the client has gone. */
function write(res: ServerResponse, bytes: Uint8Array): Promise<boolean> | boolean {
  if (res.destroyed) return false;
  if (res.write(bytes)) return true;
  return new Promise((done) => {
    const settle = (ok: boolean) => () => {
      res.off('drain', drained);
      res.off('close', closed);
      done(ok);
    };
    const drained = settle(true);
    const closed = settle(false);
    res.once('drain', drained);
    res.once('close', closed);
  });
}

/** A file's state now: opened here, so that a file that cannot be read is its own 404. */
async function openFile(root: string, real: string, path: string, maxBytes: number): Promise<Opened> {
  const file = await listedFile(root, real, path);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) return { status: 404, size: 0 };
  if (info.size > maxBytes) return { status: 413, size: info.size };
  if (info.size <= READ_WHOLE_BYTES) {
    const bytes = await readFile(file).catch(() => null);
    return bytes ? { status: 200, size: bytes.byteLength, bytes } : { status: 404, size: 0 };
  }
  const handle = await open(file, 'r').catch(() => null);
  return handle ? { status: 200, size: info.size, handle } : { status: 404, size: 0 };
}

/** `size` bytes of an open file, in chunks; false if the file ended early or the client went. */
async function stream(res: ServerResponse, handle: FileHandle, size: number): Promise<boolean> {
  const chunk = Buffer.alloc(Math.min(size, 1024 * 1024));
  for (let sent = 0; sent < size; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - sent), sent);
    if (bytesRead === 0) return false;
    sent += bytesRead;
    if (!(await write(res, chunk.subarray(0, bytesRead)))) return false;
  }
  return true;
}

/** `real`: root's real path; only files a listing of root gives are sent (local-files.ts). */
export async function servePack(root: string, real: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST a list of files');
    return;
  }
  const request = await readRequest(req);
  if (!request) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`a pack is {"files": [at most ${PACK_FILES} paths], "maxBytes": n}`);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  // Stats and small reads of the next files overlap the writing of this one.
  const opened = request.files.map((path) => openFile(root, real, path, request.maxBytes));
  try {
    for (const next of opened) {
      const entry = await next;
      if (entry.status !== 200) {
        if (!(await write(res, frameHead(entry.status, entry.size)))) return;
      } else if (entry.bytes) {
        if (!(await write(res, Buffer.concat([frameHead(200, entry.size), entry.bytes])))) return;
      } else if (!(await write(res, frameHead(200, entry.size))) || !(await stream(res, entry.handle!, entry.size))) {
        // A file that shrank while it was sent cannot be told apart from the next any more: the
        // response is cut, and the client asks again for what it did not get whole.
        res.destroy();
        return;
      }
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    for (const next of opened) void next.then((e) => e.handle?.close(), () => {});
  }
}
