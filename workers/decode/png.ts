// PNG -> RGB exactly as Pillow's Image.open(...).convert('RGB'): alpha dropped with the stored
// colour kept (a canvas would premultiply it away), palettes expanded, low bit depths scaled,
// 16-bit colour reduced to its high byte, and 16-bit grey clipped at 255 (Pillow opens it as
// mode "I", whose conversion to RGB clips rather than scales).

import { decode } from 'fast-png';

/** Sample i (row-major) of a PNG image whose rows are packed at `depth` < 8 bits. */
function packedReader(data: ArrayLike<number>, width: number, depth: number): (i: number) => number {
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  return (i) => {
    const y = Math.floor(i / width);
    const bit = (i - y * width) * depth;
    return (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
  };
}

export function pngToRgb(bytes: Uint8Array): { rgb: Uint8Array; width: number; height: number } {
  const png = decode(bytes);
  const { width, height, channels, depth } = png;
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  const data = png.data;
  // Below 8 bits (one channel only: grey or palette) rows are packed.
  const at = depth < 8 ? packedReader(data, width, depth) : (i: number) => data[i]!;

  if (png.palette) {
    const palette = png.palette;
    for (let i = 0; i < n; i++) {
      const entry = palette[at(i)] ?? [0, 0, 0];
      rgb[i * 3] = entry[0]!;
      rgb[i * 3 + 1] = entry[1]!;
      rgb[i * 3 + 2] = entry[2]!;
    }
    return { rgb, width, height };
  }

  // One sample -> 8 bits, as Pillow's unpackers do for this depth and colour type.
  const grey = channels <= 2;
  const sample =
    depth === 16 ? (grey && channels === 1 ? (v: number) => (v > 255 ? 255 : v) : (v: number) => v >>> 8)
      : depth === 8 ? (v: number) => v
        : (v: number) => Math.round((v * 255) / ((1 << depth) - 1));
  for (let i = 0; i < n; i++) {
    if (grey) {
      const v = sample(at(i * channels));
      rgb[i * 3] = v;
      rgb[i * 3 + 1] = v;
      rgb[i * 3 + 2] = v;
    } else {
      const p = i * channels;
      rgb[i * 3] = sample(data[p]!);
      rgb[i * 3 + 1] = sample(data[p + 1]!);
      rgb[i * 3 + 2] = sample(data[p + 2]!);
    }
  }
  return { rgb, width, height };
}
