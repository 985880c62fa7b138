// The decode worker's hot loops, compiled to WebAssembly with SIMD (see build.sh):
//
//   JPEG planes (as libjpeg leaves them before upsampling) -> RGB, exactly as libjpeg-turbo's
//     "fancy" upsampling and YCbCr conversion make them, so the result is Pillow's pixels;
//   Pillow's two-pass resampling (Resample.c, 8 bits a channel) from coefficients computed in
//     JavaScript (resample.ts), the crop window only;
//   RGB -> the model's CHW float32 tensor through a 256-entry table a channel;
//   a small baseline JPEG encoder for the gallery's thumbnails.
//
// Every integer step is the reference's own (resample.ts, libjpeg-turbo's jdsample.c and
// jdcolor.c), so the output is identical byte for byte; test/unit/kernels.test.ts checks it
// against the JavaScript reference. Memory is a bump allocator that JavaScript resets per image.

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// ---- memory --------------------------------------------------------------------------------

extern unsigned char __heap_base;
static uintptr_t top = 0;

EXPORT(reset) void reset(void) { top = (uintptr_t)&__heap_base; }

/** n bytes, 16-aligned, with 64 bytes of slack after them for SIMD loads that run past the end. */
EXPORT(alloc) void *alloc(uint32_t n) {
  if (!top) reset();
  uintptr_t at = (top + 15) & ~(uintptr_t)15;
  uintptr_t end = at + n + 64;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1) return 0;
  top = end;
  return (void *)at;
}

// What the module was built from (build.sh): the SHA-256 of the toolchain's version line,
// pixels.flags and this file; and that version line. A test compares them with the files.
EXPORT(build_digest) const char *build_digest(void) { return BUILD_DIGEST; }
EXPORT(toolchain) const char *toolchain(void) { return TOOLCHAIN; }

// ---- JPEG planes -> RGB (libjpeg-turbo jdsample.c fancy upsampling, jdcolor.c ycc_rgb_convert) -

#define SCALEBITS 16
#define ONE_HALF ((int32_t)1 << (SCALEBITS - 1))
#define FIX(x) ((int32_t)((x) * (1L << SCALEBITS) + 0.5))

static inline uint8_t range_limit(int32_t v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }

/**
 * One chroma row upsampled 2x horizontally into 2 * sw samples (the caller keeps the first w).
 * h2v2_fancy_upsample works on column sums (3 x the nearer row + the further row) with biases 8
 * and 7 and a shift of 4; h2v1_fancy_upsample on the row alone with biases 1 and 2 and a shift of 2.
 * Both need sw > 2 (libjpeg-turbo replicates narrower planes instead).
 */
