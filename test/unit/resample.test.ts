// tench's resampler against Pillow's output for every filter, up and down (fixtures made by
// test/fixtures/make_fixtures.py with Pillow).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resize, resizeRgb } from '../../workers/decode/resample.ts';
import type { Resample } from '../../src/model/preprocessor.ts';
import { FIXTURES } from '../helpers/paths.ts';

const dir = join(FIXTURES, 'resample');
const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
  cases: Array<{ source: string; width: number; height: number; out: string; outWidth: number; outHeight: number; filter: Resample }>;
};

describe('resizeRgb reproduces Pillow', () => {
  it('has cases for every filter', () => {
    expect(new Set(cases.map((c) => c.filter))).toEqual(new Set(['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos']));
  });

  for (const c of cases) {
    it(`${c.source} -> ${c.outWidth}x${c.outHeight} ${c.filter}`, () => {
      const src = new Uint8Array(readFileSync(join(dir, c.source)));
      const want = new Uint8Array(readFileSync(join(dir, c.out)));
      const got = resizeRgb(src, c.width, c.height, c.outWidth, c.outHeight, c.filter);
      expect(got.length).toBe(want.length);
      let differing = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differing++;
      expect(differing).toBe(0);
      // The same pixels as RGBA (what a canvas gives), with alpha to be ignored: the same result.
      const rgba = new Uint8Array(c.width * c.height * 4);
      for (let i = 0; i < c.width * c.height; i++) {
        rgba.set(src.subarray(i * 3, i * 3 + 3), i * 4);
        rgba[i * 4 + 3] = (i * 37) % 256;
      }
      expect(resize({ data: rgba, channels: 4, width: c.width, height: c.height }, c.outWidth, c.outHeight, c.filter)).toEqual(got);
    });
  }
});
