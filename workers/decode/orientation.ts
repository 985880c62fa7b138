// EXIF orientation applied to pixels, as ImageOps.exif_transpose applies it, when asked: Pillow
// (and so the Python reference) ignores it, and so does tench by default. A JPEG is decoded with
// its orientation neutralised (codecs/jpeg/exif.ts), so that the browser does not apply it either.

/** Pixels turned as EXIF orientation `o` (2..8) says, on packed RGB. */
export function applyOrientation(rgb: Uint8Array, w: number, h: number, o: number): { rgb: Uint8Array; width: number; height: number } {
  if (o < 2 || o > 8) return { rgb, width: w, height: h };
  const swap = o >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sx: number;
      let sy: number;
      switch (o) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break;
      }
      const s = (sy * w + sx) * 3;
      const d = (y * width + x) * 3;
      out[d] = rgb[s]!;
      out[d + 1] = rgb[s + 1]!;
      out[d + 2] = rgb[s + 2]!;
    }
  }
  return { rgb: out, width, height };
}
