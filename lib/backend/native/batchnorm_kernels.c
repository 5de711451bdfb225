/*
 * Batch normalisation over a channels-last [rows, c] array (training statistics, the
 * normalisation in training and inference, the gradient) for the onednn backend
 * (lib/backend/native_kernels.ts builds and loads this file; the quantities are those of
 * batchnorm_train.ts).
 *
 * Why: all are memory-bound, and oneDNN 2.6's AVX2 kernels (bnorm_tbb_jit) took 1.1-1.6x the
 * time of these passes over memory. The forward is the statistics (one read of x) and the
 * normalisation (bn_affine), which the onednn backend defers to the tensor's first reader so
 * that an ELU or ReLU after it reads x once and writes its own output (pooled_cpu_backend.ts
 * `defer`); the backward reads dy and x twice and writes dx once.
 *
 * Arithmetic: per-channel sums in double over fixed blocks of rows, the blocks added in
 * order, so no value depends on the thread count; the statistics are rounded to float once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "exp_nonpositive.h"

#define IDX int64_t

#if defined(__x86_64__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* Rows a partial sum covers: a fixed count, so that the sums do not depend on the threads. */
#define BLOCK_ROWS 1024

/*
 * s[k] += a[k] - shift[k] and t[k] += (a[k] - shift[k])^2 over the block's rows, or with b given
 * s[k] += a[k] and t[k] += a[k] (b[k] - shift[k]).
 */
VECTOR_CLONES
static void block_sums(const float *a, const float *b, const float *shift, IDX r0, IDX r1, IDX c,
                       double *s, double *t) {
  for (IDX k = 0; k < c; k++) s[k] = t[k] = 0;
  for (IDX r = r0; r < r1; r++) {
    const float *ar = a + r * c;
    if (b == NULL) {
      for (IDX k = 0; k < c; k++) {
        const double v = (double)ar[k] - shift[k];
        s[k] += v;
        t[k] += v * v;
      }
    } else {
      const float *br = b + r * c;
      for (IDX k = 0; k < c; k++) {
        s[k] += ar[k];
        t[k] += (double)ar[k] * ((double)br[k] - shift[k]);
      }
    }
  }
}

/*
 * Per-channel sums over all rows, in two doubles per channel: s = sum of a (shifted by `shift`
 * when b is null) and t = sum of a^2 (shifted), or of a (b - shift). Returns 1 when out of
 * memory.
 */
static int channel_sums(const float *a, const float *b, const float *shift, IDX rows, IDX c,
                        double *s, double *t) {
  const IDX blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
  double *part = malloc(sizeof(double) * 2 * c * (blocks > 0 ? blocks : 1));
  if (part == NULL) return 1;
#pragma omp parallel for schedule(static)
  for (IDX k = 0; k < blocks; k++) {
    const IDX r1 = (k + 1) * BLOCK_ROWS < rows ? (k + 1) * BLOCK_ROWS : rows;
    block_sums(a, b, shift, k * BLOCK_ROWS, r1, c, part + 2 * c * k, part + 2 * c * k + c);
  }
  for (IDX j = 0; j < c; j++) s[j] = t[j] = 0;
  for (IDX k = 0; k < blocks; k++) {
    for (IDX j = 0; j < c; j++) {
      s[j] += part[2 * c * k + j];
      t[j] += part[2 * c * k + c + j];
    }
  }
  free(part);
  return 0;
}

/*
 * ELU (alpha 1) of v: v above 0 (and NaN), else exp(v) - 1 (exp_nonpositive.h), without
 * branches. The AVX2 loop below does the same steps 8 lanes at a time, so that both give the
 * same bits (GCC would not vectorize the selects itself).
 */
static inline float elu1(float v) {
  float x = v < 0.0f ? v : 0.0f;
  x = x > -87.0f ? x : -87.0f;
  float scale;
  const float p = exp_nonpositive_parts(x, &scale);
  const float e = fmaf(p, scale, -1.0f);
  return v > 0.0f || v != v ? v : e;
}

