// npm run bench -- --webgpu: the WebGPU path checked on the graph, on whatever adapter the browser
// has (on a machine with no GPU, Chromium's SwiftShader: WebGPU computed on the CPU, correct but
// slow, so every timing here says how the path behaves, not how fast a GPU is).
//
//   1. placement: where ONNX Runtime puts each node, from its own verbose log ("Node placements",
//      session_state.cc), for ViT-B/16 and the bundled tiny model, fp32. For fp16 the counts come
//      from the tiny model's fp16 graph (the same op types as ViT-B's): ORT's placement of that
//      graph with graph optimizations off, so that the nodes are the file's own. The WebGPU
//      provider takes a node only when its kernel registry holds a kernel for the node's types, so
//      a float16 node placed on WebGPU is one with a WebGPU fp16 kernel; one left to the CPU is not.
//   2. the inference worker's live GPU buffer bytes (workers/infer/session.ts counts them) after
//      batch 10 and after batch 1,000 of the tiny model.
//   3. sessions x batch size, images/s, tiny model.
//   4. GPU time per ORT WebGPU program over one ViT-B/16 forward pass, from timestamp queries
//      around every dispatch (bench-page.ts's clockKernels).
//
//   npm run bench -- --placement   only the placement lines

import { execFileSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { findBrowser, launch } from '../src/cli/browser.ts';
import { serve } from '../src/cli/server.ts';
import { localModelId } from '../src/server/routes.ts';
import type { Bench, GraphReport, Rate } from './bench-page.ts';

const PYTHON = '/usr/bin/python3';
const MEMORY_BATCH = 1;
const SWEEP_SESSIONS = [1, 2, 4];
const SWEEP_BATCHES = [1, 4, 16];
/**
 * SwiftShader runs the tiny model at about a second a batch of one on this 2-core machine (a batch
 * of 64 takes a minute), so a software adapter gets no largest-batch column and two rounds a cell;
 * the memory run is 1,000 batches everywhere (about 17 minutes on SwiftShader), since a leak of a
 * buffer a batch is what it is there to show.
 */
const scaled = (software: boolean) => ({
  batches: 1000,
  largest: !software,
  rounds: software ? 2 : 8,
});

interface Options {
  root: string;
  dist: string;
  routes: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  placementOnly: boolean;
}

/** A fresh bench page: ONNX Runtime reads its log level once per realm. */
async function benchPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/bench/bench.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  return page;
}

async function call<K extends keyof Bench>(context: BrowserContext, origin: string, name: K, arg: Parameters<Bench[K]>[0]): Promise<Awaited<ReturnType<Bench[K]>>> {
  const page = await benchPage(context, origin);
  try {
    return (await page.evaluate(([n, a]) => (window.bench[n] as (x: unknown) => Promise<never>)(a), [name, arg] as const)) as Awaited<ReturnType<Bench[K]>>;
  } finally {
    await page.close();
  }
}

/** ViT-B/16 with random weights, made once by the fixtures script; null (and why) if it cannot be. */
function vitBase(root: string): { dir: string } | { missing: string } {
  const dir = join(root, '.cache', 'models', 'vit-base-random');
  if (existsSync(join(dir, 'onnx', 'model.onnx'))) return { dir };
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
  } catch {
    return { missing: `ViT-B/16 skipped: making it needs Debian's python3-torch and python3-onnx (apt-get install python3-torch python3-onnx)` };
  }
  console.log('making ViT-B/16 with random weights (PyTorch)…');
  execFileSync(PYTHON, [join(root, 'test', 'fixtures', 'make_fixtures.py'), '--vit-base', dir], { stdio: 'inherit' });
  return { dir };
}

function placementLine(label: string, r: GraphReport): string {
  if (!r.placements.length) return `webgpu placement ${label}: no placement logged (${r.error ?? 'ORT printed none'})`;
  const on = (p: string) => r.placements.filter((x) => x.provider === p).reduce((s, x) => s + x.nodes, 0);
  const cpu = r.placements.find((x) => x.provider === 'CPUExecutionProvider');
  const kinds = new Map<string, number>();
  for (const node of cpu?.list ?? []) kinds.set(node.split(' ')[0]!, (kinds.get(node.split(' ')[0]!) ?? 0) + 1);
  const detail = kinds.size ? `\n  on CPU: ${[...kinds].map(([k, n]) => `${k} x${n}`).join(', ')} (shape arithmetic on int64, which ORT keeps on the CPU)` : '';
  return `webgpu placement ${label}: ${on('WebGpuExecutionProvider')} nodes on WebGPU, ${on('CPUExecutionProvider')} on CPU${detail}`;
}

