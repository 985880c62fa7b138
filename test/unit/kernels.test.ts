// pixels.wasm against the JavaScript reference (resample.ts and preprocess.ts, themselves checked
// against Pillow by resample.test.ts): the same bytes for every filter, size, channel layout and
// window; and a build that is current with its source, flags and toolchain, which a rebuild
// reproduces byte for byte wherever that toolchain is installed.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateKernels, type Kernels } from '../../workers/decode/kernels/kernels.ts';
import { centerCrop, normalizationTable, toTensor } from '../../workers/decode/preprocess.ts';
import { resize, type Pixels } from '../../workers/decode/resample.ts';
import { parsePreprocessor } from '../../src/model/preprocessor.ts';

const DIR = join(import.meta.dirname, '..', '..', 'workers', 'decode', 'kernels');
const BUILD = join(DIR, 'build.sh');
const PINNED = readFileSync(join(DIR, 'pixels.toolchain'), 'utf8').trim();
let k: Kernels;

/** build.sh as it runs here, finding its own compiler: whatever CC says is not the pinned one's concern. */
function build(args: string[], env: Record<string, string> = {}) {
  const { CC: _, ...rest } = process.env;
  return spawnSync('sh', [BUILD, ...args], { env: { ...rest, ...env }, encoding: 'utf8' });
}

/** The toolchain build.sh finds here (null for none): the rebuild is compared only with the pinned one. */
const found = (() => {
  const r = build(['--toolchain']);
  return r.status === 0 ? r.stdout.trim() : null;
})();
const pinnedHere = found === PINNED;

beforeAll(async () => {
  k = await instantiateKernels(new WebAssembly.Module(readFileSync(join(DIR, 'pixels.wasm'))));
});

/** Deterministic pseudo-random bytes with some structure (gradients, edges, noise). */
function picture(width: number, height: number, channels: 3 | 4, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const smooth = ((x * (c + 1) * 7 + y * 3 * (2 - c)) & 255) ^ (x > width / 2 ? 0x40 : 0);
        out[(y * width + x) * channels + c] = s % 5 === 0 ? s >>> 24 : smooth;
      }
    }
  }
  return out;
}

const FILTERS = ['box', 'bilinear', 'hamming', 'bicubic', 'lanczos'] as const;

