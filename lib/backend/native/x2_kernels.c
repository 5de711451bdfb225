/*
 * 2x2 max pooling (stride 2) and bilinear x2 up-sampling with their gradients, for the onednn
 * backend (lib/backend/native_kernels.ts builds and loads this file). The JS versions in
 * maxpool_2x2_kernels.ts and resize_x2_kernels.ts are the reference: the arithmetic here is
 * theirs, in double as JS computes and rounded to float at each store as a Float32Array does,
 * so both give the same bits. Built without -ffast-math and with -ffp-contract=off for that.
 *
 * Threads: OpenMP, the same libgomp pool (and thread count) as oneDNN. Every output value is
 * written by one thread, with its terms in the JS order, so the thread count does not change
 * a value.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>

#define IDX int64_t

/*
 * Each kernel is built for AVX-512, AVX2 and plain x86-64, the CPU picking one at load time:
 * the library is built without -march=native so that a shared home serves every node. Wider
 * vectors do not change a value (no FMA contraction, the same operations per element).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/*
 * y [b, h/2, w/2, c] = the maximum of each 2x2 window of x [b, h, w, c]. A running
 * `v > m ? v : m` from -INFINITY keeps the first maximum's value (the rule of the gradient below),
 * and it is one MAXPS a lane, so the compiler vectorizes the channel loop (first_max's branches
 * did not: 52 of a 506 ms tumor validation forward).
 */
static inline float max_above(float m, float v) { return v > m ? v : m; }

VECTOR_CLONES
void maxpool2x2(const float *x, int b, int h, int w, int c, float *y) {
  const IDX row = (IDX)w * c, oh = h >> 1, ow = w >> 1;
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * oh; t++) {
    const IDX n = t / oh, oy = t % oh;
    const float *top = x + (n * h + 2 * oy) * row, *bottom = top + row;
    float *out = y + t * ow * c;
    for (IDX ox = 0; ox < ow; ox++) {
      const float *p = top + 2 * ox * c, *q = bottom + 2 * ox * c;
      float *o = out + ox * c;
      for (IDX k = 0; k < c; k++) {
        float m = max_above(-INFINITY, p[k]);
        m = max_above(m, p[k + c]);
        m = max_above(m, q[k]);
        o[k] = max_above(m, q[k + c]);
      }
    }
  }
}

/*
 * dx [b, h, w, c] of maxpool2x2 for dy [b, h/2, w/2, c]: dy at each window's first maximum
 * (none when all four are NaN or -Infinity), 0 at its other three values. The first maximum
 * is the last of the four that rises above the running maximum from -Infinity, so each lane
 * is a few compares and selects, which the compiler vectorizes over the channels.
 */
VECTOR_CLONES
void maxpool2x2_grad(const float *x, const float *dy, int b, int h, int w, int c, float *dx) {
  const IDX row = (IDX)w * c, oh = h >> 1, ow = w >> 1;
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * oh; t++) {
    const IDX n = t / oh, oy = t % oh;
    const IDX top = (n * h + 2 * oy) * row;
    const float *g = dy + t * ow * c;
    for (IDX ox = 0; ox < ow; ox++, g += c) {
      const IDX a = top + 2 * ox * c;
      const float *x0 = x + a, *x1 = x0 + c, *x2 = x0 + row, *x3 = x2 + c;
      float *restrict d0 = dx + a, *restrict d1 = d0 + c;
      float *restrict d2 = d0 + row, *restrict d3 = d2 + c;
      for (IDX k = 0; k < c; k++) {
        const float p = x0[k], q = x1[k], r = x2[k], s = x3[k];
        const float m1 = max_above(-INFINITY, p), m2 = max_above(m1, q), m3 = max_above(m2, r);
        const float v = 0.0f + g[k];
        // Float selects only: with int flags or && the compiler saw control flow.
        float wp = p > -INFINITY ? v : 0.0f, wq = q > m1 ? v : 0.0f, wr = r > m2 ? v : 0.0f;
        const float ws = s > m3 ? v : 0.0f;
        wp = q > m1 ? 0.0f : wp;
        wp = r > m2 ? 0.0f : wp;
        wq = r > m2 ? 0.0f : wq;
        wp = s > m3 ? 0.0f : wp;
        wq = s > m3 ? 0.0f : wq;
        wr = s > m3 ? 0.0f : wr;
        d0[k] = wp;
        d1[k] = wq;
        d2[k] = wr;
        d3[k] = ws;
      }
    }
  }
}

