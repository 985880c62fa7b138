// What the decoders allocate is bounded by what the image truly needs, checked before allocating:
// the PNG inflater fills the image's buffer and stops where Pillow stops, a GIF is sized by its
// first frame, and files the browser's decoder would inflate without end go to tench's own PNG decoder instead.

import { constants, crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TooLargeError } from '../../workers/decode/codecs/codec.ts';
import { pngFitsBrowser } from '../../workers/decode/codecs/png/browser.ts';
import { pngToRgb } from '../../workers/decode/codecs/png/decode.ts';
import { imageDataBound, imageDataBytes } from '../../workers/decode/codecs/png/layout.ts';
import { readHeader } from '../../workers/decode/codecs/registry.ts';
import { decodeRgb } from '../../workers/decode/decode.ts';
import { adler32, inflateInto } from '../../workers/decode/inflate.ts';
import { inspect } from '../../workers/decode/inspect.ts';
import { bombGif, bombPng, cleanPng, imageDataSize, type PngSpec } from '../helpers/bombs.ts';

const LIMITS = { maxPixels: 1_000_000_000, fullDecodePixels: 24_000_000, applyExifOrientation: false };
const GREY16: PngSpec = { width: 16, height: 16, depth: 16, colorType: 0 };
const RGB16: PngSpec = { width: 16, height: 16, depth: 16, colorType: 2 };

/** mulberry32: the same bytes on every machine. */
function seeded(seed: number, n: number, spread: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) % spread) + (i % 7 === 0 ? 100 : 0);
  }
  return out;
}

const whole = (z: Uint8Array) => () => z.length;

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, body, crc]);
}

/** The image data of a PNG: its IDAT chunks' contents, end to end. */
function idatOf(png: Buffer): Uint8Array {
  const parts: Buffer[] = [];
  for (let pos = 8; pos + 12 <= png.length; pos += 12 + png.readUInt32BE(pos)) {
    if (png.toString('latin1', pos + 4, pos + 8) === 'IDAT') parts.push(png.subarray(pos + 8, pos + 8 + png.readUInt32BE(pos)));
  }
  return new Uint8Array(Buffer.concat(parts));
}

