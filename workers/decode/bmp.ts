// A BMP as Pillow 9 reads it, then convert('RGB'): the same headers (OS/2 1.x's 12 bytes, Windows'
// 40, 64, 108 and 124), the same bitfield layouts and no others, the same palette rules (a grey
// ramp is read as grey levels, one byte a pixel, whatever the depth), and its RLE decoder to the
// byte, quirks included: a delta escape reads two bytes past its own, absolute runs are aligned
// on the file's position, not the pixel data's, and an image whose RLE data ends early is refused.
// Browsers decode these differently (skipped pixels transparent, other masks honoured), so BMP
// never goes to them.

export class BmpError extends Error {}

const u16 = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u32 = (b: Uint8Array, i: number) => ((b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) | ((b[i + 3] ?? 0) << 24)) >>> 0;

export interface BmpInfo {
  width: number;
  height: number;
}

interface Layout extends BmpInfo {
  headerSize: number;
  bits: number;
  compression: number;
  colors: number;
  topDown: boolean;
  offset: number;
  masks: [number, number, number, number] | null;
  paletteEntry: 3 | 4;
}

/** What Pillow's BmpImageFile._bitmap reads, or why it refuses. */
function layout(b: Uint8Array): Layout {
  if (b.length < 18) throw new BmpError('the header is cut short');
  let offset = u32(b, 10);
  const headerSize = u32(b, 14);
  if (18 + headerSize - 4 > b.length) throw new BmpError('the header is cut short');
  let width: number;
  let height: number;
  let bits: number;
  let compression = 0;
  let colors = 0;
  let topDown = false;
  let masks: Layout['masks'] = null;
  let paletteEntry: 3 | 4 = 4;
  if (headerSize === 12) {
    width = u16(b, 18);
    height = u16(b, 20);
    bits = u16(b, 24);
    paletteEntry = 3;
  } else if (headerSize === 40 || headerSize === 64 || headerSize === 108 || headerSize === 124) {
    topDown = b[25] === 0xff;
    width = u32(b, 18);
    height = topDown ? 2 ** 32 - u32(b, 22) : u32(b, 22);
    bits = u16(b, 28);
    compression = u32(b, 30);
    colors = u32(b, 46);
    if (compression === 3) {
      // Masks inside the header from 56 bytes on, or just after a 40-byte one: the same place.
      masks = [u32(b, 54), u32(b, 58), u32(b, 62), headerSize >= 56 ? u32(b, 66) : 0];
    }
  } else {
    throw new BmpError(`unsupported BMP header type (${headerSize})`);
  }
  colors = colors || 2 ** bits;
  if (offset === 14 + headerSize && bits <= 8) offset += 4 * colors;
  return { width, height, headerSize, bits, compression, colors, topDown, offset, masks, paletteEntry };
}

/** Width and height as Pillow reads them, for the limits; null where it would refuse the header. */
export function bmpInfo(b: Uint8Array): BmpInfo | null {
  try {
    const l = layout(b);
    return { width: l.width, height: l.height };
  } catch {
    return null;
  }
}

/** Pillow's raw modes of 32-bit bitfields: byte order of R, G, B in a pixel; others refused. */
const BITFIELDS_32: ReadonlyArray<[string, [number, number, number]]> = [
  ['16711680,65280,255,0', [2, 1, 0]], // BGRX
  ['4278190080,16711680,65280,0', [3, 2, 1]], // XBGR
  ['4278190080,16711680,65280,255', [3, 2, 1]], // ABGR
  ['255,65280,16711680,4278190080', [0, 1, 2]], // RGBA
  ['16711680,65280,255,4278190080', [2, 1, 0]], // BGRA
  ['0,0,0,0', [2, 1, 0]], // BGRA
];

/**
 * Pillow's BmpRleDecoder, to the byte: the pixel indices in file order, written into a buffer of
 * the image's size. `n` counts what the decoder has produced, which escapes can carry past the
 * image's end: what falls past it is dropped, never held.
 */
function rle(b: Uint8Array, start: number, width: number, height: number, rle4: boolean): Uint8Array {
  const total = width * height;
  const data = new Uint8Array(total);
  let n = 0;
  const push = (v: number) => {
    if (n < total) data[n] = v;
    n++;
  };
  let x = 0;
  let pos = start;
  const read = (count: number) => {
    const got = b.subarray(pos, Math.min(pos + count, b.length));
    pos += got.length;
    return got;
  };
  while (n < total) {
    const pair = read(2);
    if (pair.length < 2) break;
    let count = pair[0]!;
    const byte = pair[1]!;
    if (count) {
      if (x + count > width) count = Math.max(0, width - x);
      if (rle4) for (let i = 0; i < count; i++) push(i % 2 === 0 ? byte >> 4 : byte & 15);
      else for (let i = 0; i < count; i++) push(byte);
      x += count;
    } else if (byte === 0) {
      // To the end of the row: zeros, which the buffer already holds.
      n += (width - (n % width)) % width;
      x = 0;
    } else if (byte === 1) {
      break;
    } else if (byte === 2) {
      if (read(2).length < 2) break;
      const [right = 0, up = 0] = read(2);
      n += right + up * width;
      x = n % width;
    } else {
      const byteCount = rle4 ? byte >> 1 : byte;
      const got = read(byteCount);
      for (const v of got) {
        if (rle4) {
          push(v >> 4);
          push(v & 15);
        } else {
          push(v);
        }
      }
      if (got.length < byteCount) break;
      x += byte;
      if (pos % 2 !== 0) pos++;
    }
  }
  if (n < total) throw new BmpError('not enough image data');
  return data;
}