static void up_h2v2_row(const int16_t *sum, uint32_t sw, uint8_t *out) {
  // Columns 1 .. sw-2 eight at a time: even outputs blend with the column before, odd ones with
  // the column after; interleaved, they are 16 output bytes.
  uint32_t c = 1;
  const v128_t three = wasm_i16x8_splat(3), eight = wasm_i16x8_splat(8), seven = wasm_i16x8_splat(7);
  for (; c + 8 <= sw - 1; c += 8) {
    v128_t here = wasm_v128_load(sum + c), before = wasm_v128_load(sum + c - 1), after = wasm_v128_load(sum + c + 1);
    v128_t base = wasm_i16x8_mul(here, three);
    v128_t even = wasm_i16x8_shr(wasm_i16x8_add(wasm_i16x8_add(base, before), eight), 4);
    v128_t odd = wasm_i16x8_shr(wasm_i16x8_add(wasm_i16x8_add(base, after), seven), 4);
    v128_t lo = wasm_i16x8_shuffle(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
    v128_t hi = wasm_i16x8_shuffle(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
    wasm_v128_store(out + 2 * c, wasm_u8x16_narrow_i16x8(lo, hi));
  }
  for (; c < sw - 1; c++) {
    int32_t here = sum[c] * 3;
    out[2 * c] = (uint8_t)((here + sum[c - 1] + 8) >> 4);
    out[2 * c + 1] = (uint8_t)((here + sum[c + 1] + 7) >> 4);
  }
  out[0] = (uint8_t)((sum[0] * 4 + 8) >> 4);
  out[1] = (uint8_t)((sum[0] * 3 + sum[1] + 7) >> 4);
  uint32_t last = sw - 1;
  out[2 * last] = (uint8_t)((sum[last] * 3 + sum[last - 1] + 8) >> 4);
  out[2 * last + 1] = (uint8_t)((sum[last] * 4 + 7) >> 4);
}

static void up_h2v1_row(const uint8_t *in, uint32_t sw, uint8_t *out) {
  int32_t v = in[0];
  out[0] = (uint8_t)v;
  out[1] = (uint8_t)((v * 3 + in[1] + 2) >> 2);
  uint32_t o = 2;
  for (uint32_t c = 1; c < sw - 1; c++, o += 2) {
    v = in[c] * 3;
    out[o] = (uint8_t)((v + in[c - 1] + 1) >> 2);
    out[o + 1] = (uint8_t)((v + in[c + 1] + 2) >> 2);
  }
  v = in[sw - 1];
  out[o] = (uint8_t)((v * 3 + in[sw - 2] + 1) >> 2);
  out[o + 1] = (uint8_t)v;
}

/**
 * Y, Cb, Cr planes (chroma at 1/hsub x 1/vsub, hsub and vsub 1 or 2) -> packed RGB, w*h*3 bytes.
 * Chroma planes are ceil(w/hsub) x ceil(h/vsub). libjpeg-turbo upsamples 2x2 chroma with the
 * triangle filter only where the plane is wider than 2 samples, and 2x1 likewise; narrower
 * planes are replicated, as its h2v2_upsample/h2v1_upsample do.
 */
EXPORT(ycc_to_rgb)
int ycc_to_rgb(const uint8_t *y, uint32_t ys, const uint8_t *cb, uint32_t cbs, const uint8_t *cr, uint32_t crs,
               uint32_t w, uint32_t h, uint32_t hsub, uint32_t vsub, uint8_t *rgb) {
  uint32_t cw = (w + hsub - 1) / hsub, ch = (h + vsub - 1) / vsub;
  uint8_t *ucb = alloc(cw * 2 + 2), *ucr = alloc(cw * 2 + 2);
  int16_t *sum = alloc(cw * 2 + 32);
  if (!ucb || !ucr || !sum) return 0;
  int fancy = cw > 2;
  for (uint32_t row = 0; row < h; row++) {
    const uint8_t *prow[2] = {cb, cr};
    uint32_t pstride[2] = {cbs, crs};
    uint8_t *dst[2] = {ucb, ucr};
    for (int k = 0; k < 2; k++) {
      const uint8_t *plane = prow[k];
      uint32_t s = pstride[k];
      if (hsub == 1 && vsub == 1) {
        dst[k] = (uint8_t *)plane + row * s;
      } else if (vsub == 2) {
        uint32_t iy = row >> 1;
        if (!fancy) {
          const uint8_t *in = plane + iy * s;
          for (uint32_t x = 0; x < w; x++) dst[k][x] = in[x >> 1];
          continue;
        }
        // The row above for even output rows, below for odd ones; the edges repeat themselves.
        uint32_t far = (row & 1) ? (iy + 1 < ch ? iy + 1 : iy) : (iy > 0 ? iy - 1 : 0);
        const uint8_t *a = plane + iy * s, *b = plane + far * s;
        uint32_t x = 0;
        for (; x + 8 <= cw; x += 8) {
          v128_t na = wasm_u16x8_load8x8(a + x), nb = wasm_u16x8_load8x8(b + x);
          wasm_v128_store(sum + x, wasm_i16x8_add(wasm_i16x8_mul(na, wasm_i16x8_splat(3)), nb));
        }
        for (; x < cw; x++) sum[x] = (int16_t)(a[x] * 3 + b[x]);
        up_h2v2_row(sum, cw, dst[k]);
      } else {
        const uint8_t *in = plane + row * s;
        if (fancy) up_h2v1_row(in, cw, dst[k]);
        else for (uint32_t x = 0; x < w; x++) dst[k][x] = in[x >> 1];
      }
    }
    const uint8_t *yr = y + row * ys, *u = dst[0], *v = dst[1];
    uint8_t *o = rgb + row * w * 3;
    uint32_t x = 0;
    // Four pixels at a time: the tables of jdcolor.c are these products, exactly.
    const v128_t c128 = wasm_i32x4_splat(128), half = wasm_i32x4_splat(ONE_HALF);
    const v128_t k_rr = wasm_i32x4_splat(FIX(1.40200)), k_bb = wasm_i32x4_splat(FIX(1.77200));
    const v128_t k_rg = wasm_i32x4_splat(-FIX(0.71414)), k_bg = wasm_i32x4_splat(-FIX(0.34414));
    const v128_t zero = wasm_i32x4_splat(0), max = wasm_i32x4_splat(255);
    for (; x + 4 <= w; x += 4, o += 12) {
      v128_t Y = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(yr + x)));
      v128_t U = wasm_i32x4_sub(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(u + x))), c128);
      v128_t V = wasm_i32x4_sub(wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(v + x))), c128);
      v128_t R = wasm_i32x4_add(Y, wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_mul(k_rr, V), half), SCALEBITS));
      v128_t B = wasm_i32x4_add(Y, wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_mul(k_bb, U), half), SCALEBITS));
      v128_t G = wasm_i32x4_add(Y, wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_mul(k_bg, U), half), wasm_i32x4_mul(k_rg, V)), SCALEBITS));
      R = wasm_i32x4_min(wasm_i32x4_max(R, zero), max);
      G = wasm_i32x4_min(wasm_i32x4_max(G, zero), max);
      B = wasm_i32x4_min(wasm_i32x4_max(B, zero), max);
      // R0 G0 B0 R1 G1 B1 ... from the three vectors' low bytes.
      v128_t rg = wasm_i16x8_narrow_i32x4(R, G);          // r0 r1 r2 r3 g0 g1 g2 g3
      v128_t bz = wasm_i16x8_narrow_i32x4(B, zero);       // b0 b1 b2 b3 0 0 0 0
      v128_t bytes = wasm_u8x16_narrow_i16x8(rg, bz);     // r0..r3 g0..g3 b0..b3 0000
      v128_t packed = wasm_i8x16_shuffle(bytes, bytes, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 12, 12, 12);
      wasm_v128_store64_lane(o, packed, 0);
      wasm_v128_store32_lane(o + 8, packed, 2);
    }
    for (; x < w; x++, o += 3) {
      int32_t Y = yr[x], cb_ = u[x] - 128, cr_ = v[x] - 128;
      o[0] = range_limit(Y + ((FIX(1.40200) * cr_ + ONE_HALF) >> SCALEBITS));
      o[1] = range_limit(Y + ((-FIX(0.34414) * cb_ + ONE_HALF + -FIX(0.71414) * cr_) >> SCALEBITS));
      o[2] = range_limit(Y + ((FIX(1.77200) * cb_ + ONE_HALF) >> SCALEBITS));
    }
  }
  return 1;
}