describe('inflateInto', () => {
  it('inflates what zlib deflates, with every block type, into exactly the size asked', () => {
    const strategies = [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FILTERED];
    let checked = 0;
    for (const [i, n] of [1, 100, 5000, 70_000].entries()) {
      for (const spread of [2, 40, 256]) {
        const data = seeded(i * 31 + spread, n, spread);
        for (const [s, strategy] of strategies.entries()) {
          for (const level of [0, 1, 9]) {
            const z = new Uint8Array(deflateSync(data, { level, strategy }));
            const out = new Uint8Array(n);
            expect(inflateInto(z, out, whole(z)), `${n} ${spread} ${s} ${level}`).toMatchObject({ ok: true });
            expect(Buffer.compare(Buffer.from(out), Buffer.from(data)), `${n} ${spread} ${s} ${level}`).toBe(0);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(180);
  });

  it('stops at the end of the image: 2 GiB of further zeros are never read', () => {
    const file = bombPng(RGB16, 2048);
    expect(file.length).toBeLessThan(3_000_000);
    const stream = idatOf(file);
    const out = new Uint8Array(imageDataSize(RGB16));
    const done = inflateInto(stream, out, (at) => Math.min(stream.length, (Math.floor(at / 65_536) + 1) * 65_536));
    expect(done).toMatchObject({ ok: true });
    // zlib went on to the next code past the image, in the first 64 KB read, and no further.
    expect((done as { end: number }).end).toBeLessThan(imageDataSize(RGB16) + 2000);
    // The PNG decoder does not even get that far: the data is more than the image can need.
    expect(() => pngToRgb(new Uint8Array(file))).toThrow(TooLargeError);
  });

  it('says a stream that ends early is truncated, and one that breaks is broken', () => {
    const data = seeded(5, 10_000, 256);
    const z = new Uint8Array(deflateSync(data));
    expect(inflateInto(z.subarray(0, 2000), new Uint8Array(10_000), () => 2000)).toMatchObject({ ok: false, truncated: true });
    const broken = Uint8Array.from(z);
    broken[2] = 0xff; // the first block's header: type 3
    expect(inflateInto(broken, new Uint8Array(10_000), whole(broken))).toMatchObject({ ok: false, truncated: false, reason: 'broken data stream: invalid block type' });
    expect(inflateInto(Uint8Array.from([0x78, 0x9d, 0, 0]), new Uint8Array(1), () => 4)).toMatchObject({ ok: false, reason: expect.stringContaining('incorrect header check') });
  });

  it('checks the Adler-32 only where zlib would read it: within the read that finished the image', () => {
    const data = seeded(9, 4000, 256);
    const z = new Uint8Array(deflateSync(data));
    z[z.length - 1]! ^= 1;
    expect(adler32(data)).not.toBe(new DataView(z.buffer).getUint32(z.length - 4));
    // Read whole: the checksum is read and wrong.
    expect(inflateInto(z, new Uint8Array(4000), whole(z))).toMatchObject({ ok: false, reason: 'broken data stream: incorrect data check' });
    // The read ended before the checksum: zlib returned with the image whole, and Pillow never calls it again.
    expect(inflateInto(z, new Uint8Array(4000), () => z.length - 4)).toEqual({ ok: true, end: z.length - 4 });
  });
});

describe('PNG', () => {
  it('sizes the image data from IHDR, interlaced or not', () => {
    expect(imageDataBytes(16, 16, 16, 0, false)).toBe(imageDataSize(GREY16));
    expect(imageDataBytes(16, 16, 16, 2, false)).toBe(imageDataSize(RGB16));
    // Adam7 of 3x3 grey: passes 1 (1x1), 4 (1x1), 5 (2x1), 6 (1x2) and 7 (3x1), each row with its filter byte.
    expect(imageDataBytes(3, 3, 8, 0, true)).toBe(2 + 2 + 3 + 2 * 2 + 4);
    expect(imageDataBytes(1, 1, 8, 0, true)).toBe(2);
  });

  it('keeps a PNG with more image data than its image needs, or with animation chunks, from the browser\'s decoder', () => {
    const clean = new Uint8Array(cleanPng({ width: 16, height: 16, depth: 8, colorType: 2 }));
    expect(pngFitsBrowser(clean)).toBe(true);
    expect(pngFitsBrowser(new Uint8Array(bombPng({ width: 16, height: 16, depth: 8, colorType: 2 }, 8)))).toBe(false);
    expect(pngFitsBrowser(new Uint8Array(bombPng(RGB16, 8)))).toBe(false);
    // An acTL chunk after IHDR: an animated PNG, whose first frame the browser would show.
    const actl = Buffer.from([0, 0, 0, 8, 0x61, 0x63, 0x54, 0x4c, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const animated = Buffer.concat([Buffer.from(clean.subarray(0, 33)), actl, Buffer.from(clean.subarray(33))]);
    expect(pngFitsBrowser(new Uint8Array(animated))).toBe(false);
    expect(imageDataBound(1000)).toBeGreaterThan(1000 * 1.125);
  });

  it('refuses image data padded past what an encoder would write, where Pillow reads on', () => {
    const clean = cleanPng(RGB16);
    const stream = idatOf(clean);
    // 200,000 empty stored blocks (1 MB) between the zlib header and the image's blocks.
    const padded = Buffer.concat([Buffer.from(stream.subarray(0, 2)), Buffer.alloc(200_000 * 5, Buffer.from([0, 0, 0, 0xff, 0xff])), Buffer.from(stream.subarray(2))]);
    const idat = [];
    for (let at = 0; at < padded.length; at += 65_536) idat.push(pngChunk('IDAT', padded.subarray(at, at + 65_536)));
    const file = new Uint8Array(Buffer.concat([clean.subarray(0, 33), ...idat, pngChunk('IEND', Buffer.alloc(0))]));
    expect(pngFitsBrowser(file)).toBe(false);
    expect(() => pngToRgb(file)).toThrow(TooLargeError);
    // The same image, padded within the bound, is read through the padding.
    const few = Buffer.concat([Buffer.from(stream.subarray(0, 2)), Buffer.alloc(100 * 5, Buffer.from([0, 0, 0, 0xff, 0xff])), Buffer.from(stream.subarray(2))]);
    const within = new Uint8Array(Buffer.concat([clean.subarray(0, 33), pngChunk('IDAT', few), pngChunk('IEND', Buffer.alloc(0))]));
    expect(pngToRgb(within)).toEqual(pngToRgb(new Uint8Array(clean)));
  });

  it('refuses a 2 GiB bomb of 16-bit grey and of 16-bit colour as too large, where the picture alone decodes', async () => {
    for (const spec of [GREY16, RGB16]) {
      const bomb = await decodeRgb(new Uint8Array(bombPng(spec, 2048)), LIMITS);
      const clean = await decodeRgb(new Uint8Array(cleanPng(spec)), LIMITS);
      expect(bomb).toMatchObject({ ok: false, tooLarge: true, reason: expect.stringMatching(/^the PNG's image data is over \d+ bytes, more than any encoder makes of its 16x16 image/) });
      expect(clean).toMatchObject({ ok: true, width: 16, height: 16 });
    }
  });
});

describe('GIF', () => {
  it('is sized by its first frame where the frame is larger than the screen', () => {
    const gif = new Uint8Array(bombGif(20_000, 20_000));
    expect(gif.length).toBe(35);
    expect(readHeader(gif, 'gif')).toMatchObject({ width: 20_000, height: 20_000, frame: { x: 0, y: 0, width: 20_000, height: 20_000 } });
    expect(readHeader(new Uint8Array(bombGif(1, 1, [40, 30])), 'gif')).toMatchObject({ width: 40, height: 30 });
    expect(readHeader(new Uint8Array(bombGif(1, 1, [40, 30])), 'gif')!.frame).toBeUndefined();
  });

  it('refuses a frame over the limits as too large, naming it, before decoding', async () => {
    expect(await decodeRgb(new Uint8Array(bombGif(20_000, 20_000)), LIMITS)).toEqual({
      ok: false, tooLarge: true, reason: 'GIF frame 20000x20000 is too large to decode here (limit 24000000 pixels)',
    });
    expect(await decodeRgb(new Uint8Array(bombGif(20_000, 20_000)), { ...LIMITS, maxPixels: 100_000_000 })).toEqual({
      ok: false, tooLarge: true, reason: 'GIF frame 20000x20000 is over the 100000000-pixel limit',
    });
    expect(inspect(new Uint8Array(bombGif(65_535, 65_535)), LIMITS)).toEqual({
      ok: false, tooLarge: true, reason: 'GIF frame 65535x65535 is over the 1000000000-pixel limit',
    });
  });

  it('names a small frame far from the origin by where it sits and the image it makes', () => {
    const gif = bombGif(1, 1);
    gif.writeUInt16LE(65_534, 20); // the frame's x
    gif.writeUInt16LE(40_000, 22); // and y
    expect(inspect(new Uint8Array(gif), LIMITS)).toMatchObject({
      ok: false, tooLarge: true, reason: 'GIF frame 1x1 at 65534,40000 (a 65535x40001 image) is over the 1000000000-pixel limit',
    });
  });
});