export function bmpToRgb(b: Uint8Array): { rgb: Uint8Array; width: number; height: number } {
  const l = layout(b);
  const { width, height, bits } = l;
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw new BmpError(`unsupported BMP pixel depth (${bits})`);
  // How each pixel's colour is read: a palette index, a grey level, or bytes/bitfields.
  let order: [number, number, number] = [2, 1, 0];
  let sixteen: '555' | '565' | null = bits === 16 ? '555' : null;
  if (l.compression === 3) {
    const key = l.masks!.join(',');
    const found = bits === 32 ? BITFIELDS_32.find(([k]) => k === key) : undefined;
    if (found) order = found[1];
    else if (bits === 24 && key.startsWith('16711680,65280,255,')) order = [2, 1, 0];
    else if (bits === 16 && key.startsWith('63488,2016,31,')) sixteen = '565';
    else if (bits === 16 && key.startsWith('31744,992,31,')) sixteen = '555';
    else throw new BmpError('unsupported BMP bitfields layout');
  } else if (l.compression !== 0 && l.compression !== 1 && l.compression !== 2) {
    throw new BmpError(`unsupported BMP compression (${l.compression})`);
  }
  const indexed = bits <= 8;
  if (indexed && l.compression === 3) throw new BmpError('unsupported BMP bitfields layout');
  let pal: Uint8Array | null = null;
  let grey = false;
  let binary = false;
  if (indexed) {
    if (!(l.colors > 0 && l.colors <= 65536)) throw new BmpError(`unsupported BMP palette size (${l.colors})`);
    const at = 14 + l.headerSize;
    const raw = b.subarray(at, Math.min(at + l.paletteEntry * l.colors, b.length));
    const levels = l.colors === 2 ? [0, 255] : Array.from({ length: l.colors }, (_, i) => i);
    grey = levels.every((v, i) => i * l.paletteEntry + 3 <= raw.length && raw[i * l.paletteEntry] === v && raw[i * l.paletteEntry + 1] === v && raw[i * l.paletteEntry + 2] === v);
    binary = grey && l.colors === 2;
    pal = new Uint8Array(768);
    for (let i = 0; i < 256; i++) pal[i * 3] = pal[i * 3 + 1] = pal[i * 3 + 2] = i;
    for (let i = 0; i < 256 && (i + 1) * l.paletteEntry <= raw.length; i++) {
      pal[i * 3] = raw[i * l.paletteEntry + 2]!;
      pal[i * 3 + 1] = raw[i * l.paletteEntry + 1]!;
      pal[i * 3 + 2] = raw[i * l.paletteEntry]!;
    }
  }
  const start = l.offset || 14 + l.headerSize;
  const uncompressed = l.compression !== 1 && l.compression !== 2;
  // Raw rows, four-byte aligned. Pillow reads a grey palette image as one byte a pixel (mode L)
  // whatever its depth, except the black-and-white one (mode 1): below 8 bits a row then needs
  // more bytes than the row holds, which its decoder refuses. Checked before anything the size
  // of the image is allocated.
  if (uncompressed && grey && !binary && bits < 8) throw new BmpError(`a ${bits}-bit grey palette cannot be read as one byte a pixel`);
  const stride = ((width * bits + 31) >>> 3) & ~3;
  const needed = stride * (height - 1) + Math.ceil((width * (grey && !binary ? 8 : bits)) / 8);
  if (uncompressed && height > 0 && start + needed > b.length) throw new BmpError('image file is truncated');
  const rgb = new Uint8Array(width * height * 3);
  const put = (i: number, r: number, g: number, bl: number) => {
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = bl;
  };
  // Row r of the file is image row y: bottom-up unless the height was negative.
  const rowOf = (r: number) => (l.topDown ? r : height - 1 - r);
  if (l.compression === 1 || l.compression === 2) {
    const indices = rle(b, start, width, height, l.compression === 2);
    for (let r = 0; r < height; r++) {
      const y = rowOf(r);
      for (let x = 0; x < width; x++) {
        const v = indices[r * width + x]!;
        if (grey) put(y * width + x, v, v, v);
        else put(y * width + x, pal![v * 3]!, pal![v * 3 + 1]!, pal![v * 3 + 2]!);
      }
    }
    return { rgb, width, height };
  }
  for (let r = 0; r < height; r++) {
    const row = start + r * stride;
    const y = rowOf(r);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (indexed) {
        let v: number;
        if (grey && !binary) v = b[row + x]!;
        else if (bits === 8) v = b[row + x]!;
        else v = (b[row + ((x * bits) >> 3)]! >> (8 - bits - ((x * bits) & 7))) & ((1 << bits) - 1);
        if (binary) put(i, v ? 255 : 0, v ? 255 : 0, v ? 255 : 0);
        else if (grey) put(i, v, v, v);
        else put(i, pal![v * 3]!, pal![v * 3 + 1]!, pal![v * 3 + 2]!);
      } else if (sixteen) {
        const p = u16(b, row + x * 2);
        if (sixteen === '565') put(i, Math.trunc((((p >> 11) & 31) * 255) / 31), Math.trunc((((p >> 5) & 63) * 255) / 63), Math.trunc(((p & 31) * 255) / 31));
        else put(i, Math.trunc((((p >> 10) & 31) * 255) / 31), Math.trunc((((p >> 5) & 31) * 255) / 31), Math.trunc(((p & 31) * 255) / 31));
      } else {
        const p = row + x * (bits >> 3);
        put(i, b[p + order[0]]!, b[p + order[1]]!, b[p + order[2]]!);
      }
    }
  }
  return { rgb, width, height };
}