// ---- Pillow's resampling, 8 bits a channel ------------------------------------------------------

#define PRECISION_BITS 22
#define HALF (1 << (PRECISION_BITS - 1))
#define CLIP_TOP (255 << PRECISION_BITS)

static inline v128_t clip8x4(v128_t v) {
  return wasm_i32x4_shr(wasm_i32x4_min(wasm_i32x4_max(v, wasm_i32x4_splat(0)), wasm_i32x4_splat(CLIP_TOP)), PRECISION_BITS);
}

/**
 * The horizontal pass over rows [y0, y0 + rows) of src (channels 3 or 4, width w), output columns
 * [x0, x0 + outw) into packed RGB. bounds: per output column, first input column and taps;
 * weights: ksize fixed-point weights per output column. bgr: the source is B, G, R order.
 */
EXPORT(resample_h)
void resample_h(const uint8_t *src, uint32_t channels, uint32_t bgr, uint32_t w, uint32_t y0, uint32_t rows,
                const int32_t *bounds, const int32_t *weights, uint32_t ksize, uint32_t x0, uint32_t outw, uint8_t *out) {
  for (uint32_t y = 0; y < rows; y++) {
    const uint8_t *in = src + (size_t)(y + y0) * w * channels;
    uint8_t *o = out + (size_t)y * outw * 3;
    for (uint32_t xx = x0; xx < x0 + outw; xx++, o += 3) {
      uint32_t xmin = bounds[xx * 2], taps = bounds[xx * 2 + 1];
      const int32_t *k = weights + xx * ksize;
      const uint8_t *p = in + xmin * channels;
      v128_t acc = wasm_i32x4_splat(HALF);
      uint32_t x = 0;
      for (; x + 2 <= taps; x += 2, p += 2 * channels) {
        v128_t a = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
        v128_t b = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p + channels)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_add(wasm_i32x4_mul(a, wasm_i32x4_splat(k[x])), wasm_i32x4_mul(b, wasm_i32x4_splat(k[x + 1]))));
      }
      if (x < taps) {
        v128_t a = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
        acc = wasm_i32x4_add(acc, wasm_i32x4_mul(a, wasm_i32x4_splat(k[x])));
      }
      v128_t c = clip8x4(acc);
      int32_t first = wasm_i32x4_extract_lane(c, 0), third = wasm_i32x4_extract_lane(c, 2);
      o[0] = (uint8_t)(bgr ? third : first);
      o[1] = (uint8_t)wasm_i32x4_extract_lane(c, 1);
      o[2] = (uint8_t)(bgr ? first : third);
    }
  }
}