/* ReLU as tfjs computes it: 0 below 0, else v (-0 and NaN kept). */
static inline float relu(float v) { return v < 0.0f ? 0.0f : v; }

/* The activations after the normalisation: none, ELU (alpha 1), ReLU. */
enum { ACT_NONE = 0, ACT_ELU = 1, ACT_RELU = 2 };

/*
 * out[i] = f((a[i] - m[k]) * p[k] + q[k]) for values [i0, i1) of rows of c channels
 * (k = i mod c), f the activation `act`.
 */
VECTOR_CLONES
static void affine_span(const float *a, const float *m, const float *p, const float *q, IDX c,
                        IDX i0, IDX i1, int act, float *o) {
  for (IDX i = i0; i < i1; i++) {
    const IDX k = i % c;
    const float v = (a[i] - m[k]) * p[k] + q[k];
    o[i] = act == ACT_ELU ? elu1(v) : act == ACT_RELU ? relu(v) : v;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/*
 * affine_span on AVX2 and FMA for c a multiple of 8: the values in order, 8 channels at a time
 * (the same bits as affine_span).
 */
__attribute__((target("avx2,fma"))) static void affine_span_avx2(const float *a, const float *m,
                                                                  const float *p, const float *q,
                                                                  IDX c, IDX i0, IDX i1, int act,
                                                                  float *o) {
  const __m256 zero = _mm256_setzero_ps(), lo = _mm256_set1_ps(-87.0f), one = _mm256_set1_ps(1);
  IDX k = i0 % c;
  for (IDX i = i0; i < i1; i += 8, k = k + 8 == c ? 0 : k + 8) {
    const __m256 v = _mm256_add_ps(
        _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(m + k)),
                      _mm256_loadu_ps(p + k)),
        _mm256_loadu_ps(q + k));
    if (act == ACT_NONE) {
      _mm256_storeu_ps(o + i, v);
      continue;
    }
    if (act == ACT_RELU) {
      _mm256_storeu_ps(o + i, _mm256_blendv_ps(v, zero, _mm256_cmp_ps(v, zero, _CMP_LT_OQ)));
      continue;
    }
    /* min(v, 0) is 0 for NaN, as the scalar select; max(x, -87) likewise */
    const __m256 x = _mm256_max_ps(_mm256_min_ps(v, zero), lo);
    const __m256i ni = _mm256_cvttps_epi32(
        _mm256_fmadd_ps(x, _mm256_set1_ps(LOG2E), _mm256_set1_ps(-0.5f)));
    const __m256 n = _mm256_cvtepi32_ps(ni);
    const __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(EXP_C2),
                                     _mm256_fmadd_ps(n, _mm256_set1_ps(-EXP_C1), x));
    __m256 e = _mm256_set1_ps(EXP_P[0]);
    for (int j = 1; j < 6; j++) e = _mm256_fmadd_ps(e, r, _mm256_set1_ps(EXP_P[j]));
    e = _mm256_add_ps(_mm256_fmadd_ps(e, _mm256_mul_ps(r, r), r), one);
    const __m256 scale =
        _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
    e = _mm256_fmsub_ps(e, scale, one);
    const __m256 keep = _mm256_or_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ),
                                     _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(o + i, _mm256_blendv_ps(e, v, keep));
  }
}

static int has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int has_avx2_fma(void) { return 0; }
#define affine_span_avx2 affine_span
#endif

/* Values a thread's share of bn_affine is cut into (a multiple of 8). */
#define SPAN 16384

/*
 * out[r, k] = f((a[r, k] - m[k]) * p[k] + q[k]), f the identity (act 0), ELU with alpha 1 (1)
 * or ReLU (2): batch norm's normalisation, centred first so that a large mean does not cancel,
 * and the activation layer after it in the same pass.
 */
