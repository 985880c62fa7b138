// One copy of a Hub model per machine: the CLI downloads it once into the Hugging Face cache
// (HF_HUB_CACHE, laid out as huggingface_hub lays it out) and serves it to the page itself, so a
// mirror without CORS headers works, several sessions share one download, another state folder
// downloads nothing, and HF_HUB_OFFLINE runs from the cache (or says in one sentence that it cannot).

import { cpSync, existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshState, readJsonl, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/dataset.ts';
import { startHubMirror, type HubMirror } from '../helpers/hub-mirror.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { loadReference, referenceByName } from '../helpers/reference.ts';

const reference = referenceByName(loadReference('tench-tiny-vit'));
const REPO = 'tench-test/tiny-vit-cached';
const REVISION = 'main';
const COMMIT = 'a'.repeat(39) + '1';
const WEIGHTS = `/${REPO}/resolve/${REVISION}/onnx/model.onnx`;

function samplesAt(): string {
  const dir = tempDir();
  cpSync(SAMPLES, dir, { recursive: true });
  return dir;
}

const gets = (mirror: HubMirror, path: string) => mirror.requests.filter((r) => r.method === 'GET' && r.path === path).length;

function expectReferenceLabels(file: string): void {
  const rows = readJsonl(file);
  expect(rows).toHaveLength(reference.size);
  for (const row of rows) expect(row.label, row.path).toBe(reference.get(row.path.split('/').pop()!)!.top_k[0]!.label);
}

describe('a Hub model in the CLI', () => {
  it('is downloaded once per machine, through a mirror without CORS, and runs offline from the cache', async () => {
    const cache = tempDir('tench-hf-');
    const mirror = await startHubMirror(TINY_MODEL, REPO, REVISION, { cors: false, commit: COMMIT });
    const out = tempDir();
    const env = { HF_ENDPOINT: mirror.endpoint, HF_HUB_CACHE: cache };
    try {
      // Three sessions, each its own worker: the weights are asked of the mirror once.
      const first = await runCli(['classify', samplesAt(), '--model', REPO, '--concurrency', '3', '--device', 'wasm', '--out', join(out, 'first.jsonl')], { ...env, TENCH_STATE: freshState() });
      expect(first.code, first.stderr).toBe(0);
      expectReferenceLabels(join(out, 'first.jsonl'));
      expect(gets(mirror, WEIGHTS)).toBe(1);
      expect(first.stderr).toContain(`downloading onnx/model.onnx`);
      // Another state folder (another shard, pod or CI job on this machine): nothing downloaded.
      const second = await runCli(['classify', samplesAt(), '--model', REPO, '--device', 'wasm', '--out', join(out, 'second.jsonl')], { ...env, TENCH_STATE: freshState() });
      expect(second.code, second.stderr).toBe(0);
      expectReferenceLabels(join(out, 'second.jsonl'));
      expect(gets(mirror, WEIGHTS)).toBe(1);
      expect(second.stderr).not.toContain('downloading');
    } finally {
      await mirror.close();
    }
    // The layout huggingface_hub reads: refs/main -> the commit; snapshots link to blobs by etag.
    const repo = join(cache, `models--${REPO.replace('/', '--')}`);
    expect(readFileSync(join(repo, 'refs', REVISION), 'utf8')).toBe(COMMIT);
    const weights = join(repo, 'snapshots', COMMIT, 'onnx', 'model.onnx');
    expect(lstatSync(weights).isSymbolicLink()).toBe(true);
    expect(readlinkSync(weights)).toMatch(/^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    expect(readFileSync(realpathSync(weights)).equals(readFileSync(join(TINY_MODEL, 'onnx', 'model.onnx')))).toBe(true);

    // The mirror is gone: HF_HUB_OFFLINE runs from the cache.
    const offline = await runCli(['classify', samplesAt(), '--model', REPO, '--device', 'wasm', '--out', join(out, 'offline.jsonl')], { ...env, HF_HUB_OFFLINE: '1', TENCH_STATE: freshState() });
    expect(offline.code, offline.stderr).toBe(0);
    expectReferenceLabels(join(out, 'offline.jsonl'));
  });

  it('says in one sentence that HF_HUB_OFFLINE finds nothing in an empty cache', async () => {
    const cache = tempDir('tench-hf-');
    const r = await runCli(['classify', SAMPLES, '--model', REPO, '--out', join(tempDir(), 'x.jsonl')], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `tench: HF_HUB_OFFLINE is set and the Hugging Face cache ${cache} does not hold model ${REPO} at main (config.json, preprocessor_config.json, onnx/model.onnx): run once with the network, or give --model a model folder`,
    ]);
    expect(existsSync(join(cache, `models--${REPO.replace('/', '--')}`))).toBe(false);
  });
});
