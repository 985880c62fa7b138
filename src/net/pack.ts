// Many files of a local folder in one response. The server tench runs for a folder lists it at
// /data/manifest.jsonl and says, in the manifest's X-Tench-Pack header, where a list of its files
// can be asked for at once. A request per image costs the browser, its network service and the
// server more CPU than decoding a photo does; a request per pack of sixteen costs a sixteenth.
//
// Request: POST {files: [path, ...], maxBytes} (paths as the manifest gives them).
// Response: for each file, in order, an 8-byte head (status, length: big-endian uint32) and then,
// for status 200, `length` bytes. 404: no such file; 413: larger than maxBytes (length = its size).

export const PACK_HEADER = 'x-tench-pack';
export const PACK_FRAME_HEAD = 8;
/** Files a request asks for, at most, and their bytes (by the manifest's sizes), at most. */
export const PACK_FILES = 16;
export const PACK_BYTES = 8 * 1024 * 1024;

export interface PackRequest {
  files: string[];
  maxBytes: number;
}

export function frameHead(status: number, length: number): Uint8Array {
  const head = new Uint8Array(PACK_FRAME_HEAD);
  const view = new DataView(head.buffer);
  view.setUint32(0, status);
  view.setUint32(4, length);
  return head;
}

export type PackEntry = { status: 200; bytes: Uint8Array } | { status: number; size: number };

/**
 * The entries of a pack body as its chunks arrive; each file's bytes in a buffer of its own, so
 * that it can be handed to a worker alone. `touch` is called on every chunk (an idle timer).
 */
export async function* readPack(body: ReadableStream<Uint8Array>, touch: () => void = () => {}): AsyncGenerator<PackEntry> {
  const reader = body.getReader();
  const head = new Uint8Array(PACK_FRAME_HEAD);
  let headFill = 0;
  let file: Uint8Array | null = null;
  let fileFill = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      touch();
      let at = 0;
      while (at < value.byteLength) {
        if (!file) {
          const take = Math.min(PACK_FRAME_HEAD - headFill, value.byteLength - at);
          head.set(value.subarray(at, at + take), headFill);
          headFill += take;
          at += take;
          if (headFill < PACK_FRAME_HEAD) break;
          headFill = 0;
          const view = new DataView(head.buffer);
          const status = view.getUint32(0);
          const length = view.getUint32(4);
          if (status !== 200) {
            yield { status, size: length };
            continue;
          }
          file = new Uint8Array(length);
          fileFill = 0;
        }
        const take = Math.min(file.byteLength - fileFill, value.byteLength - at);
        file.set(value.subarray(at, at + take), fileFill);
        fileFill += take;
        at += take;
        if (fileFill === file.byteLength) {
          yield { status: 200, bytes: file };
          file = null;
        }
      }
    }
    // A zero-length file ends exactly where its head does.
    if (file && file.byteLength === 0) yield { status: 200, bytes: file };
  } finally {
    reader.releaseLock();
  }
}
