import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { findBrowser } from '../../src/cli/browser.ts';
import { classifyOptions, declareClassifyOptions, readFlags } from '../../src/cli/classify-flags.ts';
import { EXIT } from '../../src/cli/exit.ts';
import { main } from '../../src/cli/main.ts';
import { parseS3Url } from '../../src/datasets/s3.ts';
import { isImagePath, parseExtensions } from '../../src/datasets/filter.ts';
import { fileUrl, modelIdentity, modelRefFromInput, revisionProblem, tokenFor } from '../../src/model/model.ts';
import { localModelId } from '../../src/server/routes.ts';

describe('parseS3Url', () => {
  it('reads Ray-style anonymous URLs and plain ones', () => {
    expect(parseS3Url('s3://anonymous@air-example-data-2/imagenette2/val/')).toEqual({ ok: true, value: { bucket: 'air-example-data-2', prefix: 'imagenette2/val/', anonymous: true } });
    expect(parseS3Url('s3://bucket')).toEqual({ ok: true, value: { bucket: 'bucket', prefix: '', anonymous: false } });
  });

  it('reads https bucket URLs, virtual-hosted and path-style, with the region they name', () => {
    expect(parseS3Url('https://air-example-data-2.s3.us-west-2.amazonaws.com/imagenette2/val/')).toEqual({ ok: true, value: { bucket: 'air-example-data-2', prefix: 'imagenette2/val/', anonymous: false, region: 'us-west-2' } });
    expect(parseS3Url('https://my.bucket.s3.amazonaws.com/a%20b/')).toEqual({ ok: true, value: { bucket: 'my.bucket', prefix: 'a b/', anonymous: false } });
    expect(parseS3Url('https://bucket.s3-eu-west-1.amazonaws.com/')).toEqual({ ok: true, value: { bucket: 'bucket', prefix: '', anonymous: false, region: 'eu-west-1' } });
    expect(parseS3Url('https://s3.eu-central-1.amazonaws.com/bucket/x/y')).toEqual({ ok: true, value: { bucket: 'bucket', prefix: 'x/y', anonymous: false, region: 'eu-central-1' } });
    expect(parseS3Url('https://s3.amazonaws.com/bucket')).toEqual({ ok: true, value: { bucket: 'bucket', prefix: '', anonymous: false } });
  });

  it('explains what is not an S3 URL', () => {
    expect(parseS3Url('https://bucket/x')).toMatchObject({ ok: false, reason: expect.stringContaining('is not an S3 bucket URL') });
    expect(parseS3Url('gs://bucket/x')).toMatchObject({ ok: false, reason: expect.stringContaining('is not an S3 URL') });
    expect(parseS3Url('https://s3.amazonaws.com/')).toMatchObject({ ok: false, reason: expect.stringContaining('is not a bucket name') });
  });
});

describe('models', () => {
  it('maps the Ray example\'s model id to its ONNX export on the Hub', () => {
    expect(modelRefFromInput('google/vit-base-patch16-224', 'http://x')).toEqual({ id: 'Xenova/vit-base-patch16-224', base: null, asked: 'google/vit-base-patch16-224' });
    expect(modelRefFromInput('tench-tiny-vit', 'http://x')).toEqual({ id: 'tench-tiny-vit', base: 'http://x/models/' });
    expect(modelRefFromInput('https://host/some/models/my-vit/', 'http://x')).toEqual({ id: 'my-vit', base: 'https://host/some/models/' });
  });

  it("reads a Hub id's files from the hub and revision given, the Hub's main branch by default", () => {
    const plain = modelRefFromInput('org/name', 'http://x');
    expect(fileUrl(plain, 'config.json')).toBe('https://huggingface.co/org/name/resolve/main/config.json');
    const mirrored = modelRefFromInput('org/name', 'http://x', { endpoint: 'https://hf-mirror.com/', revision: 'refs/pr/1' });
    expect(fileUrl(mirrored, 'onnx/model.onnx')).toBe('https://hf-mirror.com/org/name/resolve/refs%2Fpr%2F1/onnx/model.onnx');
    // Another revision is other weights: its rows are never taken for main's.
    expect(modelIdentity(mirrored)).toBe('org/name@refs/pr/1');
    expect(modelIdentity(modelRefFromInput('org/name', 'http://x', { endpoint: 'https://hf-mirror.com' }))).toBe('org/name');
  });

  it('gives a token only to the hub it was given for', () => {
    const mirror = modelRefFromInput('org/name', 'http://x', { endpoint: 'https://hf-mirror.com' });
    const hub = modelRefFromInput('org/name', 'http://x');
    expect(tokenFor(mirror, { endpoint: 'https://hf-mirror.com/', token: 't' })).toBe('t');
    expect(tokenFor(hub, { token: 't' })).toBe('t');
    // A run resumed with today's token, but made through another hub, reads it without.
    expect(tokenFor(mirror, { token: 't' })).toBeUndefined();
    expect(tokenFor(hub, { endpoint: 'https://hf-mirror.com', token: 't' })).toBeUndefined();
    expect(tokenFor(modelRefFromInput('tench-tiny-vit', 'http://x'), { token: 't' })).toBeUndefined();
  });

  it("refuses a revision for an id read from another repository's ONNX export", () => {
    expect(revisionProblem('google/vit-base-patch16-224', { revision: 'abc123' })).toBe("google/vit-base-patch16-224 is read from its ONNX export Xenova/vit-base-patch16-224, whose revisions are not google/vit-base-patch16-224's: name Xenova/vit-base-patch16-224 as the model to read its revision abc123");
    expect(revisionProblem('google/vit-base-patch16-224', { revision: 'main' })).toBeNull();
    expect(revisionProblem('Xenova/vit-base-patch16-224', { revision: 'abc123' })).toBeNull();
  });

  it('serves a local model folder under an id transformers.js accepts', () => {
    expect(localModelId('/tmp/my model (v2)')).toBe('tench-local/my-model-v2');
    expect(localModelId('/data/@@@')).toBe('tench-local/model');
  });
});

