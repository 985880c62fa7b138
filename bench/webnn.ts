// npm run bench -- --webnn: ViT-B/16 on WebNN's CPU backend beside ONNX Runtime's WASM, in the same
// browser (a Chromium with a WebNN backend: @sparticuz/chromium's build, unpacked as the tests do),
// on the same photos prepared once by Pillow, a round of batches through each in turn; and how
// often WebNN's top-1 label is WASM's.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localModelId } from '../src/server/routes.ts';
import { webnnBrowser } from '../test/helpers/webnn-browser.ts';
import type { DeviceVariant, DevicesResult } from './devices-page.ts';
import { plainCall, removeProfiles } from './plain-browser.ts';
import { PIXELS_ROUTE, preparePixels, servePixels, type PreparedBench } from './prepared-pixels.ts';

export interface WebnnOptions extends PreparedBench {
  cores: number;
}

const BATCH = 8;

function name(v: DeviceVariant): string {
  return `${v.device} ${v.sessions} session${v.sessions > 1 ? 's' : ''} x ${v.threads} thread${v.threads > 1 ? 's' : ''}`;
}

function report(variants: DeviceVariant[], r: DevicesResult): void {
  const base = r.variants[0]!;
  for (const [i, v] of variants.entries()) {
    const m = r.variants[i]!;
    const agree = (100 * m.top1.filter((label, j) => label === base.top1[j]).length) / m.top1.length;
    const against = i === 0 ? 'the baseline' : `${(base.msPerImage / m.msPerImage).toFixed(2)}x ${name(variants[0]!)}; top-1 agreement ${agree.toFixed(1)}%`;
    console.log(`${name(v)} ViT-B/16: ${Math.round(m.msPerImage)} ms/image (${against}); sessions made in ${(m.loadMs / 1000).toFixed(1)} s`);
  }
}

export async function webnnBench(o: WebnnOptions): Promise<void> {
  if (!existsSync(join(o.modelDir, 'onnx', 'model.onnx'))) {
    throw new Error(`--webnn needs ViT-B/16 in ${o.modelDir}: make it with ${o.python} test/fixtures/make_fixtures.py --vit-base ${o.modelDir}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tench-webnn-'));
  // WASM as a run on this machine would have it (one session on every core), then WebNN with one
  // session and with two: WebNN's CPU backend runs one thread per session, so sessions are its parallelism.
  const variants: DeviceVariant[] = [
    { device: 'wasm', dtype: 'fp32', sessions: 1, threads: o.cores },
    { device: 'webnn', dtype: 'fp32', sessions: 1, threads: 1 },
    { device: 'webnn', dtype: 'fp32', sessions: 2, threads: 1 },
  ];
  try {
    const pixelsFile = join(dir, 'pixels.bin');
    const { count } = preparePixels(o.python, o.modelDir, o.photosDir, o.photos, pixelsFile);
    console.log(`\nWebNN against WASM, ViT-B/16 (random weights, fp32) on ${count} photos, batch ${BATCH}, in @sparticuz/chromium (a WebNN backend), a round of each in turn`);
    const server = await servePixels(o, pixelsFile);
    try {
      const r = await plainCall(webnnBrowser(), server, 'devices', { model: localModelId(o.modelDir), variants, batchSize: BATCH, pixelsUrl: `${server.origin}${PIXELS_ROUTE}` });
      report(variants, r);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    removeProfiles();
  }
}
