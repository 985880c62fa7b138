import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBadInputs, type BadInput } from '../helpers/bad-inputs.ts';

// An independent CRC-32, so a bug in the generator's own table cannot vouch for itself.
const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data) => (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(data)
    : (() => {
        const table = Array.from({ length: 256 }, (_, n) => {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          return c >>> 0;
        });
        return (data: Uint8Array) => {
          let c = ~0;
          for (const b of data) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
          return ~c >>> 0;
        };
      })();

interface Chunk {
  type: string;
  data: Buffer;
  crcOk: boolean;
}

function pngChunks(png: Buffer): Chunk[] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    chunks.push({
      type: typeAndData.subarray(0, 4).toString('latin1'),
      data: typeAndData.subarray(4),
      crcOk: crc32(typeAndData) === png.readUInt32BE(at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

function inflatedLengthAndAllZero(deflated: Buffer): Promise<{ length: number; allZero: boolean }> {
  return new Promise((done, fail) => {
    // Streamed and counted: the whole image would be 400 MB in memory.
    const inflate = zlib.createInflate({ chunkSize: 1 << 20 });
    const zeros = Buffer.alloc(1 << 20);
    let length = 0;
    let allZero = true;
    inflate.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (allZero && !chunk.equals(zeros.subarray(0, chunk.length))) allZero = false;
    });
    inflate.on('end', () => done({ length, allZero }));
    inflate.on('error', fail);
    inflate.end(deflated);
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('writeBadInputs', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tench-bad-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const dir = fresh();
  const entries: BadInput[] = writeBadInputs(dir);
  const byName = (name: string) => readFileSync(join(dir, name));

  it('writes at least 24 uniquely named files, each where it says, none over 2 MB', () => {
    expect(entries.length).toBeGreaterThanOrEqual(24);
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    for (const e of entries) {
      expect(existsSync(join(dir, e.name)), e.name).toBe(true);
      const stat = statSync(join(dir, e.name));
      expect(stat.isFile(), e.name).toBe(true);
      expect(stat.size, e.name).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(e.kind.length).toBeGreaterThan(0);
      expect(['error', 'ok', 'either']).toContain(e.expect);
      if (e.refusedBy) expect(e.expect).toBe('error');
      expect(e.name.split('/').length).toBeLessThanOrEqual(2);
    }
    expect(listFiles(dir).sort()).toEqual(entries.map((e) => e.name).sort());
  });

  it('gives huge-dimensions.png a 100000x100000 IHDR and valid CRCs', () => {
    const chunks = pngChunks(byName('huge-dimensions.png'));
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    const header = chunks[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4)]).toEqual([100_000, 100_000]);
  });

  it('makes bomb.png a valid 20000x20000 greyscale PNG that inflates to 400 MB of zeros', async () => {
    const file = byName('bomb.png');
    expect(file.length).toBeLessThan(1024 * 1024);
    const chunks = pngChunks(file);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    const header = chunks[0]!.data;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([20_000, 20_000, 8, 0]);
    const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
    const { length, allZero } = await inflatedLengthAndAllZero(idat);
    expect(length).toBe(20_000 * 20_001);
    expect(allZero).toBe(true);
  });

  it('patches huge.jpg so its frame header reads 65500x65500', () => {
    const jpeg = byName('huge.jpg');
    let at = 2;
    let size: [number, number] | undefined;
    while (at < jpeg.length && !size) {
      const marker = jpeg[at + 1]!;
      if (marker >= 0xc0 && marker <= 0xc3) size = [jpeg.readUInt16BE(at + 7), jpeg.readUInt16BE(at + 5)];
      at += 2 + jpeg.readUInt16BE(at + 2);
    }
    expect(size).toEqual([65_500, 65_500]);
  });

  it('breaks the files it says are broken in the way it says', () => {
    expect(byName('empty.jpg').length).toBe(0);
    expect([...byName('soi-only.jpg')]).toEqual([0xff, 0xd8]);
    const truncated = byName('truncated.jpg');
    expect(truncated.subarray(-2)).not.toEqual(Buffer.from([0xff, 0xd9]));
    const badCrc = pngChunks(byName('bad-crc.png'));
    expect(badCrc.find((c) => c.type === 'IDAT')!.crcOk).toBe(false);
    expect(() => zlib.inflateSync(badCrc.find((c) => c.type === 'IDAT')!.data)).toThrow();
    expect(pngChunks(byName('header-only.png')).map((c) => c.type)).toEqual(['IHDR']);
    const zero = pngChunks(byName('zero-size.png'));
    expect(zero.every((c) => c.crcOk)).toBe(true);
    expect([zero[0]!.data.readUInt32BE(0), zero[0]!.data.readUInt32BE(4)]).toEqual([0, 0]);
    const gif = byName('huge.gif');
    expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([65_535, 65_535]);
    const bmp = byName('huge.bmp');
    expect([bmp.readUInt32LE(18), bmp.readUInt32LE(22)]).toEqual([100_000, 100_000]);
    expect(byName('scan.tif').subarray(0, 4).toString('latin1')).toBe('II*\0');
    expect(byName('truncated.webp').subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(byName('noise.webp').length).toBe(4096);
  });

  it('keeps the valid ones valid', () => {
    for (const name of ['one-pixel.png', 'unknown-critical.png']) {
      const chunks = pngChunks(byName(name));
      expect(chunks.every((c) => c.crcOk), name).toBe(true);
      const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
      const header = chunks[0]!.data;
      const stride = header.readUInt32BE(0) * 3 + 1;
      expect(zlib.inflateSync(idat).length, name).toBe(stride * header.readUInt32BE(4));
    }
    const jpeg = byName('<img src=x onerror=alert(1)>.jpg');
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(byName('trailing-garbage.jpg').subarray(0, jpeg.length)).toEqual(jpeg);
    expect(byName('actually-png.jpg').subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('writes byte-identical files on every call', () => {
    const again = fresh();
    const second = writeBadInputs(again);
    expect(second).toEqual(entries);
    for (const e of entries) expect(readFileSync(join(again, e.name)).equals(byName(e.name)), e.name).toBe(true);
  });
});
