/*
 * Per-pixel kernels over a short last axis (a segmentation's classes) for the onednn backend
 * (lib/backend/native_kernels.ts builds and loads this file): softmax, argmax, the softmax
 * gradient (softmax_grad.ts), and the weighted cross-entropy with its gradient (weighted_ce.ts).
 *
 * Why: oneDNN 2.6 sets its softmax up per row, so rows of 2 values cost 13.7 ms for a liver
 * batch's 262144 pixels, and V8's Math.exp takes about 20 ns a value, so a JS loop was no
 * faster; tfjs's cpu argmax took 5 ms a call. Here a row is a few scalar operations. The
 * gradient and the loss replace chains of tfjs kernels, each a pass over every value.
 *
 * Arithmetic: the cpu kernels' steps (the row's max, x - max, exp, a sum in double rounded to
 * float, a division), with exp_nonpositive.h's exp (about 1e-7 relative from Math.exp's;
 * below -87 it is 0). Argmax keeps the first of equal values and gives NaN no index past 0, as
 * tfjs's does. Each row is computed alone, so no value depends on the thread count.
 */
#include <stdint.h>

#include "exp_nonpositive.h"

#define IDX int64_t

/* With FMA hardware, fmaf is one instruction; without it, a libm call (the same bits). */
#if defined(__x86_64__) && defined(__GNUC__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

/* y = softmax of each row of `classes` values of x [rows, classes]. */
FMA_CLONES
void softmax_rows(const float *x, int64_t rows, int classes, float *y) {
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < rows; r++) {
    const float *a = x + r * classes;
    float *o = y + r * classes;
    float m = a[0];
    for (int j = 1; j < classes; j++) {
      if (a[j] != a[j] || a[j] > m) m = a[j];
    }
    double sum = 0;
    for (int j = 0; j < classes; j++) {
      const float d = a[j] - m;
      float e;
      if (d != d) {
        e = d;
      } else if (d < -87.0f) {
        e = 0.0f;
      } else {
        float scale;
        e = exp_nonpositive_parts(d, &scale) * scale;
      }
      o[j] = e;
      sum += e;
    }
    const float s = (float)sum;
    for (int j = 0; j < classes; j++) o[j] = o[j] / s;
  }
}

/* out[r] = the index of row r's largest value (the first of equals). */
void argmax_rows(const float *x, int64_t rows, int classes, int32_t *out) {
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < rows; r++) {
    const float *a = x + r * classes;
    float max = a[0];
    int32_t index = 0;
    for (int j = 1; j < classes; j++) {
      if (a[j] > max) {
        max = a[j];
        index = j;
      }
    }
    out[r] = index;
  }
}

/* p clipped to [lo, 1] as tfjs's clipByValue does (NaN stays NaN). */
static inline float clip_prob(float p, float lo) { return p > 1.0f ? 1.0f : p < lo ? lo : p; }

/*
 * The spatially weighted cross-entropy of lib/train/losses.ts over rows of `classes`
 * probabilities p with one-hot labels g and a weight per row w:
 * sum over rows of w * -sum_c g log(clip(p, lo, 1)), in double (the caller divides by rows).
 * Only labelled classes take a log; a NaN probability makes the sum NaN, as in the tf ops.
 */
double weighted_ce_sum(const float *g, const float *p, const float *w, int64_t rows, int classes,
                       float lo) {
  double sum = 0;
  for (IDX r = 0; r < rows; r++) {
    double ce = 0;
    for (int j = 0; j < classes; j++) {
      const IDX i = r * classes + j;
      const float v = clip_prob(p[i], lo);
      if (v != v) ce += v;
      else if (g[i] != 0.0f) ce -= (double)g[i] * log((double)v);
    }
    sum += ce * w[r];
  }
  return sum;
}

/*
 * Its gradient with respect to p, the tf ops' gradient step for step in float (so the same
 * bits): a = dy / rows (mean), b = a w (the weights), -b (neg), d = -b g (the labels),
 * d / clip(p) (log), 0 where p lies outside [lo, 1] or is NaN (clip).
 */
void weighted_ce_grad(const float *g, const float *p, const float *w, int64_t rows, int classes,
                      float lo, float dy, float *dp) {
  const float a = dy / (float)rows;
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < rows; r++) {
    const float b = -(a * w[r]);
    for (int j = 0; j < classes; j++) {
      const IDX i = r * classes + j;
      const float d = (b * g[i]) / clip_prob(p[i], lo);
      dp[i] = p[i] >= lo && p[i] <= 1.0f ? d : 0.0f;
    }
  }
}

/*
 * dx = the softmax gradient for y = softmax(x) and dy, per row, as tfjs's gradient computes it:
 * t = dy y, s = the row's sum of t (in double, rounded to float), dx = t - s y, each in float.
 */
void softmax_grad_rows(const float *dy, const float *y, int64_t rows, int classes, float *dx) {
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < rows; r++) {
    const IDX o = r * classes;
    double sum = 0;
    for (int j = 0; j < classes; j++) {
      dx[o + j] = dy[o + j] * y[o + j];
      sum += dx[o + j];
    }
    const float s = (float)sum;
    for (int j = 0; j < classes; j++) dx[o + j] = dx[o + j] - s * y[o + j];
  }
}
