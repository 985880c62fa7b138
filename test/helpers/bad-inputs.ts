// A corpus of broken, hostile and oddly named image files, built byte by byte at test time so that no
// binaries sit in the repository. It only writes files and says what a careful decoder should make of
// them; how the app reports each one is for the test that feeds them to it.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, constants, deflateRawSync, deflateSync } from 'node:zlib';
import { SAMPLES } from './paths.ts';

export interface BadInput {
  /** File name relative to the corpus folder (may include one subfolder). */
  name: string;
  /** One short phrase: what is wrong with it. */
  kind: string;
  /**
   * What a careful decoder must do: 'error' = it cannot be decoded or must be refused;
   * 'ok' = a valid image despite the odd name/extension/trailing data; 'either' = browsers differ.
   */
  expect: 'error' | 'ok' | 'either';
  /** For 'error' files refused by size before decoding: 'pixels' (header dimensions too big). */
  refusedBy?: 'pixels';
}

// --- byte helpers -----------------------------------------------------------------------------------

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function u16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** mulberry32: a fixed seed gives the same "random" bytes on every machine and every run. */
function seededBytes(seed: number, length: number): Buffer {
  let s = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

// --- PNG --------------------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Uint8Array, corruptCrc = false): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = crc32(typeAndData);
  return Buffer.concat([u32be(data.length), typeAndData, u32be(corruptCrc ? crc ^ 0xdeadbeef : crc)]);
}

/** colorType 0 = greyscale, 2 = RGB; always 8 bits per sample, no interlace. */
function ihdr(width: number, height: number, colorType: 0 | 2): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width >>> 0, 0);
  data.writeUInt32BE(height >>> 0, 4);
  data[8] = 8;
  data[9] = colorType;
  return pngChunk('IHDR', data);
}

const IEND = pngChunk('IEND', Buffer.alloc(0));

/** A valid PNG; `pixels` are the unfiltered samples, row by row. */
function makePng(width: number, height: number, colorType: 0 | 2, pixels: Uint8Array, extra: Buffer[] = []): Buffer {
  const stride = width * (colorType === 2 ? 3 : 1);
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, colorType), ...extra, pngChunk('IDAT', deflateSync(raw, { level: 9 })), IEND]);
}

function gradient(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = (x * 255) / Math.max(1, width - 1);
      px[i + 1] = (y * 255) / Math.max(1, height - 1);
      px[i + 2] = 128;
    }
  }
  return px;
}

/**
 * A real, fully valid 20000x20000 greyscale PNG of zeros: 400 MB once inflated, under 400 KB on disk.
 * Deflating 400 MB on every call would be slow and memory-hungry, and zlib's streaming API is async,
 * so one block of rows is deflated with a full flush (which ends byte-aligned and forgets the history)
 * and that same segment is repeated; a final empty block and the Adler-32 close the zlib stream.
 */
function bombPng(): Buffer {
  const side = 20_000;
  const rowBytes = side + 1;
  const rowsPerSegment = 1000;
  const segment = deflateRawSync(Buffer.alloc(rowBytes * rowsPerSegment), {
    level: 9,
    finishFlush: constants.Z_FULL_FLUSH,
  });
  const segments = side / rowsPerSegment;
  const total = rowBytes * side;
  // Adler-32 of n zero bytes: A stays 1, B gains A once per byte.
  const adler = (((total % 65521) << 16) | 1) >>> 0;
  const zlibStream = Buffer.concat([
    Buffer.from([0x78, 0xda]),
    ...Array.from({ length: segments }, () => segment),
    Buffer.from([0x03, 0x00]), // final, fixed-Huffman block holding only end-of-block
    u32be(adler),
  ]);
  const idat: Buffer[] = [];
  for (let at = 0; at < zlibStream.length; at += 65_536) idat.push(pngChunk('IDAT', zlibStream.subarray(at, at + 65_536)));
  return Buffer.concat([PNG_SIGNATURE, ihdr(side, side, 0), ...idat, IEND]);
}

