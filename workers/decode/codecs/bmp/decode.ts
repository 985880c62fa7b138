// A BMP as Pillow 9 reads it, then convert('RGB'): the same bitfield layouts and no others, the
// same palette rules (a grey ramp is read as grey levels, one byte a pixel, whatever the depth),
// and its RLE decoder (rle.ts). Browsers decode these differently (skipped pixels transparent,
// other masks honoured), so BMP never goes to them.

import { u16le } from '../bytes.ts';
import { CorruptError, type Rgb } from '../codec.ts';
import { layout, type Layout } from './header.ts';
import { rle } from './rle.ts';

/** Pillow's raw modes of 32-bit bitfields: byte order of R, G, B in a pixel; others refused. */
const BITFIELDS_32: ReadonlyArray<[string, [number, number, number]]> = [
  ['16711680,65280,255,0', [2, 1, 0]], // BGRX
  ['4278190080,16711680,65280,0', [3, 2, 1]], // XBGR
  ['4278190080,16711680,65280,255', [3, 2, 1]], // ABGR
  ['255,65280,16711680,4278190080', [0, 1, 2]], // RGBA
  ['16711680,65280,255,4278190080', [2, 1, 0]], // BGRA
  ['0,0,0,0', [2, 1, 0]], // BGRA
];

/** How a pixel of 16 bits or more is read: the byte order of R, G and B, or a 16-bit layout. */
interface Direct {
  order: [number, number, number];
  sixteen: '555' | '565' | null;
}

function directLayout(l: Layout): Direct {
  let order: [number, number, number] = [2, 1, 0];
  let sixteen: Direct['sixteen'] = l.bits === 16 ? '555' : null;
  if (l.compression === 3) {
    const key = l.masks!.join(',');
    const found = l.bits === 32 ? BITFIELDS_32.find(([k]) => k === key) : undefined;
    if (found) order = found[1];
    else if (l.bits === 24 && key.startsWith('16711680,65280,255,')) order = [2, 1, 0];
    else if (l.bits === 16 && key.startsWith('63488,2016,31,')) sixteen = '565';
    else if (l.bits === 16 && key.startsWith('31744,992,31,')) sixteen = '555';
    else throw new CorruptError('unsupported BMP bitfields layout');
  } else if (l.compression !== 0 && l.compression !== 1 && l.compression !== 2) {
    throw new CorruptError(`unsupported BMP compression (${l.compression})`);
  }
  return { order, sixteen };
}

/** How an indexed pixel is read: through the palette, as a grey level (mode L) or black and white (mode 1). */
interface Colours {
  pal: Uint8Array;
  grey: boolean;
  binary: boolean;
}

function colours(b: Uint8Array, l: Layout): Colours {
  if (!(l.colors > 0 && l.colors <= 65536)) throw new CorruptError(`unsupported BMP palette size (${l.colors})`);
  const at = 14 + l.headerSize;
  const raw = b.subarray(at, Math.min(at + l.paletteEntry * l.colors, b.length));
  const levels = l.colors === 2 ? [0, 255] : Array.from({ length: l.colors }, (_, i) => i);
  const grey = levels.every((v, i) => i * l.paletteEntry + 3 <= raw.length && raw[i * l.paletteEntry] === v && raw[i * l.paletteEntry + 1] === v && raw[i * l.paletteEntry + 2] === v);
  const pal = new Uint8Array(768);
  for (let i = 0; i < 256; i++) pal[i * 3] = pal[i * 3 + 1] = pal[i * 3 + 2] = i;
  for (let i = 0; i < 256 && (i + 1) * l.paletteEntry <= raw.length; i++) {
    pal[i * 3] = raw[i * l.paletteEntry + 2]!;
    pal[i * 3 + 1] = raw[i * l.paletteEntry + 1]!;
    pal[i * 3 + 2] = raw[i * l.paletteEntry]!;
  }
  return { pal, grey, binary: grey && l.colors === 2 };
}

type Put = (i: number, r: number, g: number, b: number) => void;

function putter(rgb: Uint8Array): Put {
  return (i, r, g, bl) => {
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = bl;
  };
}

