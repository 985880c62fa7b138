// --dtype picks the model file: fp32 model.onnx, fp16 model_fp16.onnx, q8 model_quantized.onnx.
// An fp16 model on a WebGPU adapter without shader-f16 runs as fp32, and says so.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, type OutRow } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));

async function classify(args: string[]): Promise<{ rows: Map<string, OutRow>; stderr: string }> {
  const out = join(tempDir(), 'out.jsonl');
  const r = await runCli(['classify', SAMPLES, '--model', TINY_MODEL, '--out', out, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return { rows: new Map(readJsonl(out).map((row) => [row.path, row])), stderr: r.stderr };
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

describe('--dtype', () => {
  let fp32: Map<string, OutRow>;
  beforeAll(async () => {
    fp32 = (await classify(['--device', 'wasm'])).rows;
  });

  it('q8 loads the quantized model: labels hold where clear, scores move', async () => {
    const { rows, stderr } = await classify(['--device', 'wasm', '--dtype', 'q8']);
    expect(stderr).toContain('device: wasm, dtype: q8;');
    const { compared, largestDrift } = agreesWhereClear(rows, 1.0);
    expect(compared).toBeGreaterThanOrEqual(4);
    // A different file really ran: int8 weights move the scores far beyond float noise.
    expect(largestDrift).toBeGreaterThan(1e-3);
    expect([...rows].some(([path, row]) => Math.abs(row.score! - fp32.get(path)!.score!) > 1e-3)).toBe(true);
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
