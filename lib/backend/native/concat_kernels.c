/*
 * Concatenation and its gradient (split) of row-major arrays along their last axis, for the
 * onednn backend (lib/backend/native_kernels.ts builds and loads this file): tfjs's Concat and
 * SplitV as [outer, widths[i]] pieces of an [outer, sum of widths] array.
 *
 * Why: a dense block concatenates its stack with each new layer's few channels, so these copy
 * a few values a row over hundreds of thousands of rows. oneDNN's strided reorders copy one
 * piece at a time, each pass reading and writing every cache line of the whole array; here
 * each row is written (or read) once with all its pieces: a [4, 256, 256, 24] + [.., 8] concat
 * took 9 ms against 16 ms.
 *
 * Threads: OpenMP (oneDNN's libgomp pool), split by rows. Copies only, so every value is exact.
 */
#include <stdint.h>

#define IDX int64_t

#if defined(__x86_64__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* out [outer, sum(widths)] = the pieces xs[i] [outer, widths[i]] side by side. */
VECTOR_CLONES
void concat_last(const float *const *xs, const int64_t *widths, int n, int64_t outer,
                 float *out) {
  IDX total = 0;
  for (int i = 0; i < n; i++) total += widths[i];
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < outer; r++) {
    float *restrict d = out + r * total;
    for (int i = 0; i < n; i++) {
      const IDX w = widths[i];
      const float *restrict s = xs[i] + r * w;
      for (IDX k = 0; k < w; k++) d[k] = s[k];
      d += w;
    }
  }
}

/* outs[i] [outer, widths[i]] = the pieces of x [outer, sum(widths)], left to right. */
VECTOR_CLONES
void split_last(const float *x, const int64_t *widths, int n, int64_t outer,
                float *const *outs) {
  IDX total = 0;
  for (int i = 0; i < n; i++) total += widths[i];
#pragma omp parallel for schedule(static)
  for (IDX r = 0; r < outer; r++) {
    const float *restrict s = x + r * total;
    for (int i = 0; i < n; i++) {
      const IDX w = widths[i];
      float *restrict d = outs[i] + r * w;
      for (IDX k = 0; k < w; k++) d[k] = s[k];
      s += w;
    }
  }
}
