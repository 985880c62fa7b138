// Decoding in the real browser, module by module: what the parity test cannot see.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevPage, type DevPage } from '../helpers/dev-page.ts';

describe('decodeRgb in Chromium', () => {
  let dev: DevPage;
  beforeAll(async () => {
    dev = await openDevPage();
    await dev.load('/workers/decode/decode.ts', 'decodeModule');
  });
  afterAll(async () => {
    await dev?.close();
  });

  const decode = (name: string, options: Record<string, unknown> = {}) =>
    dev.page.evaluate(async ([name, options]) => {
      const { decodeRgb } = (window as unknown as { decodeModule: typeof import('../../workers/decode/decode.ts') }).decodeModule;
      const bytes = new Uint8Array(await (await fetch(`/test/fixtures/images/${name}`)).arrayBuffer());
      const d = await decodeRgb(bytes, { maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false, ...options });
      return d.ok ? { ok: true, width: d.width, height: d.height, reduced: d.reduced, head: Array.from(d.data.subarray(0, 3)) } : d;
    }, [name, options] as const);

  it('decodes a 144-megapixel JPEG at a reduced size, within the budget', async () => {
    expect(await decode('jpeg-huge-12000.jpg')).toMatchObject({ ok: true, width: 3000, height: 3000, reduced: true });
    expect(await decode('jpeg-baseline.jpg')).toMatchObject({ ok: true, width: 451, height: 300, reduced: false });
  });

  it('refuses what is over the pixel limit by its header, before decoding', async () => {
    expect(await decode('jpeg-huge-12000.jpg', { maxPixels: 100e6 })).toEqual({
      ok: false, tooLarge: true, reason: '12000x12000 JPEG is over the 100000000-pixel limit',
    });
    expect(await decode('png-rgb.png', { fullDecodePixels: 1000 })).toMatchObject({ ok: false, tooLarge: true, reason: expect.stringContaining('PNG is too large') });
  });

  it('keeps the stored colour of fully transparent pixels, as convert("RGB") does', async () => {
    // png-rgba.png: the first 64 columns have alpha 0 over the astronaut's colours.
    const png = await decode('png-rgba.png');
    expect(png).toMatchObject({ ok: true });
    expect((png as { head: number[] }).head.some((v) => v > 0)).toBe(true);
  });

  it('turns an EXIF-rotated JPEG only when asked', async () => {
    expect(await decode('jpeg-exif-rotate-6.jpg')).toMatchObject({ width: 300, height: 451 });
    expect(await decode('jpeg-exif-rotate-6.jpg', { applyExifOrientation: true })).toMatchObject({ width: 451, height: 300 });
  });
});
