// Noise for distributed differential privacy: each party draws a share so
// that the shares of `parts` parties add up to a discrete Laplace variable,
// and no party (nor any group short of `parts` honest parties) knows the
// total.
//
// Discrete Laplace with parameter alpha in [0, 1): P(X = k) is proportional
// to alpha^|k|; with alpha = exp(-epsilon / sensitivity) adding it to an
// integer statistic of that sensitivity gives epsilon-differential privacy
// (pure, no delta). The samplers take the exponent x = epsilon / sensitivity
// rather than alpha: for large sensitivities x is tiny, alpha rounds towards
// 1, and 1 - alpha would lose the precision the noise scale
// alpha / (1 - alpha) = 1 / expm1(x) needs. It is infinitely divisible: the difference of two
// independent Polya(1/parts, alpha) variables, summed over `parts` parties,
// is exactly discrete Laplace(alpha) (Goryczka and Xiong; Balle et al.).
// Polya(r, alpha) (negative binomial with real r: P(k) ~ C(k+r-1, k)
// (1-alpha)^r alpha^k) is drawn as Poisson(Gamma(r, alpha / (1 - alpha))).
//
// The samplers use double precision arithmetic on uniform draws from the
// RandomSource (53 bits each): the distributions are right up to rounding,
// and they are not hardened against floating-point side channels.
//
// No PostgreSQL headers here (DESIGN.md layering).
#pragma once

#include <cstdint>

#include "crypto/field.hpp"
#include "crypto/random.hpp"

namespace smpc::crypto {

// Uniform in (0, 1), from 53 random bits.
double uniform_open(RandomSource& rng);
// Standard normal (Marsaglia's polar method).
double standard_normal(RandomSource& rng);
// Gamma(shape, scale), shape > 0 (Marsaglia and Tsang).
double gamma_variate(RandomSource& rng, double shape, double scale);
// Poisson(lambda), lambda >= 0: multiplication for small lambda, Hormann's
// transformed rejection (PTRS) otherwise. Throws RangeError for lambda above
// 2^52, where double precision cannot hold the draws.
std::int64_t poisson_variate(RandomSource& rng, double lambda);
// Polya(r, alpha = exp(-x)): the number of failures before the r-th
// success, success probability 1 - alpha; x > 0.
std::int64_t polya_variate(RandomSource& rng, double r, double x);
// One party's share of discrete Laplace(exp(-x)) noise split among `parts`
// parties: Polya(1/parts) - Polya(1/parts).
i128 laplace_noise_share(RandomSource& rng, double x, std::uint32_t parts);
// The exponent x for a statistic of this sensitivity (in its fixed-point
// units) under budget epsilon: epsilon / sensitivity.
double laplace_exponent(double epsilon, double sensitivity);
// The noise scale alpha / (1 - alpha) = 1 / expm1(x).
double laplace_scale(double x);
// Variance of discrete Laplace(exp(-x)): 2 alpha / (1 - alpha)^2.
double laplace_variance(double x);
// Largest noise scale the samplers draw (Poisson means stay below 2^52).
constexpr double kMaxLaplaceScale = 0x1.0p50;

}  // namespace smpc::crypto
