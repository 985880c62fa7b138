// A zlib stream inflated into a buffer of the size the image needs, and never further: the output
// is allocated once, by the caller, from the header, so a decompression bomb costs its image's
// size and no more. It stops where Pillow's decoder (zlib's inflate, fed one row of output room
// at a time, by reads of at most 64 KB of one chunk) stops: once the image is whole, zlib still
// reads what needs no room, such as an end-of-block code, the next block's header and the
// Adler-32 at the stream's end, but only within the read that finished the image. So a bad
// checksum right after the last row is an error, as it is for Pillow, while megabytes of further
// data are left unread, as Pillow leaves them. (fflate and DecompressionStream inflate whatever
// they are given, and fflate keeps it all.)

/** `end`: the offset just past the last byte zlib read, where Pillow's reading stopped (or failed). */
export type Inflated = { ok: true; end: number } | { ok: false; end: number; truncated: boolean; reason: string };

/** Where the input ends for zlib in the read that holds byte `at`: Pillow's read boundaries. */
export type ReadEnd = (at: number) => number;

// Deflate's length and distance bases and extra bits (RFC 1951, 3.2.5).
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A table entry: symbol << 4 | code length; INVALID << 4 | length for a code that means nothing. */
const INVALID = 0xffff;

interface Table {
  entries: Uint32Array;
  bits: number;
}

/**
 * A decoding table over `bits` bits (the longest code), indexed by the next bits of the stream
 * as they come (least significant first). Over-subscribed sets are refused, and incomplete ones
 * but for a single one-bit code, as zlib's inflate_table does; `valid` limits the symbols that
 * decode (fixed Huffman's 286, 287 and 30, 31 have codes but no meaning).
 */
function table(lengths: ArrayLike<number>, valid: number, incompleteOk = true): Table | null {
  const count = new Uint16Array(16);
  let max = 0;
  for (let i = 0; i < lengths.length; i++) {
    count[lengths[i]!]!++;
    if (lengths[i]! > max) max = lengths[i]!;
  }
  // No codes at all: every code read is invalid (zlib's table for an unused distance tree).
  if (max === 0) return { entries: new Uint32Array(2).fill((INVALID << 4) | 1), bits: 1 };
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len]!;
    if (left < 0) return null;
  }
  if (left > 0 && (max !== 1 || !incompleteOk)) return null;
  // Canonical codes: each length's first code follows the last of the length before.
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + (len > 1 ? count[len - 1]! : 0)) << 1;
    next[len] = code;
  }
  const entries = new Uint32Array(1 << max).fill((INVALID << 4) | max);
  for (let sym = 0; sym < lengths.length; sym++) {
    const len = lengths[sym]!;
    if (!len) continue;
    const code = next[len]!++;
    let reversed = 0;
    for (let i = 0; i < len; i++) reversed |= ((code >> i) & 1) << (len - 1 - i);
    const value = ((sym < valid ? sym : INVALID) << 4) | len;
    for (let i = reversed; i < entries.length; i += 1 << len) entries[i] = value;
  }
  return { entries, bits: max };
}

const FIXED_LITERALS = table(Array.from({ length: 288 }, (_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8)), 286)!;
const FIXED_DISTANCES = table(new Array<number>(32).fill(5), 30)!;

/** Adler-32 of `data`, in runs short enough that the sums never leave 32 bits. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The stream ran out (or ended) before the image was whole. */
class Short extends Error {}
/** The image is whole and zlib, with no room left, stops here. */
class Whole extends Error {}

/** Where inflating is: the input and the bit being read, the output and the byte being written. */
interface Stream {
  input: Uint8Array;
  out: Uint8Array;
  readEnd: ReadEnd;
  /** Bits of input: all of it; once the image is whole, to the end of the read that finished it. */
  total: number;
  limit: number;
  pos: number;
  o: number;
}

/** Reads n (<= 24) bits; out of input: the image was cut short, or, once whole, zlib waits. */
function bits(s: Stream, n: number): number {
  if (s.pos + n > s.limit) throw s.o < s.out.length ? new Short() : new Whole();
  const at = s.pos >>> 3;
  const { input } = s;
  const v = (input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24)) >>> (s.pos & 7);
  s.pos += n;
  return n === 0 ? 0 : (v & ((1 << n) - 1)) >>> 0;
}

