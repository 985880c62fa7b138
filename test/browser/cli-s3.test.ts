// The CLI end to end over an S3 prefix served by a real S3 server on loopback.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, summary } from '../helpers/cli.ts';
import { BROKEN, sampleDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';
import { startS3, type S3Server } from '../helpers/s3.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));
const PREFIX = 'imagenette2/val/';

describe('tench classify s3://…', () => {
  let s3: S3Server;
  let out: string;

  beforeAll(async () => {
    s3 = await startS3([{ name: 'tench-images', cors: true }]);
    await s3.upload('tench-images', PREFIX, sampleDataset());
    await s3.put('tench-images', 'elsewhere/not-listed.png', 'outside the prefix');
    out = tempDir();
  });

  afterAll(async () => {
    await s3?.close();
  });

  for (const device of ['wasm', 'webgpu'] as const) {
    it(`lists the prefix and matches the PyTorch reference on ${device}`, async () => {
      const file = join(out, `${device}.jsonl`);
      const r = await runCli(['classify', `s3://anonymous@tench-images/${PREFIX}`, '--s3-endpoint', s3.endpoint,
        '--model', TINY_MODEL, '--out', file, '--device', device, '--batch-size', '5']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`device: ${device}, dtype: fp32;`);
      const rows = readJsonl(file);
      const expected = reference.size + BROKEN.length;
      expect(rows).toHaveLength(expected);
      expect(summary(r.stdout)).toMatchObject({ images: expected, errors: BROKEN.length });
      const byPath = new Map(rows.map((row) => [row.path, row]));
      for (const [name, ref] of reference) {
        const row = byPath.get(`${PREFIX}${name}`);
        expect(row, name).toBeDefined();
        expect(row!.label, name).toBe(ref.top_k[0]!.label);
        if (ref.atSize) expect(Math.abs(row!.score! - ref.top_k[0]!.score), name).toBeLessThan(1e-4);
      }
      for (const broken of BROKEN) expect(byPath.get(`${PREFIX}${broken.name}`)?.error).toMatch(broken.reason);
    });
  }

  it('says the bucket is unreachable, in one sentence, when nothing answers at the endpoint', async () => {
    const r = await runCli(['classify', 's3://anonymous@tench-images/x/', '--s3-endpoint', 'http://127.0.0.1:9', '--model', TINY_MODEL, '--out', join(out, 'x.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tench: bucket tench-images is unreachable at http:\/\/127\.0\.0\.1:9: .+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says the bucket does not exist', async () => {
    const r = await runCli(['classify', 's3://anonymous@no-such-bucket/x/', '--s3-endpoint', s3.endpoint, '--model', TINY_MODEL, '--out', join(out, 'y.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('tench: bucket no-such-bucket does not exist');
  });
});
