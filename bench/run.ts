// npm run bench: every figure measured in one run and reported beside the baseline it is compared
// with (machines are noisy; ratios measured together are not). The page is the production build,
// served by the CLI's own server; it runs in headless Chromium with no automation attached
// (bench/plain-browser.ts), as a user's browser runs it, and again through `tench classify`,
// which drives it with Playwright.
//
//   npm run bench              everything
//   npm run bench -- --quick   no ViT-B/16-sized model, no 10,000-image memory run, no million rows
//   npm run bench -- --memory  only the peak-memory runs (1,000 and 10,000 images)
//   npm run bench -- --sink    only the CLI's output memory (10,000 to 1,000,000 rows)
//   npm run bench -- --dtypes  only q8 against fp32 on ViT-B/16, WASM and native (bench/dtypes.ts)
//   npm run bench -- --webnn   only WebNN against WASM on ViT-B/16, in a Chromium with WebNN (bench/webnn.ts)
//   npm run bench -- --webgpu  only the WebGPU path: placement, GPU buffers, sweep, kernels (bench/webgpu.ts)
//   npm run bench -- --embeddings  only what --embeddings costs: rows/s and bytes a row (bench/embeddings.ts)
//
// Needs Debian's python3-pil, python3-numpy and python3-skimage for the photographs and the
// Pillow baseline, and the small model (make_fixtures.py --small, which needs python3-torch).

import { execFileSync, spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import * as ort from 'onnxruntime-node';
import { findBrowser, launch } from '../src/cli/browser.ts';
import { ensureBuilt } from '../src/cli/build.ts';
import { serve, type Served } from '../src/cli/server.ts';
import { appConfig } from '../src/server/app-config.ts';
import { localModelId } from '../src/server/routes.ts';
import type { Device } from '../src/core/device.ts';
import type { Bench, EndToEnd, Rate, Scenario } from './bench-page.ts';
import { cpuMeter, type CpuMeter } from './cpu.ts';
import { peakDuring } from './memory.ts';
import { plainCall, removeProfiles, reportRoute } from './plain-browser.ts';
import { dtypesBench } from './dtypes.ts';
import { embeddingsBench } from './embeddings.ts';
import type { ImageSet, PreprocessResult } from './preprocess.worker.ts';
import { webgpuBench } from './webgpu.ts';
import { webnnBench } from './webnn.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CACHE = join(ROOT, '.cache');
const PHOTOS = join(CACHE, 'bench-photos');
const MIXED = join(PHOTOS, 'mixed');
const SMALL = join(CACHE, 'models', 'small-vit');
const VIT_BASE = join(CACHE, 'models', 'vit-base-random');
const TINY = join(ROOT, 'public', 'models', 'tench-tiny-vit');
const PYTHON = '/usr/bin/python3';
const quick = process.argv.includes('--quick');
const memoryOnly = process.argv.includes('--memory');
const sinkOnly = process.argv.includes('--sink');
const dtypesOnly = process.argv.includes('--dtypes');
const webnnOnly = process.argv.includes('--webnn');
const embeddingsOnly = process.argv.includes('--embeddings');
// --webgpu: bench/webgpu.ts alone (placement, GPU buffers, sweep, kernels); --placement: its placement lines.
const webgpuOnly = process.argv.includes('--webgpu') || process.argv.includes('--placement');
const cores = cpus().length;

function table(rows: Array<Array<string | number>>): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(2) : c)));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]!.length)));
  return text.map((r) => r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const files = (dir: string, ext?: RegExp) => readdirSync(dir).filter((n) => !ext || ext.test(n)).sort();

/**
 * The bench page and the app, built for production (once per bench run). The bench page goes
 * without the app's Content-Security-Policy: the naive port (c) runs ONNX Runtime in the page,
 * which then loads its loader from a blob: URL, as a user of transformers.js would let it.
 */
async function buildBenchApp(): Promise<string> {
  const outDir = join(CACHE, 'bench-app');
  const config = appConfig();
  await build({ ...config, configFile: false, root: ROOT, logLevel: 'warn', build: { ...config.build, outDir, emptyOutDir: true, rollupOptions: { input: { index: join(ROOT, 'index.html'), bench: join(ROOT, 'bench', 'bench.html') } } } });
  const page = join(outDir, 'bench', 'bench.html');
  writeFileSync(page, readFileSync(page, 'utf8').replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''));
  return outDir;
}

