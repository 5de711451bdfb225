/*
 * 3x3 convolution, stride 1, "same" padding, on NHWC activations and HWIO filters whose
 * output channels are a multiple of 8, and its filter gradient, for the onednn backend
 * (lib/backend/native_kernels.ts builds and loads this file; onednn_kernels.ts says which
 * shapes it takes).
 *
 * Why: an FC-DenseNet layer adds growth-rate (8 or 16) channels, so most of its convolutions
 * have 8 or 16 outputs, and oneDNN 2.6's AVX2 kernels ran those at 25-40 GFLOP/s on one core
 * (they were half of a tumor validation forward); its filter gradient reorders x and dy to
 * blocked layouts first. Here each output pixel's 8-channel groups are AVX registers, a block
 * of pixels (or of input channels) shares each vector load, every other operand is a
 * broadcast, and NHWC is read as it is: 1.2-1.8x oneDNN's speed on the networks' shapes.
 *
 * Arithmetic: float FMAs in a fixed order per output value. The filter gradient sums fixed
 * blocks of rows, then the blocks in order, so no result depends on the thread count.
 * Needs AVX2 and FMA: each entry point returns 1 without touching its output when the CPU
 * has neither, and the caller keeps oneDNN.
 */
#include <stdint.h>

#define IDX int64_t

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TARGET __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline)) TARGET

static int has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/*
 * Output pixels [ox, ox + WB) of row (n, oy) and output channel groups [g0, g0 + G) (8 each),
 * every kw tap inside the row. A macro, so that WB and G are constants: the accumulators are
 * then registers (as a function's arguments they stayed arrays in memory).
 */
