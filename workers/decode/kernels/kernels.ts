// The typed face of pixels.wasm: pixels live in the module's memory from decode to tensor, so an
// image is copied in once (or decoded straight into it) and only the tensor and the thumbnail
// come out. Coefficients are computed in JavaScript by resample.ts, the reference, and the
// integer passes run in WebAssembly; the results are identical (test/unit/kernels.test.ts).

import type { Resample } from '../../../src/model/preprocessor.ts';
import { coefficients, FILTERS } from '../resample.ts';

interface Exports {
  memory: WebAssembly.Memory;
  reset(): void;
  alloc(bytes: number): number;
  build_digest(): number;
  toolchain(): number;
  ycc_to_rgb(y: number, ys: number, cb: number, cbs: number, cr: number, crs: number, w: number, h: number, hsub: number, vsub: number, rgb: number): number;
  resample_h(src: number, channels: number, bgr: number, w: number, y0: number, rows: number, bounds: number, weights: number, ksize: number, x0: number, outw: number, out: number): void;
  resample_v(src: number, stride: number, shift: number, bounds: number, weights: number, ksize: number, y0: number, outh: number, out: number): void;
  to_rgb(src: number, channels: number, bgr: number, w: number, x0: number, y0: number, cw: number, ch: number, out: number): void;
  to_tensor(rgb: number, n: number, table: number, out: number): void;
  jpeg_encode(rgb: number, w: number, h: number, quality: number, out: number, cap: number): number;
}

/** Pixels in the module's memory: packed, 3 or 4 bytes a pixel, alpha (if any) ignored. */
export interface Raster {
  ptr: number;
  width: number;
  height: number;
  channels: 3 | 4;
  /** Stored blue first (BGRX, as video frames often are). */
  bgr: boolean;
}

/** The part of the resized image a center crop keeps. */
export interface CropWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One plane of a planar frame, where it lies in the module's memory. */
export interface Plane {
  ptr: number;
  stride: number;
}

export interface Kernels {
  /** Forgets every image and buffer: call before each image. */
  reset(): void;
  alloc(bytes: number): number;
  /** A view of the module's memory (valid until the next allocation). */
  view(ptr: number, length: number): Uint8Array;
  /** Copies bytes in; where they are. */
  copyIn(data: Uint8Array): number;
  /** Copies decoded pixels in. */
  put(data: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 3 | 4, bgr?: boolean): Raster;
  /** A JPEG's Y, Cb, Cr planes (chroma at 1/hsub x 1/vsub) -> RGB, as libjpeg-turbo makes it. */
  yccToRgb(y: Plane, cb: Plane, cr: Plane, width: number, height: number, hsub: 1 | 2, vsub: 1 | 2): Raster;
  /** Image.resize((width, height), filter) as Pillow does it, then the part `crop` keeps, as packed RGB. */
  resize(image: Raster, width: number, height: number, filter: Exclude<Resample, 'nearest'>, crop?: CropWindow): Raster;
  /** Packed RGB -> CHW float32 through a 3 x 256 table, into `into` when it has the size. */
  tensor(rgb: Raster, table: Float32Array, into?: Float32Array): Float32Array;
  /**
   * A small picture of the image: Pillow's box filter, but vertical pass first, so the
   * horizontal one runs on the few output rows (not Pillow's bytes to the letter: it need not be).
   */
  reduce(image: Raster, width: number, height: number): Raster;
  /** Packed RGB -> baseline JPEG bytes. */
  jpeg(rgb: Raster, quality: number): Uint8Array;
  /** The SHA-256 build.sh embedded: of the compiler's version line, pixels.flags and pixels.c. */
  buildDigest(): string;
  /** The version line of the compiler that built the module. */
  toolchain(): string;
  memoryBytes(): number;
}

type Coefficients = ReturnType<typeof coefficients>;

/** The module's exports with the allocation helpers every kernel call needs. */
interface Heap {
  x: Exports;
  bytes(): Uint8Array;
  alloc(n: number): number;
  /** Int32s copied in; where they are. */
  putInts(a: Int32Array): number;
  coeffs(inSize: number, outSize: number, filter: Exclude<Resample, 'nearest'>): Coefficients;
}

