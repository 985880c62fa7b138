// The command itself, as a user starts it: its version, and help that answers without loading what
// a run needs (the browser driver, the AWS SDK, the build tools).

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/dataset.ts';

const tench = (...args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin/tench.js'), ...args], { encoding: 'utf8' });

describe('the tench command', () => {
  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(tench('--version').trim()).toBe(version);
  });

  it('answers --help with examples, before loading what a run needs', () => {
    // Module hooks that name every package module loaded.
    const dir = tempDir();
    writeFileSync(join(dir, 'hooks.mjs'), "export async function load(url, context, next) { if (url.includes('/node_modules/')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }\n");
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
    const loaded = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(ROOT, 'bin/tench.js'), ...args], { encoding: 'utf8' });
      const packages = new Set([...r.stderr.matchAll(/^LOADED .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
      return { out: r.stdout, packages };
    };
    const help = loaded('classify', '--help');
    expect(help.out).toContain('Examples:');
    expect(help.out).toContain('tench classify public/samples --model public/models/tench-tiny-vit');
    const heavy = ['playwright-core', '@aws-sdk/client-s3', 'vite', 'hyparquet', 'hyparquet-writer', 'cli-progress'];
    expect([...help.packages].filter((p) => heavy.includes(p))).toEqual([]);
    // The same hooks see them when a run starts: the test can tell.
    const run = loaded('classify', join(dir, 'no-such-folder'));
    expect([...run.packages]).toEqual(expect.arrayContaining(['playwright-core', 'hyparquet']));
  });
});
