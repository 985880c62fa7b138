// How much image data a PNG of a given size holds: rows of each pass, each with its filter byte.
// What the decoder allocates, and the bound past which data is not the image's.

/** Channels by colour type; bit depths Pillow opens by colour type (its _MODES table). */
export const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
export const DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7's passes: first column and row, column and row steps. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

export interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

export function passes(width: number, height: number, interlaced: boolean): Pass[] {
  if (!interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, width: Math.ceil((width - x0) / dx), height: Math.ceil((height - y0) / dy) })).filter((p) => p.width > 0 && p.height > 0);
}

export const rowBytes = (width: number, channels: number, depth: number) => Math.ceil((width * channels * depth) / 8);

/**
 * Bytes the image data of a width x height image inflates to: each row of each pass with its
 * filter byte. Nothing a decoder needs is larger.
 */
export function imageDataBytes(width: number, height: number, depth: number, colorType: number, interlaced: boolean): number {
  const channels = CHANNELS[colorType] ?? 4;
  return passes(width, height, interlaced).reduce((n, p) => n + p.height * (1 + rowBytes(p.width, channels, depth)), 0);
}

/**
 * The most image data an encoder makes of an image that inflates to n bytes: deflate's stored
 * blocks add 5 bytes in 65535, fixed Huffman codes at worst an eighth. More than this is data the
 * image does not need (which no decoder should inflate: browser.ts keeps such files from the
 * browser's decoder).
 */
export const imageDataBound = (n: number) => n + Math.ceil(n / 8) + 1024;