/**
 * A copy that owns its buffer (to be transferred). Not TypedArray.prototype.slice, which
 * Chromium's V8 runs about ten times slower than allocating and setting (0.35 against 0.05 ms
 * for a 224x224 tensor).
 */
function copyOut<T extends Uint8Array | Float32Array>(view: T): T {
  const copy = new (view.constructor as new (length: number) => T)(view.length);
  copy.set(view);
  return copy;
}

function heapOf(x: Exports): Heap {
  const alloc = (n: number) => {
    const ptr = x.alloc(n);
    if (!ptr) throw new Error(`out of memory for ${n} bytes of pixels`);
    return ptr;
  };
  // Most datasets hold a few sizes; their coefficients are computed once.
  const cache = new Map<string, Coefficients>();
  return {
    x,
    bytes: () => new Uint8Array(x.memory.buffer),
    alloc,
    putInts(a) {
      const ptr = alloc(a.byteLength);
      new Int32Array(x.memory.buffer, ptr, a.length).set(a);
      return ptr;
    },
    coeffs(inSize, outSize, filter) {
      const key = `${inSize}/${outSize}/${filter}`;
      let c = cache.get(key);
      if (!c) {
        if (cache.size > 64) cache.clear();
        c = coefficients(inSize, outSize, FILTERS[filter]);
        cache.set(key, c);
      }
      return c;
    },
  };
}

function resize(h: Heap, image: Raster, width: number, height: number, filter: Exclude<Resample, 'nearest'>, crop: CropWindow): Raster {
  const { x, alloc, putInts } = h;
  const { width: w, height: ih } = image;
  const out: Raster = { ptr: alloc(crop.width * crop.height * 3), width: crop.width, height: crop.height, channels: 3, bgr: false };
  if (w === width && ih === height) {
    x.to_rgb(image.ptr, image.channels, image.bgr ? 1 : 0, w, crop.x, crop.y, crop.width, crop.height, out.ptr);
    return out;
  }
  const cy = h.coeffs(ih, height, filter);
  if (w === width) {
    // No horizontal pass (Pillow skips it): the vertical one reads packed RGB.
    const rgb = image.channels === 3 && !image.bgr ? image.ptr : alloc(w * ih * 3);
    if (rgb !== image.ptr) x.to_rgb(image.ptr, image.channels, image.bgr ? 1 : 0, w, 0, 0, w, ih, rgb);
    const full = alloc(w * crop.height * 3);
    x.resample_v(rgb, w * 3, 0, putInts(cy.bounds), putInts(cy.weights), cy.ksize, crop.y, crop.height, full);
    x.to_rgb(full, 3, 0, w, crop.x, 0, crop.width, crop.height, out.ptr);
    return out;
  }
  const cx = h.coeffs(w, width, filter);
  const xb = putInts(cx.bounds);
  const xw = putInts(cx.weights);
  if (ih === height) {
    x.resample_h(image.ptr, image.channels, image.bgr ? 1 : 0, w, crop.y, crop.height, xb, xw, cx.ksize, crop.x, crop.width, out.ptr);
    return out;
  }
  // Only the rows the vertical taps of the kept part read, as Pillow reads only those its output needs.
  const last = crop.y + crop.height - 1;
  const first = cy.bounds[crop.y * 2]!;
  const end = cy.bounds[last * 2]! + cy.bounds[last * 2 + 1]!;
  const rows = alloc(crop.width * (end - first) * 3);
  x.resample_h(image.ptr, image.channels, image.bgr ? 1 : 0, w, first, end - first, xb, xw, cx.ksize, crop.x, crop.width, rows);
  x.resample_v(rows, crop.width * 3, first, putInts(cy.bounds), putInts(cy.weights), cy.ksize, crop.y, crop.height, out.ptr);
  return out;
}