/** The next symbol of a table; a code that exists only as padding past the input is not read. */
function symbol(s: Stream, t: Table, what: string): number {
  const at = s.pos >>> 3;
  const { input } = s;
  const v = ((input[at] ?? 0) | ((input[at + 1] ?? 0) << 8) | ((input[at + 2] ?? 0) << 16) | ((input[at + 3] ?? 0) << 24)) >>> (s.pos & 7);
  const entry = t.entries[v & ((1 << t.bits) - 1)]!;
  bits(s, entry & 15);
  const sym = entry >>> 4;
  if (sym === INVALID) throw new Error(`invalid ${what} code`);
  return sym;
}

/** Once the image is whole, zlib reads only to the end of the read it is in. */
function filled(s: Stream): void {
  if (s.o === s.out.length && s.limit === s.total) s.limit = Math.min(s.total, s.readEnd(Math.max(0, (s.pos - 1) >>> 3)) * 8);
}

function zlibHeader(s: Stream): void {
  const cmf = bits(s, 8);
  const flg = bits(s, 8);
  if (((cmf << 8) | flg) % 31) throw new Error('incorrect header check');
  if ((cmf & 15) !== 8) throw new Error('unknown compression method');
  if ((cmf >> 4) + 8 > 15) throw new Error('invalid window size');
  if (flg & 0x20) throw new Error('the stream needs a preset dictionary');
}

/** A stored block, copied as far as the image needs. */
function storedBlock(s: Stream): void {
  s.pos = (s.pos + 7) & ~7;
  const len = bits(s, 16);
  if (len !== (~bits(s, 16) & 0xffff)) throw new Error('invalid stored block lengths');
  if (s.o === s.out.length && len > 0) throw new Whole();
  const take = Math.min(len, s.out.length - s.o);
  // Copied as far as the input goes: short if the block is cut before the image is whole.
  const from = s.pos >>> 3;
  const have = Math.min(take, s.input.length - from);
  s.out.set(s.input.subarray(from, from + have), s.o);
  s.o += have;
  s.pos += have * 8;
  if (have < take) throw new Short();
  filled(s);
  if (take < len) throw new Whole();
}

/** A dynamic block's literal/length and distance tables, checked as zlib checks them. */
function dynamicTables(s: Stream): [Table, Table] {
  const nlen = bits(s, 5) + 257;
  const ndist = bits(s, 5) + 1;
  const ncode = bits(s, 4) + 4;
  if (nlen > 286 || ndist > 30) throw new Error('too many length or distance symbols');
  const codeLengths = new Uint8Array(19);
  for (let i = 0; i < ncode; i++) codeLengths[CODE_ORDER[i]!] = bits(s, 3);
  const codes = codeLengths.some((l) => l > 0) ? table(codeLengths, 19, false) : null;
  if (!codes) throw new Error('invalid code lengths set');
  const lengths = new Uint8Array(nlen + ndist);
  for (let i = 0; i < lengths.length; ) {
    const sym = symbol(s, codes, 'code lengths');
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    if (sym === 16 && i === 0) throw new Error('invalid bit length repeat');
    const value = sym === 16 ? lengths[i - 1]! : 0;
    const repeat = sym === 16 ? 3 + bits(s, 2) : sym === 17 ? 3 + bits(s, 3) : 11 + bits(s, 7);
    if (i + repeat > lengths.length) throw new Error('invalid bit length repeat');
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new Error('invalid code -- missing end-of-block');
  const literals = table(lengths.subarray(0, nlen), 286);
  if (!literals) throw new Error('invalid literal/lengths set');
  const distances = table(lengths.subarray(nlen), 30);
  if (!distances) throw new Error('invalid distances set');
  return [literals, distances];
}

const read32 = (input: Uint8Array, pos: number) => {
  const at = pos >>> 3;
  return (input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24)) >>> (pos & 7);
};

/**
 * Symbols far from the input's end and the output's (a symbol with its extra bits and distance
 * takes at most 48 bits and writes at most 258 bytes), where only the codes need checking.
 * Returns true at the end of the block.
 */
