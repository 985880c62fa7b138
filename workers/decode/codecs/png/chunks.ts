// A PNG's chunks: the one walk over them, and the checksums Pillow checks.

import { fourCC, u32be } from '../bytes.ts';
import { CorruptError } from '../codec.ts';

export interface Chunk {
  type: string;
  /** Offset of its header (length and type). */
  start: number;
  /** Offset of its data, and the length its header gives (the file may hold less). */
  data: number;
  length: number;
  /** Offset of the next chunk's header: after the data and the checksum. */
  next: number;
}

/** The chunk at `pos`, or null where fewer than 8 bytes are left (Pillow's struct.error). */
export function chunkAt(b: Uint8Array, pos: number): Chunk | null {
  if (pos + 8 > b.length) return null;
  const length = u32be(b, pos);
  return { type: fourCC(b, pos + 4), start: pos, data: pos + 8, length, next: pos + 12 + length };
}

/** A chunk type Pillow reads on (its regular expression \w\w\w\w); others stop it. */
export const validType = (type: string) => /^[A-Za-z0-9_]{4}$/.test(type);

/** The whole of a chunk's data is in the file, as Pillow's _safe_read insists. */
export function whole(b: Uint8Array, c: Chunk): void {
  if (c.data + c.length > b.length) throw new CorruptError(`Truncated File Read in its ${c.type} chunk`);
}

let table: Uint32Array | null = null;

function crc32(b: Uint8Array, from: number, to: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The whole chunks of the file, to IEND, and where they end. Pillow checks the checksum of every
 * chunk before the image data (the first IDAT, or fdAT) and refuses the file when one is wrong:
 * so does this, with Pillow's reason.
 */
export function checkedChunks(b: Uint8Array): { ok: true; list: Chunk[]; end: number } | { ok: false; reason: string } {
  const list: Chunk[] = [];
  let beforeImage = true;
  let pos = 8;
  while (pos + 12 <= b.length) {
    const c = chunkAt(b, pos)!;
    if (c.next > b.length) break;
    if (c.type === 'IDAT' || c.type === 'fdAT') beforeImage = false;
    if (beforeImage && crc32(b, c.start + 4, c.data + c.length) !== u32be(b, c.data + c.length)) {
      return { ok: false, reason: `broken PNG file: bad checksum in its ${c.type} chunk` };
    }
    list.push(c);
    pos = c.next;
    if (c.type === 'IEND') break;
  }
  return { ok: true, list, end: pos };
}
