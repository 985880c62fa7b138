// npm run bench:gpu [-- --local] [-- run.py's options]: builds the carry for a GPU machine that
// has Python and PyTorch but no Node and no browser (bench/gpu/run.py says what it does there),
// prints its size, and with --local runs run.py here against it.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { bundleEntry, ORT_FILES } from './bundle.ts';
import { carryProblem, mib, sizeReport, type CarryFile, type Manifest } from './carry.ts';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');

function fail(message: string): never {
  process.stderr.write(`bench:gpu: ${message}\n`);
  process.exit(1);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The previous build's manifest: a file whose source has not changed is not compressed again. */
function previous(out: string): Map<string, CarryFile> {
  try {
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    return new Map(m.files.map((f) => [f.name, f]));
  } catch {
    return new Map();
  }
}

/** xz at level 9 on one thread: the far side unpacks it with Python's lzma, which has no brotli. */
function packed(out: string, source: string, name: string, executable: boolean, before: Map<string, CarryFile>): CarryFile {
  const digest = sha256(source);
  const dest = join(out, `${name}.xz`);
  const old = before.get(name);
  if (!(old && old.sha256 === digest && existsSync(dest))) {
    mkdirSync(dirname(dest), { recursive: true });
    process.stdout.write(`compressing ${name} (${mib(statSync(source).size)})...\n`);
    const xz = spawnSync('xz', ['-9', '-T1', '-c', source], { maxBuffer: 1 << 30 });
    if (xz.error || xz.status !== 0) fail(`xz could not compress ${source}: ${xz.error?.message ?? xz.stderr.toString().trim()} (Debian's xz-utils has it)`);
    writeFileSync(dest, xz.stdout);
  }
  return { name, packed: `${name}.xz`, packedBytes: statSync(dest).size, bytes: statSync(source).size, sha256: digest, executable };
}

function plain(out: string, source: string, name: string): CarryFile {
  const dest = join(out, name);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(source, dest);
  const bytes = statSync(dest).size;
  return { name, packed: name, packedBytes: bytes, bytes, sha256: sha256(dest), executable: false };
}

/**
 * Vulkan's loader, which Dawn opens as libvulkan.so.1: GPU machines often have only the NVIDIA
 * driver. This machine's copy if it has one, else Debian's package, fetched with apt.
 */
function vulkanLoader(): string | null {
  const listed = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '';
  const line = listed.split('\n').find((l) => l.includes('libvulkan.so.1 ') && l.includes('x86-64'));
  if (line) return realpathSync(line.split('=>')[1]!.trim());
  const dir = mkdtempSync(join(tmpdir(), 'tench-vulkan-'));
  const got = spawnSync('apt-get', ['download', 'libvulkan1'], { cwd: dir, encoding: 'utf8' });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (got.status !== 0 || !deb) return null;
  spawnSync('dpkg-deb', ['-x', deb, 'x'], { cwd: dir });
  const lib = join(dir, 'x', 'usr', 'lib', 'x86_64-linux-gnu');
  const so = existsSync(lib) ? readdirSync(lib).find((f) => /^libvulkan\.so\.1\.\d/.test(f)) : undefined;
  return so ? join(lib, so) : null;
}

/** The Node parts: the bundle, Node itself, Dawn, ONNX Runtime's files, Vulkan's loader. */
async function nodeParts(out: string, before: Map<string, CarryFile>): Promise<CarryFile[]> {
  const bundle = join(out, 'tench-bench.mjs');
  await bundleEntry(join(HERE, 'entry.ts'), bundle);
  const files = [{ name: 'tench-bench.mjs', packed: 'tench-bench.mjs', packedBytes: statSync(bundle).size, bytes: statSync(bundle).size, sha256: sha256(bundle), executable: false }];
  files.push(packed(out, realpathSync(process.execPath), 'node', true, before));
  // Where the bundled `webgpu` package looks for its binding, relative to the bundle.
  const dawn = join(ROOT, 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(dawn)) fail(`${relative(ROOT, dawn)} is missing: npm install puts it there (the webgpu devDependency)`);
  files.push(packed(out, dawn, 'dist/linux-x64/dawn.node', false, before));
  const ort = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  for (const f of ORT_FILES) files.push(packed(out, join(ort, f), `ort/${f}`, false, before));
  const vulkan = vulkanLoader();
  if (vulkan) files.push(packed(out, vulkan, 'vulkan/libvulkan.so.1', false, before));
  else process.stdout.write('note: no Vulkan loader found here or through apt; the GPU machine must have libvulkan.so.1\n');
  return files;
}

/** run.py and what it imports of the project: the fixture code, which builds and exports
 * ViT-B/16 (make_fixtures.py, vit.py and the modules make_fixtures.py imports beside it). */
function pythonParts(out: string): CarryFile[] {
  const fixtures = join(ROOT, 'test', 'fixtures');
  const modules = readdirSync(fixtures).filter((f) => f.endsWith('.py'));
  return [
    plain(out, join(HERE, 'run.py'), 'run.py'),
    ...modules.map((f) => plain(out, join(fixtures, f), `fixtures/${f}`)),
    plain(out, join(ROOT, 'src', 'model', 'imagenet-synsets.txt'), 'fixtures/imagenet-synsets.txt'),
  ];
}

/** A Python that has PyTorch: $PYTHON, else python3, else Debian's, where python3-torch lands. */
function pythonWithTorch(): string {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const found = candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!found) fail(`no Python here imports torch (tried ${candidates.join(', ')}): install Debian's python3-torch or set PYTHON`);
  return found;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 && args[at + 1] ? args.splice(at, 2)[1]! : join(ROOT, '.cache', 'bench-gpu');
  const before = previous(out);
  // Files of an older layout would travel too and count against the limit.
  for (const name of existsSync(out) ? readdirSync(out) : []) if (!['node.xz', 'dist', 'ort', 'vulkan'].includes(name)) rmSync(join(out, name), { recursive: true });
  mkdirSync(out, { recursive: true });
  const files = [...(await nodeParts(out, before)), ...pythonParts(out)];
  const manifest: Manifest = { version: 1, files };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  const python = files.filter((f) => f.name === 'run.py' || f.name.startsWith('fixtures/'));
  const others = python.reduce((n, f) => n + f.packedBytes, 0) + statSync(join(out, 'manifest.json')).size;
  const node = files.filter((f) => !python.includes(f));
  process.stdout.write(`carry ${relative(process.cwd(), out) || '.'}:\n${sizeReport(node, others).join('\n')}\n`);
  const problem = carryProblem(node.reduce((n, f) => n + f.packedBytes, 0) + others);
  if (problem) fail(problem);
  if (!args.includes('--local')) {
    process.stdout.write(`on the GPU machine, with this folder beside the project or copied there: python3 ${relative(process.cwd(), join(out, 'run.py'))}\n`);
    return;
  }
  const python3 = pythonWithTorch();
  const run = spawnSync(python3, [join(out, 'run.py'), ...args], { stdio: 'inherit', env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  process.exit(run.status ?? 1);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message.split('\n')[0]! : String(error)));