/**
 * The vertical pass: output rows [y0, y0 + outh) of `src`, rows of `stride` bytes whatever their
 * layout (the first row of src being input row `shift`), into rows of the same layout. Sixteen
 * bytes at a time, every tap accumulated in registers.
 */
EXPORT(resample_v)
void resample_v(const uint8_t *src, uint32_t stride, uint32_t shift, const int32_t *bounds, const int32_t *weights,
                uint32_t ksize, uint32_t y0, uint32_t outh, uint8_t *out) {
  for (uint32_t yy = y0; yy < y0 + outh; yy++) {
    uint32_t ymin = bounds[yy * 2] - shift, taps = bounds[yy * 2 + 1];
    const int32_t *k = weights + yy * ksize;
    uint8_t *o = out + (size_t)(yy - y0) * stride;
    uint32_t i = 0;
    for (; i + 16 <= stride; i += 16) {
      v128_t a0 = wasm_i32x4_splat(HALF), a1 = a0, a2 = a0, a3 = a0;
      const uint8_t *p = src + (size_t)ymin * stride + i;
      for (uint32_t t = 0; t < taps; t++, p += stride) {
        v128_t v = wasm_v128_load(p), wt = wasm_i32x4_splat(k[t]);
        v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
        a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), wt));
        a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), wt));
        a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), wt));
        a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), wt));
      }
      v128_t lo16 = wasm_i16x8_narrow_i32x4(clip8x4(a0), clip8x4(a1));
      v128_t hi16 = wasm_i16x8_narrow_i32x4(clip8x4(a2), clip8x4(a3));
      wasm_v128_store(o + i, wasm_u8x16_narrow_i16x8(lo16, hi16));
    }
    for (; i < stride; i++) {
      int32_t acc = HALF;
      for (uint32_t t = 0; t < taps; t++) acc += src[(size_t)(ymin + t) * stride + i] * k[t];
      o[i] = acc >= CLIP_TOP ? 255 : acc <= 0 ? 0 : (uint8_t)(acc >> PRECISION_BITS);
    }
  }
}

/** Pixels of any channel count and order -> packed RGB, window [x0, x0+cw) x [y0, y0+ch). */
EXPORT(to_rgb)
void to_rgb(const uint8_t *src, uint32_t channels, uint32_t bgr, uint32_t w, uint32_t x0, uint32_t y0, uint32_t cw,
            uint32_t ch, uint8_t *out) {
  uint32_t r = bgr ? 2 : 0, b = bgr ? 0 : 2;
  for (uint32_t y = 0; y < ch; y++) {
    const uint8_t *p = src + ((size_t)(y + y0) * w + x0) * channels;
    uint8_t *o = out + (size_t)y * cw * 3;
    for (uint32_t x = 0; x < cw; x++, p += channels, o += 3) {
      o[0] = p[r];
      o[1] = p[1];
      o[2] = p[b];
    }
  }
}

