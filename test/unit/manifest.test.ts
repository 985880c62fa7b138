// URL lists in their three formats, read from a body that arrives in small pieces, so records
// (and quoted CSV fields) are cut across chunk boundaries as a slow server would cut them.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Item } from '../../src/core/item.ts';
import { listManifest, manifestFormat } from '../../src/datasets/manifest.ts';

const BASE = 'https://example.com/lists/';

function serve(text: string, chunk: number): void {
  const bytes = new TextEncoder().encode(text);
  vi.stubGlobal('fetch', async () => new Response(new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
      controller.close();
    },
  })));
}

async function read(name: string, text: string, chunk = 5): Promise<{ items: Item[]; skipped: number }> {
  serve(text, chunk);
  const stats = { listed: 0, skipped: 0 };
  const items: Item[] = [];
  for await (const item of listManifest(`${BASE}${name}`, ['jpg', 'png'], stats)) items.push(item);
  expect(stats.listed).toBe(items.length);
  return { items, skipped: stats.skipped };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('manifests', () => {
  it('tells the format by the name', () => {
    expect(manifestFormat('https://x/a.csv?sig=1')).toBe('csv');
    expect(manifestFormat('https://x/a.JSONL')).toBe('jsonl');
    expect(manifestFormat('https://x/a.txt')).toBe('txt');
    expect(manifestFormat('https://x/list')).toBe('txt');
  });

  for (const chunk of [1, 3, 64, 1 << 20]) {
    it(`reads CSV with a header, quoted commas, quotes and newlines (${chunk}-byte chunks)`, async () => {
      const csv = [
        'label,URL,path,size,etag',
        '"tench, Tinca tinca",a/1.jpg,,120,"""abc"""',
        '"a ""quoted"" name",https://cdn.example.org/2.png,two.png,,',
        '"two\r\nlines",3.jpg,,,',
        'n01440764,notes.txt,,,',
        ',,,,',
        '',
      ].join('\r\n');
      const { items, skipped } = await read('list.csv', csv, chunk);
      expect(skipped).toBe(1);
      expect(items).toEqual([
        { path: 'a/1.jpg', source: { kind: 'url', url: `${BASE}a/1.jpg` }, size: 120, version: '"abc"', label: 'tench, Tinca tinca' },
        { path: 'two.png', source: { kind: 'url', url: 'https://cdn.example.org/2.png' }, size: undefined, version: undefined, label: 'a "quoted" name' },
        { path: '3.jpg', source: { kind: 'url', url: `${BASE}3.jpg` }, size: undefined, version: undefined, label: 'two\r\nlines' },
      ]);
    });
  }

  it('reads CSV without a header as url[,label]', async () => {
    const { items } = await read('list.csv', 'x/1.jpg,cat\nx/2.png\n');
    expect(items.map((i) => [i.path, i.label])).toEqual([['x/1.jpg', 'cat'], ['x/2.png', undefined]]);
  });

  it('reads text and JSON lines', async () => {
    const txt = await read('list.txt', '# a comment\n1.jpg\r\n\n  2.png  \nreadme.md\n');
    expect(txt.items.map((i) => i.path)).toEqual(['1.jpg', '2.png']);
    expect(txt.skipped).toBe(1);
    const jsonl = await read('list.jsonl', '{"url":"1.jpg","label":"a\\nb"}\n\n{"url":"2.png","path":"p/2.png","size":3,"etag":"e"}');
    expect(jsonl.items).toEqual([
      { path: '1.jpg', source: { kind: 'url', url: `${BASE}1.jpg` }, size: undefined, version: undefined, label: 'a\nb' },
      { path: 'p/2.png', source: { kind: 'url', url: `${BASE}2.png` }, size: 3, version: 'e', label: undefined },
    ]);
  });

  it('says which record is wrong', async () => {
    await expect(read('list.csv', 'url,label\n1.jpg,a\n"2.jpg,b\n')).rejects.toThrow(/^manifest row \d+ is not valid CSV: /);
    await expect(read('list.csv', 'label,url\na,1.jpg\nb,\n')).rejects.toThrow('manifest row 3 has no url');
    await expect(read('list.jsonl', '{"url":"1.jpg"}\n{"path":"2.jpg"}\n')).rejects.toThrow('manifest line 2 has no "url"');
    await expect(read('list.jsonl', '{"url":"1.jpg"}\n\nnope\n', 2)).rejects.toThrow('manifest line 3 is not JSON');
    await expect(read('list.txt', 'http://[bad/1.jpg\n')).rejects.toThrow('lists "http://[bad/1.jpg", which is not a URL');
  });
});