void bn_affine(const float *a, int64_t rows, int c, const float *m, const float *p,
               const float *q, int act, float *out) {
  const IDX n = rows * c, spans = (n + SPAN - 1) / SPAN;
  const int avx2 = c % 8 == 0 && has_avx2_fma();
#pragma omp parallel for schedule(static)
  for (IDX s = 0; s < spans; s++) {
    const IDX i1 = (s + 1) * SPAN < n ? (s + 1) * SPAN : n;
    if (avx2) affine_span_avx2(a, m, p, q, c, s * SPAN, i1, act, out);
    else affine_span(a, m, p, q, c, s * SPAN, i1, act, out);
  }
}

/* dx = a[r, k] p[k] + ((b[r, k] - m[k]) u[k] + q[k]): the backward's second pass. */
VECTOR_CLONES
static void grad_rows(const float *a, const float *p, const float *q, const float *b,
                      const float *u, const float *m, IDX rows, IDX c, float *out) {
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < rows; r++) {
    const float *ar = a + r * c, *br = b + r * c;
    float *o = out + r * c;
    for (IDX k = 0; k < c; k++) o[k] = ar[k] * p[k] + ((br[k] - m[k]) * u[k] + q[k]);
  }
}

/*
 * The batch mean and biased variance per channel of x [rows, c], the sums shifted by the first
 * row (exact in double for any mean). Returns 1 when empty or out of memory.
 */
int bn_train_stats(const float *x, int64_t rows, int c, float *mean, float *var) {
  if (rows <= 0 || c <= 0) return 1;
  double *s = malloc(sizeof(double) * 2 * c);
  float *shift = malloc(sizeof(float) * c);
  if (s == NULL || shift == NULL) {
    free(s);
    free(shift);
    return 1;
  }
  double *t = s + c;
  for (IDX k = 0; k < c; k++) shift[k] = x[k];
  const int failed = channel_sums(x, NULL, shift, rows, c, s, t);
  for (IDX k = 0; k < c && !failed; k++) {
    const double m = s[k] / rows;
    const double v = t[k] / rows - m * m;
    mean[k] = (float)(m + shift[k]);
    var[k] = (float)(v < 0 ? 0 : v);
  }
  free(s);
  free(shift);
  return failed;
}

/*
 * dx, dgamma, dbeta of batch norm in training (y = (x - mean) / sd * gamma + beta with the
 * batch statistics of bn_train_stats) for dy [rows, c]:
 * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma / sd (dy - dbeta / n - xhat dgamma / n).
 * Returns 1 (dx untouched) when empty or out of memory.
 */
int bn_train_backward(const float *dy, const float *x, int64_t rows, int c, float eps,
                      const float *gamma, const float *mean, const float *var, float *dx,
                      float *dgamma, float *dbeta) {
  if (rows <= 0 || c <= 0) return 1;
  double *s = malloc(sizeof(double) * 2 * c);
  float *p = malloc(sizeof(float) * 3 * c);
  if (s == NULL || p == NULL) {
    free(s);
    free(p);
    return 1;
  }
  double *t = s + c;
  float *q = p + c, *u = p + 2 * c;
  if (channel_sums(dy, x, mean, rows, c, s, t) != 0) {
    free(s);
    free(p);
    return 1;
  }
  for (IDX k = 0; k < c; k++) {
    const double inv = 1.0 / sqrt((double)var[k] + eps);
    const double db = s[k], dg = t[k] * inv; /* sum dy (x - mean) / sd */
    dbeta[k] = (float)db;
    dgamma[k] = (float)dg;
    const double a = gamma[k] * inv;
    /* dx = a dy - (x - mean) a inv dg / n - a db / n */
    p[k] = (float)a;
    u[k] = (float)(-a * inv * dg / rows);
    q[k] = (float)(-a * db / rows);
  }
  grad_rows(dy, p, q, x, u, mean, rows, c, dx);
  free(s);
  free(p);
  return 0;
}