describe('pixels.wasm', () => {
  it('was built from the pixels.c, pixels.flags and pixels.toolchain beside it (workers/decode/kernels/build.sh)', () => {
    expect(k.toolchain(), 'pixels.wasm was built by another toolchain than pixels.toolchain names').toBe(PINNED);
    const digest = createHash('sha256').update(`${PINNED}\n`).update(readFileSync(join(DIR, 'pixels.flags'))).update(readFileSync(join(DIR, 'pixels.c'))).digest('hex');
    expect(k.buildDigest(), 'pixels.wasm is not current with pixels.c and pixels.flags: run workers/decode/kernels/build.sh').toBe(digest);
  });

  it.skipIf(!pinnedHere)(
    pinnedHere
      ? `rebuilds byte for byte with build.sh and ${PINNED}`
      : `rebuilds byte for byte with build.sh: skipped, as it needs ${PINNED} and found ${found ?? 'no clang'} (Debian: apt-get install clang-14 lld-14)`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tench-pixels-'));
      try {
        const out = join(dir, 'pixels.wasm');
        const r = build([], { OUT: out });
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(out).equals(readFileSync(join(DIR, 'pixels.wasm'))), 'the rebuilt pixels.wasm differs from the committed one').toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('resizes as resample.ts does: every filter, down and up, RGB, RGBA and BGRX', () => {
    const sizes: Array<[number, number, number, number]> = [
      [500, 375, 224, 224], [375, 500, 224, 224], [640, 427, 192, 192], [37, 23, 224, 224], [224, 224, 160, 160],
      [1, 1, 5, 3], [2000, 40, 224, 224], [300, 451, 256, 385], [97, 61, 97, 30], [61, 97, 30, 97], [50, 50, 50, 50],
    ];
    let compared = 0;
    for (const [w, h, ow, oh] of sizes) {
      for (const channels of [3, 4] as const) {
        for (const filter of FILTERS) {
          const data = picture(w, h, channels, w * 31 + h + channels);
          const expected = resize({ data, channels, width: w, height: h }, ow, oh, filter);
          k.reset();
          const got = k.resize(k.put(data, w, h, channels), ow, oh, filter);
          expect(Buffer.from(k.view(got.ptr, ow * oh * 3)).equals(Buffer.from(expected)), `${w}x${h} -> ${ow}x${oh} ${filter} ${channels}`).toBe(true);
          compared++;
        }
      }
      // Blue first: the same picture with its channels swapped gives the same RGB.
      const rgba = picture(w, h, 4, w + h);
      const bgrx = rgba.slice();
      for (let i = 0; i < bgrx.length; i += 4) [bgrx[i], bgrx[i + 2]] = [rgba[i + 2]!, rgba[i]!];
      k.reset();
      const got = k.resize(k.put(bgrx, w, h, 4, true), ow, oh, 'bicubic');
      expect(Buffer.from(k.view(got.ptr, ow * oh * 3)).equals(Buffer.from(resize({ data: rgba, channels: 4, width: w, height: h }, ow, oh, 'bicubic'))), `${w}x${h} BGRX`).toBe(true);
    }
    expect(compared).toBe(sizes.length * 2 * FILTERS.length);
  });

  it('computes only the window a center crop keeps, with the same bytes', () => {
    for (const [w, h, rw, rh, cw, ch] of [[500, 375, 298, 224, 224, 224], [375, 500, 256, 341, 224, 224], [640, 640, 256, 256, 224, 224], [256, 341, 256, 341, 224, 224]] as const) {
      const data = picture(w, h, 4, w ^ h);
      const full = resize({ data, channels: 4, width: w, height: h }, rw, rh, 'bicubic');
      const expected = centerCrop(full, rw, rh, cw, ch);
      const window = { x: Math.floor((rw - cw) / 2), y: Math.floor((rh - ch) / 2), width: cw, height: ch };
      k.reset();
      const got = k.resize(k.put(data, w, h, 4), rw, rh, 'bicubic', window);
      expect(Buffer.from(k.view(got.ptr, cw * ch * 3)).equals(Buffer.from(expected)), `${w}x${h} -> ${rw}x${rh} crop ${cw}x${ch}`).toBe(true);
    }
  });

  it('makes the tensor preprocess.ts makes, bit for bit', () => {
    for (const config of [
      { image_processor_type: 'ViTImageProcessor', size: { height: 224, width: 224 }, resample: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
      { image_processor_type: 'ConvNextImageProcessor', size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3 },
    ]) {
      const spec = parsePreprocessor(config);
      if (!spec.ok) throw new Error(spec.reason);
      const table = normalizationTable(spec.value);
      const pixels: Pixels = { data: picture(500, 375, 4, 7), channels: 4, width: 500, height: 375 };
      const expected = toTensor(pixels, spec.value, table);
      k.reset();
      const image = k.put(pixels.data, 500, 375, 4);
      const rgb = spec.value.crop
        ? (() => {
          const rw = Math.trunc((256 * 500) / 375);
          return k.resize(image, rw, 256, 'bicubic', { x: Math.floor((rw - 224) / 2), y: Math.floor((256 - 224) / 2), width: 224, height: 224 });
        })()
        : k.resize(image, 224, 224, 'bilinear');
      const got = k.tensor(rgb, table);
      expect(got.length).toBe(expected.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), config.image_processor_type).toBe(true);
    }
  });

  it('reduces for a thumbnail to within a level of Pillow\'s box filter, vertical pass first', () => {
    for (const [w, h, ow, oh, channels] of [[500, 375, 96, 72, 3], [375, 500, 72, 96, 4], [2000, 40, 96, 2, 3], [96, 50, 96, 50, 4]] as const) {
      const data = picture(w, h, channels, w + h);
      const expected = resize({ data, channels, width: w, height: h }, ow, oh, 'box');
      k.reset();
      const got = k.view(k.reduce(k.put(data, w, h, channels), ow, oh).ptr, ow * oh * 3);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      expect(worst, `${w}x${h} -> ${ow}x${oh}`).toBeLessThanOrEqual(1);
    }
  });

  it('encodes a JPEG that starts and ends as one, whatever the size', () => {
    for (const [w, h] of [[96, 72], [1, 1], [17, 33], [96, 96]] as const) {
      k.reset();
      const bytes = k.jpeg(k.put(picture(w, h, 3, w * h), w, h, 3), 85);
      expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
      expect([bytes.at(-2), bytes.at(-1)]).toEqual([0xff, 0xd9]);
      // The frame header says the size: SOF0 is at a fixed place after JFIF and two tables.
      const sof = bytes.indexOf(0xc0, 2);
      expect(bytes[sof - 1]).toBe(0xff);
      expect([(bytes[sof + 4]! << 8) | bytes[sof + 5]!, (bytes[sof + 6]! << 8) | bytes[sof + 7]!]).toEqual([h, w]);
    }
  });

  it('grows its memory for a large image and keeps working', () => {
    k.reset();
    const image = k.put(picture(4000, 3000, 4, 1), 4000, 3000, 4);
    const out = k.resize(image, 224, 224, 'bilinear');
    expect(k.memoryBytes()).toBeGreaterThan(48_000_000);
    const expected = resize({ data: picture(4000, 3000, 4, 1), channels: 4, width: 4000, height: 3000 }, 224, 224, 'bilinear');
    expect(Buffer.from(k.view(out.ptr, 224 * 224 * 3)).equals(Buffer.from(expected))).toBe(true);
  });
});
