// Animated PNGs in Chromium against Pillow, byte for byte (test/fixtures/apng/make_apng.py): what
// Image.open(f).convert('RGB') shows of an APNG is frame 0 as Pillow finds it (the default image,
// or the IDAT data in frame 0's rectangle), never the animation the browser's own decoder would
// compose. Each file goes the way tench's decoder sends it, and must give Pillow's bytes, or be
// refused where Pillow refuses it; and through tench's own decoder (codecs/png), whichever way the file
// would go. The same corpus holds plain PNGs whose image data runs past the image or whose
// checksum sits where Pillow does or does not read it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevPage, type DevPage } from '../helpers/dev-page.ts';
import { FIXTURES } from '../helpers/paths.ts';

type Row = { width: number; height: number; sha256: string; rgb?: string } | { refused: string };

const reference = (JSON.parse(readFileSync(join(FIXTURES, 'apng', 'reference.json'), 'utf8')) as { images: Record<string, Row> }).images;

type Prepare = typeof import('../../workers/decode/prepare.ts');
type Load = typeof import('../../workers/decode/kernels/load.ts');
type Frames = typeof import('../../workers/decode/webcodecs.ts');
type Decode = typeof import('../../workers/decode/decode.ts');

type Decoded = { width: number; height: number; sha256: string; rgb: string } | { error: string };
type Got = { routed: Decoded; own: Decoded; frames: boolean };

/**
 * Files whose zlib checksum is wrong where Pillow reads it: Pillow refuses them, and so does
 * codecs/png, but the browser's decoder does not check the Adler-32, and a file cannot be known to be
 * one of these without inflating it, which is the work the browser's decoder is there to do.
 */
const ADLER_UNCHECKED_BY_THE_BROWSER = new Set(['png-bad-adler.png', 'png-bad-adler-within-64k-read.png']);

/**
 * Where tench answers otherwise than Pillow, on purpose: image data larger than any encoder makes
 * of the image (here 4 MiB of zeros after a 16x16 image's rows) is a decompression bomb's, which
 * Pillow inflates up to the image's end and passes over; tench refuses it as too large.
 */
const REFUSED_AS_TOO_LARGE = new Set(['png-excess-image-data.png']);

describe('animated PNGs in Chromium', () => {
  let dev: DevPage;
  beforeAll(async () => {
    dev = await openDevPage();
    await dev.load('/workers/decode/prepare.ts', 'prepareModule');
    await dev.load('/workers/decode/kernels/load.ts', 'kernelsModule');
    await dev.load('/workers/decode/webcodecs.ts', 'framesModule');
    await dev.load('/workers/decode/decode.ts', 'decodeModule');
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('show frame 0 as Pillow shows it, byte for byte, and are refused where Pillow refuses them', async () => {
    const names = Object.keys(reference);
    expect(names.length).toBeGreaterThanOrEqual(45);
    const got = await dev.page.evaluate(async (names) => {
      const w = window as unknown as { prepareModule: Prepare; kernelsModule: Load; framesModule: Frames; decodeModule: Decode };
      const hex = async (rgb: Uint8Array) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', rgb as Uint8Array<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('');
      const base64 = (rgb: Uint8Array) => {
        let text = '';
        for (let i = 0; i < rgb.length; i += 8192) text += String.fromCharCode(...rgb.subarray(i, i + 8192));
        return btoa(text);
      };
      const options = { maxPixels: 1e9, fullDecodePixels: 24e6, applyExifOrientation: false };
      const out: Record<string, Got> = {};
      for (const name of names) {
        const bytes = new Uint8Array(await (await fetch(`/test/fixtures/apng/${name}`)).arrayBuffer());
        const frames = w.framesModule.framesCanDecode('png', bytes);
        // As the decode worker does it: the browser's decoder where it gives Pillow's pixels, else codecs/png.
        const d = await w.prepareModule.decodeImage(bytes, options, w.kernelsModule.kernels);
        let routed: Decoded;
        if (d.ok) {
          const rgb = w.prepareModule.rgbOf(d.k, d.image);
          routed = { width: d.image.width, height: d.image.height, sha256: await hex(rgb), rgb: base64(rgb) };
        } else {
          routed = { error: d.reason };
        }
        // tench's own decoder, whichever way the file would go.
        const o = await w.decodeModule.decodeRgb(bytes, options);
        const own: Decoded = o.ok ? { width: o.width, height: o.height, sha256: await hex(new Uint8Array(o.data)), rgb: base64(new Uint8Array(o.data)) } : { error: o.reason };
        out[name] = { routed, own, frames };
      }
      return out;
    }, names);

    /** Where a decoded file differs from Pillow's pixels: how many differ, and the first. */
    const difference = (want: Extract<Row, { sha256: string }>, g: Extract<Decoded, { sha256: string }>) => {
      if (!want.rgb) return 'differs';
      const a = Buffer.from(want.rgb, 'base64');
      const b = Buffer.from(g.rgb, 'base64');
      const differing = [];
      for (let i = 0; i < a.length; i += 3) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) differing.push(i / 3);
      const first = differing[0] ?? 0;
      return `${differing.length} pixels differ; the first at ${first % want.width},${Math.floor(first / want.width)}: Pillow ${[...a.subarray(first * 3, first * 3 + 3)]}, tench ${[...b.subarray(first * 3, first * 3 + 3)]}`;
    };
    /** What is wrong with one decoding of a file, or null. */
    const wrongWith = (want: Row, g: Decoded, name: string): string | null => {
      if (REFUSED_AS_TOO_LARGE.has(name)) return 'error' in g && /more than any encoder makes of its/.test(g.error) ? null : 'not refused as too large';
      if ('refused' in want) return 'error' in g ? null : `Pillow refuses it (${want.refused}), tench decoded it`;
      if ('error' in g) return `tench refused it (${g.error})`;
      if (g.width !== want.width || g.height !== want.height || g.sha256 !== want.sha256) return `${g.width}x${g.height}, ${difference(want, g)}`;
      return null;
    };
    const wrong: string[] = [];
    for (const name of names) {
      const { routed, own, frames } = got[name]!;
      const ownWrong = wrongWith(reference[name]!, own, name);
      if (ownWrong) wrong.push(`${name} (codecs/png): ${ownWrong}`);
      const routedWrong = wrongWith(reference[name]!, routed, name);
      if (routedWrong && !(frames && ADLER_UNCHECKED_BY_THE_BROWSER.has(name))) wrong.push(`${name} (${frames ? 'the browser\'s decoder' : 'codecs/png'}, as routed): ${routedWrong}`);
    }
    expect(wrong).toEqual([]);

    // No file with animation chunks goes to the browser's decoder, which would show another frame.
    const animated = names.filter((n) => n.startsWith('apng-'));
    expect(animated.filter((n) => got[n]!.frames)).toEqual([]);
    const refused = names.filter((n) => 'refused' in reference[n]!);
    const browser = names.filter((n) => got[n]!.frames);
    console.log(`APNG corpus: ${names.length - refused.length - REFUSED_AS_TOO_LARGE.size} files read as Pillow reads them, ${refused.length} refused as Pillow refuses them (by codecs/png), ${REFUSED_AS_TOO_LARGE.size} refused as too large where Pillow reads it; ${browser.length} go through the browser's decoder: ${browser.join(', ')}`);
  });
});
