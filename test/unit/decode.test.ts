// The pure parts of decoding, in Node: headers, completeness, EXIF orientation, PNG samples.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jpegScale } from '../../workers/decode/codecs/jpeg/codec.ts';
import { jpegComplete } from '../../workers/decode/codecs/jpeg/complete.ts';
import { withoutOrientation } from '../../workers/decode/codecs/jpeg/exif.ts';
import { pngToRgb } from '../../workers/decode/codecs/png/decode.ts';
import { readHeader, sniffFormat } from '../../workers/decode/codecs/registry.ts';
import { webpComplete } from '../../workers/decode/codecs/webp/codec.ts';
import { applyOrientation } from '../../workers/decode/orientation.ts';
import { undecodableReason } from '../../workers/decode/undecodable.ts';
import { FIXTURES } from '../helpers/paths.ts';
import { loadReference } from '../helpers/reference.ts';

const image = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, 'images', name)));
const reference = loadReference('tench-tiny-vit').images;

describe('readHeader', () => {
  it('reads every readable fixture\'s size as Pillow does', () => {
    let checked = 0;
    for (const [key, ref] of Object.entries(reference)) {
      if (!key.startsWith('images/') || !ref.readable) continue;
      const bytes = image(key.slice('images/'.length));
      const format = sniffFormat(bytes);
      expect(format, key).not.toBeNull();
      const header = readHeader(bytes, format!);
      expect(header && [header.width, header.height], key).toEqual([ref.width, ref.height]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it('finds the EXIF orientation of a JPEG', () => {
    const bytes = image('jpeg-exif-rotate-6.jpg');
    expect(readHeader(bytes, 'jpeg')).toMatchObject({ orientation: 6, orientationAt: { littleEndian: true } });
    expect(readHeader(image('jpeg-baseline.jpg'), 'jpeg')).toMatchObject({ orientation: 1, orientationAt: null });
    const neutral = withoutOrientation(bytes, readHeader(bytes, 'jpeg')!);
    expect(readHeader(neutral, 'jpeg')!.orientation).toBe(1);
    expect(readHeader(bytes, 'jpeg')!.orientation).toBe(6); // the original is untouched
  });

  it('tells whether WebP files carry alpha', () => {
    expect(readHeader(image('webp-alpha.webp'), 'webp')!.alpha).toBe(true);
    expect(readHeader(image('webp-lossy.webp'), 'webp')!.alpha).toBe(false);
  });
});

describe('broken files', () => {
  it('knows a whole JPEG from a cut one', () => {
    for (const name of ['jpeg-baseline.jpg', 'jpeg-progressive.jpg', 'jpeg-exif-rotate-6.jpg', 'jpeg-huge-12000.jpg']) {
      const bytes = image(name);
      expect(jpegComplete(bytes), name).toBe(true);
      expect(jpegComplete(bytes.subarray(0, bytes.length - 100)), `${name} cut`).toBe(false);
    }
    expect(jpegComplete(image('jpeg-truncated.jpg'))).toBe(false);
  });

  it('knows a whole WebP from a cut one', () => {
    const bytes = image('webp-lossy.webp');
    expect(webpComplete(bytes)).toBe(true);
    expect(webpComplete(bytes.subarray(0, 1000))).toBe(false);
  });

  it('says what a file is when it is not an image', () => {
    expect(undecodableReason(new Uint8Array())).toBe('empty file (0 bytes)');
    expect(undecodableReason(image('text-named.jpg'))).toBe('not an image: the file is text');
    expect(undecodableReason(image('random-bytes.png'))).toBe('not an image: unknown format');
    expect(undecodableReason(image('png-truncated.png'))).toMatch(/^corrupt or truncated PNG/);
    const text = (t: string) => new TextEncoder().encode(t);
    expect(undecodableReason(new Uint8Array([0xff, 0xd8]))).toBe('truncated JPEG: it ends after 2 bytes');
    expect(undecodableReason(text('<?xml version="1.0"?>\n<!-- x -->\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('not an image tench decodes: the file is an SVG drawing');
    expect(undecodableReason(text('<!DOCTYPE html><html><script>alert(1)</script>'))).toBe('not an image: the file is an HTML page');
    // A character cut by the window read is still text.
    expect(undecodableReason(text(`${'a'.repeat(511)}é and more`))).toBe('not an image: the file is text');
  });
});

describe('applyOrientation', () => {
  const cases = JSON.parse(readFileSync(join(FIXTURES, 'orientation', 'orientation.json'), 'utf8')) as Record<string, { width: number; height: number; rgb: number[] }>;
  const source = cases.source!;
  for (const o of [2, 3, 4, 5, 6, 7, 8]) {
    it(`turns orientation ${o} as Pillow's exif_transpose does`, () => {
      const got = applyOrientation(new Uint8Array(source.rgb), source.width, source.height, o);
      const want = cases[String(o)]!;
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      expect(Array.from(got.rgb)).toEqual(want.rgb);
    });
  }
});

describe('pngToRgb', () => {
  it('clips 16-bit grey at 255 and takes the high byte of 16-bit colour, as Pillow does', () => {
    const grey = pngToRgb(image('png-16bit-gray.png'));
    // Rows 0..49 hold values far above 255: Pillow's mode "I" -> RGB clips them to white.
    expect(grey.rgb.subarray(0, 200 * 3).every((v) => v === 255)).toBe(true);
    expect(grey.rgb.subarray(60 * 200 * 3).some((v) => v < 255)).toBe(true);
    const colour = pngToRgb(image('png-16bit-rgb.png'));
    expect(colour.width * colour.height * 3).toBe(colour.rgb.length);
  });

  it('unpacks 1- and 4-bit rows', () => {
    const bits = pngToRgb(image('png-1bit.png'));
    expect(new Set(bits.rgb)).toEqual(new Set([0, 255]));
    expect(pngToRgb(image('png-palette-4bit.png')).rgb.length).toBe(240 * 160 * 3);
  });
});

describe('jpegScale', () => {
  it('picks the gentlest libjpeg scale that fits the budget', () => {
    expect(jpegScale(4000, 3000, 64e6)).toBe(1);
    expect(jpegScale(12000, 12000, 64e6)).toBe(2);
    expect(jpegScale(12000, 12000, 2.25e6)).toBe(8);
    expect(jpegScale(100000, 100000, 1e6)).toBeNull();
  });
});
