// Images on another origin that sends no CORS headers: the browser shows the page nothing of
// them and says only "Failed to fetch". Each row says what that means (unreachable, or no CORS
// header for this page), after two tries rather than four; a run none of whose images could be
// read says so once, on its status line.

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/dataset.ts';
import { SAMPLES, TINY_MODEL } from '../helpers/paths.ts';

const NAMES = ['chelsea-224.png', 'rocket-224.png', 'coffee-224.png'];

/** A server of the sample images, with or without the header that lets other origins read them; it counts requests per path. */
async function imageServer(cors: boolean): Promise<{ server: Server; origin: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const name = path.slice(1);
    if (!NAMES.includes(name)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png', ...(cors ? { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' } : {}) });
    res.end(readFileSync(join(SAMPLES, name)));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe('images on an origin without CORS headers', () => {
  let app: OpenApp;
  let dir: string;
  let closed: Awaited<ReturnType<typeof imageServer>>;
  let open: Awaited<ReturnType<typeof imageServer>>;

  beforeAll(async () => {
    [closed, open] = await Promise.all([imageServer(false), imageServer(true)]);
    dir = tempDir();
    writeFileSync(join(dir, 'closed.txt'), NAMES.map((n) => `${closed.origin}/${n}\n`).join(''));
    writeFileSync(join(dir, 'mixed.txt'), [...NAMES.map((n) => `${open.origin}/${n}\n`), `${closed.origin}/${NAMES[0]}\n`].join(''));
    app = await openApp({ dataDir: dir, modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
    for (const s of [closed, open]) await new Promise((done) => s?.server.close(done));
  });

  const page = () => app.page;

  async function runList(name: string) {
    await page().selectOption('select[name=kind]', 'manifest');
    await page().fill('input[name=manifest]', `${app.origin}/data/files/${name}`);
    return runFromForm(page());
  }

  it('says in each row what the browser\'s "Failed to fetch" means, after two tries, and once for the run', async () => {
    const run = await runList('closed.txt');
    expect(run.state).toBe('done');
    const rows = await page().evaluate((id) => window.tench!.rows(id, -1, 100), run.id);
    expect(rows).toHaveLength(NAMES.length);
    for (const row of rows) {
      expect(row.error, row.path).toBe(`the browser could not read ${row.path}: the server is unreachable, or sends no CORS header allowing ${app.origin} to read it (after 2 tries)`);
      expect(row.cause).toBe('fetch_failed');
    }
    // The server answered every try: the browser kept the answers from the page.
    for (const n of NAMES) expect(closed.hits.get(`/${n}`), n).toBe(2);
    const message = page().locator('p.message');
    await expect(message.getAttribute('class')).resolves.toContain('warning');
    const text = (await message.textContent())!;
    expect(text).toMatch(new RegExp(`^Run ${run.id}: done · `));
    expect(text).toContain(` · none of the images could be read: ${closed.origin} is unreachable, or sends no CORS header allowing ${app.origin} to read its images`);
    // Said once for the run, not once per image.
    expect(text.split('CORS').length).toBe(2);
  });

  it('says it of the rows alone where other images of the run were read', async () => {
    const run = await runList('mixed.txt');
    expect(run.state).toBe('done');
    expect(run.counts).toMatchObject({ ok: NAMES.length, failed: 1 });
    const rows = await page().evaluate((id) => window.tench!.rows(id, -1, 100), run.id);
    expect(rows.filter((r) => r.error).map((r) => r.error)).toEqual([expect.stringContaining('sends no CORS header allowing')]);
    const text = (await page().locator('p.message').textContent())!;
    expect(text).not.toContain('none of the images could be read');
    await expect(page().locator('p.message').getAttribute('class')).resolves.not.toContain('warning');
  });
});
