/*
 * exp(x) for -87 <= x <= 0 in float, shared by batchnorm_kernels.c (ELU) and class_kernels.c
 * (softmax): x = n ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts), exp(r) by Cephes' expf
 * polynomial, scaled by 2^n through the exponent bits; about 1e-7 from the exact value.
 * Fused multiply-adds throughout, so that a vector loop written with the same steps gives the
 * same bits. (native_kernels.ts hashes this header into each including library's build.)
 */
#ifndef EXP_NONPOSITIVE_H
#define EXP_NONPOSITIVE_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXP_C1 0.693359375f
#define EXP_C2 2.12194440e-4f
#define LOG2E 1.44269504089f
static const float EXP_P[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

/* p with exp(x) = p * scale, scale = 2^n, for -87 <= x <= 0. */
static inline float exp_nonpositive_parts(float x, float *scale) {
  const int32_t ni = (int32_t)fmaf(x, LOG2E, -0.5f); /* nearest: the argument is below 0 */
  const float n = (float)ni;
  const float r = fmaf(n, EXP_C2, fmaf(n, -EXP_C1, x));
  float p = EXP_P[0];
  for (int i = 1; i < 6; i++) p = fmaf(p, r, EXP_P[i]);
  p = fmaf(p, r * r, r) + 1.0f;
  const int32_t bits = (ni + 127) << 23;
  memcpy(scale, &bits, sizeof *scale);
  return p;
}
#endif
