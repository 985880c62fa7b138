// Whose fault a refusal is, said where it is made: what was typed exits 2, the world 1. And a run
// that finished without an image says why, failing unless it is a shard of a larger dataset.

import { describe, expect, it } from 'vitest';
import { emptyRun, type EmptyRun } from '../../src/cli/empty-run.ts';
import { EXIT, exitOf, usage } from '../../src/cli/exit.ts';
import { chooseDestination } from '../../src/cli/output.ts';
import { parseShard, resolveShard } from '../../src/cli/shard-flags.ts';
import { IMAGE_EXTENSIONS } from '../../src/datasets/filter.ts';

describe('a refusal carries its exit status', () => {
  it('is the world\'s (1) unless it says it is a usage error (2)', () => {
    expect(exitOf({ ok: false, reason: 'no such folder or list file: photos' })).toBe(EXIT.failed);
    expect(exitOf(usage('--out x.xlsx: the name must end in .jsonl, .csv or .parquet, which says the format'))).toBe(EXIT.usage);
  });

  it('is a usage error for every destination that cannot be one, whatever the machine holds', () => {
    const shard = { index: 3, count: 16 };
    const cases: Array<[string, string, Parameters<typeof chooseDestination>[2]?]> = [
      ['x.xlsx', '--out x.xlsx: the name must end in .jsonl, .csv or .parquet, which says the format'],
      ['results', '--out results: the name must end in .jsonl, .csv or .parquet, which says the format'],
      ['mine.csv', '--out mine.csv names a csv file but --format says parquet', { shard, format: 'parquet' }],
      ['https://', '--out https:// is not a URL'],
      // The signature of a presigned URL is never shown, in a refusal either.
      ['https://host/key.xlsx?X-Amz-Signature=secret', '--out https://host/key.xlsx: the name must end in .jsonl, .csv or .parquet, which says the format'],
      ['s3://anonymous@bucket/out.jsonl', '--out s3://anonymous@bucket/out.jsonl: uploads need credentials; drop anonymous@ and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'],
      ['s3://no bucket/out.jsonl', '--out: "no bucket" is not a bucket name'],
    ];
    for (const [given, reason, folder] of cases) {
      expect(chooseDestination('--out', given, folder), given).toEqual({ ok: false, reason, exit: EXIT.usage });
    }
    expect(chooseDestination('--failures', 'https://host/f.jsonl?sig=1')).toMatchObject({ ok: true, value: { kind: 'http', shown: 'https://host/f.jsonl' } });
  });

  it('is a usage error for every shard setting, from a flag or from the environment', () => {
    expect(parseShard('4/4')).toMatchObject({ ok: false, exit: EXIT.usage });
    for (const env of [{ JOB_COMPLETION_INDEX: '3' }, { TENCH_SHARDS: '4' }, { JOB_COMPLETION_INDEX: 'x', TENCH_SHARDS: '4' }, { JOB_COMPLETION_INDEX: '1', TENCH_SHARDS: '0' }]) {
      expect(resolveShard({}, env), JSON.stringify(env)).toMatchObject({ ok: false, exit: EXIT.usage });
    }
    expect(resolveShard({ shard: { index: 1, count: 4 }, shards: 8 }, {})).toMatchObject({ ok: false, exit: EXIT.usage });
  });
});

describe('a finished run without an image', () => {
  const base: EmptyRun = { dataset: 'photos', kind: 'folder', shard: null, listing: { skipped: 0 }, extensions: IMAGE_EXTENSIONS };

  it('is no concern when it classified any', () => {
    expect(emptyRun(1, base)).toBeNull();
    expect(emptyRun(7, { ...base, shard: { index: 0, count: 2 } })).toBeNull();
  });

  it('fails, naming what the listing found instead', () => {
    const cases: Array<[Partial<EmptyRun>, string]> = [
      [{}, 'no images in photos: the folder holds no files'],
      [{ listing: null }, 'no images in photos: the folder holds no files'],
      [{ kind: 'list', dataset: 'images.csv' }, 'no images in images.csv: the list names none'],
      [{ kind: 'prefix', dataset: 's3://bucket/typo/' }, 'no images in s3://bucket/typo/: nothing is stored under that prefix'],
      [{ listing: { skipped: 3 } }, `no images in photos: 3 files skipped: 3 without an image extension (${IMAGE_EXTENSIONS.join(', ')}; --extensions names others)`],
      [{ listing: { skipped: 1 }, extensions: ['png'] }, 'no images in photos: 1 file skipped: 1 without an image extension (png; --extensions names others)'],
      [{ listing: { skipped: 3, skippedWhy: { 'a link leading outside the dataset folder': 1 } }, extensions: ['jpg'] },
        'no images in photos: 3 files skipped: 2 without an image extension (jpg; --extensions names others); 1 a link leading outside the dataset folder'],
    ];
    for (const [given, line] of cases) expect(emptyRun(0, { ...base, ...given }), line).toEqual({ line, exit: EXIT.failed });
  });

  it('is a shard a small dataset left empty: said, and no failure of the Job', () => {
    expect(emptyRun(0, { ...base, shard: { index: 3, count: 16 } })).toEqual({
      line: 'shard 3 of 16 holds none of the images of photos, as a dataset with few images for its shards leaves some: its output has no rows',
      exit: EXIT.ok,
    });
  });
});