// --- JPEG -------------------------------------------------------------------------------------------

/** Offset of the first SOFn segment's marker, walking the segment list from SOI. */
function findSof(jpeg: Buffer): number {
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return at;
    if (marker === 0xda) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error('no SOF segment before the scan');
}

// --- GIF --------------------------------------------------------------------------------------------

function gifHeader(width: number, height: number): Buffer {
  // Global colour table of 2 entries (size field 0), 8 bits of colour resolution: black then white.
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    u16le(width),
    u16le(height),
    Buffer.from([0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff]),
  ]);
}

/**
 * One 1x1 frame at the origin. LZW with minimum code size 2 and 3-bit codes: CLEAR(4), the index, END(5),
 * packed least-significant bit first.
 */
function gifFrame(index: 0 | 1, delayCs?: number): Buffer {
  const gce = delayCs === undefined ? [] : [0x21, 0xf9, 0x04, 0x00, delayCs & 0xff, delayCs >> 8, 0x00, 0x00];
  const lzw = index === 0 ? [0x44, 0x01] : [0x4c, 0x01];
  return Buffer.from([...gce, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, 0x02, lzw.length, ...lzw, 0x00]);
}

const NETSCAPE_LOOP = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 0x03, 0x01, 0x00, 0x00, 0x00]);

// --- BMP --------------------------------------------------------------------------------------------

/** 24-bit bottom-up BMP; `pixelData` may be shorter than the header promises. */
function bmp(width: number, height: number, pixelData: Buffer, claimedImageSize: number): Buffer {
  const fileHeaderSize = 14;
  const infoHeaderSize = 40;
  const offset = fileHeaderSize + infoHeaderSize;
  // The file size field is 32 bits; a lying header saturates it rather than wrapping to something plausible.
  const fileSize = Math.min(0xffffffff, offset + claimedImageSize);
  return Buffer.concat([
    Buffer.from('BM', 'latin1'),
    u32le(fileSize),
    u32le(0),
    u32le(offset),
    u32le(infoHeaderSize),
    u32le(width),
    u32le(height),
    u16le(1),
    u16le(24),
    u32le(0), // BI_RGB
    u32le(Math.min(0xffffffff, claimedImageSize)),
    u32le(2835), // 72 dpi
    u32le(2835),
    u32le(0),
    u32le(0),
    pixelData,
  ]);
}

function tinyBmp(): Buffer {
  // Rows are bottom-up, BGR, each padded to 4 bytes: 2 pixels = 6 bytes + 2 padding.
  const rows = Buffer.from([
    0x00, 0x00, 0xff, 0x00, 0xff, 0x00, 0, 0, // bottom: red, green
    0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0, 0, // top: blue, white
  ]);
  return bmp(2, 2, rows, rows.length);
}

// --- TIFF -------------------------------------------------------------------------------------------

/** A valid 1x1 8-bit greyscale little-endian TIFF: decodable by TIFF readers, not by Chromium or Firefox. */
function tiff(): Buffer {
  const entries: [tag: number, type: number, value: number][] = [
    [256, 3, 1], // ImageWidth
    [257, 3, 1], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: black is zero
    [273, 4, 0], // StripOffsets, patched below
    [277, 3, 1], // SamplesPerPixel
    [278, 3, 1], // RowsPerStrip
    [279, 4, 1], // StripByteCounts
  ];
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  const pixelOffset = ifdOffset + ifdSize;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(1, at + 4);
    if (type === 3) ifd.writeUInt16LE(value, at + 8);
    else ifd.writeUInt32LE(tag === 273 ? pixelOffset : value, at + 8);
  });
  return Buffer.concat([Buffer.from('II*\0', 'latin1'), u32le(ifdOffset), ifd, Buffer.from([0x80])]);
}

// --- corpus -----------------------------------------------------------------------------------------

interface Entry extends BadInput {
  bytes: Buffer;
}