/** The nodes of an ONNX file that read or write float16, by name, with their op types. */
function float16Nodes(file: string): Map<string, string> {
  const script = [
    'import json, sys, onnx',
    'm = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))',
    'g = m.graph',
    'types = {v.name: v.type.tensor_type.elem_type for v in list(g.value_info) + list(g.input) + list(g.output)}',
    'types.update({t.name: t.data_type for t in g.initializer})',
    'half = onnx.TensorProto.FLOAT16',
    'print(json.dumps({n.name: n.op_type for n in g.node if any(types.get(x) == half for x in list(n.input) + list(n.output))}))',
  ].join('\n');
  return new Map(Object.entries(JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Record<string, string>));
}

/**
 * "N of M ops": op types with float16 nodes, and those whose every float16 node ORT put on
 * WebGPU. A node in no list was rewritten by the provider's layout pass (Conv becomes an NHWC Conv
 * of another name): it counts as placed where its op type is. Constant nodes are no ops at run
 * time (ORT makes them initializers), so they are left out.
 */
function fp16Coverage(nodes: Map<string, string>, r: GraphReport): { covered: string[]; missing: string[] } {
  const onlyWebgpu = r.placements.length === 1 && r.placements[0]!.provider === 'WebGpuExecutionProvider';
  const named = (provider: string) => new Set(r.placements.filter((p) => p.provider === provider).flatMap((p) => p.list.map((n) => /\((.*)\)$/.exec(n)?.[1] ?? '')));
  const gpu = named('WebGpuExecutionProvider');
  const cpu = named('CPUExecutionProvider');
  const gpuTypes = new Set(r.placements.filter((p) => p.provider === 'WebGpuExecutionProvider').flatMap((p) => p.list.map((n) => n.split(' ')[0]!)));
  const byType = new Map<string, boolean>();
  for (const [name, type] of nodes) {
    if (type === 'Constant') continue;
    const onGpu = onlyWebgpu || gpu.has(name) || (!cpu.has(name) && gpuTypes.has(type));
    byType.set(type, (byType.get(type) ?? true) && onGpu);
  }
  const types = [...byType.keys()].sort();
  return { covered: types.filter((t) => byType.get(t)), missing: types.filter((t) => !byType.get(t)) };
}

async function placement(context: BrowserContext, origin: string, root: string, base: { dir: string } | { missing: string }, profile: boolean): Promise<GraphReport | null> {
  let vit: GraphReport | null = null;
  if ('dir' in base) {
    const url = `${origin}/models/${localModelId(base.dir)}/onnx/model.onnx`;
    vit = await call(context, origin, 'webgpuGraph', { url, optimization: 'all', profile, input: [1, 3, 224, 224] });
    console.log(placementLine('ViT-B/16 fp32', vit));
  } else console.log(base.missing);
  console.log(placementLine('tiny ViT fp32', await call(context, origin, 'webgpuGraph', { url: `${origin}/models/tench-tiny-vit/onnx/model.onnx`, optimization: 'all', profile: false })));
  const f16 = await call(context, origin, 'webgpuGraph', { url: `${origin}/models/tench-tiny-vit/onnx/model_fp16.onnx`, optimization: 'disabled', profile: false });
  const cover = fp16Coverage(float16Nodes(join(root, 'public', 'models', 'tench-tiny-vit', 'onnx', 'model_fp16.onnx')), f16);
  const count = cover.covered.length + cover.missing.length;
  const page = await benchPage(context, origin);
  const f16Adapter = await page.evaluate(async () => (await navigator.gpu.requestAdapter())?.features.has('shader-f16') ?? false);
  await page.close();
  console.log(`webgpu placement ViT-B/16 fp16: ${f16Adapter ? 'not run here' : 'not run (no shader-f16 adapter)'}; ${cover.covered.length} of ${count} ops have WebGPU fp16 kernels`);
  console.log(`  counted on the tiny model's fp16 graph (ViT-B's op types), graph optimizations off: ${cover.covered.join(', ')} on WebGPU${cover.missing.length ? `; not: ${cover.missing.join(', ')}` : ''}`);
  if (f16.error) console.log(`  ORT on this adapter, after placing them: ${f16.error.replace(/^Error: /, '').split('\n')[0]}`);
  return vit;
}

/** The inference worker's live GPU buffer bytes after batch 10 and after batch 1,000. */
async function memory(context: BrowserContext, origin: string, batches: number): Promise<void> {
  const page = await benchPage(context, origin);
  try {
    await page.evaluate((b) => window.bench.gpuMemoryStart({ model: 'tench-tiny-vit', batchSize: b }), MEMORY_BATCH);
    const worker = page.workers().find((w) => w.url().includes('infer'));
    if (!worker) throw new Error('the inference worker did not start');
    const bytes = () => worker.evaluate(() => ({ ...globalThis.tenchGpuBytes! }));
    const first = await page.evaluate(() => window.bench.gpuMemoryRun(10));
    const x = await bytes();
    const started = Date.now();
    const last = await page.evaluate((n) => window.bench.gpuMemoryRun(n), batches - 10);
    const y = await bytes();
    const perBatch = (y.created - x.created) / (batches - 10);
    console.log(`webgpu memory tiny ViT: GPU buffer bytes after batch 10 ${x.live}, after batch ${batches} ${y.live} (Y/X = ${(y.live / x.live).toFixed(3)})`);
    console.log(`  batch of ${MEMORY_BATCH}; ${perBatch.toFixed(1)} buffers created (and destroyed) per batch by ONNX Runtime; ${((batches - 10) / ((Date.now() - started) / 1000)).toFixed(2)} batches/s; top-1 ${first === last ? 'the same' : 'DIFFERENT'} on batch 10 and ${batches}`);
  } finally {
    await page.close();
  }
}

