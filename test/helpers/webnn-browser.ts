// A Chromium with a WebNN backend: @sparticuz/chromium's build carries LiteRT, which Debian's
// Chromium lacks ("WebNN is not supported on this platform"). Its files come brotli-compressed
// and its own unpacker wants Node 22, so they are unpacked here, once, into .cache/.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { ROOT } from './paths.ts';

// The package's exports name neither its package.json nor bin/, so it is read where npm put it.
const PACKAGE = join(ROOT, 'node_modules', '@sparticuz', 'chromium');

function version(): string {
  return (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The unpacked browser's path. SwiftShader's libraries (libEGL, libGLESv2, libvk_swiftshader) go
 * beside the binary, where Chromium looks for them first; without them its GPU process fails and
 * WebNN has no context. Unpacked under a temporary name and renamed, so that a run cut short
 * leaves nothing half-written that a later one would take for done.
 */
export function webnnBrowser(): string {
  const dir = join(ROOT, '.cache', `sparticuz-chromium-${version()}`);
  const binary = join(dir, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const bin = join(PACKAGE, 'bin');
  writeFileSync(join(staging, 'chromium'), brotliDecompressSync(readFileSync(join(bin, 'chromium.br'))));
  chmodSync(join(staging, 'chromium'), 0o755);
  const tarball = join(staging, 'swiftshader.tar');
  writeFileSync(tarball, brotliDecompressSync(readFileSync(join(bin, 'swiftshader.tar.br'))));
  execFileSync('tar', ['-xf', tarball, '-C', staging]);
  rmSync(tarball);
  if (existsSync(dir)) return binary;
  renameSync(staging, dir);
  return binary;
}