function reduce(h: Heap, image: Raster, width: number, height: number): Raster {
  const { x, alloc, putInts } = h;
  const { width: w, height: ih, channels } = image;
  const out: Raster = { ptr: alloc(width * height * 3), width, height, channels: 3, bgr: false };
  if (w === width && ih === height) {
    x.to_rgb(image.ptr, channels, image.bgr ? 1 : 0, w, 0, 0, w, ih, out.ptr);
    return out;
  }
  const cy = h.coeffs(ih, height, 'box');
  const rows = alloc(w * height * channels);
  x.resample_v(image.ptr, w * channels, 0, putInts(cy.bounds), putInts(cy.weights), cy.ksize, 0, height, rows);
  const cx = h.coeffs(w, width, 'box');
  x.resample_h(rows, channels, image.bgr ? 1 : 0, w, 0, height, putInts(cx.bounds), putInts(cx.weights), cx.ksize, 0, width, out.ptr);
  return out;
}

function tensor(h: Heap, rgb: Raster, table: Float32Array, into?: Float32Array): Float32Array {
  const { x, alloc } = h;
  const n = rgb.width * rgb.height;
  const t = alloc(table.byteLength);
  new Float32Array(x.memory.buffer, t, table.length).set(table);
  const out = alloc(n * 12);
  x.to_tensor(rgb.ptr, n, t, out);
  const result = new Float32Array(x.memory.buffer, out, n * 3);
  if (into?.length !== n * 3) return copyOut(result);
  into.set(result);
  return into;
}

function jpeg(h: Heap, rgb: Raster, quality: number): Uint8Array {
  // Far more than a baseline JPEG of any quality takes: headers plus 8 bytes a pixel.
  const cap = 1024 + rgb.width * rgb.height * 8;
  const out = h.alloc(cap);
  const length = h.x.jpeg_encode(rgb.ptr, rgb.width, rgb.height, quality, out, cap);
  if (!length) throw new Error('the thumbnail did not fit its buffer');
  return copyOut(h.bytes().subarray(out, out + length));
}

/** The NUL-terminated text at `ptr`. */
function text(h: Heap, ptr: number): string {
  const bytes = h.bytes();
  const end = bytes.indexOf(0, ptr);
  return new TextDecoder().decode(bytes.subarray(ptr, end));
}

export function kernelsFrom(instance: WebAssembly.Instance): Kernels {
  const x = instance.exports as unknown as Exports;
  const h = heapOf(x);
  return {
    reset: () => x.reset(),
    alloc: h.alloc,
    view: (ptr, length) => new Uint8Array(x.memory.buffer, ptr, length),
    copyIn(data) {
      const ptr = h.alloc(data.byteLength);
      h.bytes().set(data, ptr);
      return ptr;
    },
    put(data, width, height, channels, bgr = false) {
      const ptr = h.alloc(width * height * channels);
      h.bytes().set(data.subarray(0, width * height * channels), ptr);
      return { ptr, width, height, channels, bgr };
    },
    yccToRgb(y, cb, cr, width, height, hsub, vsub) {
      const ptr = h.alloc(width * height * 3);
      if (!x.ycc_to_rgb(y.ptr, y.stride, cb.ptr, cb.stride, cr.ptr, cr.stride, width, height, hsub, vsub, ptr)) throw new Error('out of memory for the chroma rows');
      return { ptr, width, height, channels: 3, bgr: false };
    },
    resize: (image, width, height, filter, crop = { x: 0, y: 0, width, height }) => resize(h, image, width, height, filter, crop),
    reduce: (image, width, height) => reduce(h, image, width, height),
    tensor: (rgb, table, into) => tensor(h, rgb, table, into),
    jpeg: (rgb, quality) => jpeg(h, rgb, quality),
    buildDigest: () => text(h, x.build_digest()),
    toolchain: () => text(h, x.toolchain()),
    memoryBytes: () => x.memory.buffer.byteLength,
  };
}

export async function instantiateKernels(module: WebAssembly.Module): Promise<Kernels> {
  return kernelsFrom(await WebAssembly.instantiate(module, {}));
}
