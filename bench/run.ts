// npm run bench: every figure measured in one headless Chromium, in one run, reported with the
// baseline it is compared against (machines are noisy; ratios measured together are not).

import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'vite';
import { findBrowser, launch } from '../src/cli/browser.ts';
import { appConfig } from '../src/server/app-config.ts';
import type { ImageSet, PreprocessResult } from './preprocess.worker.ts';

const ROOT = resolve(import.meta.dirname, '..');

function table(rows: Array<Array<string | number>>): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(2) : c)));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]!.length)));
  return text.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const browserPath = findBrowser();
  if (!browserPath.ok) throw new Error(browserPath.reason);
  const server = await createServer({ ...appConfig(), configFile: false, root: ROOT, logLevel: 'warn', server: { ...appConfig().server, port: 0, host: '127.0.0.1' } });
  await server.listen();
  const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
  const browser = await launch(browserPath.path);
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error('[page]', e.message));
    await page.goto(`${origin}/bench/bench.html`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const gpu = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}`.trim() : 'none';
    });
    console.log(`tench bench · ${new Date().toISOString()} · ${await browser.context.browser()?.version() ?? 'chromium'} · WebGPU adapter: ${gpu} · ${cpus().length} cores`);

    // Preprocessing, in one worker: the fixture images as they are (every format and odd size),
    // and photos re-encoded as JPEG at Imagenette's typical size and at a camera's.
    const skip = new Set(['jpeg-huge-12000.jpg', 'empty.jpg', 'text-named.jpg', 'random-bytes.png', 'jpeg-truncated.jpg', 'png-truncated.png']);
    const fixture = (n: string) => `${origin}/test/fixtures/images/${encodeURIComponent(n)}`;
    const kinds = readdirSync(join(ROOT, 'test/fixtures/images')).filter((n) => !skip.has(n)).sort().map(fixture);
    const photos = ['jpeg-baseline.jpg', 'jpeg-progressive.jpg', 'png-rgb.png', 'jpeg-444.jpg', 'webp-lossy.webp'].map(fixture);
    const sets: ImageSet[] = [
      { name: 'fixture images, every kind', urls: kinds },
      { name: 'JPEG 500x375 (Imagenette)', photos, width: 500, height: 375, count: 40 },
      { name: 'JPEG 2000x1500', photos, width: 2000, height: 1500, count: 10 },
    ];
    const pre = (await page.evaluate(
      ([sets, modelBase]) => window.runBench('preprocess', { sets, model: 'tench-tiny-vit', modelBase, rounds: 4 }),
      [sets, `${origin}/models/`] as const,
    )) as PreprocessResult[];
    console.log('\npreprocessing to 224x224 in one worker, images/s (tench: Pillow-exact decode and resize; transformers.js: AutoProcessor)');
    console.log(table([
      ['images', 'count', 'mean px', 'tench', 'transformers.js', 'ratio', 'tench resize share'],
      ...pre.map((r) => [r.name, String(r.images), `${Math.round(r.meanPixels / 1000)}k`, r.tench, r.transformers, r.tench / r.transformers, r.tenchTensorShare]),
    ]));
  } finally {
    await browser.close();
    await server.close();
  }
}


main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
