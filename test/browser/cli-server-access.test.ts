// The CLI's server, asked as any other process on the machine would ask it while a run is paused:
// plain HTTP to its port with the right Host header. It hands out nothing without the run's key,
// and with it, only the files the run lists: never a hidden file, a link out of the dataset's
// folder (to '/', to /etc/passwd, to /proc/self/environ), or a file of a list's folder that the
// list does not name.

import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Served } from '../../src/cli/server.ts';
import { ensureBuilt } from '../../src/cli/build.ts';
import { freshState, readJsonl } from '../helpers/cli.ts';
import { keyCookie } from '../helpers/app.ts';
import { repeatedDataset, tempDir } from '../helpers/dataset.ts';
import { ROOT, SAMPLES, TINY_MODEL } from '../helpers/paths.ts';
import { spawnCli, type LiveCli } from '../helpers/spawn-cli.ts';

const CANARY = `tench-canary-${randomUUID()}`;
const DOTENV = `AWS_SECRET_ACCESS_KEY=${CANARY}\n`;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const PASSWD = readFileSync('/etc/passwd');

interface Answer {
  status: number;
  body: Buffer;
}

/** One request as a process other than the page would make it: correct Host, its own headers. */
function ask(origin: string, path: string, options: { method?: string; body?: string; cookie?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method: options.method ?? 'GET', headers: options.cookie ? { cookie: options.cookie } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Nothing of a file outside the dataset (or of any image) in an answer. */
function leaksNothing(answer: Answer): void {
  expect(answer.body.includes(CANARY)).toBe(false);
  expect(answer.body.includes(PASSWD.subarray(0, 32))).toBe(false);
  expect(answer.body.includes(PNG_MAGIC)).toBe(false);
}

const pack = (files: string[]) => JSON.stringify({ files, maxBytes: 1 << 20 });

/** A folder as a careless or hostile user leaves one: links out of it, a dotfile, a hidden folder. */
function hostileFolder(): { dir: string; count: number; image: string } {
  const { dir, count } = repeatedDataset(40);
  const image = readdirSync(dir).find((n) => n.endsWith('.png'))!;
  symlinkSync('/', join(dir, 'rootlink'));
  symlinkSync('/etc/passwd', join(dir, 'link_passwd.png'));
  symlinkSync('/proc/self/environ', join(dir, 'environ.png'));
  writeFileSync(join(dir, '.env'), DOTENV);
  mkdirSync(join(dir, '.hidden'));
  copyFileSync(join(dir, image), join(dir, '.hidden', 'cat.png'));
  // A link that stays inside the folder is part of the dataset.
  symlinkSync(join(dir, image), join(dir, 'inside.png'));
  return { dir, count: count + 1, image };
}

/** Every route of the server, asked for what must not come out of it. */
function outsideRequests(image: string): Array<{ path: string; method?: string; body?: string }> {
  return [
    { path: '/' },
    { path: '/index.html' },
    { path: '/data/manifest.jsonl' },
    { path: `/data/files/${image}` },
    { path: '/data/files/rootlink/etc/passwd' },
    { path: '/data/files/link_passwd.png' },
    { path: '/data/files/environ.png' },
    { path: '/data/files/rootlink/proc/self/environ' },
    { path: '/data/files/.env' },
    { path: '/data/files/.hidden/cat.png' },
    { path: '/data/files/urls.txt' },
    { path: '/data/files/.aws/credentials' },
    { path: '/data/pack', method: 'POST', body: pack(['rootlink/proc/self/environ', '.env', 'link_passwd.png', image]) },
    { path: '/models/tench-local/tench-tiny-vit/config.json' },
    { path: '/s3-proxy' },
  ];
}

async function pausedRun(args: string[], env: Record<string, string>): Promise<{ cli: LiveCli; origin: string }> {
  const cli = spawnCli(args, env);
  await cli.waitFor((l) => l.type === 'progress' && (l.done as number) > 8);
  cli.child.kill('SIGUSR2');
  await cli.waitFor((l) => l.type === 'progress' && l.state === 'paused');
  const port = Number(readFileSync(join(env.TENCH_STATE!, 'port'), 'utf8').trim());
  return { cli, origin: `http://127.0.0.1:${port}` };
}

describe("the CLI's server while a run is paused, asked by another process", () => {
  it('answers 403 to every route without the run key, over a folder with links out of it and dotfiles', async () => {
    const folder = hostileFolder();
    const out = join(tempDir(), 'out.jsonl');
    const state = freshState();
    const { cli, origin } = await pausedRun(['classify', folder.dir, '--model', TINY_MODEL, '--out', out, '--device', 'wasm', '--batch-size', '4'], { TENCH_STATE: state, TENCH_TEST_CANARY: CANARY });
    for (const r of outsideRequests(folder.image)) {
      const answer = await ask(origin, r.path, r);
      expect(answer.status, r.path).toBe(403);
      leaksNothing(answer);
    }
    cli.child.kill('SIGUSR2');
    const { code, stderr } = await cli.exit;
    expect(code, stderr).toBe(0);
    const paths = readJsonl(out).map((r) => r.path).sort();
    // Every image of the folder and the link inside it; nothing hidden, nothing reached by a link out.
    expect(paths).toHaveLength(folder.count);
    expect(paths).toContain('inside.png');
    expect(paths.filter((p) => p.startsWith('.') || p.includes('/.') || /passwd|environ|rootlink/.test(p))).toEqual([]);
    expect(stderr).toContain('skipped 3 files, each a link leading outside the dataset folder');
    expect(stderr).not.toContain(CANARY);
  });

  it('answers 403 without the key during a list-file run whose folder holds credentials', async () => {
    const home = tempDir();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_secret_access_key = ${CANARY}\n`);
    mkdirSync(join(home, 'imgs'));
    const images = readdirSync(SAMPLES).filter((n) => /\.(png|jpg)$/.test(n));
    for (const n of images) copyFileSync(join(SAMPLES, n), join(home, 'imgs', n));
    // The same few images, many times over under other names, so that the run lasts until it is paused.
    const lines: string[] = [];
    for (let k = 0; k < 40; k++) for (const n of images) lines.push(`imgs/${n}?copy=${k}`);
    writeFileSync(join(home, 'urls.txt'), `${lines.join('\n')}\n`);
    const state = freshState();
    const { cli, origin } = await pausedRun(['classify', join(home, 'urls.txt'), '--model', TINY_MODEL, '--out', join(tempDir(), 'out.jsonl'), '--device', 'wasm', '--batch-size', '4'], { TENCH_STATE: state });
    for (const r of outsideRequests(images.find((n) => n.endsWith('.png'))!)) {
      const answer = await ask(origin, r.path, r);
      expect(answer.status, r.path).toBe(403);
      leaksNothing(answer);
    }
    cli.child.kill('SIGTERM');
    expect((await cli.exit).code).toBe(130);
  });
});

describe("the CLI's server, asked with the run key (as the page asks)", () => {
  let folder: ReturnType<typeof hostileFolder>;
  let list: { home: string; named: string[] };
  let forFolder: Served;
  let forList: Served;
  let cookies: { folder: string; list: string };
  beforeAll(async () => {
    const dist = await ensureBuilt(ROOT, () => {});
    folder = hostileFolder();
    const home = tempDir();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), DOTENV);
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_rsa'), CANARY);
    mkdirSync(join(home, 'imgs'));
    mkdirSync(join(home, 'notes'));
    const named = readdirSync(SAMPLES).filter((n) => n.endsWith('.png')).slice(0, 2);
    for (const n of named) copyFileSync(join(SAMPLES, n), join(home, 'imgs', n));
    copyFileSync(join(SAMPLES, named[0]!), join(home, 'notes', 'unlisted.png'));
    symlinkSync('/proc/self/environ', join(home, 'imgs', 'environ.png'));
    writeFileSync(join(home, 'urls.txt'), `${named.map((n) => `imgs/${n}`).join('\n')}\nimgs/environ.png\n`);
    list = { home, named };
    forFolder = await serve(dist, { dataDir: folder.dir, modelDir: TINY_MODEL });
    forList = await serve(dist, { dataList: join(home, 'urls.txt') });
    cookies = { folder: await keyCookie(forFolder), list: await keyCookie(forList) };
  });
  afterAll(async () => {
    await forFolder?.close();
    await forList?.close();
  });

  it('lists the folder without hidden files, and names each link it skips with its reason', async () => {
    const manifest = await ask(forFolder.origin, '/data/manifest.jsonl', { cookie: cookies.folder });
    expect(manifest.status).toBe(200);
    const lines = manifest.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { path?: string; skip?: string; reason?: string });
    const listed = lines.flatMap((l) => (l.path ? [l.path] : []));
    expect(listed).toHaveLength(folder.count);
    expect(listed).toContain('inside.png');
    expect(listed.some((p) => p.startsWith('.') || /passwd|environ|rootlink/.test(p))).toBe(false);
    expect(lines.filter((l) => l.skip).map((l) => `${l.skip}: ${l.reason}`).sort()).toEqual([
      'environ.png: a link leading outside the dataset folder',
      'link_passwd.png: a link leading outside the dataset folder',
      'rootlink: a link leading outside the dataset folder',
    ]);
  });

  it('serves the listed files, and 404s for links out, dotfiles and hidden folders, one by one and in packs', async () => {
    const image = await ask(forFolder.origin, `/data/files/${folder.image}`, { cookie: cookies.folder });
    expect(image.status).toBe(200);
    expect(image.body.equals(readFileSync(join(folder.dir, folder.image)))).toBe(true);
    expect((await ask(forFolder.origin, '/data/files/inside.png', { cookie: cookies.folder })).body.equals(image.body)).toBe(true);
    for (const path of ['rootlink/etc/passwd', 'link_passwd.png', 'environ.png', 'rootlink/proc/self/environ', '.env', '.hidden/cat.png', '%2e%2e/%2e%2e/etc/passwd', 'rootlink%2Fetc%2Fpasswd']) {
      const answer = await ask(forFolder.origin, `/data/files/${path}`, { cookie: cookies.folder });
      expect(answer.status, path).toBe(404);
      leaksNothing(answer);
    }
    const packed = await ask(forFolder.origin, '/data/pack', { method: 'POST', cookie: cookies.folder, body: pack(['rootlink/proc/self/environ', '.env', 'link_passwd.png', '.hidden/cat.png', 'rootlink/etc/passwd']) });
    expect(packed.status).toBe(200);
    // Five frames of 8 bytes, each a 404 with no body.
    expect(packed.body).toHaveLength(5 * 8);
    for (let i = 0; i < 5; i++) expect(packed.body.readUInt32BE(i * 8)).toBe(404);
    const model = await ask(forFolder.origin, '/models/tench-local/tench-tiny-vit/config.json', { cookie: cookies.folder });
    expect(model.status).toBe(200);
    expect(JSON.parse(model.body.toString('utf8')).model_type).toBe('vit');
  });

  it("serves a list file's run only the list and the files it names", async () => {
    const ok = await ask(forList.origin, '/data/files/urls.txt', { cookie: cookies.list });
    expect(ok.status).toBe(200);
    for (const n of list.named) {
      const answer = await ask(forList.origin, `/data/files/imgs/${n}`, { cookie: cookies.list });
      expect(answer.status, n).toBe(200);
      expect(answer.body.equals(readFileSync(join(list.home, 'imgs', n)))).toBe(true);
    }
    // Named by the list, but a link out of its folder; in the folder, but not named; hidden.
    for (const path of ['/data/files/imgs/environ.png', '/data/files/notes/unlisted.png', '/data/files/.aws/credentials', '/data/files/.ssh/id_rsa', '/data/manifest.jsonl']) {
      const answer = await ask(forList.origin, path, { cookie: cookies.list });
      expect(answer.status, path).toBe(404);
      leaksNothing(answer);
    }
    expect((await ask(forList.origin, '/data/pack', { method: 'POST', cookie: cookies.list, body: pack(['.aws/credentials', 'notes/unlisted.png']) })).status).toBe(404);
  });

  it('takes the key only from its cookie or a GET of the entry URL, never a wrong one', async () => {
    const wrong = cookies.folder.replace(/=.*/, `=${'A'.repeat(43)}`);
    expect((await ask(forFolder.origin, '/', { cookie: wrong })).status).toBe(403);
    expect((await ask(forFolder.origin, '/?tench-key=AAAA')).status).toBe(403);
    expect((await ask(forFolder.origin, '/', { cookie: cookies.folder })).status).toBe(200);
  });
});
