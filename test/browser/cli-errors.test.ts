// A run that cannot start says why in one sentence and exits non-zero, before any work.

import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('tench classify refuses to start', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('when the model folder has no config.json', async () => {
    const model = join(dir, 'broken-model');
    cpSync(TINY_MODEL, model, { recursive: true });
    rmSync(join(model, 'config.json'));
    const r = await runCli(['classify', SAMPLES, '--model', model, '--out', join(dir, 'a.jsonl')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(`tench: model folder ${model} has no config.json`);
  });

  it('when the model path does not exist', async () => {
    const r = await runCli(['classify', SAMPLES, '--model', './no/such/model', '--out', join(dir, 'b.jsonl')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe('tench: no such model folder: ./no/such/model');
  });

  it('when the dataset is a file, not a folder or a list', async () => {
    const file = join(dir, 'image.png');
    writeFileSync(file, 'x');
    const r = await runCli(['classify', file, '--model', TINY_MODEL, '--out', join(dir, 'c.jsonl')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^tench: .*image\.png is neither a folder, a list of images \(a \.txt, \.csv or \.jsonl file\), a WebDataset \.tar shard nor a \.parquet file$/);
  });

  // Nothing here reaches the Hugging Face Hub, as on an offline machine.
  it('when the Hub cannot be reached: names the model asked for, and the one that needs no network', async () => {
    const out = join(dir, 'hub.jsonl');
    const r = await runCli(['classify', SAMPLES, '--model', 'google/vit-base-patch16-224', '--out', out]);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^tench: model google\/vit-base-patch16-224 \(its ONNX export Xenova\/vit-base-patch16-224\): cannot reach https:\/\/huggingface\.co\/.+; without a network, the bundled demo model runs \(random weights: its labels mean nothing\): --model (\S+)$/);
    const suggested = /--model (\S+)$/.exec(last)![1]!;
    const again = await runCli(['classify', SAMPLES, '--model', suggested, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
  });

  it('when no browser is found', async () => {
    const r = await runCli(['classify', SAMPLES, '--model', TINY_MODEL, '--out', join(dir, 'd.jsonl'), '--browser', '/opt/no-such/chrome']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe('tench: no browser at /opt/no-such/chrome');
  });

  it('when a flag has a bad value (usage error, exit 2)', async () => {
    const bad = await runCli(['classify', SAMPLES, '--device', 'gpu']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/--device .*'gpu' is invalid\. --device takes one of auto, webgpu, webnn, wasm, got "gpu"/);
    const zero = await runCli(['classify', SAMPLES, '--batch-size', '0']);
    expect(zero.code).toBe(2);
    expect(oneLine(zero.stderr)).toMatch(/--batch-size takes a whole number of at least 1, got "0"/);
    const unknown = await runCli(['classify', SAMPLES, '--fast']);
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toMatch(/unknown option '--fast'/);
  });
});
