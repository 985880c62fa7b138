// Lists of images that are trouble, through `tench classify`: a server that never answers, a list
// that never ends (with and without line ends), repeated lines, and labels holding terminal
// escapes. Each run must end by itself with one sentence, in bounded time and memory.

import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJsonl, runCli, summary } from '../helpers/cli.ts';
import { runWatched } from '../helpers/processes.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function track(server: Server | ReturnType<typeof createNetServer>, sockets: Set<Socket>): void {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  closers.push(() => new Promise<void>((done) => {
    for (const s of sockets) s.destroy();
    server.close(() => done());
  }));
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const MiB = 1024 * 1024;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('a list that is trouble', () => {
  it('ends a list whose server accepts and never answers, naming the list and the timeout', async () => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const server = createNetServer((s) => {
      connections++;
      s.on('data', () => {});
    });
    track(server, sockets);
    const origin = await listen(server);
    const out = join(tempDir(), 'out.jsonl');
    const started = Date.now();
    const r = await runCli(['classify', `${origin}/list.txt`, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--request-timeout', '2'], {}, 150_000);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`tench: the run failed: cannot read the list ${origin}/list.txt: no answer for 2 s (after 4 tries)`);
    // Four tries of 2 s and their backoff, after the browser and the model start.
    expect(connections).toBe(4);
    expect(seconds).toBeLessThan(90);
  });

  it('ends a list that never ends a line at the line limit, the browser\'s memory bounded', async () => {
    const sockets = new Set<Socket>();
    let sent = 0;
    const server = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
      // Endless to the reader; bounded here so that a reader without the limit still ends.
      const pump = () => {
        while (sent < 1024 * MiB) {
          sent += MiB;
          if (!res.write('x'.repeat(MiB))) return void res.once('drain', pump);
        }
        res.end();
      };
      req.on('close', () => res.destroy());
      pump();
    });
    track(server, sockets);
    const origin = await listen(server);
    const r = await runWatched(['classify', `${origin}/list.txt`, '--model', TINY_MODEL, '--device', 'wasm', '--out', join(tempDir(), 'out.jsonl')], 150_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`tench: the run failed: line 1 of the list ${origin}/list.txt is longer than 65536 bytes, the limit of --max-list-line (a list gives one image a line)`);
    // Stopped near the limit, not at the server's 1 GiB: what it sent besides is what the sockets'
    // buffers took (up to 32 MiB here, net.ipv4.tcp_rmem) and the browser's network service.
    expect(sent).toBeLessThan(128 * MiB);
    expect(r.largestRss).toBeLessThan(1024 * MiB);
    console.log(`endless line: ${sent / MiB} MiB sent, largest browser process ${(r.largestRss / MiB).toFixed(0)} MiB, ${r.ms} ms`);
  });

  it('ends an endless list of lines at --max-list-size', async () => {
    const sockets = new Set<Socket>();
    let sent = 0;
    const pad = 'p'.repeat(1000);
    const listRequests: string[] = [];
    const server = createHttpServer((req, res) => {
      if (req.url !== '/list.txt') return void res.writeHead(404, { 'access-control-allow-origin': '*' }).end();
      listRequests.push(`${req.headers.range ?? 'whole'} at ${sent}`);
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
      let n = 0;
      const pump = () => {
        while (sent < 512 * MiB) {
          const chunk = Array.from({ length: 64 }, () => `${pad}-${n++}.jpg\n`).join('');
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      req.on('close', () => res.destroy());
      pump();
    });
    track(server, sockets);
    const origin = await listen(server);
    const out = join(tempDir(), 'out.jsonl');
    const r = await runWatched(['classify', `${origin}/list.txt`, '--model', TINY_MODEL, '--device', 'wasm', '--out', out, '--max-list-size', '256K'], 150_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`tench: the run failed: the list ${origin}/list.txt is longer than 262144 bytes, the limit of --max-list-size`);
    console.log(`endless lines: ${(sent / MiB).toFixed(1)} MiB sent, list requests ${listRequests.join(', ')}, largest browser process ${(r.largestRss / MiB).toFixed(0)} MiB, ${r.ms} ms`);
    // As above: the list was not read to the server's 512 MiB.
    expect(sent).toBeLessThan(128 * MiB);
    expect(r.largestRss).toBeLessThan(1024 * MiB);
    // The images listed before the limit that the run reached before it stopped are rows (each a
    // 404 here: how many depends on how soon the model loaded), written as the run stored them.
    const rows = readJsonl(out);
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(262144 / 1000));
    expect(rows.every((row) => row.error?.startsWith('fetch_failed'))).toBe(true);
  });

  it('classifies a path listed again once: rows written equal images classified, and the repeats are counted', async () => {
    const dir = tempDir();
    const names = readdirSync(SAMPLES).filter((n) => /\.(png|jpg)$/.test(n)).slice(0, 4);
    for (const n of names) copyFileSync(join(SAMPLES, n), join(dir, n));
    // 4 images, 3 of them listed again (one twice more): 7 lines, 4 rows.
    const lines = [names[0], names[1], names[0], names[2], names[3], names[1], names[0]];
    writeFileSync(join(dir, 'list.txt'), `${lines.join('\n')}\n`);
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', join(dir, 'list.txt'), '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = readJsonl(out);
    expect(rows.map((row) => row.path).sort()).toEqual([...names].sort());
    expect(summary(r.stdout)).toMatchObject({ images: 4, errors: 0, repeats: 3 });
    expect(r.stdout).toMatch(/; 3 repeats skipped$/m);
    expect(r.stderr).toContain(`wrote 4 rows to ${out}`);
    expect(r.stderr).toContain('3 entries of the list repeated a path listed before');
  });

  it('prints labels holding terminal escapes as visible text on stderr, and writes them as they are', async () => {
    const dir = tempDir();
    const names = readdirSync(SAMPLES).filter((n) => /\.(png|jpg)$/.test(n)).slice(0, 3);
    for (const n of names) copyFileSync(join(SAMPLES, n), join(dir, n));
    const labels = ['title\x1b]0;pwned\x07', 'red\x1b[31m', 'csi\u009b2J'];
    writeFileSync(join(dir, 'list.jsonl'), names.map((n, i) => JSON.stringify({ url: n, label: labels[i] })).join('\n'));
    const out = join(tempDir(), 'out.jsonl');
    const r = await runCli(['classify', join(dir, 'list.jsonl'), '--model', TINY_MODEL, '--device', 'wasm', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // The evaluation table names each class, escaped.
    expect(r.stderr).toContain('title\\x1b]0;pwned\\x07');
    expect(r.stderr).toContain('red\\x1b[31m');
    expect(r.stderr).toContain('csi\\x9b2J');
    expect(r.stderr).not.toMatch(CONTROLS);
    expect(r.stdout).not.toMatch(CONTROLS);
    // The output file is data: as it was given.
    expect(readJsonl(out).map((row) => row.true_label).sort()).toEqual([...labels].sort());
  });
});