#define CONV_BLOCK(WB, G)                                                                    \
  INLINE void conv_block_##WB##_##G(const float *x, const float *wt, const float *bias,      \
                                    float *y, IDX h, IDX w, IDX c, IDX oc, IDX n, IDX oy,     \
                                    IDX ox, IDX g0) {                                         \
    __m256 acc[WB][G];                                                                        \
    _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) {                                     \
      const __m256 b = bias ? _mm256_loadu_ps(bias + (g0 + g) * 8) : _mm256_setzero_ps();    \
      _Pragma("GCC unroll 12") for (int p = 0; p < WB; p++) acc[p][g] = b;                    \
    }                                                                                         \
    for (IDX kh = 0; kh < 3; kh++) {                                                          \
      const IDX iy = oy + kh - 1;                                                             \
      if (iy < 0 || iy >= h) continue;                                                        \
      for (IDX kw = 0; kw < 3; kw++) {                                                        \
        const float *px = x + ((n * h + iy) * w + ox + kw - 1) * c;                           \
        const float *wk = wt + (kh * 3 + kw) * c * oc + g0 * 8;                               \
        for (IDX ci = 0; ci < c; ci++) {                                                      \
          __m256 wv[G];                                                                       \
          _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) wv[g] =                         \
              _mm256_loadu_ps(wk + ci * oc + g * 8);                                          \
          _Pragma("GCC unroll 12") for (int p = 0; p < WB; p++) {                             \
            const __m256 xv = _mm256_broadcast_ss(px + p * c + ci);                           \
            _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) acc[p][g] =                   \
                _mm256_fmadd_ps(xv, wv[g], acc[p][g]);                                        \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
    float *out = y + ((n * h + oy) * w + ox) * oc + g0 * 8;                                   \
    _Pragma("GCC unroll 12") for (int p = 0; p < WB; p++) {                                   \
      _Pragma("GCC unroll 4") for (int g = 0; g < G; g++)                                     \
          _mm256_storeu_ps(out + p * oc + g * 8, acc[p][g]);                                  \
    }                                                                                         \
  }

/*
 * One group of 8 outputs for pixels [ox, ox + WB) of row (n, oy), all taps inside the row: per
 * input row and channel, each of the WB + 2 input values meets the three kw taps' filter
 * vectors (held in registers), so one broadcast serves up to three FMAs.
 */
#define CONV_BLOCK1(WB)                                                                      \
  INLINE void conv_block1_##WB(const float *x, const float *wt, const float *bias, float *y,  \
                               IDX h, IDX w, IDX c, IDX oc, IDX n, IDX oy, IDX ox, IDX g0) {   \
    __m256 acc[WB];                                                                           \
    const __m256 b = bias ? _mm256_loadu_ps(bias + g0 * 8) : _mm256_setzero_ps();             \
    _Pragma("GCC unroll 12") for (int p = 0; p < WB; p++) acc[p] = b;                         \
    for (IDX kh = 0; kh < 3; kh++) {                                                          \
      const IDX iy = oy + kh - 1;                                                             \
      if (iy < 0 || iy >= h) continue;                                                        \
      const float *px = x + ((n * h + iy) * w + ox - 1) * c;                                  \
      const float *wk = wt + kh * 3 * c * oc + g0 * 8;                                        \
      for (IDX ci = 0; ci < c; ci++) {                                                        \
        const __m256 w0 = _mm256_loadu_ps(wk + ci * oc);                                      \
        const __m256 w1 = _mm256_loadu_ps(wk + (c + ci) * oc);                                \
        const __m256 w2 = _mm256_loadu_ps(wk + (2 * c + ci) * oc);                            \
        _Pragma("GCC unroll 14") for (int j = 0; j < WB + 2; j++) {                           \
          const __m256 xv = _mm256_broadcast_ss(px + j * c + ci);                             \
          if (j < WB) acc[j] = _mm256_fmadd_ps(xv, w0, acc[j]);                               \
          if (j >= 1 && j - 1 < WB) acc[j - 1] = _mm256_fmadd_ps(xv, w1, acc[j - 1]);         \
          if (j >= 2) acc[j - 2] = _mm256_fmadd_ps(xv, w2, acc[j - 2]);                       \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
    float *out = y + ((n * h + oy) * w + ox) * oc + g0 * 8;                                   \
    _Pragma("GCC unroll 12") for (int p = 0; p < WB; p++) _mm256_storeu_ps(out + p * oc, acc[p]); \
  }

CONV_BLOCK1(12)
CONV_BLOCK(6, 2)
CONV_BLOCK(4, 3)
CONV_BLOCK(1, 1)
CONV_BLOCK(1, 2)
CONV_BLOCK(1, 3)

/* One pixel whose kw taps may fall outside the row (they are skipped); G groups from g0. */
INLINE void conv_edge(const float *x, const float *wt, const float *bias, float *y, IDX h, IDX w,
                      IDX c, IDX oc, IDX n, IDX oy, IDX ox, IDX g0, IDX G) {
  for (IDX g = g0; g < g0 + G; g++) {
    __m256 acc = bias ? _mm256_loadu_ps(bias + g * 8) : _mm256_setzero_ps();
    for (IDX kh = 0; kh < 3; kh++) {
      const IDX iy = oy + kh - 1;
      if (iy < 0 || iy >= h) continue;
      for (IDX kw = 0; kw < 3; kw++) {
        const IDX ix = ox + kw - 1;
        if (ix < 0 || ix >= w) continue;
        const float *px = x + ((n * h + iy) * w + ix) * c;
        const float *wk = wt + (kh * 3 + kw) * c * oc + g * 8;
        for (IDX ci = 0; ci < c; ci++) {
          acc = _mm256_fmadd_ps(_mm256_broadcast_ss(px + ci), _mm256_loadu_ps(wk + ci * oc), acc);
        }
      }
    }
    _mm256_storeu_ps(y + ((n * h + oy) * w + ox) * oc + g * 8, acc);
  }
}

/*
 * A row's groups [g, g + G): its edge pixels alone, the inside in blocks of WB pixels (BLOCK,
 * one of the block functions above), then single pixels.
 */
#define CONV_ROW(BLOCK, WB, G)                                                               \
  {                                                                                          \
    conv_edge(x, wt, bias, y, h, w, c, oc, b, oy, 0, g, G);                                  \
    IDX ox = 1;                                                                              \
    for (; ox + WB <= w - 1; ox += WB) BLOCK(x, wt, bias, y, h, w, c, oc, b, oy, ox, g);     \
    for (; ox < w - 1; ox++) conv_block_1_##G(x, wt, bias, y, h, w, c, oc, b, oy, ox, g);    \
    if (w > 1) conv_edge(x, wt, bias, y, h, w, c, oc, b, oy, w - 1, g, G);                   \
  }

/*
 * y [n, h, w, oc] = conv3x3(x [n, h, w, c], wt [3, 3, c, oc]) + bias [oc] (bias may be null),
 * stride 1, zero padding 1; oc a multiple of 8. Returns 1 (y untouched) without AVX2 and FMA.
 * Register blocks: 12 pixels x 1 group, 6 x 2 or 4 x 3 (12 accumulators of 16 registers).
 */
TARGET int conv3x3_forward(const float *x, int n, int h, int w, int c, const float *wt,
                           const float *bias, int oc, float *y) {
  if (!has_avx2_fma()) return 1;
  const IDX groups = oc / 8;
#pragma omp parallel for schedule(static)
  for (IDX t = 0; t < (IDX)n * h; t++) {
    const IDX b = t / h, oy = t % h;
    IDX g = 0;
    for (; g + 3 <= groups; g += 3) CONV_ROW(conv_block_4_3, 4, 3)
    if (groups - g == 2) CONV_ROW(conv_block_6_2, 6, 2)
    if (groups - g == 1) CONV_ROW(conv_block1_12, 12, 1)
  }
  return 0;
}
/*
 * Filter gradient: the taps (kh, kw), input channels [c0, c0 + CI) and groups [g0, g0 + G) of
 * one output row (n, oy), added to `dw` [3, 3, c, oc]. Over the row's pixels whose tap lies
 * inside the image, in order.
 */
#define GRAD_BLOCK(CI, G)                                                                    \
  INLINE void grad_block_##CI##_##G(const float *x, const float *dy, float *dw, IDX h, IDX w, \
                                    IDX c, IDX oc, IDX n, IDX oy, IDX kh, IDX kw, IDX c0,     \
                                    IDX g0) {                                                 \
    const IDX iy = oy + kh - 1;                                                               \
    const IDX lo = kw == 0 ? 1 : 0, hi = kw == 2 ? w - 1 : w;                                 \
    const float *xr = x + ((n * h + iy) * w + kw - 1) * c + c0;                               \
    const float *dr = dy + (n * h + oy) * w * oc + g0 * 8;                                    \
    __m256 acc[CI][G];                                                                        \
    _Pragma("GCC unroll 12") for (int i = 0; i < CI; i++) {                                   \
      _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) acc[i][g] = _mm256_setzero_ps();    \
    }                                                                                         \
    for (IDX ox = lo; ox < hi; ox++) {                                                        \
      __m256 dv[G];                                                                           \
      _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) dv[g] =                             \
          _mm256_loadu_ps(dr + ox * oc + g * 8);                                              \
      _Pragma("GCC unroll 12") for (int i = 0; i < CI; i++) {                                 \
        const __m256 xv = _mm256_broadcast_ss(xr + ox * c + i);                               \
        _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) acc[i][g] =                       \
            _mm256_fmadd_ps(xv, dv[g], acc[i][g]);                                            \
      }                                                                                       \
    }                                                                                         \
    float *out = dw + ((kh * 3 + kw) * c + c0) * oc + g0 * 8;                                 \
    _Pragma("GCC unroll 12") for (int i = 0; i < CI; i++) {                                   \
      _Pragma("GCC unroll 4") for (int g = 0; g < G; g++) {                                   \
        float *o = out + i * oc + g * 8;                                                      \
        _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), acc[i][g]));                    \
      }                                                                                       \
    }                                                                                         \
  }

