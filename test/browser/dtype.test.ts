// --dtype picks the model file: fp32 model.onnx, fp16 model_fp16.onnx, q8 model_quantized.onnx,
// int8 model_int8.onnx, uint8 model_uint8.onnx, q4 model_q4.onnx, q4f16 model_q4f16.onnx.
// An fp16 model on a WebGPU adapter without shader-f16 runs as fp32, and says so.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from '../../src/core/device.ts';
import { DTYPE_FILES } from '../../src/model/model.ts';
import { freshState, readJsonl, runCli, summary, type OutRow } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { startHubMirror } from '../helpers/hub-mirror.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));

async function classify(args: string[], env: Record<string, string> = {}, model = TINY_MODEL): Promise<{ rows: Map<string, OutRow>; stderr: string; stdout: string }> {
  const out = join(tempDir(), 'out.jsonl');
  const r = await runCli(['classify', SAMPLES, '--model', model, '--out', out, ...args], env);
  expect(r.code, r.stderr).toBe(0);
  return { rows: new Map(readJsonl(out).map((row) => [row.path, row])), stderr: r.stderr, stdout: r.stdout };
}

/** A copy of the bundled model with no weights but the dtype's own file: a run that works read that file. */
function folderWithOnly(dtype: Dtype): string {
  const dir = join(tempDir(), `tiny-${dtype}`);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const file of ['config.json', 'preprocessor_config.json', DTYPE_FILES[dtype].file]) copyFileSync(join(TINY_MODEL, file), join(dir, file));
  return dir;
}

/** Top-1 must survive the precision change wherever the reference's margin is wide. */
function agreesWhereClear(rows: Map<string, OutRow>, minMargin: number): { compared: number; largestDrift: number } {
  let compared = 0;
  let largestDrift = 0;
  for (const [name, ref] of reference) {
    const row = rows.get(name)!;
    expect(row.error, name).toBeNull();
    largestDrift = Math.max(largestDrift, Math.abs(row.score! - ref.top_k[0]!.score));
    if (ref.logit_margin < minMargin) continue;
    compared++;
    expect(row.label, name).toBe(ref.top_k[0]!.label);
  }
  return { compared, largestDrift };
}

const movedFrom = (rows: Map<string, OutRow>, base: Map<string, OutRow>) => [...rows].some(([path, row]) => Math.abs(row.score! - base.get(path)!.score!) > 1e-3);

describe('--dtype', () => {
  let fp32: Map<string, OutRow>;
  // The fp32 run's state folder: a later run there reuses its rows where they are comparable.
  const state = freshState();
  beforeAll(async () => {
    fp32 = (await classify(['--device', 'wasm'], { TENCH_STATE: state })).rows;
  });

  it('q8 loads the quantized model: labels hold where clear, scores move', async () => {
    const { rows, stderr } = await classify(['--device', 'wasm', '--dtype', 'q8']);
    expect(stderr).toContain('device: wasm, dtype: q8;');
    const { compared, largestDrift } = agreesWhereClear(rows, 1.0);
    expect(compared).toBeGreaterThanOrEqual(4);
    // A different file really ran: int8 weights move the scores far beyond float noise.
    expect(largestDrift).toBeGreaterThan(1e-3);
    expect(movedFrom(rows, fp32)).toBe(true);
  });

  it('never answers a q8 run with fp32 rows, which it reuses for another fp32 run', async () => {
    const again = await classify(['--device', 'wasm'], { TENCH_STATE: state });
    expect(summary(again.stdout)).toMatchObject({ images: 12, reused: 12 });
    const q8 = await classify(['--device', 'wasm', '--dtype', 'q8'], { TENCH_STATE: state });
    expect(summary(q8.stdout)).toMatchObject({ images: 12, reused: 0, resumed: 0 });
    expect(movedFrom(q8.rows, fp32)).toBe(true);
  });

  // Each from a folder that holds its own file and no other weights. 4-bit weights move the
  // logits by up to about 3 on this model, so only the widest reference margins must hold there.
  const cases: Array<{ dtype: Dtype; minMargin: number; atLeast: number }> = [
    { dtype: 'int8', minMargin: 1.0, atLeast: 4 },
    { dtype: 'uint8', minMargin: 1.0, atLeast: 4 },
    { dtype: 'q4', minMargin: 2.5, atLeast: 3 },
    { dtype: 'q4f16', minMargin: 2.5, atLeast: 3 },
  ];
  for (const { dtype, minMargin, atLeast } of cases) {
    it(`${dtype} loads ${DTYPE_FILES[dtype].file} on WASM: labels hold where clear, scores move`, async () => {
      const { rows, stderr } = await classify(['--device', 'wasm', '--dtype', dtype], {}, folderWithOnly(dtype));
      expect(stderr).toContain(`device: wasm, dtype: ${dtype};`);
      expect(rows.size).toBe(12);
      const { compared } = agreesWhereClear(rows, minMargin);
      expect(compared).toBeGreaterThanOrEqual(atLeast);
      expect(movedFrom(rows, fp32)).toBe(true);
    });
  }

  it('says in one sentence which file a model folder lacks for the dtype, and which dtypes it has', async () => {
    const dir = folderWithOnly('q8');
    copyFileSync(join(TINY_MODEL, DTYPE_FILES.fp32.file), join(dir, DTYPE_FILES.fp32.file));
    const r = await runCli(['classify', SAMPLES, '--model', dir, '--dtype', 'q4', '--out', join(tempDir(), 'x.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tench: model folder ${dir} has no onnx/model_q4.onnx for dtype q4; the dtypes it has are fp32, q8`);
  });

  it('says the same of a Hub model, naming the dtypes the hub has', async () => {
    const mirror = await startHubMirror(folderWithOnly('int8'), 'tench/tiny-int8', 'main');
    try {
      const r = await runCli(['classify', SAMPLES, '--model', 'tench/tiny-int8', '--dtype', 'q4f16', '--out', join(tempDir(), 'x.jsonl')], { HF_ENDPOINT: mirror.endpoint });
      expect(r.code).toBe(1);
      // After the lines of the config files' download, the one sentence; no stack trace.
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`tench: model tench/tiny-int8 at ${mirror.endpoint}, revision main, has no onnx/model_q4f16.onnx for dtype q4f16; the dtypes it has are int8`);
    } finally {
      await mirror.close();
    }
  });

  it('fp16 loads the half-precision model on WASM', async () => {
    const { rows, stderr } = await classify(['--device', 'wasm', '--dtype', 'fp16']);
    expect(stderr).toContain('device: wasm, dtype: fp16;');
    const { compared, largestDrift } = agreesWhereClear(rows, 0.2);
    expect(compared).toBeGreaterThanOrEqual(8);
    expect(largestDrift).toBeGreaterThan(1e-6);
    expect(largestDrift).toBeLessThan(0.02);
  });

  it('fp16 on a WebGPU adapter without shader-f16 runs as fp32, with a notice', async () => {
    const { rows, stderr } = await classify(['--device', 'webgpu', '--dtype', 'fp16', '--limit', '3']);
    expect(stderr).toMatch(/device: webgpu, dtype: fp32; the WebGPU adapter \(.*\) has no shader-f16, so fp16 runs as fp32/);
    expect(rows.size).toBe(3);
    for (const [path, row] of rows) expect(Math.abs(row.score! - fp32.get(path)!.score!), path).toBeLessThan(1e-4);
  });
});
