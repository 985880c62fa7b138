// What a script or a Job's podFailurePolicy reads: a bad flag, flag value or setting variable is a
// usage error (exit 2), and a problem with what the flags name (a missing folder, an unreadable
// file, a bucket that does not answer) exits 1; each with one sentence on stderr, before any work.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

interface Case {
  args: string[];
  env?: Record<string, string>;
  code: 1 | 2;
  /** The one line on stderr. */
  says: string | RegExp;
}

const RUN = [SAMPLES, '--model', TINY_MODEL];
const commander = (flag: string, value: string, why: string) => `error: option '${flag}' argument '${value}' is invalid. ${why}`;

describe('tench exits 2 for what was typed, 1 for the world', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'not-json.json'), '{"cats": ');
  });

  const cases = (): Case[] => [
    // What was typed: wrong whatever the machine holds.
    { args: ['classify', ...RUN, '--out', 'x.xlsx'], code: 2, says: 'tench: --out x.xlsx: the name must end in .jsonl, .csv or .parquet, which says the format' },
    { args: ['classify', ...RUN, '--failures', 'f.txt'], code: 2, says: 'tench: --failures f.txt: the name must end in .jsonl, .csv or .parquet, which says the format' },
    { args: ['classify', ...RUN, '--format', 'xml'], code: 2, says: 'error: option \'--format <format>\' argument \'xml\' is invalid. Allowed choices are jsonl, csv, parquet.' },
    { args: ['classify', ...RUN, '--out', join(dir, 'r.csv'), '--format', 'parquet'], code: 2, says: `tench: --out ${join(dir, 'r.csv')} names a csv file but --format says parquet` },
    { args: ['classify', ...RUN, '--out', 'https://'], code: 2, says: 'tench: --out https:// is not a URL' },
    { args: ['classify', ...RUN, '--out', 's3://anonymous@bucket/r.jsonl'], code: 2, says: /^tench: --out s3:\/\/anonymous@bucket\/r\.jsonl: uploads need credentials; / },
    { args: ['classify', ...RUN, '--s3-endpoint', 'localhost:9000'], code: 2, says: 'tench: --s3-endpoint localhost:9000 is not an http(s) URL, such as http://localhost:9000' },
    { args: ['classify', ...RUN], env: { AWS_ENDPOINT_URL_S3: 'minio:9000' }, code: 2, says: 'tench: AWS_ENDPOINT_URL_S3 minio:9000 is not an http(s) URL, such as http://localhost:9000' },
    { args: ['classify', ...RUN], env: { HF_ENDPOINT: 'hf-mirror.com' }, code: 2, says: 'tench: HF_ENDPOINT hf-mirror.com is not an http(s) URL, such as https://hf-mirror.com' },
    { args: ['classify', SAMPLES, '--model', 'google/vit-base-patch16-224', '--revision', 'v1'], code: 2, says: /^tench: google\/vit-base-patch16-224 is read from its ONNX export Xenova\/vit-base-patch16-224, whose revisions are not/ },
    { args: ['classify', 's3://', '--model', TINY_MODEL], code: 2, says: 'tench: "s3://" is not an S3 URL like s3://bucket/prefix/' },
    { args: ['classify', ...RUN, '--dtype', 'fp64'], code: 2, says: commander('--dtype <dtype>', 'fp64', '--dtype takes one of fp32, fp16, q8, int8, uint8, q4, q4f16, got "fp64"') },
    { args: ['classify', ...RUN, '--device', 'gpu'], code: 2, says: commander('--device <device>', 'gpu', '--device takes one of auto, webgpu, webnn, wasm, got "gpu"') },
    { args: ['classify', ...RUN, '--top-k', '0'], code: 2, says: commander('--top-k <k>', '0', '--top-k takes a whole number of at least 1, got "0"') },
    { args: ['classify', ...RUN, '--sample', '0'], code: 2, says: commander('--sample <n>', '0', '--sample takes a whole number of at least 1, got "0"') },
    { args: ['classify', ...RUN, '--seed', 'x'], code: 2, says: commander('--seed <s>', 'x', '--seed takes a whole number, got "x"') },
    { args: ['classify', ...RUN, '--request-timeout', '0'], code: 2, says: commander('--request-timeout <seconds>', '0', '--request-timeout takes a number of seconds above 0, got "0"') },
    { args: ['classify', ...RUN, '--max-object-size', '5X'], code: 2, says: commander('--max-object-size <size>', '5X', '--max-object-size takes a number with an optional K, M or G, such as 64M, got "5X"') },
    { args: ['classify', ...RUN, '--shard', '4/4'], code: 2, says: /^error: option '--shard <i\/n>' argument '4\/4' is invalid\. --shard takes i\/n/ },
    { args: ['classify', ...RUN], env: { JOB_COMPLETION_INDEX: '2', TENCH_SHARDS: 'x' }, code: 2, says: 'tench: TENCH_SHARDS must be a whole number of at least 1, got "x"' },
    { args: ['merge', join(dir, 'a.jsonl'), '--out', 'm.xlsx'], code: 2, says: 'tench: --out m.xlsx: the name must end in .jsonl, .csv or .parquet, which says the format' },
    { args: ['merge', 'a.txt', '--out', join(dir, 'm.jsonl')], code: 2, says: 'tench: a.txt: the name must end in .jsonl, .csv or .parquet, which says the format' },
    { args: ['merge', 'a.jsonl', '--out', join(dir, 'm.jsonl'), '--s3-endpoint', 'minio'], code: 2, says: 'tench: --s3-endpoint minio is not an http(s) URL, such as http://localhost:9000' },
    // The world: what the flags name is missing, unreadable, unreachable or not what it should be.
    { args: ['classify', join(dir, 'no-such-folder'), '--model', TINY_MODEL], code: 1, says: `tench: no such folder or list file: ${join(dir, 'no-such-folder')}` },
    { args: ['classify', SAMPLES, '--model', join(dir, 'no-such-model')], code: 1, says: `tench: no such model folder: ${join(dir, 'no-such-model')}` },
    { args: ['classify', ...RUN, '--label-map', join(dir, 'none.json')], code: 1, says: `tench: --label-map ${join(dir, 'none.json')}: ENOENT: no such file or directory, open '${join(dir, 'none.json')}'` },
    { args: ['classify', ...RUN, '--label-map', join(dir, 'not-json.json')], code: 1, says: `tench: --label-map ${join(dir, 'not-json.json')}: not JSON` },
    { args: ['classify', 's3://anonymous@bucket/', '--model', TINY_MODEL, '--s3-endpoint', 'http://127.0.0.1:9'], code: 1, says: /^tench: bucket bucket is unreachable at http:\/\/127\.0\.0\.1:9: / },
    { args: ['merge', join(dir, 'no-such.jsonl'), '--out', join(dir, 'm.jsonl')], code: 1, says: `tench: cannot read ${join(dir, 'no-such.jsonl')}: ENOENT: no such file or directory, open '${join(dir, 'no-such.jsonl')}'` },
  ];

  it('for each flag and value it refuses, in one sentence', async () => {
    const seen: string[] = [];
    for (const c of cases()) {
      const r = await runCli(c.args, c.env);
      const lines = r.stderr.trim().split('\n');
      const shown = `${c.args.join(' ')}${c.env ? ` (${JSON.stringify(c.env)})` : ''}`;
      seen.push(`${r.code} ${shown}: ${lines.join(' | ')}`);
      expect(r.code, `${shown}\n${r.stderr}`).toBe(c.code);
      expect(lines, shown).toHaveLength(1);
      if (typeof c.says === 'string') expect(lines[0], shown).toBe(c.says);
      else expect(lines[0], shown).toMatch(c.says);
    }
    console.log(seen.join('\n'));
  }, 480_000);
});
