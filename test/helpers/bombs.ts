// Decompression bombs, made at test time so that no binaries sit in the repository: PNGs whose
// image data inflates far past what their header needs (a 16x16 picture followed by gigabytes of
// zeros in the same zlib stream), and GIFs whose first frame is far larger than their screen.

import { crc32, constants, deflateRawSync } from 'node:zlib';

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MIB = 1 << 20;

export interface PngSpec {
  width: number;
  height: number;
  depth: 8 | 16;
  /** 0 grey, 2 RGB, 6 RGBA. */
  colorType: 0 | 2 | 6;
}

/** The picture's filtered rows (filter 0): a gradient whose 16-bit grey goes past 255, so clipping shows. */
function imageData({ width, height, depth, colorType }: PngSpec): Buffer {
  const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : 4;
  const bytes = depth / 8;
  const row = 1 + width * channels * bytes;
  const raw = Buffer.alloc(height * row);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = c === 3 ? 0xffff : ((x * 4099 + y * 257 * (c + 1) + c * 9000) * 7) % 65536;
        const at = y * row + 1 + (x * channels + c) * bytes;
        if (bytes === 2) raw.writeUInt16BE(v, at);
        else raw[at] = v >> 8;
      }
    }
  }
  return raw;
}

function png(spec: PngSpec, zlibStream: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.depth;
  ihdr[9] = spec.colorType;
  const idat: Buffer[] = [];
  for (let at = 0; at < zlibStream.length; at += 65_536) idat.push(chunk('IDAT', zlibStream.subarray(at, at + 65_536)));
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...idat, chunk('IEND', Buffer.alloc(0))]);
}

function adler32(data: Uint8Array, zeros = 0): number {
  let a = 1;
  let b = 0;
  for (const v of data) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  // n zero bytes leave A as it is and add A to B n times.
  b = (b + (a * (zeros % 65521))) % 65521;
  return ((b << 16) | a) >>> 0;
}

/** The picture alone, in one ordinary zlib stream. */
export function cleanPng(spec: PngSpec): Buffer {
  const raw = imageData(spec);
  const body = deflateRawSync(raw, { level: 9 });
  return png(spec, Buffer.concat([Buffer.from([0x78, 0xda]), body, u32be(adler32(raw))]));
}

/**
 * The picture followed, in the same valid zlib stream, by `excessMiB` MiB of zeros. The stream is
 * made as a streaming deflater would make it, without ever holding the zeros: the picture and one
 * MiB of zeros are each deflated with a full flush (which ends byte-aligned and forgets the
 * history), that MiB's segment is repeated, and an empty final block and the Adler-32 close it.
 * 2048 MiB of zeros take about 2 MB.
 */
export function bombPng(spec: PngSpec, excessMiB: number): Buffer {
  const raw = imageData(spec);
  const picture = deflateRawSync(raw, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const zeros = deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const stream = Buffer.concat([
    Buffer.from([0x78, 0xda]),
    picture,
    ...Array.from({ length: excessMiB }, () => zeros),
    Buffer.from([0x03, 0x00]), // final fixed-Huffman block holding only end-of-block
    u32be(adler32(raw, excessMiB * MIB)),
  ]);
  return png(spec, stream);
}

/** Bytes of image data the picture inflates to (rows with their filter bytes). */
export function imageDataSize(spec: PngSpec): number {
  return imageData(spec).length;
}

/**
 * A GIF with a `screen` logical screen (and a two-colour palette) whose only image is a
 * `width` x `height` frame at the origin holding one pixel's worth of LZW data: 35 bytes.
 */
export function bombGif(width: number, height: number, screen: [number, number] = [1, 1]): Buffer {
  const u16 = (n: number) => [n & 0xff, n >> 8];
  return Buffer.from([
    ...Buffer.from('GIF89a', 'latin1'), ...u16(screen[0]), ...u16(screen[1]), 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // black, white
    0x2c, 0, 0, 0, 0, ...u16(width), ...u16(height), 0x00,
    0x02, 0x02, 0x44, 0x01, 0x00, // LZW: minimum code size 2; CLEAR, index 0, END
    0x3b,
  ]);
}