describe('files', () => {
  it('takes images by extension, case-insensitively', () => {
    expect(isImagePath('a/b/c.JPEG')).toBe(true);
    expect(isImagePath('a/b/notes.txt')).toBe(false);
    expect(isImagePath('a/b/.png')).toBe(false);
  });
});

describe('findBrowser', () => {
  const none = { env: { PATH: '/bin' }, exists: () => false, playwrightBrowser: () => null };

  it('says how to get a browser when none is found', () => {
    expect(findBrowser(undefined, none)).toEqual({ ok: false, reason: 'no Chrome or Chromium found; install one (Debian: apt-get install chromium) or pass --browser PATH' });
  });

  it('prefers --browser, then $TENCH_BROWSER, then PATH', () => {
    const all = { env: { PATH: '/opt/bin', TENCH_BROWSER: '/env/chrome' }, exists: () => true, playwrightBrowser: () => null };
    expect(findBrowser('/flag/chrome', all)).toEqual({ ok: true, path: '/flag/chrome' });
    expect(findBrowser(undefined, all)).toEqual({ ok: true, path: '/env/chrome' });
    expect(findBrowser(undefined, { ...all, env: { PATH: '/opt/bin' } })).toEqual({ ok: true, path: '/opt/bin/chromium' });
  });
});

describe('parseExtensions', () => {
  it('reads a typed list the way --extensions and the page both take it', () => {
    expect(parseExtensions(' jpg, .PNG ,,webp ')).toEqual({ ok: true, value: ['jpg', 'png', 'webp'] });
    expect(parseExtensions('')).toEqual({ ok: true, value: [] });
    expect(parseExtensions('jpg, *.png')).toEqual({ ok: false, bad: '*.png' });
  });
});

/** `tench classify <dataset> ...args` as commander reads it, resolved as a run would start. */
function resolved(args: string[], env: Record<string, string> = {}) {
  const command = new Command('classify').exitOverride().argument('<dataset>');
  const declared = declareClassifyOptions(command);
  command.parse(['photos', ...args], { from: 'user' });
  return classifyOptions('photos', readFlags(command.opts(), declared), env);
}

/** What the flags resolve to; a refusal fails the test with its reason. */
async function options(args: string[], env: Record<string, string> = {}) {
  const got = await resolved(args, env);
  if (!got.ok) throw new Error(got.reason);
  return got.value;
}

