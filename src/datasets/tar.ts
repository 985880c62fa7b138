// The regular files of a POSIX tar archive (ustar, GNU and pax), read from a stream of chunks of
// any size, holding no more than one member's bytes and a header block at a time.

/** One regular file of the archive; `offset` is where its first header (a pax or long-name one, if any) starts. */
export interface TarEntry {
  name: string;
  bytes: Uint8Array;
  offset: number;
}

const BLOCK = 512;
const UTF8 = new TextDecoder();

/** What pax ('x') and GNU long-name ('L') headers say about the member that follows them. */
interface Overrides {
  path?: string;
  size?: number;
}

interface Header {
  name: string;
  size: number;
  type: string;
}

/** Exact reads over chunks cut anywhere: a header may span many chunks, a chunk many members. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Bytes of the archive consumed so far. */
  offset = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Whether a chunk with unread bytes is at hand; false once the stream has ended. */
  private async fill(): Promise<boolean> {
    while (this.at >= this.chunk.length) {
      const next = await this.source.next();
      if (next.done) return false;
      this.chunk = next.value;
      this.at = 0;
    }
    return true;
  }

  /** `n` bytes in an array of their own, or fewer where the stream ends first. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n && (await this.fill())) {
      const take = Math.min(n - filled, this.chunk.length - this.at);
      out.set(this.chunk.subarray(this.at, this.at + take), filled);
      this.at += take;
      filled += take;
    }
    this.offset += filled;
    return filled === n ? out : out.subarray(0, filled);
  }

  /** Passes `n` bytes without copying them; false where the stream ends first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0 && (await this.fill())) {
      const take = Math.min(left, this.chunk.length - this.at);
      this.at += take;
      this.offset += take;
      left -= take;
    }
    return left === 0;
  }

  /** Lets the stream go (a file read to its end marker need not be downloaded further). */
  async close(): Promise<void> {
    await this.source.return?.();
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cutShort(what: string): Error {
  return new Error(`the tar file ends inside ${what}: it was cut short`);
}

function damaged(at: number, why: string): Error {
  return new Error(`the tar file is damaged at byte ${at}: ${why}`);
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return UTF8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** An octal field (NUL- or space-ended), or GNU's base-256 for sizes beyond 8 GiB; null if neither. */
function numberField(field: Uint8Array): number | null {
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) return null; // negative
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return Number.isSafeInteger(value) ? value : null;
  }
  const digits = String.fromCharCode(...field).replace(/\0.*$/s, '').trim();
  if (digits === '') return 0;
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : null;
}

/**
 * Whether the checksum field matches the block's bytes summed with that field read as spaces.
 * Some old tars summed signed bytes, so that sum is accepted too.
 */
function checksumMatches(block: Uint8Array): boolean {
  const stored = numberField(block.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 32 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function isZero(block: Uint8Array): boolean {
  return block.every((byte) => byte === 0);
}

function parseHeader(block: Uint8Array, at: number): Header {
  if (!checksumMatches(block)) throw damaged(at, "a header's checksum does not match");
  const size = numberField(block.subarray(124, 136));
  if (size === null) throw damaged(at, "a header's size is not a number");
  let name = text(block.subarray(0, 100));
  // Only POSIX ustar has the prefix field there; GNU's headers keep times in those bytes.
  const ustar = block[257] === 0x75 && text(block.subarray(257, 263)) === 'ustar' && block[262] === 0;
  const prefix = ustar ? text(block.subarray(345, 500)) : '';
  if (prefix) name = `${prefix}/${name}`;
  const flag = block[156]!;
  // A V7 archive marks a directory by its name alone.
  const type = flag === 0 && name.endsWith('/') ? '5' : flag === 0 ? '0' : String.fromCharCode(flag);
  return { name, size, type };
}

/** A pax header's records, "<length> <key>=<value>\n" each, the length counting the whole record. */
function paxRecords(data: Uint8Array, at: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const space = data.indexOf(0x20, pos);
    const digits = space < 0 || space - pos > 15 ? '' : String.fromCharCode(...data.subarray(pos, space));
    const length = /^\d+$/.test(digits) ? Number(digits) : NaN;
    if (!(length > space - pos) || pos + length > data.length) throw damaged(at, 'a pax header is malformed');
    const record = UTF8.decode(data.subarray(space + 1, pos + length - 1));
    const equals = record.indexOf('=');
    if (equals < 0) throw damaged(at, 'a pax header is malformed');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    pos += length;
  }
  return records;
}

/** The overrides a pax header adds to those already gathered for the next member. */
function paxOverrides(data: Uint8Array, at: number, into: Overrides): Overrides {
  const records = paxRecords(data, at);
  const path = records.get('path');
  const size = records.get('size');
  const out = { ...into };
  if (path !== undefined) out.path = path;
  if (size !== undefined) {
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) throw damaged(at, "a pax header's size is not a number");
    out.size = Number(size);
  }
  return out;
}

/** Types whose headers carry no data whatever their size field says (POSIX; GNU tar and Python read them so). */
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);
const REGULAR = new Set(['0', '7']);
/** Headers about the member that follows: pax, GNU long name, GNU long link name (not needed here). */
const EXTENDED = new Set(['x', 'L', 'K']);

async function readData(input: ChunkReader, size: number, name: string): Promise<Uint8Array> {
  const data = await input.read(size);
  if (data.length < size || !(await input.skip(padded(size) - size))) throw cutShort(name);
  return data;
}

/** The archive's regular files in order; directories, links and other members are passed over. */
export async function* tarEntries(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const input = new ChunkReader(chunks[Symbol.asyncIterator]());
  try {
    let overrides: Overrides = {};
    let start: number | null = null;
    for (;;) {
      const at = input.offset;
      const block = await input.read(BLOCK);
      if (block.length === 0 && start === null) return;
      if (block.length < BLOCK) throw cutShort(`the header at byte ${at}`);
      // The first zero block ends the archive, as GNU tar and Python read it; the second need not be waited for.
      if (isZero(block) && start === null) return;
      const header = parseHeader(block, at);
      start ??= at;
      const name = overrides.path ?? header.name;
      if (EXTENDED.has(header.type)) {
        const data = await readData(input, header.size, name);
        if (header.type === 'x') overrides = paxOverrides(data, at, overrides);
        if (header.type === 'L') overrides = { ...overrides, path: text(data) };
        continue;
      }
      const size = overrides.size ?? header.size;
      if (REGULAR.has(header.type)) yield { name, bytes: await readData(input, size, name), offset: start };
      else if (!NO_DATA.has(header.type) && !(await input.skip(padded(size)))) throw cutShort(name);
      overrides = {};
      start = null;
    }
  } finally {
    await input.close();
  }
}
