// Pixels out of an ImageBitmap. A 2D canvas stores premultiplied colour: reading back a
// half-transparent pixel rounds its colour, a transparent one loses it. Pillow keeps the stored
// colour, so images that may carry alpha are read through WebGL2 with premultiplication off,
// which returns the stored values; opaque ones through the cheaper 2D canvas.

let gl: WebGL2RenderingContext | null | undefined;

function context(): WebGL2RenderingContext | null {
  if (gl === undefined) {
    try {
      gl = new OffscreenCanvas(1, 1).getContext('webgl2', { premultipliedAlpha: false, antialias: false, depth: false, stencil: false });
    } catch {
      gl = null;
    }
  }
  if (gl?.isContextLost()) gl = null;
  return gl ?? null;
}

/** Stored RGBA of a bitmap made with premultiplyAlpha: 'none', or null without WebGL2. */
function readUnpremultiplied(bitmap: ImageBitmap): Uint8Array | null {
  const g = context();
  if (!g) return null;
  const texture = g.createTexture();
  const framebuffer = g.createFramebuffer();
  try {
    g.bindTexture(g.TEXTURE_2D, texture);
    g.pixelStorei(g.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    g.pixelStorei(g.UNPACK_COLORSPACE_CONVERSION_WEBGL, g.NONE);
    g.pixelStorei(g.UNPACK_FLIP_Y_WEBGL, false);
    g.texImage2D(g.TEXTURE_2D, 0, g.RGBA8, g.RGBA, g.UNSIGNED_BYTE, bitmap);
    g.bindFramebuffer(g.FRAMEBUFFER, framebuffer);
    g.framebufferTexture2D(g.FRAMEBUFFER, g.COLOR_ATTACHMENT0, g.TEXTURE_2D, texture, 0);
    if (g.checkFramebufferStatus(g.FRAMEBUFFER) !== g.FRAMEBUFFER_COMPLETE) return null;
    const out = new Uint8Array(bitmap.width * bitmap.height * 4);
    // Framebuffer row 0 is the texture's first row, which texImage2D filled with the image's top row.
    g.readPixels(0, 0, bitmap.width, bitmap.height, g.RGBA, g.UNSIGNED_BYTE, out);
    return g.getError() === g.NO_ERROR ? out : null;
  } finally {
    g.bindFramebuffer(g.FRAMEBUFFER, null);
    g.deleteFramebuffer(framebuffer);
    g.deleteTexture(texture);
  }
}

let scratch: { canvas: OffscreenCanvas; ctx: OffscreenCanvasRenderingContext2D } | null = null;

/**
 * One canvas per worker, reused: a canvas per image leaves its backing store (width x height x 4
 * bytes) to the garbage collector, which in a busy worker let the tab grow by the size of every
 * image decoded. It grows to the largest image and shrinks back when one much smaller comes.
 */
function canvasFor(width: number, height: number): OffscreenCanvasRenderingContext2D | null {
  const fits = scratch && scratch.canvas.width >= width && scratch.canvas.height >= height;
  const wasteful = scratch && scratch.canvas.width * scratch.canvas.height > 4 * width * height;
  if (!scratch || !fits || wasteful) {
    const canvas = scratch?.canvas ?? new OffscreenCanvas(width, height);
    canvas.width = width;
    canvas.height = height;
    const ctx = scratch?.ctx ?? canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    scratch = { canvas, ctx };
  }
  scratch.ctx.clearRect(0, 0, width, height);
  return scratch.ctx;
}

function readCanvas(bitmap: ImageBitmap): Uint8ClampedArray | null {
  const ctx = canvasFor(bitmap.width, bitmap.height);
  if (!ctx) return null;
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' }).data;
}

/** The bitmap's RGBA (alpha to be ignored), with the stored colour where it may have alpha. */
export function bitmapPixels(bitmap: ImageBitmap, mayHaveAlpha: boolean): Uint8Array | Uint8ClampedArray | null {
  return (mayHaveAlpha ? readUnpremultiplied(bitmap) : null) ?? readCanvas(bitmap);
}