describe('classify\'s flags, resolved', () => {
  it('gives --sample the seed of --seed, 0 without it, and no sample without --sample', async () => {
    expect((await options(['--sample', '4', '--seed', '7'])).sample).toEqual({ count: 4, seed: 7 });
    expect((await options(['--sample', '4'])).sample).toEqual({ count: 4, seed: 0 });
    expect((await options(['--seed', '7'])).sample).toBeNull();
  });

  it('takes the model from --model, else $TENCH_MODEL, else the default; the revision from --revision, else main', async () => {
    expect((await options(['--model', 'a/b'], { TENCH_MODEL: 'c/d' })).model).toBe('a/b');
    expect((await options([], { TENCH_MODEL: 'c/d' })).model).toBe('c/d');
    expect((await options([], { TENCH_MODEL: '' })).model).toBe('google/vit-base-patch16-224');
    expect((await options(['--revision', 'v2'], { HF_ENDPOINT: 'https://hf-mirror.com' })).hub).toEqual({ endpoint: 'https://hf-mirror.com', revision: 'v2', token: undefined });
    expect((await options([])).hub?.revision).toBe('main');
  });

  it('takes the shard from --shard, or from the batch system\'s index and --shards, and refuses a count without an index', async () => {
    expect((await options(['--shard', '1/4'])).shard).toEqual({ index: 1, count: 4 });
    expect((await options(['--shards', '8'], { JOB_COMPLETION_INDEX: '5' })).shard).toEqual({ index: 5, count: 8 });
    expect((await options([])).shard).toBeNull();
    expect(await resolved(['--shards', '8'])).toMatchObject({ ok: false, exit: EXIT.usage, reason: expect.stringMatching(/^--shards says 8 shards but not which one this is/) });
  });

  it('takes the S3 server from its flags, else the AWS variables in order, naming a variable that is no URL', async () => {
    const env = { AWS_ENDPOINT_URL_S3: 'http://s3.local:9000', AWS_ENDPOINT_URL: 'http://other:9000', AWS_DEFAULT_REGION: 'eu-west-1' };
    expect(await options([], env)).toMatchObject({ s3Endpoint: 'http://s3.local:9000', s3Region: 'eu-west-1' });
    expect(await options([], { AWS_ENDPOINT_URL: 'http://other:9000', AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1' })).toMatchObject({ s3Endpoint: 'http://other:9000', s3Region: 'us-west-2' });
    expect(await options(['--s3-endpoint', 'http://mine:9000', '--s3-region', 'ap-south-1'], env)).toMatchObject({ s3Endpoint: 'http://mine:9000', s3Region: 'ap-south-1' });
    expect(await resolved([], { AWS_ENDPOINT_URL: 'minio:9000' })).toEqual({ ok: false, exit: EXIT.usage, reason: 'AWS_ENDPOINT_URL minio:9000 is not an http(s) URL, such as http://localhost:9000' });
    expect(await resolved(['--s3-endpoint', 'minio'])).toEqual({ ok: false, exit: EXIT.usage, reason: '--s3-endpoint minio is not an http(s) URL, such as http://localhost:9000' });
  });

  it('hands the table\'s settings on as parsed, and --label-map\'s file by its name, to be read when the run starts', async () => {
    const o = await options(['--top-k', '3', '--max-object-size', '64M', '--label-map', 'map.json', '--shard', '0/2', '--sample', '2']);
    expect(o.settings).toEqual({ topK: 3, maxObjectBytes: 64 * 1024 * 1024 });
    expect(o.labelMap).toBe('map.json');
    expect((await options([])).labelMap).toBeUndefined();
  });
});

describe('a bad value of a run input', () => {
  it('is one sentence naming the flag, and exit 2', async () => {
    const cases: Array<[string[], string, string]> = [
      [['--sample', '0'], '<n>', '--sample takes a whole number of at least 1, got "0"'],
      [['--seed', '1.5'], '<s>', '--seed takes a whole number, got "1.5"'],
      [['--shard', '2/2'], '<i/n>', '--shard takes i/n, a 0-based shard index below a shard count of at least 1, such as 0/4, got "2/2"'],
      [['--shards', 'x'], '<n>', '--shards takes a whole number of at least 1, got "x"'],
      [['--model', ''], '<id|folder>', '--model takes a Hugging Face Hub id or a model folder, got ""'],
      [['--revision', 'a/../b'], '<rev>', '--revision takes a branch, tag or commit name, got "a/../b"'],
    ];
    for (const [args, arg, why] of cases) {
      let said = '';
      const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        said += String(chunk);
        return true;
      });
      try {
        expect(await main(['classify', 'photos', ...args]), args.join(' ')).toBe(EXIT.usage);
      } finally {
        write.mockRestore();
      }
      expect(said.trim().split('\n'), args.join(' ')).toEqual([`error: option '${args[0]} ${arg}' argument '${args[1]}' is invalid. ${why}`]);
    }
  });
});
