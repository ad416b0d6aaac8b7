// Noise for distributed differential privacy: each party draws a share so
// that the shares of `parts` parties add up to a discrete Laplace variable,
// and no party (nor any group short of `parts` honest parties) knows the
// total.
//
// Discrete Laplace with parameter alpha in [0, 1): P(X = k) is proportional
// to alpha^|k|; with alpha = exp(-epsilon / sensitivity) adding it to an
// integer statistic of that sensitivity gives epsilon-differential privacy
// (pure, no delta). The samplers take the exponent x = epsilon / sensitivity
// rather than alpha, as a double; a double is an exact rational
// num / 2^k, and that rational is what the samplers use (exact_exponent):
// alpha = exp(-x) for exactly the x passed.
//
// The samplers are exact: integer arithmetic on uniform random bits, no
// floating point, no table, no truncation. Every distribution below is the
// stated one exactly, for every x in [2^-50, 2^32] (noise scales up to
// alpha / (1 - alpha) < 2^50), and no draw fails: every intermediate value
// stays below 2^118 unless a loop ran 2^64 rounds.
//  - bernoulli_exp: Bernoulli(exp(-gamma)) for rational gamma in [0, 1]
//    (Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential
//    Privacy", 2020, Algorithm 1).
//  - geometric: P(G = g) = (1 - alpha) alpha^g, from a discrete
//    exponential of rate 1/t cut into blocks of s for x = s / t (ibid.,
//    Algorithm 2, without the sign).
//  - discrete_laplace: a geometric with a random sign, zero counted once
//    (ibid., Algorithm 2).
//  - polya: Polya(r, alpha) with r = 1/parts, the negative binomial
//    P(k) = C(k + r - 1, k) (1 - alpha)^r alpha^k. Drawn as the size of a
//    random part of a geometric: take G ~ geometric, a uniformly random
//    permutation of G elements (its cycles, by stick-breaking: the cycle of
//    the first element left has a length uniform in 1..left), keep each cycle
//    with probability r and count the elements kept. The cycle counts of a
//    random permutation of a geometric number of elements are independent
//    Poisson(alpha^j / j), so the kept elements are a compound Poisson of
//    rate r * (-ln(1 - alpha)) with logarithmic(alpha) jumps: exactly
//    Polya(r, alpha) (generating function ((1 - alpha) / (1 - alpha z))^r).
//  - laplace_noise_share: Polya(1/parts, alpha) - Polya(1/parts, alpha), or
//    discrete_laplace when parts = 1. Discrete Laplace is infinitely
//    divisible: `parts` such shares add up to exactly discrete
//    Laplace(alpha) (Goryczka and Xiong; Balle et al.).
//
// Running time. Every rejection loop ends with probability at least 1/2 per
// round (after the first), so its length has a geometric tail, and none
// depends on x beyond the number of bits in a draw. The loop of geometric
// that counts whole blocks of t, V of them (the one whose length tracks
// the drawn value: G is about V / x), always runs kGeometricRounds rounds,
// so its length tells nothing unless V reaches kGeometricRounds
// (probability exp(-kGeometricRounds), about 1e-14). polya walks the
// cycles, -ln(1 - alpha) of them on average (35 at the largest scale) and
// about ln G for a given G. So what is left depends on the drawn value only
// weakly (the number of cycles, and rejection steps that redraw with
// probabilities that depend on bit lengths), but these are not
// constant-time implementations.
//
// No PostgreSQL headers here (the layering check in CMakeLists.txt).
#pragma once

#include <cstdint>

#include "crypto/field.hpp"
#include "crypto/random.hpp"
#include "crypto/random_bits.hpp"

namespace smpc::crypto {

// An exponent x = num / 2^den_log2 (num >= 1; den_log2 = 0 or num odd).
struct LaplaceExponent {
  std::uint64_t num = 0;
  unsigned den_log2 = 0;
};

// The range of exponents the samplers take. 2^-50 bounds the noise scale
// alpha / (1 - alpha) = 1 / expm1(x) below 1 / x = 2^50; 2^32 is far above
// any epsilon (alpha = exp(-2^32) is 0 for every practical purpose).
constexpr double kMinLaplaceExponent = 0x1.0p-50;
constexpr double kMaxLaplaceExponent = 0x1.0p32;
// Rounds of the block-counting loop of geometric (see above).
constexpr unsigned kGeometricRounds = 32;

// x as the exact rational it is. Throws RangeError unless
// kMinLaplaceExponent <= x <= kMaxLaplaceExponent (NaN included).
LaplaceExponent exact_exponent(double x);
// Bernoulli(exp(-gamma)) for gamma = num / 2^den_log2 in [0, 1].
bool bernoulli_exp(RandomBits& bits, u128 num, unsigned den_log2);
// Geometric: P(G = g) = (1 - alpha) alpha^g, alpha = exp(-x).
u128 geometric(RandomBits& bits, const LaplaceExponent& x);
// Discrete Laplace: P(X = k) = (1 - alpha) / (1 + alpha) alpha^|k|.
i128 discrete_laplace(RandomBits& bits, const LaplaceExponent& x);
// Polya(1/parts, alpha), parts >= 1 (see above).
u128 polya(RandomBits& bits, const LaplaceExponent& x, std::uint32_t parts);
// One party's share of discrete Laplace(exp(-x)) noise split among `parts`
// parties. Throws RangeError for an x outside the range above or parts = 0;
// never for any draw.
i128 laplace_noise_share(RandomSource& rng, double x, std::uint32_t parts);

// Floating-point summaries of the distribution, for calibration and tests
// (the samplers never use them).
// The exponent x for a statistic of this sensitivity (in its fixed-point
// units) under budget epsilon: epsilon / sensitivity.
double laplace_exponent(double epsilon, double sensitivity);
// The noise scale alpha / (1 - alpha) = 1 / expm1(x).
double laplace_scale(double x);
// Variance of discrete Laplace(exp(-x)): 2 alpha / (1 - alpha)^2.
double laplace_variance(double x);

}  // namespace smpc::crypto
