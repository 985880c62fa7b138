// Pillow's Image.resize for 8-bit RGB, reproduced step for step (libImaging/Resample.c and the
// nearest-neighbour scaling in Geometry.c), so a model sees the pixels it would see in Python.
// The browser's own scalers (canvas drawImage, createImageBitmap's resize) use other filters and
// flip low-margin labels.
//
// Input may be packed RGB or RGBA (alpha ignored, as convert('RGB') drops it): a canvas gives
// RGBA, and reading it in place saves a copy of the whole image. Output is always packed RGB.

import type { Resample } from '../../src/model/preprocessor.ts';

/** Fixed-point precision of Pillow's 8-bit passes: 32 - 8 - 2. */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_TOP = 255 << PRECISION_BITS;

export type Channels = 3 | 4;

/** Pixels as they come out of a decoder: packed RGB, or RGBA whose alpha is ignored. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  channels: Channels;
  width: number;
  height: number;
}

export interface Filter {
  support: number;
  weight(x: number): number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

// Pillow's hamming window multiplies by float constants (0.54f, 0.46f), promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

export const FILTERS: Readonly<Record<Exclude<Resample, 'nearest'>, Filter>> = Object.freeze({
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
});

interface Coefficients {
  ksize: number;
  /** Per output pixel: first input index, number of taps. */
  bounds: Int32Array;
  /** Per output pixel: ksize fixed-point weights. */
  weights: Int32Array;
}

/** precompute_coeffs + normalize_coeffs_8bpc for one axis over the whole input. */
export function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    const row = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[row + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  if (v >= CLIP_TOP) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** Horizontal pass over rows [y0, y0 + rows) of src (c channels, width w) into packed RGB. */
function horizontal(src: Pixels['data'], c: Channels, w: number, y0: number, rows: number, outW: number, k: Coefficients): Uint8Array {
  const out = new Uint8Array(outW * rows * 3);
  const { ksize, bounds, weights } = k;
  for (let y = 0; y < rows; y++) {
    const inRow = (y + y0) * w * c;
    let o = y * outW * 3;
    for (let xx = 0; xx < outW; xx++, o += 3) {
      const xmin = bounds[xx * 2]!;
      const taps = bounds[xx * 2 + 1]!;
      const kw = xx * ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      let p = inRow + xmin * c;
      // Int32 arithmetic, as Pillow's: a product is at most 255 * 2^22 and a sum stays under 2^31.
      for (let x = 0; x < taps; x++, p += c) {
        const wt = weights[kw + x]!;
        r = (r + Math.imul(src[p]!, wt)) | 0;
        g = (g + Math.imul(src[p + 1]!, wt)) | 0;
        b = (b + Math.imul(src[p + 2]!, wt)) | 0;
      }
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

/**
 * Vertical pass on packed rows (`stride` bytes each); `bounds` are relative to src's first row.
 * Rows are accumulated whole, one tap at a time, so memory is read in order.
 */
function vertical(src: Pixels['data'], c: Channels, w: number, outH: number, k: Coefficients, rowShift: number): Uint8Array {
  const stride = w * c;
  const out = new Uint8Array(w * outH * 3);
  const acc = new Int32Array(stride);
  const { ksize, bounds, weights } = k;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - rowShift;
    const taps = bounds[yy * 2 + 1]!;
    acc.fill(HALF);
    for (let y = 0; y < taps; y++) {
      const wt = weights[yy * ksize + y]!;
      if (wt === 0) continue;
      const row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] = (acc[i]! + Math.imul(src[row + i]!, wt)) | 0;
    }
    let o = yy * w * 3;
    if (c === 3) {
      for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]!);
    } else {
      for (let i = 0; i < stride; i += 4, o += 3) {
        out[o] = clip8(acc[i]!);
        out[o + 1] = clip8(acc[i + 1]!);
        out[o + 2] = clip8(acc[i + 2]!);
      }
    }
  }
  return out;
}

/**
 * Pillow's nearest-neighbour scaling (ImagingScaleAffine): pixel centres, steps accumulated in
 * doubles, and a source position that falls outside the image leaves the pixel black.
 */
function nearest(src: Pixels['data'], c: Channels, w: number, h: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * 3);
  const ax = w / outW;
  const ay = h / outH;
  const xin = new Int32Array(outW).fill(-1);
  let xo = ax * 0.5;
  for (let x = 0; x < outW; x++) {
    const xi = xo < 0 ? -1 : Math.trunc(xo);
    if (xi >= 0 && xi < w) xin[x] = xi;
    xo += ax;
  }
  let yo = ay * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    yo += ay;
    if (yi < 0 || yi >= h) continue;
    const inRow = yi * w * c;
    const outRow = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const xi = xin[x]!;
      if (xi < 0) continue;
      const p = inRow + xi * c;
      const o = outRow + x * 3;
      out[o] = src[p]!;
      out[o + 1] = src[p + 1]!;
      out[o + 2] = src[p + 2]!;
    }
  }
  return out;
}

/** Packed RGB of any pixels, with no resizing (drops alpha). */
export function toRgb(p: Pixels): Uint8Array {
  if (p.channels === 3) return p.data instanceof Uint8Array ? p.data : new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.length);
  const rgb = new Uint8Array(p.width * p.height * 3);
  for (let i = 0, j = 0; i < p.data.length; i += 4, j += 3) {
    rgb[j] = p.data[i]!;
    rgb[j + 1] = p.data[i + 1]!;
    rgb[j + 2] = p.data[i + 2]!;
  }
  return rgb;
}

/** Image.resize((outW, outH), resample) -> packed RGB. */
export function resize(p: Pixels, outW: number, outH: number, resample: Resample): Uint8Array {
  const { data, channels: c, width: w, height: h } = p;
  if (w === outW && h === outH) return toRgb(p);
  if (resample === 'nearest') return nearest(data, c, w, h, outW, outH);
  const filter = FILTERS[resample];
  const cx = coefficients(w, outW, filter);
  const cy = coefficients(h, outH, filter);
  if (outW === w) return vertical(data, c, w, outH, cy, 0);
  // Only the rows the vertical pass will read, as Pillow does.
  const first = cy.bounds[0]!;
  const last = cy.bounds[(outH - 1) * 2]! + cy.bounds[(outH - 1) * 2 + 1]!;
  const rows = horizontal(data, c, w, first, last - first, outW, cx);
  return outH === h ? rows : vertical(rows, 3, outW, outH, cy, first);
}

/** Image.resize on packed 8-bit RGB. */
export function resizeRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number, resample: Resample): Uint8Array {
  return resize({ data: src, channels: 3, width: w, height: h }, outW, outH, resample);
}
