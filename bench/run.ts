// npm run bench: every figure measured in headless Chromium in one run, and reported beside the
// baseline it is compared with (machines are noisy; ratios measured together are not). Throughput
// and memory are measured in browsers no automation is attached to (bench/plain-browser.ts), as a
// user's browser runs the page; memory is measured once more under Playwright, as the CLI runs it.
//
//   npm run bench              everything
//   npm run bench -- --quick   no ViT-B/16-sized model, no 10,000-image memory run
//   npm run bench -- --memory  only the peak-memory runs (1,000 and 10,000 images)

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import * as ort from 'onnxruntime-node';
import { findBrowser, launch, type Launched } from '../src/cli/browser.ts';
import { appConfig } from '../src/server/app-config.ts';
import { localModelId } from '../src/server/routes.ts';
import type { Device } from '../workers/infer/api.ts';
import type { Bench, Rate, Scenario } from './bench-page.ts';
import type { ImageSet, PreprocessResult } from './preprocess.worker.ts';
import { peakDuring } from './memory.ts';
import { plainCall, removeProfiles, reportRoute } from './plain-browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VIT_BASE = join(ROOT, '.cache', 'models', 'vit-base-random');
const quick = process.argv.includes('--quick');
const memoryOnly = process.argv.includes('--memory');

function table(rows: Array<Array<string | number>>): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(2) : c)));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]!.length)));
  return text.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

interface Page {
  call<K extends keyof Bench>(name: K, arg: Parameters<Bench[K]>[0]): Promise<Awaited<ReturnType<Bench[K]>>>;
  launched: Launched;
}

