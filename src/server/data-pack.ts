// The server's end of src/datasets/pack.ts: files of the data folder, many to a response.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import { frameHead, PACK_FILES, type PackRequest } from '../datasets/pack.ts';

/** Read whole below this; stream above, so a pack never holds a large file in memory. */
const READ_WHOLE_BYTES = 4 * 1024 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;

/** A manifest path -> the file under root, or null for anything that would leave it. */
export function fileUnder(root: string, path: string): string | null {
  const segments = path.split('/').filter(Boolean);
  if (!segments.length || segments.some((s) => s === '.' || s === '..' || (sep === '\\' && s.includes('\\')) || s.includes('\0'))) return null;
  const file = resolve(root, ...segments);
  return file.startsWith(root + sep) ? file : null;
}

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

/** A file to send: its bytes already read, or its path to stream; or why not. */
interface Opened {
  status: 200 | 404 | 413;
  size: number;
  bytes?: Uint8Array;
  file?: string;
}

function write(res: ServerResponse, bytes: Uint8Array): Promise<void> | void {
  if (!res.write(bytes)) return new Promise((done) => res.once('drain', () => done()));
}

export async function servePack(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  const opened = request.files.map(async (path): Promise<Opened> => {
    const file = fileUnder(root, path);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) return { status: 404, size: 0 };
    if (info.size > request.maxBytes) return { status: 413, size: info.size };
    if (info.size > READ_WHOLE_BYTES) return { status: 200, size: info.size, file };
    const bytes = await readFile(file).catch(() => null);
    return bytes ? { status: 200, size: bytes.byteLength, bytes } : { status: 404, size: 0 };
  });
  opened.forEach((p) => p.catch(() => {}));
  for (const next of opened) {
    const entry = await next;
    if (entry.status !== 200) {
      await write(res, frameHead(entry.status, entry.size));
      continue;
    }
    if (entry.bytes) {
      await write(res, Buffer.concat([frameHead(200, entry.size), entry.bytes]));
      continue;
    }
    if (!entry.file) {
      await write(res, frameHead(404, 0));
      continue;
    }
    await write(res, frameHead(200, entry.size));
    // A file that shrank or vanished while streaming cannot be told apart any more: end the
    // response, and the client sees the pack cut short, which it tries again.
    let sent = 0;
    for await (const chunk of createReadStream(entry.file) as AsyncIterable<Buffer>) {
      const room = entry.size - sent;
      const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      sent += part.byteLength;
      await write(res, part);
    }
    if (sent < entry.size) {
      res.destroy();
      return;
    }
  }
  res.end();
}
