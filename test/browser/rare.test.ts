// Odd, old and damaged files of the kinds Pillow's own tests read (test/fixtures/rare.py): GIF
// transparency and offset frames, BMP RLE, bitfields and OS/2 headers, PNG chunks that are long,
// damaged or wrongly summed, JPEGs with junk between markers. tench classify must give what
// Pillow + PyTorch give for every file Pillow reads, and refuse every file Pillow refuses.
// (test/browser/pixels.test.ts checks the same readable files' pixels byte for byte.)

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readJsonl, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { FIXTURES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference } from '../helpers/reference.ts';

/** What tench says of the files Pillow refuses, each for its own reason. */
const REFUSED: Record<string, RegExp> = {
  'bmp-32-bitfields-unsupported.bmp': /unsupported BMP bitfields layout/,
  'bmp-rle24-unsupported.bmp': /unsupported BMP compression \(4\)/,
  'bmp-rle8-early-end.bmp': /not enough image data/,
  'bmp-rle8-odd-offset.bmp': /not enough image data/,
  'gif-cut.gif': /truncated/,
  'jpeg-app14-too-long.jpg': /JPEG/,
  'jpeg-junk-before-soi.jpg': /not an image/,
  'png-bad-crc-before-idat.png': /bad checksum in its tEXt chunk/,
};

it('gives Pillow + PyTorch\'s answer for every rare file Pillow reads, and refuses the others', async () => {
  const reference = loadReference('tench-tiny-vit-rare');
  const files = readdirSync(join(FIXTURES, 'rare')).sort();
  expect(files.length).toBeGreaterThanOrEqual(60);
  expect(Object.keys(reference.images).sort()).toEqual(files.map((f) => `rare/${f}`));
  const out = join(tempDir(), 'out.jsonl');
  const r = await runCli(['classify', join(FIXTURES, 'rare'), '--model', TINY_MODEL, '--out', out, '--device', 'wasm', '--labels-from', 'none']);
  expect(r.code, r.stderr).toBe(0);
  const rows = new Map(readJsonl(out).map((row) => [`rare/${row.path}`, row]));
  expect(rows.size).toBe(files.length);
  let readable = 0;
  let worst = 0;
  for (const [key, img] of Object.entries(reference.images)) {
    const row = rows.get(key)!;
    if (!img.readable) {
      expect(`${row.error}`, key).toMatch(/^decode_failed: /);
      expect(`${row.error}`, key).toMatch(REFUSED[key.slice('rare/'.length)] ?? /(?!)/);
      continue;
    }
    readable++;
    expect(row.error, key).toBeNull();
    expect(row.label, key).toBe(img.top_k[0]!.label);
    const drift = Math.abs(row.score! - img.top_k[0]!.score);
    worst = Math.max(worst, drift);
    expect(drift, key).toBeLessThan(0.02);
  }
  expect(readable).toBeGreaterThanOrEqual(60);
  expect(Object.keys(REFUSED).length).toBe(files.length - readable);
  console.log(`rare files: ${readable} read as Pillow reads them (largest top-1 drift ${worst.toExponential(2)}), ${files.length - readable} refused as Pillow refuses them`);
});