/** The report route, and no CSP header on the bench page and its scripts (see buildBenchApp). */
function benchRoutes(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  if (/^\/(bench\/|assets\/bench-)/.test(req.url ?? '')) {
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name, value) => (name.toLowerCase() === 'content-security-policy' ? res : setHeader(name, value));
  }
  reportRoute(req, res, next);
}

/** Debian's packages each input needs, as the Python modules that stand for them. */
const PYTHON_NEEDS: ReadonlyArray<{ module: string; pkg: string; forWhat: string; only?: () => boolean }> = [
  { module: 'PIL', pkg: 'python3-pil', forWhat: 'the native baseline and the photos' },
  { module: 'numpy', pkg: 'python3-numpy', forWhat: 'the native baseline' },
  { module: 'skimage.data', pkg: 'python3-skimage', forWhat: 'the photos it makes from its sample pictures' },
  { module: 'torch', pkg: 'python3-torch', forWhat: 'the small model', only: () => !existsSync(join(SMALL, 'onnx', 'model.onnx')) },
  { module: 'onnx', pkg: 'python3-onnx', forWhat: 'the small model', only: () => !existsSync(join(SMALL, 'onnx', 'model.onnx')) },
];

/** One sentence naming what is missing, before any Python runs: never a traceback. */
function missingPrerequisites(): string | null {
  if (!existsSync(PYTHON)) return `the bench needs Debian's ${PYTHON}: apt-get install python3 ${PYTHON_NEEDS.map((n) => n.pkg).join(' ')}`;
  const missing = PYTHON_NEEDS.filter((n) => (n.only?.() ?? true)).filter((n) => {
    try {
      execFileSync(PYTHON, ['-c', `import ${n.module}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (!missing.length) return null;
  return `the bench needs ${missing.map((n) => `${n.pkg} for ${n.forWhat}`).join(', ')}: apt-get install ${missing.map((n) => n.pkg).join(' ')}`;
}

function ensureInputs(): void {
  const missing = missingPrerequisites();
  if (missing) {
    console.error(`bench: ${missing}`);
    process.exit(2);
  }
  execFileSync(PYTHON, [join(ROOT, 'bench', 'photos.py'), PHOTOS], { stdio: 'inherit' });
  if (!existsSync(join(SMALL, 'onnx', 'model.onnx'))) {
    console.log('making the small model (3 layers, 192 pixels) with PyTorch…');
    execFileSync(PYTHON, [join(ROOT, 'test', 'fixtures', 'make_fixtures.py'), '--small', SMALL], { stdio: 'inherit' });
  }
}

// ---- the native pipeline: Pillow on every core, then onnxruntime on every core ------------------

interface NativeSet {
  name: string;
  images: number;
  perCore: number;
  allCores: number;
}

function pillow(modelDir: string, sets: Array<{ name: string; files: string[] }>): NativeSet[] {
  const dir = mkdtempSync(join(tmpdir(), 'tench-native-'));
  try {
    writeFileSync(join(dir, 'sets.json'), JSON.stringify(sets));
    const out = execFileSync(PYTHON, [join(ROOT, 'bench', 'native.py'), join(modelDir, 'preprocessor_config.json'), join(dir, 'sets.json'), String(cores)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out) as NativeSet[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ms per image of the model in onnxruntime-node, batch 8, on `threads` threads. */
async function nativeInference(modelDir: string, threads: number, images: number): Promise<number> {
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { image_size: number };
  const size = config.image_size;
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const batch = 8;
  const input = new ort.Tensor('float32', new Float32Array(3 * size * size * batch).map(() => Math.random() * 2 - 1), [batch, 3, size, size]);
  for (let i = 0; i < 3; i++) await session.run({ pixel_values: input });
  const t0 = performance.now();
  for (let done = 0; done < images; done += batch) await session.run({ pixel_values: input });
  const ms = (performance.now() - t0) / images;
  await session.release();
  return ms;
}

// ---- tench in a plain browser, and through its CLI -------------------------------------------------

interface Measured {
  rate: number;
  cpu: Array<{ group: string; ms: number }>;
  /** Images the CPU figures cover (after the mark). */
  images: number;
  stepMs: Partial<Record<string, number>>;
  stepImages: number;
  firstRowS: number | null;
  note: string;
}

async function plainEndToEnd(browserPath: string, server: Served, model: string, images: number, manifest: string, extra: Partial<Scenario> = {}): Promise<Measured> {
  const meter = cpuMeter();
  let marked = 0;
  try {
    const r: EndToEnd = await plainCall(browserPath, server, 'endToEnd', { model, device: 'wasm', images, manifest, markAt: Math.round(images / 10), ...extra }, (done) => {
      marked = done;
      meter.mark();
    });
    return { rate: r.rate, cpu: meter.read(), images: images - marked, stepMs: r.stepMs, stepImages: images, firstRowS: r.firstRowMs === null ? null : r.firstRowMs / 1000, note: r.note ?? '' };
  } finally {
    meter.stop();
  }
}

/** `tench classify` as a user runs it, with --json: steady rate from its progress lines. */
async function cliRun(args: string[]): Promise<Measured & { summary: Record<string, unknown> }> {
  const state = mkdtempSync(join(tmpdir(), 'tench-bench-cli-'));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tench.js'), 'classify', ...args, '--json', '--state', join(state, 'state'), '--out', join(state, 'out.jsonl')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  let meter: CpuMeter | null = null;
  const lines: Array<Record<string, unknown>> = [];
  let mark: { done: number; elapsed: number } | null = null;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const o = JSON.parse(line) as Record<string, unknown>;
      lines.push(o);
      meter ??= child.pid ? cpuMeter(child.pid, 'CLI and its server (node)') : null;
      // The first progress line past a tenth of the images starts the count: the model has loaded.
      if (!mark && o.type === 'progress' && (o.done as number) > 0 && (o.done as number) >= 0.1 * (o.listed as number)) {
        mark = { done: o.done as number, elapsed: o.elapsed_s as number };
        meter?.mark();
      }
    }
  });
  const code = await new Promise<number>((done) => child.once('exit', (c) => done(c ?? 1)));
  const cpu = meter ? (meter as CpuMeter).read() : [];
  (meter as CpuMeter | null)?.stop();
  rmSync(state, { recursive: true, force: true });
  if (code !== 0) throw new Error(`tench classify exited ${code}: ${stderr.trim().split('\n').at(-1)}`);
  const progress = lines.filter((l) => l.type === 'progress');
  const last = progress.at(-1)!;
  const summary = lines.find((l) => l.type === 'summary')!;
  const m = mark as { done: number; elapsed: number } | null;
  const images = m ? (last.done as number) - m.done : 0;
  const rate = m && (last.elapsed_s as number) > m.elapsed ? images / ((last.elapsed_s as number) - m.elapsed) : 0;
  return { rate, cpu, images, stepMs: (last.step_ms ?? {}) as Record<string, number>, stepImages: last.done as number, firstRowS: summary.first_row_s as number | null, summary, note: '' };
}

// ---- main -----------------------------------------------------------------------------------------------

/**
 * 6. The CLI's outputs: peak resident memory of a Node process streaming N synthetic rows through
 * the real output code (bench/sink.ts), each size and format in a fresh process: once with Node's
 * defaults, and once with V8's heap bounded (BOUNDED_HEAP). Under the defaults V8 lets a heap that
 * allocates fast grow before it collects, so a longer run peaks higher although it keeps nothing;
 * in the bounded heap a million rows could not be kept (they would need about a gigabyte), so a
 * flat peak there is the process's own need.
 */
const BOUNDED_HEAP = ['--max-semi-space-size=1', '--max-old-space-size=48'];

function sinkMemory(): void {
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const dir = mkdtempSync(join(tmpdir(), 'tench-sink-'));
  const rows: Array<Array<string | number>> = [['format', 'rows', 'peak RSS MiB', 'vs 10,000', 'bounded heap MiB', 'vs 10,000', 'rows/s', 'file MiB']];
  const once = (format: string, n: number, flags: string[]) => {
    const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', join(ROOT, 'bench', 'sink.ts'), format, String(n), dir], { encoding: 'utf8' });
    rmSync(join(dir, `rows-${n}.${format}`), { force: true });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { seconds: number; bytes: number; peakKiB: number };
    return { ...r, peak: r.peakKiB / 1024 };
  };
  try {
    for (const format of ['jsonl', 'csv', 'parquet']) {
      let base: { free: number; bounded: number } | undefined;
      for (const n of sizes) {
        const free = once(format, n, []);
        const bounded = once(format, n, BOUNDED_HEAP).peak;
        base ??= { free: free.peak, bounded };
        rows.push([format, n.toLocaleString('en'), free.peak, free.peak / base.free, bounded, bounded / base.bounded, String(Math.round(n / free.seconds)), free.bytes / 2 ** 20]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nthe CLI's --out: a Node process streaming synthetic rows through the output code, a fresh process each; peak resident memory with Node's defaults, and with the heap bounded (${BOUNDED_HEAP.join(' ')})`);
  console.log(table(rows));
}

/** Model folders with last_hidden_state in their graphs, made once: the small model, and (without --quick) ViT-B/16's shapes. */
function embeddingModels(): Array<{ name: string; dir: string; images: number }> {
  const models = [{ name: 'tiny (bundled)', dir: TINY, images: 1000 }, { name: 'small', dir: join(CACHE, 'models', 'small-vit-hidden'), images: 1000 }];
  if (!quick) models.push({ name: 'ViT-B/16 shapes', dir: join(CACHE, 'models', 'vit-base-hidden'), images: 200 });
  for (const m of models.slice(1)) {
    if (existsSync(join(m.dir, 'onnx', 'model.onnx'))) continue;
    console.log(`making ${m.dir} with PyTorch…`);
    execFileSync(PYTHON, [join(ROOT, 'test', 'fixtures', 'make_fixtures.py'), m.name === 'small' ? '--small' : '--vit-base', m.dir, '--hidden-state'], { stdio: 'inherit' });
  }
  return models;
}

async function main(): Promise<void> {
  if (sinkOnly) return sinkMemory();
  if (embeddingsOnly) {
    await ensureBuilt(ROOT, (line) => console.log(line));
    const rows = await embeddingsBench({ root: ROOT, python: PYTHON, models: embeddingModels() });
    console.log('\n--embeddings: a WebDataset shard of the bundled samples through tench classify (WASM, Parquet out), without and with the vectors');
    console.log(table(rows));
    return;
  }
  if (webgpuOnly) return webgpuBench({ root: ROOT, dist: await buildBenchApp(), routes: benchRoutes, placementOnly: !process.argv.includes('--webgpu') });
  const browserPath = findBrowser();
  if (!browserPath.ok) throw new Error(browserPath.reason);
  ensureInputs();
  if (webnnOnly) {
    return webnnBench({ python: PYTHON, dist: await buildBenchApp(), routes: benchRoutes, modelDir: VIT_BASE, photosDir: MIXED, photos: 32, cores });
  }
  if (dtypesOnly) {
    return dtypesBench({ root: ROOT, python: PYTHON, browserPath: browserPath.path, dist: await buildBenchApp(), routes: benchRoutes, modelDir: VIT_BASE, photosDir: MIXED, photos: 64, threads: cores });
  }
  const hasVitBase = existsSync(join(VIT_BASE, 'onnx', 'model.onnx'));
  console.log('building the app and the bench page…');
  const dist = await buildBenchApp();
  // The CLI builds its own copy of the app after a change to the sources: done here, so that no
  // `tench classify` below is timed building it.
  await ensureBuilt(ROOT, (line) => console.log(line));
  const servers: Served[] = [];
  const open = async (dataDir: string, modelDir?: string) => {
    const s = await serve(dist, { dataDir, modelDir }, 0, benchRoutes);
    servers.push(s);
    return s;
  };
  try {
    // One server per data folder and model folder, as `tench classify` serves them.
    const photos = await open(PHOTOS, hasVitBase ? VIT_BASE : undefined);
    const mixed = await open(MIXED, SMALL);
    const first = await launch(browserPath.path);
    await photos.admit(first.context);
    const version = (await first.context.browser()?.version()) ?? 'chromium';
    const probe = await first.context.newPage();
    await probe.goto(`${photos.origin}/bench/bench.html`);
    await probe.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
    const call = <K extends keyof Bench>(name: K, arg: Parameters<Bench[K]>[0]) => probe.evaluate(([n, a]) => (window.bench[n] as (x: unknown) => Promise<never>)(a), [name, arg] as const) as Promise<Awaited<ReturnType<Bench[K]>>>;
    const adapter = await call('adapter', undefined as never);
    console.log(`tench bench · ${new Date().toISOString().slice(0, 16)} · Chromium ${version} · ${cores} cores · WebGPU adapter: ${adapter.present ? `${adapter.description}${adapter.fallback ? ' (software)' : ''}` : 'none'}`);

    const mixedFiles = files(MIXED);
    const url = (set: string, n: string) => `${photos.origin}/data/files/${set}/${encodeURIComponent(n)}`;
    const chosen: Array<{ name: string; folder: string; names: string[] }> = [
      { name: 'JPEG 500x375', folder: 'mixed', names: mixedFiles.filter((n) => n.endsWith('.jpg')).slice(0, 200) },
      { name: 'JPEG 2000x1500', folder: 'jpeg-2000x1500', names: files(join(PHOTOS, 'jpeg-2000x1500')) },
      { name: 'PNG RGB 500x375', folder: 'mixed', names: mixedFiles.filter((n) => n.endsWith('.png')).slice(0, 100) },
      { name: 'PNG palette/alpha', folder: 'png-palette-alpha', names: files(join(PHOTOS, 'png-palette-alpha')) },
      { name: 'WebP 500x375', folder: 'webp', names: files(join(PHOTOS, 'webp')) },
    ];
    const sets: Array<ImageSet & { files: string[] }> = chosen.map((s) => ({ name: s.name, urls: s.names.map((n) => url(s.folder, n)), files: s.names.map((n) => join(PHOTOS, s.folder, n)) }));

    if (!memoryOnly) {
      // 1. Preprocessing, one worker against Pillow on one core, same files, the model's processor.
      const pre: PreprocessResult[] = await call('preprocess', { sets: sets.map(({ name, urls }) => ({ name, urls })), model: 'tench-tiny-vit', modelBase: `${photos.origin}/models/`, rounds: 3, transformers: !quick });
      await first.close();
      const native = pillow(TINY, sets);
      console.log(`\npreprocessing to ${JSON.parse(readFileSync(join(TINY, 'preprocessor_config.json'), 'utf8')).size.width} pixels (bilinear), images/s: tench in one worker, Pillow + NumPy in one process and in ${cores}`);
      console.log(table([
        ['images', 'count', 'mean px', 'tench', 'Pillow', 'tench/Pillow', 'Pillow, every core', 'transformers.js'],
        ...pre.map((r, i) => [r.name, String(r.images), `${Math.round(r.meanPixels / 1000)}k`, r.tench, native[i]!.perCore, r.tench / native[i]!.perCore, native[i]!.allCores, r.transformers || '-']),
      ]));
      const steps = ['header', 'decode', 'readback', 'pixels', 'resize', 'normalize', 'thumbnail'] as const;
      console.log('\ntench\'s steps alone, ms per image (one worker, nothing else running; decode waits on the browser\'s decoder thread)');
      console.log(table([
        ['images', ...steps, 'thumbnail share'],
        ...pre.map((r) => {
          const total = steps.reduce((s, k) => s + (r.steps[k] ?? 0), 0);
          return [r.name, ...steps.map((k) => r.steps[k] ?? 0), `${((100 * (r.steps.thumbnail ?? 0)) / total).toFixed(1)}%`];
        }),
      ]));

      // 2. End to end with the small model on 1,200 photos against the native pipeline.
      const mixedSet = [{ name: 'mixed', files: mixedFiles.map((n) => join(MIXED, n)) }];
      const pil = pillow(SMALL, mixedSet)[0]!;
      const inferMs = await nativeInference(SMALL, 1, 400);
      // Pillow on every core, then inference on every core: the cores share both.
      const nativeRate = 1 / (1 / pil.allCores + inferMs / 1000 / cores);
      const small = localModelId(SMALL);
      const plain = await plainEndToEnd(browserPath.path, mixed, small, mixedFiles.length, `${mixed.origin}/data/manifest.jsonl`);
      const cli = await cliRun([MIXED, '--model', SMALL, '--device', 'wasm']);
      console.log(`\nend to end, the small model (3 layers, 192 pixels) on ${mixedFiles.length} photos (900 JPEG, 300 PNG, 500x375), images/s in steady state`);
      console.log(`native pipeline: Pillow + NumPy on ${cores} processes ${pil.allCores.toFixed(1)}, onnxruntime-node ${inferMs.toFixed(2)} ms an image (1 thread, batch 8): ${nativeRate.toFixed(1)} images/s`);
      console.log(table([
        ['tench', 'images/s', 'tench/native', 'first row (s)', 'plan'],
        ['plain browser', plain.rate, plain.rate / nativeRate, plain.firstRowS === null ? '-' : plain.firstRowS.toFixed(2), plain.note],
        ['tench classify (Playwright)', cli.rate, cli.rate / nativeRate, cli.firstRowS === null ? '-' : cli.firstRowS.toFixed(2), ''],
      ]));
      const stepNames = ['header', 'decode', 'readback', 'pixels', 'resize', 'normalize', 'thumbnail', 'infer', 'store'];
      const alone = pre[0]!.steps;
      console.log('\nms per image in each step (wall time in the thread doing it): alone (JPEG 500x375, one worker) and in the two runs');
      console.log(table([
        ['step', 'alone', 'plain browser', 'tench classify'],
        ...stepNames.map((s) => [s, s in alone ? (alone as Record<string, number>)[s]! : '-', (plain.stepMs[s] ?? 0) / plain.stepImages, (cli.stepMs[s] ?? 0) / cli.stepImages]),
      ]));
      const groups = [...new Set([...plain.cpu, ...cli.cpu].map((c) => c.group.replace(/^CLI and its server \(node\)/, 'server (node)')))];
      const perImage = (m: Measured, g: string) => (m.cpu.filter((c) => c.group.replace(/^CLI and its server \(node\)/, 'server (node)') === g).reduce((s, c) => s + c.ms, 0)) / Math.max(1, m.images);
      const rows = groups.map((g) => [g, perImage(plain, g), perImage(cli, g)] as [string, number, number]).filter((r) => r[1] + r[2] >= 0.05).sort((a, b) => b[1] + b[2] - (a[1] + a[2]));
      console.log('\nCPU ms per image by process and thread, as the operating system counts it (steady state)');
      console.log(table([
        ['process · thread', 'plain browser', 'tench classify'],
        ...rows,
        ['total', rows.reduce((s, r) => s + r[1], 0), rows.reduce((s, r) => s + r[2], 0)],
      ]));

      const cpuPerImage = rows.reduce((s, r) => s + r[1], 0);
      const thumbAlone = alone.thumbnail ?? 0;
      const thumbInRun = (plain.stepMs.thumbnail ?? 0) / plain.stepImages;
      console.log(`thumbnail: ${thumbAlone.toFixed(2)} ms alone, ${thumbInRun.toFixed(2)} ms (wall) in the run, of ${cpuPerImage.toFixed(2)} ms of CPU an image: ${((100 * thumbAlone) / cpuPerImage).toFixed(1)}% (${((100 * thumbInRun) / cpuPerImage).toFixed(1)}%)`);

      // 3. From the command (or the click) to the first stored row, bundled model and samples.
      const starts: number[] = [];
      for (let i = 0; i < 3; i++) starts.push((await cliRun([join(ROOT, 'public', 'samples'), '--model', TINY])).firstRowS ?? NaN);
      const pageStart = await plainEndToEnd(browserPath.path, mixed, 'tench-tiny-vit', 12, `${mixed.origin}/samples/manifest.txt`);
      console.log(`\nfirst stored row, bundled model on the 12 samples: tench classify ${starts.map((s) => s.toFixed(2)).join(', ')} s after the command; the page ${pageStart.firstRowS?.toFixed(2)} s after Run`);

      // 4. Throughput: (a) model only, (b) tench end to end, (c) the naive port.
      console.log('\nthroughput, images/s (steady state, after the first batch):');
      const throughput = async (server: Served, model: string, label: string, device: Device, counts: { a: number; b: number; c: number }, batchSize?: number) => {
        const scenario: Scenario = { model, device, images: counts.a, ...(batchSize ? { batchSize } : {}) };
        const a = await plainCall(browserPath.path, server, 'modelOnly', scenario);
        const ceiling = device === 'wasm' ? await plainCall(browserPath.path, server, 'modelOnly', { ...scenario, sessions: cores, threads: 1 }) : null;
        const b = await plainCall(browserPath.path, server, 'endToEnd', { ...scenario, images: counts.b, manifest: `${server.origin}/data/manifest.jsonl` });
        // The same photos, every twelfth (75 JPEG, 25 PNG), from the page's own origin.
        const urls = mixedFiles.filter((_, i) => i % 12 === 0).map((n) => `${server.origin}/data/files/${n}`);
        const c = await plainCall(browserPath.path, server, 'naive', { ...scenario, batchSize: 8, images: counts.c, urls });
        console.log(`  ${label} ${device}: (a) ${a.rate.toFixed(2)}  (b) ${b.rate.toFixed(2)}  (c) ${c.rate.toFixed(2)}${ceiling ? `  model on every core ${ceiling.rate.toFixed(2)}` : ''}`);
        return { label, device, a, b, c, ceiling };
      };
      const results = [
        await throughput(mixed, small, 'small ViT', 'wasm', { a: 1600, b: 1200, c: 1200 }),
        await throughput(mixed, 'tench-tiny-vit', 'tiny ViT', 'wasm', { a: 1600, b: 1200, c: 1200 }),
      ];
      // A software adapter reports GPU-sized limits; the plan's batch would outlast the few images it can manage in time.
      if (adapter.present) results.push(await throughput(mixed, 'tench-tiny-vit', 'tiny ViT', 'webgpu', adapter.fallback ? { a: 64, b: 64, c: 64 } : { a: 1600, b: 1200, c: 1200 }, adapter.fallback ? 8 : undefined));
      let vitNative: number | null = null;
      if (!quick && hasVitBase) {
        const vitMixed = await open(MIXED, VIT_BASE);
        results.push(await throughput(vitMixed, localModelId(VIT_BASE), 'ViT-B/16', 'wasm', { a: 40, b: 48, c: 40 }));
        vitNative = 1000 / (await nativeInference(VIT_BASE, cores, 32));
      }
      console.log(table([
        ['model', 'device', '(a) model only', '(b) tench', '(c) naive', '(b)/(a)', '(b)/(c)', 'model on every core', 'that/(c)'],
        ...results.map((r) => [r.label, r.device, r.a.rate, r.b.rate, r.c.rate, r.b.rate / r.a.rate, r.b.rate / r.c.rate, r.ceiling ? r.ceiling.rate : '-', r.ceiling ? r.ceiling.rate / r.c.rate : '-']),
      ]));
      for (const r of results) console.log(`  ${r.label} ${r.device}: (a) ${r.a.note}; (b) ${r.b.note}; (c) ${r.c.note}`);
      if (vitNative !== null) {
        const wasm = results.find((r) => r.label === 'ViT-B/16');
        console.log(`ViT-B/16 in onnxruntime-node (native CPU, ${cores} threads, batch 8): ${vitNative.toFixed(2)} images/s; (b) wasm / native = ${wasm ? (wasm.b.rate / vitNative).toFixed(2) : '-'}`);
      } else if (!quick) console.log(`ViT-B/16: skipped; make the model with: ${PYTHON} test/fixtures/make_fixtures.py --vit-base .cache/models/vit-base-random`);
    } else await first.close();

    // 5. Memory: peak resident size of the whole browser over a run, as a user's browser runs it
    // and driven by Playwright as `tench classify` runs it; the photos listed again and again.
    const sizes = quick ? [1000] : [1000, 10_000];
    const memoryServer = await open(PHOTOS);
    mkdirSync(join(PHOTOS, 'manifests'), { recursive: true });
    const scenario = (n: number) => {
      const file = `photos-${n}.jsonl`;
      const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ url: `../mixed/${mixedFiles[i % mixedFiles.length]}`, path: `img-${String(i).padStart(6, '0')}.jpg` }));
      writeFileSync(join(PHOTOS, 'manifests', file), `${lines.join('\n')}\n`);
      return { model: 'tench-tiny-vit', device: 'wasm' as const, images: n, manifest: `${memoryServer.origin}/data/files/manifests/${file}` };
    };
    const plainRuns: Array<{ n: number; result: Rate; peakBytes: number }> = [];
    for (const n of sizes) plainRuns.push({ n, ...(await peakDuring(() => plainCall(browserPath.path, memoryServer, 'endToEnd', scenario(n)))) });
    const driven: typeof plainRuns = [];
    for (const n of sizes) {
      const launched = await launch(browserPath.path);
      try {
        await memoryServer.admit(launched.context);
        const page = await launched.context.newPage();
        await page.goto(`${memoryServer.origin}/bench/bench.html`);
        await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
        const arg = scenario(n);
        driven.push({ n, ...(await peakDuring(() => page.evaluate((a) => window.bench.endToEnd(a), arg))) });
      } finally {
        await launched.close();
      }
    }
    const memoryTable = (runs: typeof plainRuns) => table([
      ['images', 'peak MiB', 'images/s', 'vs first'],
      ...runs.map((r) => [String(r.n), r.peakBytes / 2 ** 20, r.result.rate, r.peakBytes / runs[0]!.peakBytes]),
    ]);
    console.log('\npeak browser memory over a run (tiny ViT, wasm, every Chromium process, resident):');
    console.log(`as a user's browser runs it (no automation attached):\n${memoryTable(plainRuns)}`);
    console.log(`driven by Playwright, as tench classify runs it (DevTools keeps up to 200 MB of response bodies):\n${memoryTable(driven)}`);
    sinkMemory();
  } finally {
    for (const s of servers) await s.close();
    rmSync(join(PHOTOS, 'manifests'), { recursive: true, force: true });
    removeProfiles();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