GRAD_BLOCK(12, 1)
GRAD_BLOCK(8, 1)
GRAD_BLOCK(4, 1)
GRAD_BLOCK(6, 2)
GRAD_BLOCK(4, 3)
GRAD_BLOCK(1, 1)
GRAD_BLOCK(1, 2)
GRAD_BLOCK(1, 3)

/* Input channels of one tap and row for groups [g0, g0 + G): blocks of CI, then 1s. */
#define GRAD_CHANNELS(CI, G)                                                                 \
  {                                                                                          \
    IDX ci = 0;                                                                              \
    for (; ci + CI <= c; ci += CI)                                                           \
      grad_block_##CI##_##G(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);                 \
    for (; ci < c; ci++) grad_block_1_##G(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);   \
  }

/* One group: blocks of 12 input channels, then of 8 and 4 (a dense block's 8k), then 1s. */
#define GRAD_CHANNELS1                                                                       \
  {                                                                                          \
    IDX ci = 0;                                                                              \
    for (; ci + 12 <= c; ci += 12)                                                           \
      grad_block_12_1(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);                       \
    if (ci + 8 <= c) {                                                                       \
      grad_block_8_1(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);                        \
      ci += 8;                                                                               \
    }                                                                                        \
    if (ci + 4 <= c) {                                                                       \
      grad_block_4_1(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);                        \
      ci += 4;                                                                               \
    }                                                                                        \
    for (; ci < c; ci++) grad_block_1_1(x, dy, part, h, w, c, oc, b, oy, kh, kw, ci, g);     \
  }