async function openBench(browserPath: string, origin: string): Promise<Page> {
  const launched = await launch(browserPath);
  const page = await launched.context.newPage();
  page.on('pageerror', (e) => console.error('  [page]', e.message));
  await page.goto(`${origin}/bench/bench.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  return {
    launched,
    call: (name, arg) => page.evaluate(([n, a]) => (window.bench[n] as (x: unknown) => Promise<never>)(a), [name, arg] as const),
  };
}

/** 40 photo-like JPEGs at Imagenette's typical size, encoded by the browser, and manifests of them. */
async function makeDataset(page: Page, origin: string, dir: string): Promise<{ urls: string[]; manifest: (n: number) => string }> {
  const fixture = (n: string) => `${origin}/test/fixtures/images/${n}`;
  const sources = ['jpeg-baseline.jpg', 'jpeg-progressive.jpg', 'png-rgb.png', 'jpeg-444.jpg', 'webp-lossy.webp', 'bmp-24.bmp'].map(fixture);
  const photos = await page.call('makePhotos', { sources, width: 500, height: 375, count: 40 });
  const names = photos.map((b64, i) => {
    const name = `photo-${String(i).padStart(2, '0')}.jpg`;
    writeFileSync(join(dir, name), Buffer.from(b64, 'base64'));
    return name;
  });
  const manifest = (n: number) => {
    const file = `photos-${n}.jsonl`;
    if (!existsSync(join(dir, file))) {
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ url: names[i % names.length], path: `img-${String(i).padStart(6, '0')}.jpg` }));
      writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
    }
    return `${origin}/data/files/${file}`;
  };
  return { urls: names.map((n) => `${origin}/data/files/${n}`), manifest };
}

async function nativeVitBase(images: number, batch: number): Promise<Rate> {
  const session = await ort.InferenceSession.create(join(VIT_BASE, 'onnx', 'model.onnx'), { intraOpNumThreads: cpus().length, graphOptimizationLevel: 'all' });
  const size = 3 * 224 * 224;
  const input = () => new ort.Tensor('float32', new Float32Array(size * batch).map(() => Math.random() * 2 - 1), [batch, 3, 224, 224]);
  await session.run({ pixel_values: input() });
  const t0 = performance.now();
  for (let done = 0; done < images; done += batch) await session.run({ pixel_values: input() });
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return { images, seconds, rate: images / seconds, note: `threads ${cpus().length}` };
}

interface Row {
  model: string;
  device: string;
  a: Rate;
  b: Rate & { batchSize?: number };
  c: Rate;
  ceiling: Rate | null;
}

async function throughput(browserPath: string, origin: string, model: string, label: string, device: Device, counts: { a: number; b: number; c: number }, manifest: (n: number) => string, urls: string[], batchSize?: number): Promise<Row> {
  // (a) and (b) are sized by the app's own plan unless batchSize overrides it; (c) gets transformers.js's defaults and batch 8.
  const scenario: Scenario = { model, device, images: counts.a, ...(batchSize ? { batchSize } : {}) };
  // A fresh browser per scenario, with no automation attached: no warm caches or leftover
  // sessions carried from one to the next, and no DevTools bookkeeping on every request.
  const a = await plainCall(browserPath, origin, 'modelOnly', scenario);
  // The model alone with a session on every core: (b) runs the model on the same cores as its
  // decoding, so it can never pass this, whatever its plan.
  const ceiling = device === 'wasm' ? await plainCall(browserPath, origin, 'modelOnly', { ...scenario, sessions: cpus().length, threads: 1 }) : null;
  const b = await plainCall(browserPath, origin, 'endToEnd', { ...scenario, images: counts.b, manifest: manifest(counts.b) });
  const c = await plainCall(browserPath, origin, 'naive', { ...scenario, batchSize: 8, images: counts.c, urls });
  console.log(`  ${label} ${device}: (a) ${a.rate.toFixed(2)}  (b) ${b.rate.toFixed(2)}  (c) ${c.rate.toFixed(2)}${ceiling ? `  model on every core ${ceiling.rate.toFixed(2)}` : ''} images/s`);
  return { model: label, device, a, b, c, ceiling };
}

async function main(): Promise<void> {
  const browserPath = findBrowser();
  if (!browserPath.ok) throw new Error(browserPath.reason);
  const hasVitBase = existsSync(join(VIT_BASE, 'onnx', 'model.onnx'));
  const data = join(tmpdir(), `tench-bench-${process.pid}`);
  mkdirSync(data, { recursive: true });
  const config = appConfig({ dataDir: data, modelDir: hasVitBase ? VIT_BASE : undefined });
  const server: ViteDevServer = await createServer({ ...config, configFile: false, plugins: [...(config.plugins ?? []), reportRoute()], root: ROOT, logLevel: 'warn', server: { ...config.server, port: 0, host: '127.0.0.1', hmr: false } });
  await server.listen();
  const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');

  try {
    const first = await openBench(browserPath.path, origin);
    const adapter = await first.call('adapter', undefined as never);
    const version = (await first.launched.context.browser()?.version()) ?? 'chromium';
    console.log(`tench bench · ${new Date().toISOString().slice(0, 16)} · Chromium ${version} · ${cpus().length} cores · WebGPU adapter: ${adapter.present ? `${adapter.description}${adapter.fallback ? ' (software)' : ''}` : 'none'}`);
    const dataset = await makeDataset(first, origin, data);

    if (memoryOnly) await first.launched.close();
    else {
      // Preprocessing, in one worker.
      const skip = new Set(['jpeg-huge-12000.jpg', 'empty.jpg', 'text-named.jpg', 'random-bytes.png', 'jpeg-truncated.jpg', 'png-truncated.png']);
      const fixture = (n: string) => `${origin}/test/fixtures/images/${encodeURIComponent(n)}`;
      const kinds = readdirSync(join(ROOT, 'test/fixtures/images')).filter((n) => !skip.has(n)).sort().map(fixture);
      const sets: ImageSet[] = [
        { name: 'fixture images, every kind', urls: kinds },
        { name: 'JPEG 500x375 (Imagenette)', urls: dataset.urls },
        { name: 'JPEG 2000x1500', photos: dataset.urls.slice(0, 5), width: 2000, height: 1500, count: 10 },
      ];
      const pre: PreprocessResult[] = await first.call('preprocess', { sets, model: 'tench-tiny-vit', modelBase: `${origin}/models/`, rounds: 4 });
      await first.launched.close();
      console.log('\npreprocessing to 224x224 in one worker, images/s (tench: Pillow-exact decode and resize; transformers.js: AutoProcessor)');
      console.log(table([
        ['images', 'count', 'mean px', 'tench', 'transformers.js', 'ratio', 'tench resize share'],
        ...pre.map((r) => [r.name, String(r.images), `${Math.round(r.meanPixels / 1000)}k`, r.tench, r.transformers, r.tench / r.transformers, r.tenchTensorShare]),
      ]));

      // Throughput: (a) model only, (b) tench end to end, (c) the naive port.
      console.log('\nthroughput, images/s (steady state, after the first batch):');
      const rows: Row[] = [];
      rows.push(await throughput(browserPath.path, origin, 'tench-tiny-vit', 'tiny ViT', 'wasm', { a: 1600, b: 1200, c: 1200 }, dataset.manifest, dataset.urls));
      // A software adapter reports GPU-sized limits; the plan's batch would outlast the few images it can manage in time.
      if (adapter.present) rows.push(await throughput(browserPath.path, origin, 'tench-tiny-vit', 'tiny ViT', 'webgpu', adapter.fallback ? { a: 64, b: 64, c: 64 } : { a: 1600, b: 1200, c: 1200 }, dataset.manifest, dataset.urls, adapter.fallback ? 8 : undefined));
      if (!quick && hasVitBase) {
        const vit = localModelId(VIT_BASE);
        rows.push(await throughput(browserPath.path, origin, vit, 'ViT-B/16', 'wasm', { a: 40, b: 48, c: 40 }, dataset.manifest, dataset.urls));
        if (adapter.present && !adapter.fallback) rows.push(await throughput(browserPath.path, origin, vit, 'ViT-B/16', 'webgpu', { a: 1024, b: 1024, c: 512 }, dataset.manifest, dataset.urls));
      }
      console.log(table([
        ['model', 'device', '(a) model only', '(b) tench', '(c) naive', '(b)/(a)', '(b)/(c)', 'model on every core', 'that/(c)'],
        ...rows.map((r) => [r.model, r.device, r.a.rate, r.b.rate, r.c.rate, r.b.rate / r.a.rate, r.b.rate / r.c.rate, r.ceiling ? r.ceiling.rate : '-', r.ceiling ? r.ceiling.rate / r.c.rate : '-']),
      ]));
      for (const r of rows) console.log(`  ${r.model} ${r.device}: (a) ${r.a.note}; (b) ${r.b.note}; (c) ${r.c.note}`);
      if (!hasVitBase) console.log('ViT-B/16: skipped; make the model with: /usr/bin/python3 test/fixtures/make_fixtures.py --vit-base .cache/models/vit-base-random');

      if (!quick && hasVitBase) {
        const native = await nativeVitBase(32, 8);
        const wasm = rows.find((r) => r.model === 'ViT-B/16' && r.device === 'wasm');
        console.log(`\nViT-B/16 in onnxruntime-node (native CPU, ${native.note}, batch 8): ${native.rate.toFixed(2)} images/s; (b) wasm / native = ${wasm ? (wasm.b.rate / native.rate).toFixed(2) : '-'}`);
      }
    }

    // Memory: peak resident size of the whole browser (every Chromium process) over a run, in a
    // browser as a user runs it and in one driven by Playwright as `tench classify` runs it.
    const sizes = quick ? [1000] : [1000, 10_000];
    const scenario = (n: number) => ({ model: 'tench-tiny-vit', device: 'wasm' as const, images: n, manifest: dataset.manifest(n) });
    const plain: Array<{ n: number; result: Rate; peakBytes: number }> = [];
    for (const n of sizes) plain.push({ n, ...(await peakDuring(() => plainCall(browserPath.path, origin, 'endToEnd', scenario(n)))) });
    const driven: typeof plain = [];
    for (const n of sizes) {
      const page = await openBench(browserPath.path, origin);
      try {
        driven.push({ n, ...(await peakDuring(() => page.call('endToEnd', scenario(n)))) });
      } finally {
        await page.launched.close();
      }
    }
    const memoryTable = (runs: typeof plain) => table([
      ['images', 'peak MiB', 'images/s', 'vs first'],
      ...runs.map((r) => [String(r.n), r.peakBytes / 2 ** 20, r.result.rate, r.peakBytes / runs[0]!.peakBytes]),
    ]);
    console.log('\npeak browser memory over a run (tiny ViT, wasm, every Chromium process, resident):');
    console.log(`as a user's browser runs it (no automation attached):\n${memoryTable(plain)}`);
    console.log(`driven by Playwright, as tench classify runs it (DevTools keeps up to 200 MB of response bodies):\n${memoryTable(driven)}`);
  } finally {
    await server.close();
    removeProfiles();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
