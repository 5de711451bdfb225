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
 * y [b, h/2, w/2, c] = the maximum of each 2x2 window of x [b, h, w, c]. A running
 * `v > m ? v : m` from -INFINITY keeps the first maximum's value (the rule of first_max below),
 * and it is one MAXPS a lane, so the compiler vectorizes the channel loop (first_max's branches
 * did not: 52 of a 506 ms tumor validation forward).
 */
static inline float max_above(float m, float v) { return v > m ? v : m; }

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

/* The index of the first maximum of x[a], x[p], x[q], x[r], or -1 (all NaN or -Infinity). */
static inline IDX first_max(const float *x, IDX a, IDX p, IDX q, IDX r) {
  IDX k = x[a] > -INFINITY ? a : -1;
  if (x[p] > (k < 0 ? -INFINITY : x[k])) k = p;
  if (x[q] > (k < 0 ? -INFINITY : x[k])) k = q;
  if (x[r] > (k < 0 ? -INFINITY : x[k])) k = r;
  return k;
}

/* dx [b, h, w, c] of maxpool2x2 for dy [b, h/2, w/2, c]: dy at each window's first maximum. */
void maxpool2x2_grad(const float *x, const float *dy, int b, int h, int w, int c, float *dx) {
  const IDX row = (IDX)w * c, oh = h >> 1, ow = w >> 1;
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * oh; t++) {
    const IDX n = t / oh, oy = t % oh;
    const IDX top = (n * h + 2 * oy) * row;
    const float *g = dy + t * ow * c;
    for (IDX ox = 0; ox < ow; ox++) {
      for (IDX a = top + 2 * ox * c, end = a + c; a < end; a++) {
        const IDX k = first_max(x, a, a + c, a + row, a + row + c);
        dx[a] = 0;
        dx[a + c] = 0;
        dx[a + row] = 0;
        dx[a + row + c] = 0;
        if (k >= 0) dx[k] = 0.0f + *g;
        g++;
      }
    }
  }
}

static inline float half_way(float a, float b) {
  return (float)((double)a + ((double)b - (double)a) * 0.5);
}

/* out [b, 2h, 2w, c] = bilinear x2 of x [b, h, w, c] (corner-aligned, tfjs's legacy sampling). */
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

static inline void add_to(float *p, float g, double weight) {
  *p = (float)((double)*p + (double)g * weight);
}

/*
 * dx [b, h, w, c] of resize_x2 for dy [b, 2h, 2w, c]. Threads split the images and the
 * channels: each value of dx gathers its terms in the JS loop's order.
 */
void resize_x2_grad(const float *dy, int b, int h, int w, int c, float *dx) {
  const IDX H = 2 * (IDX)h, W = 2 * (IDX)w;
  const IDX chunk = 16, chunks = (c + chunk - 1) / chunk;
  memset(dx, 0, sizeof(float) * (IDX)b * h * w * c);
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)b * chunks; t++) {
    const IDX n = t / chunks, d0 = (t % chunks) * chunk;
    const IDX d1 = d0 + chunk < c ? d0 + chunk : c;
    for (IDX y = 0; y < H; y++) {
      const IDX r0 = y >> 1;
      const int odd = (y & 1) == 1;
      const IDX r1 = r0 + 1 < h - 1 ? r0 + 1 : h - 1;
      const IDX top = (n * h + r0) * w * c, bottom = (n * h + r1) * w * c;
      const double wr = odd ? 0.5 : 0, ir = 1 - wr;
      const float *g = dy + (n * H + y) * W * c;
      for (IDX xo = 0; xo < W; xo++, g += c) {
        const IDX c0 = xo >> 1;
        const int oddX = (xo & 1) == 1;
        const IDX c1 = c0 + 1 < w - 1 ? c0 + 1 : w - 1;
        const double wc = oddX ? 0.5 : 0, ic = 1 - wc;
        float *tl = dx + top + c0 * c, *tr = dx + top + c1 * c;
        float *bl = dx + bottom + c0 * c, *br = dx + bottom + c1 * c;
        const double wtl = ir * ic, wtr = ir * wc, wbl = wr * ic, wbr = wr * wc;
        for (IDX d = d0; d < d1; d++) {
          add_to(tl + d, g[d], wtl);
          if (oddX) add_to(tr + d, g[d], wtr);
          if (odd) {
            add_to(bl + d, g[d], wbl);
            if (oddX) add_to(br + d, g[d], wbr);
          }
        }
      }
    }
  }
}
