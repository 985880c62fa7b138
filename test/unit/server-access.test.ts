// The pure parts of what the CLI's server lets out: the key check, the sandbox decision, and the
// rules a path must pass before a file is read (the browser test asks the real server).

import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_ROOT, sandboxArgs, sandboxFailure } from '../../src/cli/browser.ts';
import { holdsKey, KEY_COOKIE } from '../../src/cli/server.ts';
import { listedFile, pathSegments, realRoot, SKIP_LINK_BROKEN, SKIP_LINK_FOLDER, SKIP_LINK_OUTSIDE, walkFiles, type SkippedFile } from '../../src/server/local-files.ts';

describe('the run key', () => {
  const key = Buffer.from(randomBytes(32).toString('base64url'));
  it('is found among other cookies, and only when it is exactly the key', () => {
    expect(holdsKey(`a=1; ${KEY_COOKIE}=${key}; b=2`, key)).toBe(true);
    expect(holdsKey(`${KEY_COOKIE}=${key.toString().slice(1)}`, key)).toBe(false);
    expect(holdsKey(`${KEY_COOKIE}=${key}x`, key)).toBe(false);
    expect(holdsKey(`other=${key}`, key)).toBe(false);
    expect(holdsKey(undefined, key)).toBe(false);
    expect(holdsKey('', key)).toBe(false);
  });
});

describe("Chromium's sandbox", () => {
  it('is off from the start only as root, and said so', () => {
    expect(sandboxArgs(0)).toEqual({ args: ['--no-sandbox'], unsandboxed: AS_ROOT });
    expect(sandboxArgs(1000)).toEqual({ args: [], unsandboxed: null });
    expect(sandboxArgs(undefined)).toEqual({ args: [], unsandboxed: null });
  });
  it('is turned off after a launch only for a failure of the sandbox itself', () => {
    expect(sandboxFailure('No usable sandbox! Update your kernel or see https://chromium.googlesource.com/...')).toBe(true);
    expect(sandboxFailure('Failed to move to new namespace: PID namespaces supported, Network namespace supported, but failed: errno = Operation not permitted')).toBe(true);
    expect(sandboxFailure('spawn /usr/bin/chromium ENOENT')).toBe(false);
  });
});

describe('the files of a folder a server may hand out', () => {
  const root = mkdtempSync(join(tmpdir(), 'tench-files-'));
  const outside = mkdtempSync(join(tmpdir(), 'tench-outside-'));
  writeFileSync(join(outside, 'secret.png'), 'secret');
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'one.png'), '1');
  writeFileSync(join(root, 'two.png'), '2');
  writeFileSync(join(root, '.env'), 'KEY=1');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'x.png'), 'x');
  symlinkSync(join(root, 'two.png'), join(root, 'link-in.png'));
  symlinkSync(join(outside, 'secret.png'), join(root, 'link-out.png'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync(join(root, 'a'), join(root, 'dir-in'));
  symlinkSync(join(root, 'nothing.png'), join(root, 'broken.png'));

  it('walks what is there, hidden names passed over, links kept only to files inside', async () => {
    const skipped: SkippedFile[] = [];
    const paths: string[] = [];
    for await (const f of walkFiles(root, (s) => skipped.push(s))) paths.push(f.path);
    expect(paths).toEqual(['a/one.png', 'link-in.png', 'two.png']);
    expect(skipped.sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { path: 'broken.png', reason: SKIP_LINK_BROKEN },
      { path: 'dir-in', reason: SKIP_LINK_FOLDER },
      { path: 'dir-out', reason: SKIP_LINK_OUTSIDE },
      { path: 'link-out.png', reason: SKIP_LINK_OUTSIDE },
    ]);
  });

  it('reads a path only if the walk lists it', async () => {
    const real = await realRoot(root);
    expect(await listedFile(root, real, 'a/one.png')).toBe(join(root, 'a', 'one.png'));
    expect(await listedFile(root, real, 'link-in.png')).toBe(join(real, 'two.png'));
    for (const path of ['.env', '.git/x.png', 'link-out.png', 'dir-out/secret.png', 'dir-in/one.png', 'broken.png', '../x', 'a/../two.png', 'a//one.png', 'a', '']) {
      expect(await listedFile(root, real, path), path).toBeNull();
    }
  });

  it('refuses names that no listing gives before touching the disk', () => {
    expect(pathSegments('a/b.png')).toEqual(['a', 'b.png']);
    for (const path of ['../etc', './a', 'a/.ssh/id_rsa', '/abs', 'a\0b']) expect(pathSegments(path), path).toBeNull();
  });
});
