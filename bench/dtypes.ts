// npm run bench -- --dtypes: what 8-bit weights (q8, the Hub's model_quantized.onnx) buy on
// ViT-B/16 against fp32, in the plain browser on WASM and natively in onnxruntime-node, each
// measured with fp32 in the same run on the same threads, batch by batch in turn, on the same
// photos prepared once by Pillow; and how often q8's top-1 label is fp32's.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Dtype } from '../src/core/device.ts';
import { DTYPE_FILES } from '../src/model/model.ts';
import { localModelId } from '../src/server/routes.ts';
import type { DevicesResult } from './devices-page.ts';
import { plainCall, removeProfiles } from './plain-browser.ts';
import { PIXELS_ROUTE, preparePixels, servePixels, type PreparedBench } from './prepared-pixels.ts';

export interface DtypesOptions extends PreparedBench {
  root: string;
  browserPath: string;
  threads: number;
}

const BATCH = 8;

/** Per dtype: time per image and each image's top-1 label, in order. */
interface DtypeResult {
  images: number;
  msPerImage: Partial<Record<Dtype, number>>;
  top1: Partial<Record<Dtype, string[]>>;
}
const COMPARED: readonly Dtype[] = ['fp32', 'q8'];

/** The q8 file beside the fp32 one, made once by test/fixtures/quantize.py as the Hub makes it. */
function ensureModel(o: DtypesOptions): void {
  if (!existsSync(join(o.modelDir, DTYPE_FILES.fp32.file))) {
    throw new Error(`--dtypes needs ViT-B/16 in ${o.modelDir}: make it with ${o.python} test/fixtures/make_fixtures.py --vit-base ${o.modelDir}`);
  }
  if (!existsSync(join(o.modelDir, DTYPE_FILES.q8.file))) {
    console.log(`making ${DTYPE_FILES.q8.file} with test/fixtures/quantize.py…`);
    execFileSync(o.python, [join(o.root, 'test', 'fixtures', 'quantize.py'), o.modelDir, '--only', 'q8'], { stdio: 'inherit' });
  }
}

const argmax = (logits: Float32Array, row: number, classes: number) => {
  let best = 0;
  for (let j = 1; j < classes; j++) if (logits[row * classes + j]! > logits[row * classes + best]!) best = j;
  return best;
};

/** onnxruntime-node, fp32 and q8 sessions on the same threads, a batch of each in turn. */
async function native(o: DtypesOptions, pixels: Float32Array, size: number, count: number): Promise<DtypeResult> {
  const sessions = await Promise.all(COMPARED.map((d) => ort.InferenceSession.create(join(o.modelDir, DTYPE_FILES[d].file), { intraOpNumThreads: o.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' })));
  const per = 3 * size * size;
  const batch = (from: number, n: number) => ({ pixel_values: new ort.Tensor('float32', pixels.subarray(from * per, (from + n) * per), [n, 3, size, size]) });
  const ms = COMPARED.map(() => 0);
  const top1: number[][] = COMPARED.map(() => []);
  try {
    for (const s of sessions) await s.run(batch(0, Math.min(BATCH, count)));
    for (let from = 0; from < count; from += BATCH) {
      const n = Math.min(BATCH, count - from);
      for (const [i, s] of sessions.entries()) {
        const t0 = performance.now();
        const logits = (await s.run(batch(from, n))).logits!.data as Float32Array;
        ms[i]! += performance.now() - t0;
        for (let r = 0; r < n; r++) top1[i]!.push(argmax(logits, r, logits.length / n));
      }
    }
  } finally {
    for (const s of sessions) await s.release();
  }
  return {
    images: count,
    msPerImage: Object.fromEntries(COMPARED.map((d, i) => [d, ms[i]! / count])),
    top1: Object.fromEntries(COMPARED.map((d, i) => [d, top1[i]!.map(String)])),
  };
}

/** The same in the plain browser: the page fetches the prepared tensors from the bench's server. */
async function wasm(o: DtypesOptions, pixelsFile: string): Promise<DtypeResult> {
  const server = await servePixels(o, pixelsFile);
  try {
    const variants = COMPARED.map((dtype) => ({ device: 'wasm' as const, dtype, sessions: 1, threads: o.threads }));
    const r: DevicesResult = await plainCall(o.browserPath, server, 'devices', { model: localModelId(o.modelDir), variants, batchSize: BATCH, pixelsUrl: `${server.origin}${PIXELS_ROUTE}` });
    return {
      images: r.images,
      msPerImage: Object.fromEntries(COMPARED.map((d, i) => [d, r.variants[i]!.msPerImage])),
      top1: Object.fromEntries(COMPARED.map((d, i) => [d, r.variants[i]!.top1])),
    };
  } finally {
    await server.close();
  }
}

function line(where: string, r: DtypeResult): string {
  const fp32 = r.msPerImage.fp32!;
  const q8 = r.msPerImage.q8!;
  const a = r.top1.fp32!;
  const b = r.top1.q8!;
  const agree = (100 * a.filter((label, i) => label === b[i]).length) / a.length;
  return `${where} q8 ViT-B/16: ${Math.round(q8)} ms/image vs fp32 ${Math.round(fp32)} ms/image (${(fp32 / q8).toFixed(2)}x faster); top-1 agreement with fp32 ${agree.toFixed(1)}% on ${r.images} photos`;
}

export async function dtypesBench(o: DtypesOptions): Promise<void> {
  ensureModel(o);
  const dir = mkdtempSync(join(tmpdir(), 'tench-dtypes-'));
  try {
    const pixelsFile = join(dir, 'pixels.bin');
    const { size, count } = preparePixels(o.python, o.modelDir, o.photosDir, o.photos, pixelsFile);
    const buffer = readFileSync(pixelsFile);
    const pixels = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
    console.log(`\nq8 against fp32, ViT-B/16 (random weights, ${DTYPE_FILES.q8.file}: 8-bit unsigned weights, quantize_dynamic's graph) on ${count} photos, batch ${BATCH}, ${o.threads} threads, a batch of each in turn`);
    console.log(line('wasm', await wasm(o, pixelsFile)));
    console.log(line('native', await native(o, pixels, size, count)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    removeProfiles();
  }
}