function corpus(): Entry[] {
  const jpeg = readFileSync(join(SAMPLES, 'retina-224.jpg'));
  const png = readFileSync(join(SAMPLES, 'camera-gray-224.png'));
  const smallPng = makePng(16, 16, 2, gradient(16, 16));

  const hugeJpeg = Buffer.from(jpeg);
  const sof = findSof(hugeJpeg);
  // SOF layout: marker(2) length(2) precision(1) height(2) width(2).
  hugeJpeg.writeUInt16BE(65_500, sof + 5);
  hugeJpeg.writeUInt16BE(65_500, sof + 7);

  // Same length as a real IDAT, but BFINAL=1 with the reserved block type 3 right after the zlib header
  // makes inflate fail at the first block instead of depending on where random bytes happen to break.
  const garbled = Buffer.concat([Buffer.from([0x78, 0x9c, 0x07]), seededBytes(7, 200)]);

  const webpGarbage = seededBytes(15, 60);
  const truncatedWebp = Buffer.concat([
    Buffer.from('RIFF', 'latin1'),
    u32le(4 + 8 + 4096), // promises far more than follows
    Buffer.from('WEBPVP8 ', 'latin1'),
    u32le(4096),
    webpGarbage,
  ]);

  const html = '<!doctype html>\n<html><head><title>not an image</title></head>\n<body><script>alert(document.domain)</script></body></html>\n';
  const svg =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="alert(1)">\n' +
    '  <script>alert(document.cookie)</script>\n' +
    '  <rect width="64" height="64" fill="red"/>\n' +
    '</svg>\n';

  const longName = `long-${'x'.repeat(191)}.jpg`;

  return [
    { name: 'empty.jpg', kind: 'zero-byte file', expect: 'error', bytes: Buffer.alloc(0) },
    { name: 'notes.jpg', kind: 'plain text with an image extension', expect: 'error', bytes: Buffer.from('These are my notes, not a photo.\nSecond line.\n') },
    { name: 'page.png', kind: 'HTML document with a script', expect: 'error', bytes: Buffer.from(html) },
    { name: 'vector.png', kind: 'SVG with an onload script', expect: 'error', bytes: Buffer.from(svg) },
    { name: 'truncated.jpg', kind: 'JPEG cut in half, no end-of-image marker', expect: 'error', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)) },
    { name: 'soi-only.jpg', kind: 'JPEG start-of-image marker only', expect: 'error', bytes: Buffer.from([0xff, 0xd8]) },
    {
      name: 'bad-crc.png',
      kind: 'PNG with a wrong IDAT CRC and garbled zlib data',
      expect: 'error',
      bytes: Buffer.concat([PNG_SIGNATURE, ihdr(16, 16, 2), pngChunk('IDAT', garbled, true), IEND]),
    },
    { name: 'header-only.png', kind: 'PNG signature and IHDR, no image data', expect: 'error', bytes: Buffer.concat([PNG_SIGNATURE, ihdr(16, 16, 2)]) },
    {
      name: 'zero-size.png',
      kind: 'PNG whose IHDR says 0x0',
      expect: 'error',
      bytes: Buffer.concat([PNG_SIGNATURE, ihdr(0, 0, 0), pngChunk('IDAT', deflateSync(Buffer.alloc(0))), IEND]),
    },
    {
      name: 'huge-dimensions.png',
      kind: 'PNG header claims 100000x100000 over a tiny IDAT',
      expect: 'error',
      refusedBy: 'pixels',
      bytes: Buffer.concat([PNG_SIGNATURE, ihdr(100_000, 100_000, 0), pngChunk('IDAT', deflateSync(Buffer.alloc(100_001), { level: 9 })), IEND]),
    },
    { name: 'bomb.png', kind: 'decompression bomb: valid 20000x20000 PNG of zeros', expect: 'error', refusedBy: 'pixels', bytes: bombPng() },
    { name: 'huge.jpg', kind: 'JPEG frame header claims 65500x65500', expect: 'error', refusedBy: 'pixels', bytes: hugeJpeg },
    {
      name: 'huge.gif',
      kind: 'GIF logical screen 65535x65535 around a 1x1 image',
      expect: 'error',
      refusedBy: 'pixels',
      bytes: Buffer.concat([gifHeader(65_535, 65_535), gifFrame(0), Buffer.from([0x3b])]),
    },
    {
      name: 'huge.bmp',
      kind: 'BMP header claims 100000x100000 with almost no pixels',
      expect: 'error',
      refusedBy: 'pixels',
      bytes: bmp(100_000, 100_000, seededBytes(14, 64), 300_000 * 100_000),
    },
    { name: 'truncated.webp', kind: 'RIFF/WEBP header then truncated garbage', expect: 'error', bytes: truncatedWebp },
    { name: 'noise.webp', kind: '4 KB of random bytes', expect: 'error', bytes: seededBytes(16, 4096) },
    { name: 'scan.tif', kind: 'TIFF, which browsers cannot decode', expect: 'error', bytes: tiff() },
    { name: 'actually-png.jpg', kind: 'PNG bytes behind a .jpg name', expect: 'ok', bytes: png },
    { name: 'trailing-garbage.jpg', kind: 'valid JPEG with 10 KB after end-of-image', expect: 'either', bytes: Buffer.concat([jpeg, seededBytes(19, 10 * 1024)]) },
    { name: '<img src=x onerror=alert(1)>.jpg', kind: 'HTML injection in the file name', expect: 'ok', bytes: jpeg },
    { name: '"quoted", line\nbreak.jpg', kind: 'quote, comma and newline in the file name', expect: 'ok', bytes: jpeg },
    { name: '名前 ünïcödé 🐟.png'.normalize('NFC'), kind: 'non-ASCII file name', expect: 'ok', bytes: png },
    { name: 'a%20b #frag ?query&x=1.jpg', kind: 'URL-special characters in the file name', expect: 'ok', bytes: jpeg },
    // A slash cannot appear in a file name, so the link target has none.
    { name: '=HYPERLINK("http:x","y").jpg', kind: 'spreadsheet formula in the file name', expect: 'ok', bytes: jpeg },
    { name: '@SUM(1+1)*cmd.jpg', kind: 'spreadsheet @ formula in the file name', expect: 'ok', bytes: jpeg },
    { name: longName, kind: '200-character file name', expect: 'ok', bytes: jpeg },
    { name: '\u202Egnp/evil.jpg', kind: 'right-to-left override in the folder name', expect: 'ok', bytes: jpeg },
    { name: 'one-pixel.png', kind: '1x1 PNG', expect: 'ok', bytes: makePng(1, 1, 2, new Uint8Array([200, 30, 30])) },
    {
      name: 'unknown-critical.png',
      kind: 'PNG with an unknown critical chunk',
      expect: 'either',
      // An upper-case first letter marks the chunk critical: the spec says to fail, some decoders skip it.
      bytes: Buffer.concat([smallPng.subarray(0, 33), pngChunk('ZZZZ', Buffer.from('unknown')), smallPng.subarray(33)]),
    },
    {
      name: 'animated.gif',
      kind: 'animated GIF, two 1x1 frames',
      expect: 'ok',
      bytes: Buffer.concat([gifHeader(1, 1), NETSCAPE_LOOP, gifFrame(0, 50), gifFrame(1, 50), Buffer.from([0x3b])]),
    },
    { name: 'no-frames.gif', kind: 'GIF header and trailer with no image', expect: 'error', bytes: Buffer.concat([gifHeader(1, 1), Buffer.from([0x3b])]) },
    { name: 'tiny.bmp', kind: '2x2 24-bit BMP', expect: 'ok', bytes: tinyBmp() },
  ];
}

/** Writes the corpus into `dir` (created if missing) and returns one entry per file written. */
export function writeBadInputs(dir: string): BadInput[] {
  const written: BadInput[] = [];
  for (const { bytes, ...entry } of corpus()) {
    const path = join(dir, entry.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    written.push(entry);
  }
  return written;
}
