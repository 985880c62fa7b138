// The parts of `npm run bench:gpu` that need no GPU and no build: the carry's size check and
// report, the file: fetch that stands in for a page's, and what the bundle relies on in its
// dependencies (a transformers.js or ONNX Runtime upgrade that moves them breaks the bench here,
// not on the GPU machine).

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { NODE_TEST, ORT_FILES } from '../../bench/gpu/bundle.ts';
import { CARRY_LIMIT_BYTES, carryProblem, sizeReport, type CarryFile } from '../../bench/gpu/carry.ts';
import { fetchWithFiles } from '../../bench/gpu/globals.ts';

const MiB = 1024 * 1024;

function file(name: string, packedBytes: number, bytes = packedBytes): CarryFile {
  return { name, packed: bytes === packedBytes ? name : `${name}.xz`, packedBytes, bytes, sha256: '0', executable: false };
}

it('accepts a carry up to the limit and says by how much a larger one is over', () => {
  expect(carryProblem(CARRY_LIMIT_BYTES)).toBeNull();
  expect(carryProblem(31.8 * MiB)).toBeNull();
  expect(carryProblem(CARRY_LIMIT_BYTES + 2 * MiB)).toBe('the carry is 66.0 MiB, over the 64.0 MiB that can travel with a run, by 2.0 MiB');
});

it('reports each file largest first, compressed ones with their unpacked size, then the total', () => {
  const lines = sizeReport([file('tench-bench.mjs', 0.5 * MiB), file('node', 22.8 * MiB, 94.3 * MiB)], 0.1 * MiB);
  expect(lines).toEqual([
    '  node.xz: 22.8 MiB (94.3 MiB unpacked)',
    '  tench-bench.mjs: 0.5 MiB',
    "  run.py, the fixtures' model code and the manifest: 0.1 MiB",
    '  total: 23.4 MiB of the 64.0 MiB a run can carry',
  ]);
});

it('reads file: URLs from disk, 404 for a missing one (transformers.js probes optional files)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gpu-'));
  writeFileSync(join(dir, 'config.json'), '{"model_type":"vit"}');
  const elsewhere = async () => new Response('network');
  const fetchFiles = fetchWithFiles(elsewhere as typeof fetch);
  const hit = await fetchFiles(pathToFileURL(join(dir, 'config.json')).href);
  expect([hit.status, hit.headers.get('content-length'), await hit.json()]).toEqual([200, '20', { model_type: 'vit' }]);
  expect((await fetchFiles(pathToFileURL(join(dir, 'tokenizer.json')).href)).status).toBe(404);
  expect(await (await fetchFiles('http://127.0.0.1:1/x')).text()).toBe('network');
});

it("finds what the bundle patches and carries in today's dependencies", () => {
  const require = createRequire(import.meta.url);
  const web = join(dirname(require.resolve('@huggingface/transformers')), 'transformers.web.js');
  expect(readFileSync(web, 'utf8')).toContain(NODE_TEST);
  const ort = dirname(require.resolve('onnxruntime-web'));
  for (const f of ORT_FILES) expect(existsSync(join(ort, f)), f).toBe(true);
});