/* Rows a partial sum covers: a fixed count, so that the sums do not depend on the threads. */
#define GRAD_ROWS 8

/*
 * dw [3, 3, c, oc] = the filter gradient of conv3x3_forward for x [n, h, w, c] and
 * dy [n, h, w, oc]; oc a multiple of 8. Each block of GRAD_ROWS output rows sums into its
 * own partial filter (in `scratch`, 9 c oc floats per block: conv3x3_grad_scratch), and the
 * partials are added in block order. Returns 1 (dw untouched) without AVX2 and FMA.
 */
TARGET int conv3x3_filter_grad(const float *x, const float *dy, int n, int h, int w, int c,
                               int oc, float *scratch, float *dw) {
  if (!has_avx2_fma()) return 1;
  const IDX groups = oc / 8, size = 9 * (IDX)c * oc, rows = (IDX)n * h;
  const IDX blocks = (rows + GRAD_ROWS - 1) / GRAD_ROWS;
#pragma omp parallel for schedule(static)
  for (IDX k = 0; k < blocks; k++) {
    float *part = scratch + k * size;
    for (IDX i = 0; i < size; i++) part[i] = 0;
    for (IDX t = k * GRAD_ROWS; t < rows && t < (k + 1) * GRAD_ROWS; t++) {
      const IDX b = t / h, oy = t % h;
      for (IDX kh = 0; kh < 3; kh++) {
        if (oy + kh - 1 < 0 || oy + kh - 1 >= h) continue;
        for (IDX kw = 0; kw < 3; kw++) {
          IDX g = 0;
          for (; g + 3 <= groups; g += 3) GRAD_CHANNELS(4, 3)
          if (groups - g == 2) GRAD_CHANNELS(6, 2)
          if (groups - g == 1) GRAD_CHANNELS1
        }
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (IDX i = 0; i < size; i++) {
    float s = scratch[i];
    for (IDX k = 1; k < blocks; k++) s += scratch[k * size + i];
    dw[i] = s;
  }
  return 0;
}

/* Floats of scratch conv3x3_filter_grad needs. */
int64_t conv3x3_grad_scratch(int n, int h, int c, int oc) {
  return ((IDX)n * h + GRAD_ROWS - 1) / GRAD_ROWS * 9 * (IDX)c * oc;
}
#else
int conv3x3_forward(const float *x, int n, int h, int w, int c, const float *wt,
                    const float *bias, int oc, float *y) {
  return 1;
}
int conv3x3_filter_grad(const float *x, const float *dy, int n, int h, int w, int c, int oc,
                        float *scratch, float *dw) {
  return 1;
}
int64_t conv3x3_grad_scratch(int n, int h, int c, int oc) { return 0; }
#endif
