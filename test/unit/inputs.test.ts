import { describe, expect, it } from 'vitest';
import { findBrowser } from '../../src/cli/browser.ts';
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