/** Sessions x batch size, images/s, and the best cell; `largest` is the adapter's batch for the tiny model. */
async function sweep(context: BrowserContext, origin: string, o: { largest: boolean; rounds: number }): Promise<void> {
  const cells: Array<{ sessions: number; batch: string; rate: Rate }> = [];
  for (const sessions of SWEEP_SESSIONS) {
    for (const batch of [...SWEEP_BATCHES, ...(o.largest ? [undefined] : [])]) {
      // Every session runs `rounds` batches: the rate counts from the first batch's end.
      const images = (batch ?? 64) * sessions * o.rounds;
      const rate = await call(context, origin, 'modelOnly', { model: 'tench-tiny-vit', device: 'webgpu', images, sessions, ...(batch ? { batchSize: batch } : {}) });
      cells.push({ sessions, batch: batch ? String(batch) : `${/batch (\d+)/.exec(rate.note ?? '')?.[1] ?? '?'} (largest)`, rate });
    }
  }
  const batches = [...new Set(cells.map((c) => c.batch))];
  const rows = [['sessions \\ batch', ...batches], ...SWEEP_SESSIONS.map((s) => [String(s), ...batches.map((b) => cells.find((c) => c.sessions === s && c.batch === b)!.rate.rate.toFixed(2))])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log('webgpu sweep tiny ViT, images/s (model only, steady state):');
  for (const r of rows) console.log(`  ${r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`);
  const best = cells.reduce((a, b) => (b.rate.rate > a.rate.rate ? b : a));
  const plan = cells.find((c) => c.sessions === 2 && c.batch.endsWith('(largest)'));
  const planText = plan ? `${plan.rate.rate.toFixed(2)} (${(plan.rate.rate / best.rate.rate).toFixed(2)} of the best)` : 'not measured on a software adapter (a batch of 64 takes a minute)';
  console.log(`  best: ${best.sessions} session(s), batch ${best.batch}, ${best.rate.rate.toFixed(2)} images/s; the default plan (2 sessions, largest batch): ${planText}`);
}

function kernelTable(r: GraphReport | null): void {
  if (!r?.kernels) {
    console.log(`webgpu kernels ViT-B/16: not measured (${r ? (r.timestampQuery ? r.error ?? 'no run' : 'the device has no timestamp-query') : 'no ViT-B/16'})`);
    return;
  }
  const total = r.kernels.reduce((s, k) => s + k.ms, 0);
  console.log(`webgpu kernels ViT-B/16 fp32, one image, batch 1: ${total.toFixed(0)} ms of GPU time over ${r.kernels.reduce((s, k) => s + k.dispatches, 0)} dispatches (run ${((r.runMs ?? 0) / 1000).toFixed(1)} s wall); the ten most expensive ORT WebGPU programs:`);
  const rows = [['program (op)', 'dispatches', 'total ms', 'share'], ...r.kernels.slice(0, 10).map((k) => [k.name, String(k.dispatches), k.ms.toFixed(1), `${((100 * k.ms) / total).toFixed(1)}%`])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  for (const row of rows) console.log(`  ${row.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`);
}

export async function webgpuBench(o: Options): Promise<void> {
  const browser = findBrowser();
  if (!browser.ok) throw new Error(browser.reason);
  const base = vitBase(o.root);
  // Timestamps to the nanosecond, not quantized to 100 µs, for the kernel table.
  process.env.TENCH_CHROMIUM_ARGS = `${process.env.TENCH_CHROMIUM_ARGS ?? ''} --enable-webgpu-developer-features`;
  const served = await serve(o.dist, { modelDir: 'dir' in base ? base.dir : undefined }, 0, o.routes);
  const launched = await launch(browser.path);
  try {
    await served.admit(launched.context);
    const { context } = launched;
    const page = await benchPage(context, served.origin);
    const adapter = await page.evaluate(() => window.bench.adapter());
    await page.close();
    console.log(`WebGPU adapter: ${adapter.present ? `${adapter.description}${adapter.fallback ? ' (software: timings say nothing of a GPU)' : ''}` : 'none'}`);
    if (!adapter.present) return;
    const vit = await placement(context, served.origin, o.root, base, !o.placementOnly);
    if (o.placementOnly) return;
    const counts = scaled(adapter.fallback);
    await memory(context, served.origin, counts.batches);
    await sweep(context, served.origin, counts);
    kernelTable(vit);
  } finally {
    await launched.close();
    await served.close();
  }
}
