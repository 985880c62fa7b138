// tench's decoders in Chromium against Pillow, byte for byte: every file of the fixtures that
// Pillow reads, and JPEGs of every chroma layout and awkward size (make_fixtures.py --pixels),
// must give the SHA-256 of Image.open(path).convert('RGB').tobytes(). JPEGs come through
// WebCodecs as planes that pixels.wasm upsamples and converts as libjpeg-turbo does; PNG and
// lossless WebP as RGBA frames; GIF, BMP and the PNGs the browser would not give Pillow's pixels
// for through tench's own decoders (workers/decode/codecs); the rest through createImageBitmap.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevPage, type DevPage } from '../helpers/dev-page.ts';
import { FIXTURES } from '../helpers/paths.ts';

interface PixelRow {
  width: number;
  height: number;
  sha256: string;
}

const reference = (JSON.parse(readFileSync(join(FIXTURES, 'reference', 'pixels.json'), 'utf8')) as { images: Record<string, PixelRow> }).images;

type Prepare = typeof import('../../workers/decode/prepare.ts');
type Load = typeof import('../../workers/decode/kernels/load.ts');
type Frames = typeof import('../../workers/decode/webcodecs.ts');

describe('decoded pixels in Chromium', () => {
  let dev: DevPage;
  beforeAll(async () => {
    dev = await openDevPage();
    await dev.load('/workers/decode/prepare.ts', 'prepareModule');
    await dev.load('/workers/decode/kernels/load.ts', 'kernelsModule');
    await dev.load('/workers/decode/webcodecs.ts', 'framesModule');
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('are Pillow\'s, byte for byte, for every file Pillow reads', async () => {
    const keys = Object.keys(reference);
    expect(keys.length).toBeGreaterThanOrEqual(65);
    const got = await dev.page.evaluate(async (keys) => {
      const w = window as unknown as { prepareModule: Prepare; kernelsModule: Load; framesModule: Frames };
      const out: Record<string, { width: number; height: number; sha256: string; frames: boolean } | { error: string }> = {};
      for (const key of keys) {
        const bytes = new Uint8Array(await (await fetch(`/test/fixtures/${key}`)).arrayBuffer());
        const format = key.endsWith('.png') ? 'png' : key.endsWith('.jpg') ? 'jpeg' : null;
        const frames = format !== null && w.framesModule.framesCanDecode(format, bytes);
        const d = await w.prepareModule.decodeImage(bytes, { maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false }, w.kernelsModule.kernels);
        if (!d.ok) {
          out[key] = { error: d.reason };
          continue;
        }
        const rgb = w.prepareModule.rgbOf(d.k, d.image);
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', rgb as Uint8Array<ArrayBuffer>));
        out[key] = { width: d.image.width, height: d.image.height, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''), frames };
      }
      return out;
    }, keys);
    const differ = keys.filter((k) => {
      const g = got[k]!;
      return 'error' in g || g.sha256 !== reference[k]!.sha256 || g.width !== reference[k]!.width || g.height !== reference[k]!.height;
    });
    expect(differ.map((k) => `${k}: ${JSON.stringify(got[k])}`)).toEqual([]);
    // The WebCodecs path is the one under test for JPEG and for 8-bit PNG, not a fallback.
    const viaFrames = (prefix: string, ext: string) => keys.filter((k) => k.startsWith(prefix) && k.endsWith(ext) && (got[k] as { frames: boolean }).frames).length;
    expect(viaFrames('pixels/', '.jpg')).toBe(keys.filter((k) => k.startsWith('pixels/')).length);
    expect(viaFrames('images/png-', '.png')).toBeGreaterThanOrEqual(10);
  });

  it('makes a thumbnail that is the picture, at most 96 pixels a side', async () => {
    const result = await dev.page.evaluate(async () => {
      const w = window as unknown as { prepareModule: Prepare; kernelsModule: Load };
      const rows = [];
      for (const name of ['jpeg-baseline.jpg', 'png-rgb.png', 'png-tall.png', 'webp-lossy.webp']) {
        const bytes = new Uint8Array(await (await fetch(`/test/fixtures/images/${name}`)).arrayBuffer());
        const d = await w.prepareModule.decodeImage(bytes, { maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false }, w.kernelsModule.kernels);
        if (!d.ok) throw new Error(d.reason);
        const jpeg = w.prepareModule.thumbnailOf(d.k, d.image, 96);
        const bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const shown = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
        // What it should show: the decoded pixels reduced with Pillow's box filter.
        const box = d.k.resize(d.image, bitmap.width, bitmap.height, 'box');
        const want = d.k.view(box.ptr, box.width * box.height * 3);
        let squared = 0;
        for (let i = 0, j = 0; i < want.length; i += 3, j += 4) for (let c = 0; c < 3; c++) squared += (shown[j + c]! - want[i + c]!) ** 2;
        const psnr = 10 * Math.log10((255 * 255) / (squared / want.length));
        rows.push({ name, width: bitmap.width, height: bitmap.height, image: [d.image.width, d.image.height], bytes: jpeg.length, psnr });
      }
      return rows;
    });
    for (const r of result) {
      const [w, h] = r.image as [number, number];
      const scale = Math.min(1, 96 / Math.max(w, h));
      expect([r.width, r.height], r.name).toEqual([Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))]);
      // A JPEG of a photo at quality 85 stays well above 30 dB; a wrong colour order or a
      // shifted row would fall far below.
      expect(r.psnr, r.name).toBeGreaterThan(30);
      expect(r.bytes, r.name).toBeLessThan(8000);
    }
  });
});
