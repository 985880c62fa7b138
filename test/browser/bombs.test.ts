// Decompression bombs through `tench classify`, three copies decoded at once (three decode
// workers), with the browser's memory watched from outside: a 2 MB 16x16 16-bit PNG whose image
// data inflates to 2 GiB (grey, which tench decodes itself, and colour, which the browser's
// decoder would take), a 35-byte GIF with a 1x1 screen and a 20000x20000 frame, and one with a
// 65535x65535 frame. Pillow decodes the PNGs' picture and leaves the rest of the data unread, so
// tench gives each the row of the picture alone (the same as the file without the excess); the
// GIFs are too large by their frame, named in the row. Every copy gets the same row, and the
// browser stays under 1 GiB: its processes' proportional set sizes summed (resident sizes summed
// count Chromium's shared code once per process, over 1 GiB for any run here), and the
// high-water mark of each one.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bombGif, bombPng, cleanPng, type PngSpec } from '../helpers/bombs.ts';
import { readJsonl, runCli, type OutRow } from '../helpers/cli.ts';
import { descendants } from '../helpers/processes.ts';
import { tempDir } from '../helpers/dataset.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

const GiB = 1024 ** 3;


/** A process's memory from /proc: resident, resident anonymous, proportional (shared pages split between their users), high-water mark. */
function memoryOf(pid: number): { name: string; rss: number; anon: number; pss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { name: /^Name:\s*(.*)$/m.exec(status)?.[1] ?? '', rss: kb(status, 'VmRSS'), anon: kb(status, 'RssAnon'), pss: kb(rollup, 'Pss'), hwm: kb(status, 'VmHWM') };
  } catch {
    return null; // ended while we looked
  }
}

interface Peaks {
  /** The largest sum of resident sizes seen: shared pages (Chromium's code) counted once per process. */
  rss: number;
  /** The largest sum of proportional set sizes seen: every page counted once, split between its users. */
  pss: number;
  /** Each process's own high-water mark, summed: an upper bound no spike between two samples escapes. */
  hwm: number;
  /** The largest high-water mark of one process: the renderer holding the decode workers, for one. */
  largest: number;
  processes: number;
}

/** The browser's memory over a task: Chromium's processes (every descendant of this one but the CLI's Node process), sampled every 50 ms. */
async function browserMemory<T>(task: () => Promise<T>): Promise<{ result: T; peaks: Peaks }> {
  const hwm = new Map<number, number>();
  const peaks = { rss: 0, pss: 0 };
  const sample = () => {
    let rss = 0;
    let pss = 0;
    for (const pid of descendants(process.pid)) {
      const m = memoryOf(pid);
      if (!m || m.name === 'node') continue;
      rss += m.rss;
      pss += m.pss;
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, m.hwm));
    }
    peaks.rss = Math.max(peaks.rss, rss);
    peaks.pss = Math.max(peaks.pss, pss);
  };
  const timer = setInterval(sample, 50);
  try {
    const result = await task();
    sample();
    return { result, peaks: { ...peaks, hwm: [...hwm.values()].reduce((a, b) => a + b, 0), largest: Math.max(0, ...hwm.values()), processes: hwm.size } };
  } finally {
    clearInterval(timer);
  }
}

const COPIES = ['a', 'b', 'c'];

/** Three copies of `bytes` (and any `extra` files) classified with three decode workers. */
async function classifyCopies(name: string, bytes: Uint8Array, extra: Record<string, Uint8Array> = {}) {
  const dir = tempDir();
  for (const c of COPIES) writeFileSync(join(dir, `${c}-${name}`), bytes);
  for (const [n, b] of Object.entries(extra)) writeFileSync(join(dir, n), b);
  const out = join(tempDir(), 'out.jsonl');
  const started = performance.now();
  const { result, peaks } = await browserMemory(() =>
    runCli(['classify', dir, '--model', TINY_MODEL, '--device', 'wasm', '--decoders', '3', '--labels-from', 'none', '--out', out], {}, 300_000));
  const seconds = (performance.now() - started) / 1000;
  expect(result.code, result.stderr).toBe(0);
  const rows = new Map<string, OutRow>(readJsonl(out).map((row) => [row.path, row]));
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  console.log(`${name} x3: ${seconds.toFixed(1)} s; browser (${peaks.processes} processes) peak ${mib(peaks.pss)} proportional, ${mib(peaks.rss)} resident (shared pages once per process), high-water marks ${mib(peaks.largest)} the largest, ${mib(peaks.hwm)} summed; rows: ${COPIES.map((c) => rows.get(`${c}-${name}`)?.error ?? `ok, ${rows.get(`${c}-${name}`)?.label}`).join(' | ')}`);
  return { rows: COPIES.map((c) => rows.get(`${c}-${name}`)!), all: rows, peaks };
}

describe('decompression bombs', () => {
  for (const [kind, spec] of [['grey', { width: 16, height: 16, depth: 16, colorType: 0 }], ['colour', { width: 16, height: 16, depth: 16, colorType: 2 }]] as Array<[string, PngSpec]>) {
    it(`a 16x16 16-bit ${kind} PNG whose image data inflates to 2 GiB is too large, the same on every copy, in bounded memory`, async () => {
      const bomb = bombPng(spec, 2048);
      expect(bomb.length).toBeLessThan(2.5e6);
      const { rows, all, peaks } = await classifyCopies(`bomb-${kind}.png`, bomb, { [`clean-${kind}.png`]: cleanPng(spec) });
      // The same picture without the data that is not the image is classified.
      expect(all.get(`clean-${kind}.png`)!.error).toBeNull();
      // 16 rows of a filter byte and 16 pixels of 2 bytes a channel; deflate's most for that is an
      // eighth more and 1024 bytes (stored blocks and fixed Huffman codes at their worst).
      const raw = 16 * (1 + 16 * 2 * (spec.colorType === 0 ? 1 : 3));
      const bound = raw + Math.ceil(raw / 8) + 1024;
      for (const row of rows) expect(row.error, row.path).toBe(`too_large: the PNG's image data is over ${bound} bytes, more than any encoder makes of its 16x16 image: data that is not the image (a decompression bomb), never inflated`);
      expect(new Set(rows.map((r) => r.error)).size).toBe(1);
      expect(peaks.pss).toBeLessThan(GiB);
      expect(peaks.largest).toBeLessThan(GiB);
    }, 400_000);
  }

  for (const side of [20_000, 65_535]) {
    it(`a 35-byte GIF with a 1x1 screen and a ${side}x${side} frame is too large by its frame, every copy, in bounded memory`, async () => {
      const gif = bombGif(side, side);
      expect(gif.length).toBe(35);
      const { rows, peaks } = await classifyCopies(`frame-${side}.gif`, gif);
      const reason = new RegExp(`^too_large: GIF frame ${side}x${side} is (over the \\d+-pixel limit|too large to decode here \\(limit \\d+ pixels\\))$`);
      for (const row of rows) expect(row.error, row.path).toMatch(reason);
      expect(new Set(rows.map((r) => r.error)).size).toBe(1);
      expect(peaks.pss).toBeLessThan(GiB);
      expect(peaks.largest).toBeLessThan(GiB);
    }, 400_000);
  }
});
