// PNG -> RGB exactly as Pillow 9's Image.open(...).convert('RGB'): alpha dropped with the stored
// colour kept (a canvas would premultiply it away), palettes expanded (indices past a short
// palette are grey, as in Pillow's palettes), low bit depths scaled, 16-bit colour reduced to its
// high byte, and 16-bit grey clipped at 255 (Pillow opens it as mode "I", whose conversion to RGB
// clips rather than scales).
//
// The chunks are read as Pillow's PngImagePlugin reads them (read.ts), which decides what an
// animated PNG shows: frame 0, never composed with another. Pillow reads chunks up to the first
// IDAT (or fdAT); an fcTL before it puts that image data in its rectangle, on a blank canvas
// (index 0 of a palette image), while an IDAT before any fcTL is the "default image", shown whole.
//
// The image data is inflated into a buffer of the size IHDR (or the frame) needs and no further
// (inflate.ts), so a decompression bomb costs its image's size: Pillow, too, decodes the image
// and leaves the data past it unread.

import { inflateInto } from '../../inflate.ts';
import { CorruptError, TooLargeError, type Rgb } from '../codec.ts';
import { CHANNELS, imageDataBound, imageDataBytes, passes, rowBytes } from './layout.ts';
import { checkRest, checkRunSequence, chunkHolding, firstAbove, imageRun, open, type Opened } from './read.ts';
import { paletteTable, rowWriter, unfilter } from './rows.ts';

/** The inflated image data of the frame Pillow shows, checked as Pillow checks what it read. */
function inflated(b: Uint8Array, o: Opened, fw: number, fh: number): Uint8Array {
  const raw = new Uint8Array(imageDataBytes(fw, fh, o.depth, o.colorType, o.interlaced));
  // An encoder's data for the image fits the bound. More is data that is not the image: a
  // decompression bomb's (a 16x16 PNG whose data inflates to 2 GiB), which Pillow would inflate
  // up to the image's end and pass over; tench refuses it, as too large, without inflating it.
  const bound = imageDataBound(raw.length);
  const run = imageRun(b, o, bound + 1);
  if (!run.complete) throw new TooLargeError(`the PNG's image data is over ${bound} bytes, more than any encoder makes of its ${fw}x${fh} image: data that is not the image (a decompression bomb), never inflated`);
  const result = inflateInto(run.data, raw, (at) => run.reads[firstAbove(run.reads, at)]!);
  // Pillow read the run up to where zlib stopped: all of it when the data ran out.
  const reached = !result.ok && result.truncated ? run.chunks.length - 1 : chunkHolding(run.offsets, Math.max(0, result.end - 1));
  checkRunSequence(b, run, reached, o.animation);
  if (!result.ok) throw new CorruptError(result.truncated && run.broken ? run.broken : result.reason);
  checkRest(b, run.chunks[reached]!.next, o);
  return raw;
}

export function pngToRgb(b: Uint8Array): Rgb {
  const o = open(b);
  const { width, height, depth, colorType, interlaced } = o;
  // Pillow's decoder extents: (0, 0) to (0, y) means the whole image; anything else must have a size.
  let [x0, y0, x1, y1] = o.region ?? [0, 0, width, height];
  if (x0 === 0 && x1 === 0) [x0, y0, x1, y1] = [0, 0, width, height];
  if (x1 <= x0 || y1 <= y0) throw new CorruptError('tile cannot extend outside image');
  const fw = x1 - x0;
  const fh = y1 - y0;
  // Pillow's decoder puts interlaced rows at the image's corner, whatever the frame's offset.
  const [left, top] = interlaced ? [0, 0] : [x0, y0];
  const raw = inflated(b, o, fw, fh);

  const palette = paletteTable(colorType === 3 ? o.palette : null);
  const rgb = new Uint8Array(width * height * 3);
  // A frame smaller than the image sits on a blank canvas: zeros, palette index 0 for a palette image.
  if ((fw !== width || fh !== height) && colorType === 3) {
    for (let i = 0; i < rgb.length; i += 3) rgb.set(palette.subarray(0, 3), i);
  }
  const channels = CHANNELS[colorType]!;
  const bpp = Math.max(1, (channels * depth) >> 3);
  const write = rowWriter(colorType, depth, palette);
  let at = 0;
  for (const p of passes(fw, fh, interlaced)) {
    const stride = rowBytes(p.width, channels, depth);
    let prev: Uint8Array | null = null;
    for (let r = 0; r < p.height; r++) {
      const row = raw.subarray(at + 1, at + 1 + stride);
      unfilter(row, prev, raw[at]!, bpp);
      const y = top + p.y0 + r * p.dy;
      write(row, p.width, rgb, (y * width + left + p.x0) * 3, p.dx * 3);
      prev = row;
      at += 1 + stride;
    }
  }
  return { rgb, width, height };
}
