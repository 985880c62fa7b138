// The CLI end to end over an S3 prefix served by a real S3 server on loopback.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli, summary } from '../helpers/cli.ts';
import { BROKEN, sampleDataset, tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';
import { S3RVER_KEYS, startS3, type S3Server } from '../helpers/s3.ts';

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

  describe("with the AWS SDK's credential chain", () => {
    /** A shared credentials file with a right and a wrong profile, and nothing else of AWS in the environment. */
    function awsEnv(profile: string, endpointVariable: 'AWS_ENDPOINT_URL_S3' | 'AWS_ENDPOINT_URL' = 'AWS_ENDPOINT_URL_S3') {
      const dir = tempDir();
      writeFileSync(join(dir, 'credentials'), [
        '[tench-test]', `aws_access_key_id = ${S3RVER_KEYS.accessKeyId}`, `aws_secret_access_key = ${S3RVER_KEYS.secretAccessKey}`,
        '[wrong]', 'aws_access_key_id = AKIAWRONGWRONGWRONG1', 'aws_secret_access_key = wrong', ''].join('\n'));
      writeFileSync(join(dir, 'config'), '[profile tench-test]\nregion = us-east-1\n');
      return {
        AWS_PROFILE: profile, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL: undefined,
        AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1', [endpointVariable]: s3.endpoint,
      };
    }

    it('signs with the profile AWS_PROFILE names, at the endpoint AWS_ENDPOINT_URL_S3 names, for the dataset and --out', async () => {
      const r = await runCli(['classify', `s3://tench-images/${PREFIX}`, '--model', TINY_MODEL, '--out', 's3://tench-images/runs/profile.jsonl'], awsEnv('tench-test'));
      expect(r.code, r.stderr).toBe(0);
      expect(summary(r.stdout)).toMatchObject({ images: reference.size + BROKEN.length });
      const uploaded = (await s3.get('tench-images', 'runs/profile.jsonl')).toString('utf8').trim().split('\n');
      expect(uploaded).toHaveLength(reference.size + BROKEN.length);
    });

    it('is refused with the wrong profile: the keys the chain found are the ones used', async () => {
      const r = await runCli(['classify', `s3://tench-images/${PREFIX}`, '--model', TINY_MODEL, '--out', join(out, 'wrong.jsonl')], awsEnv('wrong', 'AWS_ENDPOINT_URL'));
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^tench: (access to bucket tench-images was denied|bucket tench-images is unreachable at http:\/\/127\.0\.0\.1:\d+: .*(InvalidAccessKeyId|SignatureDoesNotMatch|does not exist in our records|signature).*)$/i);
    });

    it('names a profile that is not there, in one sentence', async () => {
      const r = await runCli(['classify', `s3://tench-images/${PREFIX}`, '--model', TINY_MODEL, '--out', join(out, 'missing.jsonl')], awsEnv('no-such-profile'));
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^tench: AWS credentials: .*no-such-profile.*$/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
