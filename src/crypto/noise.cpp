// Exact samplers for distributed discrete Laplace noise; see noise.hpp.
#include "crypto/noise.hpp"

#include <cmath>

namespace smpc::crypto {

LaplaceExponent exact_exponent(double x) {
  if (!(x >= kMinLaplaceExponent && x <= kMaxLaplaceExponent)) {
    throw RangeError(
        "the noise exponent epsilon / sensitivity must be between 2^-50 and 2^32 "
        "(a noise scale of at most 2^50 units)");
  }
  int e = 0;
  const double m = std::frexp(x, &e);  // x = m 2^e, m in [1/2, 1)
  // m 2^53 is an integer below 2^53: x = num 2^shift exactly.
  auto num = static_cast<std::uint64_t>(std::ldexp(m, 53));
  int shift = e - 53;
  while (shift < 0 && (num & 1) == 0) {
    num >>= 1;
    ++shift;
  }
  LaplaceExponent out;
  // x <= 2^32 keeps num 2^shift below 2^33; x >= 2^-50 keeps -shift <= 102.
  out.num = shift >= 0 ? num << shift : num;
  out.den_log2 = shift >= 0 ? 0 : static_cast<unsigned>(-shift);
  return out;
}

bool bernoulli_exp(RandomBits& bits, u128 num, unsigned den_log2) {
  // K = 1; while Bernoulli(gamma / K): K = K + 1; the result is K odd.
  // P(K odd) = sum over k of (-gamma)^k / k! = exp(-gamma). Bernoulli(gamma
  // / K) is Bernoulli(1 / K) and Bernoulli(gamma), independently.
  std::uint64_t k = 1;
  while (bits.one_in(k) && bits.less_than(num, den_log2)) ++k;
  return k % 2 == 1;
}

// bernoulli_exp with gamma = 1, where each Bernoulli(gamma / K) is Bernoulli(1 / K).
static bool bernoulli_exp_minus_one(RandomBits& bits) {
  std::uint64_t k = 1;
  while (bits.one_in(k)) ++k;
  return k % 2 == 1;
}

u128 geometric(RandomBits& bits, const LaplaceExponent& x) {
  // x = s / t with t = 2^den_log2. X = U + t V with U uniform in [0, t)
  // kept with probability exp(-U / t), and V counting successes of
  // Bernoulli(exp(-1)), has P(X = n) proportional to exp(-n / t); then
  // floor(X / s) is geometric with alpha = exp(-s / t).
  const u128 t = static_cast<u128>(1) << x.den_log2;
  const u128 s = x.num;
  for (;;) {
    const u128 u = bits.bits(x.den_log2);
    if (!bernoulli_exp(bits, u, x.den_log2)) continue;
    // V, from a fixed number of rounds however early it ends (noise.hpp).
    std::uint64_t v = 0;
    bool counting = true;
    for (unsigned round = 0; counting || round < kGeometricRounds; ++round) {
      const bool success = bernoulli_exp_minus_one(bits);
      if (counting && success) {
        ++v;
      } else {
        counting = false;
      }
    }
    // floor((u + t v) / s) without forming t v: t / s <= 1 / x <= 2^50 and
    // t % s < s < 2^53 (or t = 1), so with v < 2^64 nothing exceeds 2^118.
    return static_cast<u128>(v) * (t / s) + (u + static_cast<u128>(v) * (t % s)) / s;
  }
}

i128 discrete_laplace(RandomBits& bits, const LaplaceExponent& x) {
  for (;;) {
    const u128 g = geometric(bits, x);
    const bool negative = bits.bit();
    if (negative && g == 0) continue;  // zero must not count twice
    return negative ? -static_cast<i128>(g) : static_cast<i128>(g);
  }
}

u128 polya(RandomBits& bits, const LaplaceExponent& x, std::uint32_t parts) {
  u128 left = geometric(bits, x);
  if (parts == 1) return left;
  // The cycles of a uniformly random permutation of `left` elements, one
  // at a time; each is kept with probability 1 / parts.
  u128 kept = 0;
  while (left > 0) {
    const u128 length = 1 + bits.below(left);
    if (bits.one_in(parts)) kept += length;
    left -= length;
  }
  return kept;
}

i128 laplace_noise_share(RandomSource& rng, double x, std::uint32_t parts) {
  if (parts == 0) throw RangeError("noise must be split among at least one party");
  const LaplaceExponent exact = exact_exponent(x);
  RandomBits bits(rng);
  if (parts == 1) return discrete_laplace(bits, exact);
  const u128 plus = polya(bits, exact, parts);
  return static_cast<i128>(plus) - static_cast<i128>(polya(bits, exact, parts));
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
