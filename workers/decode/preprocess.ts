// RGB pixels -> the model's input tensor, in the order and arithmetic of transformers' image
// processors: resize (Pillow), center crop, rescale (float64 then float32), normalize (float32).

import type { PreprocessSpec } from '../../src/model/preprocessor.ts';
import { resize, type Pixels } from './resample.ts';

export interface Size {
  width: number;
  height: number;
}

/** The size the resize step produces, before any crop (get_resize_output_image_size). */
export function resizeTarget(width: number, height: number, spec: PreprocessSpec): Size {
  const r = spec.resize;
  if (!r) return { width, height };
  if (r.kind === 'exact') return { width: r.width, height: r.height };
  const portrait = width <= height;
  const short = portrait ? width : height;
  const long = portrait ? height : width;
  const newLong = Math.trunc((r.shortestEdge * long) / short);
  return portrait ? { width: r.shortestEdge, height: newLong } : { width: newLong, height: r.shortestEdge };
}

/**
 * image_transforms.center_crop: top/left by floor division; a crop larger than the image pads
 * with zeros around it.
 */
export function centerCrop(rgb: Uint8Array, w: number, h: number, cw: number, ch: number): Uint8Array {
  if (cw === w && ch === h) return rgb;
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const out = new Uint8Array(cw * ch * 3);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(cw, w - left);
  for (let y = 0; y < ch; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h || x1 <= x0) continue;
    out.set(rgb.subarray((sy * w + left + x0) * 3, (sy * w + left + x1) * 3), (y * cw + x0) * 3);
  }
  return out;
}

/**
 * 256 float32 values per channel: every uint8 maps to one tensor value, so the per-pixel work is
 * a table lookup with exactly numpy's rounding.
 */
export function normalizationTable(spec: PreprocessSpec): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean ? Math.fround(spec.mean[c]!) : 0;
    const std = spec.std ? Math.fround(spec.std[c]!) : 1;
    for (let v = 0; v < 256; v++) {
      const x = spec.rescale === null ? v : Math.fround(v * spec.rescale);
      table[c * 256 + v] = spec.mean ? Math.fround(x - mean) / std : x;
    }
  }
  return table;
}

/** Decoded pixels (any size, RGB or RGBA) -> CHW float32 tensor of spec.inputWidth x spec.inputHeight. */
export function toTensor(pixels: Pixels, spec: PreprocessSpec, table = normalizationTable(spec)): Float32Array {
  const target = resizeTarget(pixels.width, pixels.height, spec);
  let w = target.width;
  let h = target.height;
  let data: Uint8Array | Uint8ClampedArray = pixels.data;
  let c = pixels.channels;
  if (w !== pixels.width || h !== pixels.height || spec.crop) {
    data = resize(pixels, w, h, spec.resample);
    c = 3;
  }
  if (spec.crop) {
    data = centerCrop(data as Uint8Array, w, h, spec.crop.width, spec.crop.height);
    w = spec.crop.width;
    h = spec.crop.height;
  }
  if (w !== spec.inputWidth || h !== spec.inputHeight) {
    throw new Error(`preprocessing produced ${w}x${h}, the model takes ${spec.inputWidth}x${spec.inputHeight}`);
  }
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0, p = 0; i < plane; i++, p += c) {
    out[i] = table[data[p]!]!;
    out[plane + i] = table[256 + data[p + 1]!]!;
    out[2 * plane + i] = table[512 + data[p + 2]!]!;
  }
  return out;
}