/** Packed RGB -> CHW float32 through table (3 x 256: one value per channel and byte). */
EXPORT(to_tensor)
void to_tensor(const uint8_t *rgb, uint32_t n, const float *table, float *out) {
  float *g = out + n, *b = out + 2 * n;
  const float *tg = table + 256, *tb = table + 512;
  for (uint32_t i = 0; i < n; i++, rgb += 3) {
    out[i] = table[rgb[0]];
    g[i] = tg[rgb[1]];
    b[i] = tb[rgb[2]];
  }
}

// ---- a baseline JPEG encoder, for thumbnails -------------------------------------------------
// JFIF, 4:2:0, the example tables of ITU T.81 Annex K scaled by quality as libjpeg scales them.

static const uint8_t ZIGZAG[64] = {
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
static const uint8_t STD_LUM_Q[64] = {
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const uint8_t STD_CHR_Q[64] = {
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};
static const uint8_t DC_LUM_BITS[17] = {0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t DC_LUM_VAL[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t DC_CHR_BITS[17] = {0, 0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const uint8_t DC_CHR_VAL[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t AC_LUM_BITS[17] = {0, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t AC_LUM_VAL[162] = {
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81,
  0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18,
  0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
  0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
  0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
  0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5,
  0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};
static const uint8_t AC_CHR_BITS[17] = {0, 0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
static const uint8_t AC_CHR_VAL[162] = {
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08,
  0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25,
  0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47,
  0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74,
  0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
  0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba,
  0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4,
  0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};

typedef struct {
  uint16_t code[256];
  uint8_t size[256];
} Huff;

static Huff dc_lum, dc_chr, ac_lum, ac_chr;
static int huff_ready = 0;

static void build_huff(Huff *h, const uint8_t *bits, const uint8_t *vals) {
  uint32_t code = 0, k = 0;
  for (int len = 1; len <= 16; len++) {
    for (int i = 0; i < bits[len]; i++, k++) {
      h->code[vals[k]] = (uint16_t)code++;
      h->size[vals[k]] = (uint8_t)len;
    }
    code <<= 1;
  }
}

typedef struct {
  uint8_t *out;
  uint32_t len, cap;
  uint32_t acc;
  int nbits;
  int overflow;
} Writer;

static inline void put_byte(Writer *w, uint8_t b) {
  if (w->len < w->cap) w->out[w->len++] = b;
  else w->overflow = 1;
}

static void put_bits(Writer *w, uint32_t bits, int n) {
  w->acc = (w->acc << n) | (bits & ((1u << n) - 1));
  w->nbits += n;
  while (w->nbits >= 8) {
    uint8_t b = (uint8_t)(w->acc >> (w->nbits - 8));
    put_byte(w, b);
    if (b == 0xff) put_byte(w, 0);
    w->nbits -= 8;
  }
}

static void put_marker_u16(Writer *w, uint32_t v) {
  put_byte(w, (uint8_t)(v >> 8));
  put_byte(w, (uint8_t)v);
}

/**
 * The AAN forward DCT (Arai, Agui, Nakajima), in place on one 8x8 block, as libjpeg's jfdctflt.c
 * computes it: five multiplications a row. Its outputs are scaled; the quantization divisors
 * undo the scale (AAN_SCALE), as jcdctmgr.c does.
 */
static void fdct8x8(float *d) {
  for (int pass = 0; pass < 2; pass++) {
    int step = pass ? 8 : 1, next = pass ? 1 : 8;
    for (int k = 0; k < 8; k++) {
      float *p = d + k * next;
      float t0 = p[0] + p[7 * step], t7 = p[0] - p[7 * step];
      float t1 = p[step] + p[6 * step], t6 = p[step] - p[6 * step];
      float t2 = p[2 * step] + p[5 * step], t5 = p[2 * step] - p[5 * step];
      float t3 = p[3 * step] + p[4 * step], t4 = p[3 * step] - p[4 * step];
      float t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
      p[0] = t10 + t11;
      p[4 * step] = t10 - t11;
      float z1 = (t12 + t13) * 0.707106781f;
      p[2 * step] = t13 + z1;
      p[6 * step] = t13 - z1;
      t10 = t4 + t5;
      t11 = t5 + t6;
      t12 = t6 + t7;
      float z5 = (t10 - t12) * 0.382683433f;
      float z2 = 0.541196100f * t10 + z5;
      float z4 = 1.306562965f * t12 + z5;
      float z3 = t11 * 0.707106781f;
      float z11 = t7 + z3, z13 = t7 - z3;
      p[5 * step] = z13 + z2;
      p[3 * step] = z13 - z2;
      p[step] = z11 + z4;
      p[7 * step] = z11 - z4;
    }
  }
}

static const float AAN_SCALE[8] = {1.0f, 1.387039845f, 1.306562965f, 1.175875602f, 1.0f, 0.785694958f, 0.541196100f, 0.275899379f};

static int bit_length(int v) {
  if (v < 0) v = -v;
  int n = 0;
  while (v) n++, v >>= 1;
  return n;
}

/** q: per coefficient (natural order), the factor that quantizes an AAN output. */
static void encode_block(Writer *w, float *block, const float *q, int *prev_dc, const Huff *dc, const Huff *ac) {
  fdct8x8(block);
  int zz[64];
  for (int i = 0; i < 64; i++) {
    float v = block[ZIGZAG[i]] * q[ZIGZAG[i]];
    zz[i] = (int)(v < 0 ? v - 0.5f : v + 0.5f);
  }
  int diff = zz[0] - *prev_dc;
  *prev_dc = zz[0];
  int n = bit_length(diff);
  put_bits(w, dc->code[n], dc->size[n]);
  if (n) put_bits(w, diff < 0 ? (uint32_t)(diff - 1) : (uint32_t)diff, n);
  int run = 0;
  for (int i = 1; i < 64; i++) {
    if (zz[i] == 0) {
      run++;
      continue;
    }
    while (run >= 16) {
      put_bits(w, ac->code[0xf0], ac->size[0xf0]);
      run -= 16;
    }
    int v = zz[i], s = bit_length(v);
    int sym = (run << 4) | s;
    put_bits(w, ac->code[sym], ac->size[sym]);
    put_bits(w, v < 0 ? (uint32_t)(v - 1) : (uint32_t)v, s);
    run = 0;
  }
  if (run) put_bits(w, ac->code[0], ac->size[0]);
}

static void put_huff_table(Writer *w, int cls_id, const uint8_t *bits, const uint8_t *vals) {
  int n = 0;
  for (int i = 1; i <= 16; i++) n += bits[i];
  put_marker_u16(w, 0xffc4);
  put_marker_u16(w, 2 + 1 + 16 + n);
  put_byte(w, (uint8_t)cls_id);
  for (int i = 1; i <= 16; i++) put_byte(w, bits[i]);
  for (int i = 0; i < n; i++) put_byte(w, vals[i]);
}

/** Packed RGB (w x h) -> a baseline JFIF JPEG in out[0..cap); its length, or 0 if it did not fit. */
EXPORT(jpeg_encode)
uint32_t jpeg_encode(const uint8_t *rgb, uint32_t w, uint32_t h, uint32_t quality, uint8_t *out, uint32_t cap) {
  if (!huff_ready) {
    build_huff(&dc_lum, DC_LUM_BITS, DC_LUM_VAL);
    build_huff(&dc_chr, DC_CHR_BITS, DC_CHR_VAL);
    build_huff(&ac_lum, AC_LUM_BITS, AC_LUM_VAL);
    build_huff(&ac_chr, AC_CHR_BITS, AC_CHR_VAL);
    huff_ready = 1;
  }
  if (quality < 1) quality = 1;
  if (quality > 100) quality = 100;
  int scale = quality < 50 ? 5000 / (int)quality : 200 - (int)quality * 2;
  uint8_t ql[64], qc[64];
  float fql[64], fqc[64];
  for (int i = 0; i < 64; i++) {
    int a = (STD_LUM_Q[i] * scale + 50) / 100, b = (STD_CHR_Q[i] * scale + 50) / 100;
    ql[i] = (uint8_t)(a < 1 ? 1 : a > 255 ? 255 : a);
    qc[i] = (uint8_t)(b < 1 ? 1 : b > 255 ? 255 : b);
    float aan = AAN_SCALE[i >> 3] * AAN_SCALE[i & 7] * 8.0f;
    fql[i] = 1.0f / (ql[i] * aan);
    fqc[i] = 1.0f / (qc[i] * aan);
  }
  Writer wr = {out, 0, cap, 0, 0, 0};
  Writer *W = &wr;
  static const uint8_t jfif[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
  for (unsigned i = 0; i < sizeof jfif; i++) put_byte(W, jfif[i]);
  for (int t = 0; t < 2; t++) {
    put_marker_u16(W, 0xffdb);
    put_marker_u16(W, 67);
    put_byte(W, (uint8_t)t);
    for (int i = 0; i < 64; i++) put_byte(W, (t ? qc : ql)[ZIGZAG[i]]);
  }
  put_marker_u16(W, 0xffc0);
  put_marker_u16(W, 17);
  put_byte(W, 8);
  put_marker_u16(W, h);
  put_marker_u16(W, w);
  put_byte(W, 3);
  static const uint8_t comps[9] = {1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
  for (int i = 0; i < 9; i++) put_byte(W, comps[i]);
  put_huff_table(W, 0x00, DC_LUM_BITS, DC_LUM_VAL);
  put_huff_table(W, 0x10, AC_LUM_BITS, AC_LUM_VAL);
  put_huff_table(W, 0x01, DC_CHR_BITS, DC_CHR_VAL);
  put_huff_table(W, 0x11, AC_CHR_BITS, AC_CHR_VAL);
  static const uint8_t sos[] = {0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0};
  for (unsigned i = 0; i < sizeof sos; i++) put_byte(W, sos[i]);

  int dy = 0, dcb = 0, dcr = 0;
  float Y[4][64], Cb[64], Cr[64];
  for (uint32_t my = 0; my < h; my += 16) {
    for (uint32_t mx = 0; mx < w; mx += 16) {
      float cbsum[64] = {0}, crsum[64] = {0};
      for (int py = 0; py < 16; py++) {
        uint32_t sy = my + py < h ? my + py : h - 1;
        for (int px = 0; px < 16; px++) {
          uint32_t sx = mx + px < w ? mx + px : w - 1;
          const uint8_t *p = rgb + ((size_t)sy * w + sx) * 3;
          float r = p[0], g = p[1], b = p[2];
          Y[(py >> 3) * 2 + (px >> 3)][(py & 7) * 8 + (px & 7)] = 0.299f * r + 0.587f * g + 0.114f * b - 128;
          int c = (py >> 1) * 8 + (px >> 1);
          cbsum[c] += -0.168736f * r - 0.331264f * g + 0.5f * b;
          crsum[c] += 0.5f * r - 0.418688f * g - 0.081312f * b;
        }
      }
      for (int i = 0; i < 64; i++) {
        Cb[i] = cbsum[i] * 0.25f;
        Cr[i] = crsum[i] * 0.25f;
      }
      for (int b = 0; b < 4; b++) encode_block(W, Y[b], fql, &dy, &dc_lum, &ac_lum);
      encode_block(W, Cb, fqc, &dcb, &dc_chr, &ac_chr);
      encode_block(W, Cr, fqc, &dcr, &dc_chr, &ac_chr);
    }
  }
  if (W->nbits) put_bits(W, 0x7f, 8 - W->nbits);  // the last byte filled with ones, as T.81 asks
  put_marker_u16(W, 0xffd9);
  return W->overflow ? 0 : W->len;
}