static inline float half_way(float a, float b) {
  return (float)((double)a + ((double)b - (double)a) * 0.5);
}

/* out [b, 2h, 2w, c] = bilinear x2 of x [b, h, w, c] (corner-aligned, tfjs's legacy sampling). */
VECTOR_CLONES
void resize_x2(const float *x, int b, int h, int w, int c, float *out) {
  const IDX H = 2 * (IDX)h, W = 2 * (IDX)w;
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * H; t++) {
    const IDX n = t / H, y = t % H;
    const IDX r0 = y >> 1;
    const int odd = (y & 1) == 1;
    const IDX r1 = odd ? (r0 + 1 < h - 1 ? r0 + 1 : h - 1) : r0;
    const IDX top = (n * h + r0) * w * c, bottom = (n * h + r1) * w * c;
    float *o = out + t * W * c;
    for (IDX xo = 0; xo < W; xo++, o += c) {
      const IDX c0 = xo >> 1;
      const int oddX = (xo & 1) == 1;
      const IDX c1 = oddX ? (c0 + 1 < w - 1 ? c0 + 1 : w - 1) : c0;
      const float *tl = x + top + c0 * c, *tr = x + top + c1 * c;
      const float *bl = x + bottom + c0 * c, *br = x + bottom + c1 * c;
      if (!odd && !oddX) {
        memcpy(o, tl, sizeof(float) * c);
      } else if (!odd) {
        for (IDX d = 0; d < c; d++) o[d] = half_way(tl[d], tr[d]);
      } else if (!oddX) {
        for (IDX d = 0; d < c; d++) o[d] = half_way(tl[d], bl[d]);
      } else {
        for (IDX d = 0; d < c; d++) {
          const double tp = (double)tl[d] + ((double)tr[d] - (double)tl[d]) * 0.5;
          const double bt = (double)bl[d] + ((double)br[d] - (double)bl[d]) * 0.5;
          o[d] = (float)(tp + (bt - tp) * 0.5);
        }
      }
    }
  }
}

/* p[d] += g[d] * weight for d < n, in double, rounded to float at each store. */
static inline void add_weighted(float *restrict p, const float *restrict g, double weight,
                                IDX n) {
  for (IDX d = 0; d < n; d++) p[d] = (float)((double)p[d] + (double)g[d] * weight);
}

/*
 * dx [b, h, w, c] of resize_x2 for dy [b, 2h, 2w, c]. Threads split the images and the
 * channels: each value of dx gathers its terms in the JS loop's order. A window's four corners
 * are updated one after the other, each a loop over the chunk's channels that the compiler
 * vectorizes (at the last row or column two corners are the same pixel, so a single loop over
 * all four did not: 30 of a 620 ms liver step).
 */
VECTOR_CLONES
void resize_x2_grad(const float *dy, int b, int h, int w, int c, float *dx) {
  const IDX H = 2 * (IDX)h, W = 2 * (IDX)w;
  const IDX chunk = 64, chunks = (c + chunk - 1) / chunk;
  memset(dx, 0, sizeof(float) * (IDX)b * h * w * c);
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * chunks; t++) {
    const IDX n = t / chunks, d0 = (t % chunks) * chunk;
    const IDX len = (d0 + chunk < c ? d0 + chunk : c) - d0;
    for (IDX y = 0; y < H; y++) {
      const IDX r0 = y >> 1;
      const int odd = (y & 1) == 1;
      const IDX r1 = r0 + 1 < h - 1 ? r0 + 1 : h - 1;
      const IDX top = (n * h + r0) * w * c + d0, bottom = (n * h + r1) * w * c + d0;
      const double wr = odd ? 0.5 : 0, ir = 1 - wr;
      const float *g = dy + (n * H + y) * W * c + d0;
      for (IDX xo = 0; xo < W; xo++, g += c) {
        const IDX c0 = xo >> 1;
        const int oddX = (xo & 1) == 1;
        const IDX c1 = c0 + 1 < w - 1 ? c0 + 1 : w - 1;
        const double wc = oddX ? 0.5 : 0, ic = 1 - wc;
        add_weighted(dx + top + c0 * c, g, ir * ic, len);
        if (oddX) add_weighted(dx + top + c1 * c, g, ir * wc, len);
        if (odd) {
          add_weighted(dx + bottom + c0 * c, g, wr * ic, len);
          if (oddX) add_weighted(dx + bottom + c1 * c, g, wr * wc, len);
        }
      }
    }
  }
}