/** Row r of the file is image row y: bottom-up unless the height was negative. */
const rowOf = (l: Layout, r: number) => (l.topDown ? r : l.height - 1 - r);

/** RLE data of any depth is read as palette indices: past 8 bits there is no palette, and the first pixel fails. */
function fromRle(b: Uint8Array, l: Layout, start: number, c: Colours | null, put: Put): void {
  const { width, height } = l;
  const indices = rle(b, start, width, height, l.compression === 2);
  const pal = c?.pal ?? null;
  for (let r = 0; r < height; r++) {
    const y = rowOf(l, r);
    for (let x = 0; x < width; x++) {
      const v = indices[r * width + x]!;
      if (c?.grey) put(y * width + x, v, v, v);
      else put(y * width + x, pal![v * 3]!, pal![v * 3 + 1]!, pal![v * 3 + 2]!);
    }
  }
}

function fromRows(b: Uint8Array, l: Layout, start: number, stride: number, c: Colours | null, d: Direct, put: Put): void {
  const { width, height, bits } = l;
  for (let r = 0; r < height; r++) {
    const row = start + r * stride;
    const y = rowOf(l, r);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (c) {
        let v: number;
        if (c.grey && !c.binary) v = b[row + x]!;
        else if (bits === 8) v = b[row + x]!;
        else v = (b[row + ((x * bits) >> 3)]! >> (8 - bits - ((x * bits) & 7))) & ((1 << bits) - 1);
        if (c.binary) put(i, v ? 255 : 0, v ? 255 : 0, v ? 255 : 0);
        else if (c.grey) put(i, v, v, v);
        else put(i, c.pal[v * 3]!, c.pal[v * 3 + 1]!, c.pal[v * 3 + 2]!);
      } else if (d.sixteen) {
        const p = u16le(b, row + x * 2);
        if (d.sixteen === '565') put(i, Math.trunc((((p >> 11) & 31) * 255) / 31), Math.trunc((((p >> 5) & 63) * 255) / 63), Math.trunc(((p & 31) * 255) / 31));
        else put(i, Math.trunc((((p >> 10) & 31) * 255) / 31), Math.trunc((((p >> 5) & 31) * 255) / 31), Math.trunc(((p & 31) * 255) / 31));
      } else {
        const p = row + x * (bits >> 3);
        put(i, b[p + d.order[0]]!, b[p + d.order[1]]!, b[p + d.order[2]]!);
      }
    }
  }
}

export function bmpToRgb(b: Uint8Array): Rgb {
  const l = layout(b);
  const { width, height, bits } = l;
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw new CorruptError(`unsupported BMP pixel depth (${bits})`);
  const direct = directLayout(l);
  const indexed = bits <= 8;
  if (indexed && l.compression === 3) throw new CorruptError('unsupported BMP bitfields layout');
  const c = indexed ? colours(b, l) : null;
  const grey = c?.grey ?? false;
  const binary = c?.binary ?? false;
  const start = l.offset || 14 + l.headerSize;
  const uncompressed = l.compression !== 1 && l.compression !== 2;
  // Raw rows, four-byte aligned. Pillow reads a grey palette image as one byte a pixel (mode L)
  // whatever its depth, except the black-and-white one (mode 1): below 8 bits a row then needs
  // more bytes than the row holds, which its decoder refuses. Checked before anything the size
  // of the image is allocated.
  if (uncompressed && grey && !binary && bits < 8) throw new CorruptError(`a ${bits}-bit grey palette cannot be read as one byte a pixel`);
  const stride = ((width * bits + 31) >>> 3) & ~3;
  const needed = stride * (height - 1) + Math.ceil((width * (grey && !binary ? 8 : bits)) / 8);
  if (uncompressed && height > 0 && start + needed > b.length) throw new CorruptError('image file is truncated');
  const rgb = new Uint8Array(width * height * 3);
  if (uncompressed) fromRows(b, l, start, stride, c, direct, putter(rgb));
  else fromRle(b, l, start, c, putter(rgb));
  return { rgb, width, height };
}
