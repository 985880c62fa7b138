// A PNG's rows, once inflated: filters undone, then samples to RGB as Pillow's modes convert them.

import { CorruptError } from '../codec.ts';
import { CHANNELS } from './layout.ts';

/** Undoes a row's filter in place; `prev` is the row above, unfiltered (null for a pass's first). */
export function unfilter(row: Uint8Array, prev: Uint8Array | null, filter: number, bpp: number): void {
  const n = row.length;
  if (filter === 0) return;
  if (filter > 4) throw new CorruptError('unrecognized data stream contents when reading image file');
  // The row above a pass's first row is zeros: Up adds nothing, Average and Paeth see only the left.
  if (!prev) {
    if (filter === 1 || filter === 4) for (let i = bpp; i < n; i++) row[i] = row[i]! + row[i - bpp]!;
    else if (filter === 3) for (let i = bpp; i < n; i++) row[i] = row[i]! + (row[i - bpp]! >> 1);
    return;
  }
  if (filter === 1) {
    for (let i = bpp; i < n; i++) row[i] = row[i]! + row[i - bpp]!;
  } else if (filter === 2) {
    for (let i = 0; i < n; i++) row[i] = row[i]! + prev[i]!;
  } else if (filter === 3) {
    for (let i = 0; i < bpp && i < n; i++) row[i] = row[i]! + (prev[i]! >> 1);
    for (let i = bpp; i < n; i++) row[i] = row[i]! + ((row[i - bpp]! + prev[i]!) >> 1);
  } else {
    for (let i = 0; i < bpp && i < n; i++) row[i] = row[i]! + prev[i]!;
    for (let i = bpp; i < n; i++) {
      const a = row[i - bpp]!;
      const b = prev[i]!;
      const c = prev[i - bpp]!;
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      row[i] = row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
  }
}

/** Pillow's 256-entry palette: PLTE's whole entries, then grey (i, i, i); grey throughout without one. */
export function paletteTable(plte: Uint8Array | null): Uint8Array {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) p[i * 3] = p[i * 3 + 1] = p[i * 3 + 2] = i;
  if (plte) p.set(plte.subarray(0, Math.min(768, plte.length - (plte.length % 3))));
  return p;
}

/** Writes one unfiltered row of n pixels as RGB, pixel i at rgb[at + i * step]. */
export type RowWriter = (row: Uint8Array, n: number, rgb: Uint8Array, at: number, step: number) => void;

export function rowWriter(colorType: number, depth: number, palette: Uint8Array): RowWriter {
  const channels = CHANNELS[colorType]!;
  if (depth < 8) {
    const mask = (1 << depth) - 1;
    // Palette indices as they are; grey levels scaled to 8 bits (Pillow's L;2 and L;4, and mode 1).
    const level = colorType === 3 ? (v: number) => v : (v: number) => Math.round((v * 255) / mask);
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const bit = i * depth;
        const v = level((row[bit >> 3]! >> (8 - depth - (bit & 7))) & mask);
        const p = colorType === 3 ? v * 3 : -1;
        rgb[d] = p < 0 ? v : palette[p]!;
        rgb[d + 1] = p < 0 ? v : palette[p + 1]!;
        rgb[d + 2] = p < 0 ? v : palette[p + 2]!;
      }
    };
  }
  if (colorType === 3) {
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const p = row[i]! * 3;
        rgb[d] = palette[p]!;
        rgb[d + 1] = palette[p + 1]!;
        rgb[d + 2] = palette[p + 2]!;
      }
    };
  }
  const size = (channels * depth) / 8;
  if (channels <= 2) {
    // 16-bit grey is mode "I", clipped at 255; 16-bit grey with alpha is "LA", its high byte.
    const clip = depth === 16 && channels === 1;
    return (row, n, rgb, at, step) => {
      for (let i = 0, d = at; i < n; i++, d += step) {
        const s = i * size;
        const v = clip ? (row[s]! ? 255 : row[s + 1]!) : row[s]!;
        rgb[d] = rgb[d + 1] = rgb[d + 2] = v;
      }
    };
  }
  // Colour: the high byte of each 16-bit sample.
  const sample = depth / 8;
  return (row, n, rgb, at, step) => {
    for (let i = 0, d = at; i < n; i++, d += step) {
      const s = i * size;
      rgb[d] = row[s]!;
      rgb[d + 1] = row[s + sample]!;
      rgb[d + 2] = row[s + 2 * sample]!;
    }
  };
}
