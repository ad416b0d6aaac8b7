// Samplers for distributed discrete Laplace noise; see noise.hpp.
#include "crypto/noise.hpp"

#include <cmath>
#include <cstring>

namespace smpc::crypto {

double uniform_open(RandomSource& rng) {
  std::uint64_t x = 0;
  rng.fill(reinterpret_cast<std::uint8_t*>(&x), sizeof x);
  // (k + 1/2) / 2^53 for k in [0, 2^53): never 0, never 1.
  return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
}

double standard_normal(RandomSource& rng) {
  for (;;) {
    const double u = 2 * uniform_open(rng) - 1;
    const double v = 2 * uniform_open(rng) - 1;
    const double s = u * u + v * v;
    if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
  }
}

double gamma_variate(RandomSource& rng, double shape, double scale) {
  if (!(shape > 0) || !(scale >= 0)) throw RangeError("gamma shape must be positive");
  if (scale == 0) return 0;
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a).
    return gamma_variate(rng, shape + 1, scale) * std::pow(uniform_open(rng), 1 / shape);
  }
  const double d = shape - 1.0 / 3;
  const double c = 1 / std::sqrt(9 * d);
  for (;;) {
    const double x = standard_normal(rng);
    double v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = uniform_open(rng);
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
  }
}

std::int64_t poisson_variate(RandomSource& rng, double lambda) {
  if (!(lambda >= 0)) throw RangeError("poisson mean must not be negative");
  if (lambda > 0x1.0p52) {
    throw RangeError("the noise is too large to draw: epsilon is too small for these bounds");
  }
  if (lambda < 10) {
    const double limit = std::exp(-lambda);
    std::int64_t k = 0;
    double p = uniform_open(rng);
    while (p > limit) {
      ++k;
      p *= uniform_open(rng);
    }
    return k;
  }
  // W. Hormann, "The transformed rejection method for generating Poisson
  // random variables" (1993), algorithm PTRS.
  const double slam = std::sqrt(lambda);
  const double loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = uniform_open(rng) - 0.5;
    const double v = uniform_open(rng);
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -lambda + k * loglam - std::lgamma(k + 1)) {
      return static_cast<std::int64_t>(k);
    }
  }
}

std::int64_t polya_variate(RandomSource& rng, double r, double x) {
  if (!(x > 0)) throw RangeError("noise exponent must be positive");
  const double scale = laplace_scale(x);
  if (!(scale <= kMaxLaplaceScale)) {
    throw RangeError("the noise is too large to draw: epsilon is too small for these bounds");
  }
  return poisson_variate(rng, gamma_variate(rng, r, scale));
}

i128 laplace_noise_share(RandomSource& rng, double x, std::uint32_t parts) {
  if (parts == 0) throw RangeError("noise must be split among at least one party");
  const double r = 1.0 / parts;
  return static_cast<i128>(polya_variate(rng, r, x)) - polya_variate(rng, r, x);
}

double laplace_exponent(double epsilon, double sensitivity) {
  if (!(epsilon > 0) || !(sensitivity > 0)) {
    throw RangeError("epsilon and sensitivity must be positive");
  }
  return epsilon / sensitivity;
}

double laplace_scale(double x) { return 1 / std::expm1(x); }

double laplace_variance(double x) {
  const double s = laplace_scale(x);
  // 2 a / (1 - a)^2 = 2 s (1 + s) with s = a / (1 - a).
  return 2 * s * (1 + s);
}

}  // namespace smpc::crypto