function fastCodes(s: Stream, literals: Table, distances: Table): boolean {
  const { input, out, limit } = s;
  const litMask = (1 << literals.bits) - 1;
  const distMask = (1 << distances.bits) - 1;
  let { pos, o } = s;
  try {
    while (pos + 48 <= limit && out.length - o >= 258) {
      let v = read32(input, pos);
      const entry = literals.entries[v & litMask]!;
      const sym = entry >>> 4;
      pos += entry & 15;
      if (sym < 256) {
        out[o++] = sym;
        continue;
      }
      if (sym === 256) return true;
      if (sym === INVALID) throw new Error('invalid literal/length code');
      const extra = LENGTH_EXTRA[sym - 257]!;
      const length = LENGTH_BASE[sym - 257]! + ((v >>> (entry & 15)) & ((1 << extra) - 1));
      pos += extra;
      const dentry = distances.entries[read32(input, pos) & distMask]!;
      const code = dentry >>> 4;
      if (code === INVALID) throw new Error('invalid distance code');
      pos += dentry & 15;
      // Up to 13 extra bits after up to 15 of code: read again rather than overflow 32.
      v = read32(input, pos);
      const distance = DIST_BASE[code]! + (v & ((1 << DIST_EXTRA[code]!) - 1));
      pos += DIST_EXTRA[code]!;
      if (distance > o) throw new Error('invalid distance too far back');
      if (length < 32 || distance < length) {
        for (let i = 0; i < length; i++, o++) out[o] = out[o - distance]!;
      } else {
        out.copyWithin(o, o - distance, o - distance + length);
        o += length;
      }
    }
    return false;
  } finally {
    s.pos = pos;
    s.o = o;
  }
}

/** One symbol, with every check zlib makes where the input or the output may run out. */
function carefulCode(s: Stream, literals: Table, distances: Table): boolean {
  const sym = symbol(s, literals, 'literal/length');
  if (sym < 256) {
    if (s.o === s.out.length) throw new Whole();
    s.out[s.o++] = sym;
    filled(s);
    return false;
  }
  if (sym === 256) return true;
  const length = LENGTH_BASE[sym - 257]! + bits(s, LENGTH_EXTRA[sym - 257]!);
  const code = symbol(s, distances, 'distance');
  const distance = DIST_BASE[code]! + bits(s, DIST_EXTRA[code]!);
  // zlib checks the distance only when it has room to copy.
  if (s.o === s.out.length) throw new Whole();
  if (distance > s.o) throw new Error('invalid distance too far back');
  const end = Math.min(s.o + length, s.out.length);
  for (let i = s.o; i < end; i++) s.out[i] = s.out[i - distance]!;
  const copied = end - s.o;
  s.o = end;
  filled(s);
  if (copied < length) throw new Whole();
  return false;
}

function huffmanBlock(s: Stream, literals: Table, distances: Table): void {
  while (!fastCodes(s, literals, distances) && !carefulCode(s, literals, distances));
}

/**
 * Inflates the zlib stream `input` into `out`, which it fills exactly; or says why not. `readEnd`
 * gives the end of the read that held a byte, for where zlib stops once `out` is full.
 */
export function inflateInto(input: Uint8Array, out: Uint8Array, readEnd: ReadEnd): Inflated {
  const s: Stream = { input, out, readEnd, total: input.length * 8, limit: input.length * 8, pos: 0, o: 0 };
  try {
    zlibHeader(s);
    for (;;) {
      const final = bits(s, 1);
      const type = bits(s, 2);
      if (type === 0) storedBlock(s);
      else if (type === 1) huffmanBlock(s, FIXED_LITERALS, FIXED_DISTANCES);
      else if (type === 2) huffmanBlock(s, ...dynamicTables(s));
      else throw new Error('invalid block type');
      if (final) {
        s.pos = (s.pos + 7) & ~7;
        const check = ((bits(s, 8) << 24) | (bits(s, 8) << 16) | (bits(s, 8) << 8) | bits(s, 8)) >>> 0;
        if (s.o < out.length) throw new Short();
        if (check !== adler32(out)) throw new Error('incorrect data check');
        return { ok: true, end: (s.pos + 7) >>> 3 };
      }
    }
  } catch (error) {
    const end = Math.min(input.length, (s.pos + 7) >>> 3);
    if (error instanceof Whole) return { ok: true, end };
    if (error instanceof Short) return { ok: false, end, truncated: true, reason: `image file is truncated (${s.o} of ${out.length} bytes of image data)` };
    return { ok: false, end, truncated: false, reason: `broken data stream: ${(error as Error).message}` };
  }
}
