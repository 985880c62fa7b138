// Same answers as the Python reference: every kind of image, two models with different
// preprocessing, in the real browser, compared with PyTorch + Pillow, on each backend: WASM and
// WebGPU (SwiftShader here) in Debian's Chromium, WebNN in a Chromium that has it.

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, type OutRow } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { FIXTURES, SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, type Reference } from '../helpers/reference.ts';
import { webnnBrowser } from '../helpers/webnn-browser.ts';

/** Why each unreadable fixture must fail, in tench's words. */
const UNREADABLE: Record<string, RegExp> = {
  'images/empty.jpg': /^decode_failed: empty file \(0 bytes\)$/,
  'images/text-named.jpg': /^decode_failed: not an image: the file is text$/,
  'images/random-bytes.png': /^decode_failed: not an image: unknown format$/,
  'images/jpeg-truncated.jpg': /^decode_failed: truncated JPEG/,
  'images/png-truncated.png': /^decode_failed: corrupt or truncated PNG/,
};

function dataset(): string {
  const dir = tempDir();
  cpSync(SAMPLES, join(dir, 'samples'), { recursive: true });
  cpSync(join(FIXTURES, 'images'), join(dir, 'images'), { recursive: true });
  return dir;
}

type Backend = 'wasm' | 'webgpu' | 'webnn';

/** The CLI's flags for a backend; WebNN's browser is unpacked on first use. */
const backendArgs = (device: Backend): string[] => ['--device', device, ...(device === 'webnn' ? ['--browser', webnnBrowser()] : [])];

async function classify(dir: string, model: string, extra: string[] = [], device: Backend = 'wasm'): Promise<Map<string, OutRow>> {
  const out = join(tempDir(), 'out.jsonl');
  const r = await runCli(['classify', dir, '--model', model, '--out', out, '--batch-size', '8', ...backendArgs(device), ...extra]);
  expect(r.code, r.stderr).toBe(0);
  // It ran where it was asked to, not on a fallback.
  expect(r.stderr).toContain(`device: ${device}, dtype: fp32;`);
  return new Map(readJsonl(out).map((row) => [row.path, row]));
}

function compare(reference: Reference, rows: Map<string, OutRow>) {
  const size = reference.processor.size;
  const inputSize = 'height' in size ? size : null;
  const readable = Object.entries(reference.images).filter(([, img]) => img.readable);
  expect(readable.length).toBeGreaterThanOrEqual(30);
  expect(rows.size).toBe(Object.keys(reference.images).length);
  let atSize = 0;
  const worst = { drift: 0, path: '' };
  for (const [path, img] of Object.entries(reference.images)) {
    const row = rows.get(path);
    expect(row, path).toBeDefined();
    if (!img.readable) {
      expect(row!.label, path).toBeNull();
      expect(row!.error, path).toMatch(UNREADABLE[path] ?? /^decode_failed: /);
      continue;
    }
    expect(row!.error, path).toBeNull();
    expect(row!.label, path).toBe(img.top_k[0]!.label);
    const drift = Math.abs(row!.score! - img.top_k[0]!.score);
    if (drift > worst.drift) Object.assign(worst, { drift, path });
    const exact = inputSize !== null && img.width === inputSize.width && img.height === inputSize.height;
    if (exact) atSize++;
    expect(drift, path).toBeLessThan(exact ? 1e-4 : 0.01);
  }
  return { atSize, readable: readable.length, worst };
}

describe('preprocessing parity with the Python reference', () => {
  let dir: string;
  beforeAll(() => {
    dir = dataset();
  });

  // WebGPU on SwiftShader takes about a second an image: every image still, each model once.
  describe.each(['wasm', 'webgpu', 'webnn'] as const)('on %s', (device) => {
    it('ViT processor (224x224, bilinear, mean 0.5): every kind of image', async () => {
      const reference = loadReference('tench-tiny-vit');
      const result = compare(reference, await classify(dir, TINY_MODEL, [], device));
      expect(result.atSize).toBeGreaterThanOrEqual(10);
      console.log(`${device} tench-tiny-vit: ${result.readable} readable images match; largest top-1 drift ${result.worst.drift.toExponential(2)} (${result.worst.path})`);
    }, 600_000);

    it('shortest-edge + center-crop processor (160x160, bicubic, ImageNet mean/std)', async () => {
      const reference = loadReference('tench-tiny-vit-bicubic');
      const result = compare(reference, await classify(dir, join(FIXTURES, 'models', 'tench-tiny-vit-bicubic'), [], device));
      console.log(`${device} tench-tiny-vit-bicubic: ${result.readable} readable images match; largest top-1 drift ${result.worst.drift.toExponential(2)} (${result.worst.path})`);
    }, 600_000);
  });

  it('applies EXIF orientation only when asked, as ImageOps.exif_transpose does', async () => {
    const reference = loadReference('tench-tiny-vit');
    const rotated = Object.entries(reference.images).filter(([, img]) => img.readable && img.exif_orientation);
    expect(rotated.length).toBeGreaterThan(0);
    const rows = await classify(dir, TINY_MODEL, ['--exif-orientation', 'apply', '--limit', '1000']);
    for (const [path, img] of rotated) {
      if (!img.readable || !img.exif_top_k) throw new Error(path);
      expect(rows.get(path)!.label, path).toBe(img.exif_top_k[0]!.label);
      expect(Math.abs(rows.get(path)!.score! - img.exif_top_k[0]!.score), path).toBeLessThan(0.01);
      // The turned and unturned images score apart, so the check above can tell them apart.
      expect(Math.abs(rows.get(path)!.score! - img.top_k[0]!.score), path).toBeGreaterThan(0.05);
    }
  });
});
