// Exact noise samplers for distributed differential privacy: chi-square
// goodness-of-fit tests of every sampler against its exact distribution,
// computed here independently of the samplers (closed forms and recursions
// in long double, generating functions in complex long double), at small
// and at the largest scales; and that no draw fails at any allowed scale.
//
// Fixed seeds, so every test is reproducible. A chi-square test fails when
// the statistic exceeds the 1 - 1e-6 quantile of its distribution, so an
// exact sampler fails none of them by chance (with these seeds: never),
// while a bias of a few per cent in any bin fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "crypto/noise.hpp"
#include "crypto/random_bits.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

using Real = long double;

// The 1 - 1e-6 quantile of chi-square with df degrees of freedom
// (Wilson-Hilferty; accurate to a few per cent from df = 2 up).
double chi_square_limit(std::size_t df) {
  const double z = 4.753;  // the 1 - 1e-6 quantile of the standard normal
  const double k = static_cast<double>(df);
  const double c = 1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k));
  return k * c * c * c;
}

// Bins over the integers: bin i holds [edges[i], edges[i + 1]), the first
// from minus infinity, the last to plus infinity; probs[i] its exact
// probability.
struct Bins {
  std::vector<i128> edges;  // lower edges of bins 1..n-1
  std::vector<Real> probs;
};

// Bins of consecutive values from a CDF: every bin has at least min_prob
// (whole values only), the tails merged into the first and last bins.
Bins bins_from_cdf(const std::function<Real(i128)>& cdf, i128 lo, i128 hi, Real min_prob) {
  Bins b;
  i128 start = lo;
  Real last = 0;  // the first bin also holds everything below lo
  for (i128 k = lo; k <= hi; ++k) {
    const Real c = cdf(k);
    if (c - last >= min_prob) {
      if (!b.probs.empty()) b.edges.push_back(start);
      b.probs.push_back(c - last);
      last = c;
      start = k + 1;
    }
  }
  if (b.probs.empty()) b.probs.push_back(0);
  b.edges.push_back(start);
  b.probs.push_back(1 - last);
  // A last bin that is too small joins the one before it.
  if (b.probs.size() > 2 && b.probs.back() < min_prob) {
    b.probs[b.probs.size() - 2] += b.probs.back();
    b.probs.pop_back();
    b.edges.pop_back();
  }
  return b;
}

// Bins with the given lower edges (increasing), probabilities from a CDF.
Bins bins_at(const std::function<Real(i128)>& cdf, const std::vector<i128>& edges) {
  Bins b;
  b.edges = edges;
  Real last = 0;
  for (i128 e : edges) {
    const Real c = cdf(e - 1);
    b.probs.push_back(c - last);
    last = c;
  }
  b.probs.push_back(1 - last);
  return b;
}

// The chi-square statistic of `draws` against the bins; fails the test (with
// the observed and expected counts) when it exceeds the limit.
void expect_fit(const std::string& what, const std::vector<i128>& draws, const Bins& b) {
  std::vector<double> observed(b.probs.size(), 0);
  for (i128 v : draws) {
    const auto it = std::upper_bound(b.edges.begin(), b.edges.end(), v);
    observed[static_cast<std::size_t>(it - b.edges.begin())] += 1;
  }
  const double n = static_cast<double>(draws.size());
  double stat = 0;
  std::string table;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double expected = static_cast<double>(b.probs[i]) * n;
    ASSERT_GT(expected, 4.0) << what << ": bin " << i << " is too small for the test";
    stat += (observed[i] - expected) * (observed[i] - expected) / expected;
    table += " [" + std::to_string(static_cast<long long>(observed[i])) + " vs " +
             std::to_string(expected) + "]";
  }
  const std::size_t df = observed.size() - 1;
  EXPECT_LT(stat, chi_square_limit(df))
      << what << ": chi-square " << stat << " with " << df << " degrees of freedom;" << table;
}

// The residues of `draws` modulo q against exact probabilities.
void expect_residues(const std::string& what, const std::vector<i128>& draws, unsigned q,
                     const std::vector<Real>& probs) {
  std::vector<i128> residues;
  residues.reserve(draws.size());
  for (i128 v : draws) residues.push_back(((v % q) + q) % q);
  Bins b;
  for (unsigned j = 1; j < q; ++j) b.edges.push_back(j);
  b.probs = probs;
  expect_fit(what + " mod " + std::to_string(q), residues, b);
}

template <typename F>
std::vector<i128> draw(std::size_t n, F&& f) {
  std::vector<i128> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<i128>(f()));
  return out;
}

// Exact distributions, for alpha = exp(-x).
Real alpha_of(double x) { return std::exp(-static_cast<Real>(x)); }
// 1 - alpha^k, without cancellation.
Real one_minus_alpha_pow(double x, Real k) { return -std::expm1(-static_cast<Real>(x) * k); }

// Geometric: P(G <= g) = 1 - alpha^(g + 1).
Real geometric_cdf(double x, i128 g) {
  if (g < 0) return 0;
  return one_minus_alpha_pow(x, static_cast<Real>(g) + 1);
}

// Discrete Laplace: P(X <= k) = alpha^-k / (1 + alpha) for k < 0, and
// 1 - alpha^(k + 1) / (1 + alpha) for k >= 0.
Real laplace_cdf(double x, i128 k) {
  const Real a = alpha_of(x);
  if (k < 0) return std::exp(-static_cast<Real>(x) * static_cast<Real>(-k)) / (1 + a);
  return 1 - std::exp(-static_cast<Real>(x) * (static_cast<Real>(k) + 1)) / (1 + a);
}

// Discrete Laplace modulo q: P(X = j mod q) = c (alpha^j + alpha^(q - j)) /
// (1 - alpha^q), c = (1 - alpha) / (1 + alpha) = tanh(x / 2); j = 0 counts
// zero once: c (1 + alpha^q) / (1 - alpha^q).
std::vector<Real> laplace_residues(double x, unsigned q) {
  const Real c = std::tanh(static_cast<Real>(x) / 2);
  const Real d = one_minus_alpha_pow(x, q);
  std::vector<Real> p;
  for (unsigned j = 0; j < q; ++j) {
    const Real aj = std::exp(-static_cast<Real>(x) * j);
    const Real aqj = std::exp(-static_cast<Real>(x) * (q - j));
    p.push_back(c * (aj + aqj) / d);
  }
  return p;
}

// Polya(r, alpha) by its recursion: P(0) = (1 - alpha)^r, P(k + 1) = P(k)
// (k + r) / (k + 1) alpha; as many terms as hold all but 1e-16 of the mass.
std::vector<Real> polya_pmf(Real r, double x) {
  const Real a = alpha_of(x);
  std::vector<Real> p{std::pow(one_minus_alpha_pow(x, 1), r)};
  Real total = p[0];
  for (std::size_t k = 0; 1 - total > 1e-16L && k < 10000000; ++k) {
    p.push_back(p.back() * (k + r) / (k + 1) * a);
    total += p.back();
  }
  return p;
}

// The generating function of Polya(r, alpha) at z: ((1 - alpha) /
// (1 - alpha z))^r, principal branch (Re(1 - alpha z) > 0).
std::complex<Real> polya_pgf(Real r, double x, std::complex<Real> z) {
  const Real a = alpha_of(x);
  const std::complex<Real> one_minus = std::complex<Real>(1) - a * z;
  return std::exp(r * (std::log(one_minus_alpha_pow(x, 1)) - std::log(one_minus)));
}

// P(Y = j mod q) from the generating function f: (1/q) sum over the q-th
// roots of unity w of w^-j f(w).
std::vector<Real> residues_from_pgf(
    unsigned q, const std::function<std::complex<Real>(std::complex<Real>)>& f) {
  const Real pi = std::acos(static_cast<Real>(-1));
  std::vector<Real> p(q, 0);
  for (unsigned l = 0; l < q; ++l) {
    const std::complex<Real> w = std::polar(static_cast<Real>(1), 2 * pi * l / q);
    const std::complex<Real> fw = f(w);
    for (unsigned j = 0; j < q; ++j) {
      p[j] += std::real(std::polar(static_cast<Real>(1), -2 * pi * l * j / q) * fw) / q;
    }
  }
  return p;
}

// The CDF of a distribution on 0..n-1 given by its pmf.
std::function<Real(i128)> cdf_of(const std::vector<Real>& pmf, i128 offset = 0) {
  std::vector<Real> c(pmf.size());
  Real s = 0;
  for (std::size_t i = 0; i < pmf.size(); ++i) c[i] = s += pmf[i];
  return [c, offset](i128 k) -> Real {
    const i128 i = k - offset;
    if (i < 0) return 0;
    if (i >= static_cast<i128>(c.size())) return 1;
    return c[static_cast<std::size_t>(i)];
  };
}

// The regularized lower incomplete gamma P(r, y) = y^r e^-y sum y^n /
// Gamma(r + n + 1): the limit of Polya(r, alpha) / scale.
Real gamma_cdf(Real r, Real y) {
  if (y <= 0) return 0;
  Real term = std::exp(r * std::log(y) - y - std::lgamma(r + 1));
  Real sum = term;
  for (int n = 1; n < 1000 && term > 1e-22L * sum; ++n) {
    term *= y / (r + n);
    sum += term;
  }
  return sum;
}

TEST(RandomBits, UniformBelowAndLessThan) {
  test::DeterministicRandom rng(1);
  RandomBits bits(rng);
  for (u128 n : {static_cast<u128>(1), static_cast<u128>(3), static_cast<u128>(10),
                 static_cast<u128>(1000)}) {
    Bins b;
    std::vector<i128> v = draw(100000, [&] { return bits.below(n); });
    if (n == 1) {
      EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](i128 x) { return x == 0; }));
      continue;
    }
    // Ten equal groups of values (or each value).
    const u128 groups = n < 10 ? n : 10;
    for (u128 g = 1; g < groups; ++g) b.edges.push_back(static_cast<i128>(g * n / groups));
    i128 prev = 0;
    for (std::size_t i = 0; i <= b.edges.size(); ++i) {
      const i128 next = i < b.edges.size() ? b.edges[i] : static_cast<i128>(n);
      b.probs.push_back(static_cast<Real>(next - prev) / static_cast<Real>(n));
      prev = next;
    }
    expect_fit("below(" + std::to_string(static_cast<unsigned>(n)) + ")", v, b);
    EXPECT_TRUE(std::all_of(v.begin(), v.end(),
                            [n](i128 x) { return x >= 0 && x < static_cast<i128>(n); }));
  }
  // less_than(u, k): P = u / 2^k, also for u = 2^k and a 100-bit k.
  const u128 big = (static_cast<u128>(1) << 100) / 3;
  for (auto [u, k, p] :
       {std::tuple<u128, unsigned, Real>{1, 1, 0.5L},
        std::tuple<u128, unsigned, Real>{5, 3, 0.625L},
        std::tuple<u128, unsigned, Real>{8, 3, 1.0L}, std::tuple<u128, unsigned, Real>{0, 3, 0.0L},
        std::tuple<u128, unsigned, Real>{big, 100, 1.0L / 3}}) {
    std::size_t yes = 0;
    const std::size_t n = 100000;
    for (std::size_t i = 0; i < n; ++i) yes += bits.less_than(u, k) ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(yes) / n, static_cast<double>(p),
                5 * std::sqrt(0.25 / n) + 1e-12);
  }
  EXPECT_EQ(bit_length(0), 0u);
  EXPECT_EQ(bit_length(1), 1u);
  EXPECT_EQ(bit_length(~static_cast<u128>(0)), 128u);
  EXPECT_EQ(bits.bits(0), 0u);
  EXPECT_NE(bits.bits(128) >> 64, 0u);  // 2^-64 chance of a false failure
}

// The exponent is the double's exact value: num / 2^den_log2 == x.
TEST(Noise, ExponentIsTheDoublesExactRational) {
  test::DeterministicRandom rng(2);
  for (double x : {1.0, 0.5, 0.1, 1.0 / 3, 3.5, 100.0, 1e-6, 0x1.0p-50, 0x1.fffffffffffffp-50,
                   1.2345e-15, 0x1.0p32}) {
    if (!(x >= kMinLaplaceExponent)) continue;
    const LaplaceExponent e = exact_exponent(x);
    EXPECT_EQ(std::ldexp(static_cast<double>(e.num), -static_cast<int>(e.den_log2)), x);
    EXPECT_TRUE(e.den_log2 == 0 || e.num % 2 == 1) << x;  // in lowest terms
    EXPECT_LE(e.den_log2, 102u);
  }
  // 0.1 is 0x1.999999999999ap-4 = 0xccccccccccccd / 2^55.
  EXPECT_EQ(exact_exponent(0.1).num, 0xccccccccccccdu);
  EXPECT_EQ(exact_exponent(0.1).den_log2, 55u);
  EXPECT_EQ(exact_exponent(3).num, 3u);
  EXPECT_EQ(exact_exponent(3).den_log2, 0u);
  for (double bad :
       {0.0, -1.0, 0x1.fffffffffffffp-51, 0x1.0000000000001p32,
        std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THROW(exact_exponent(bad), RangeError) << bad;
    EXPECT_THROW(laplace_noise_share(rng, bad, 2), RangeError) << bad;
  }
  EXPECT_THROW(laplace_noise_share(rng, 1, 0), RangeError);
}

// Bernoulli(exp(-gamma)) for gamma in [0, 1], dyadic and not.
TEST(Noise, BernoulliExpIsExact) {
  test::DeterministicRandom rng(3);
  RandomBits bits(rng);
  const u128 third = (static_cast<u128>(1) << 100) / 3;
  for (auto [num, den] :
       {std::pair<u128, unsigned>{0, 0}, {1, 2}, {1, 1}, {3, 2}, {1, 0}, {third, 100}}) {
    const Real gamma =
        static_cast<Real>(num) / std::ldexp(static_cast<Real>(1), static_cast<int>(den));
    const Real p = std::exp(-gamma);
    std::vector<i128> v = draw(100000, [&] { return bernoulli_exp(bits, num, den) ? 1 : 0; });
    if (num == 0) {
      EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](i128 x) { return x == 1; }));
      continue;
    }
    expect_fit("bernoulli_exp(" + std::to_string(static_cast<double>(gamma)) + ")", v,
               Bins{{1}, {1 - p, p}});
  }
}

// Exponents at small scales: integers, dyadic and non-dyadic fractions,
// above 1 (alpha near 0) and at scale 64.
const double kSmallExponents[] = {1.0, 0.37, 3.5, 0.1, 0x1.0p-6};

TEST(Noise, GeometricFitsExactly) {
  for (double x : kSmallExponents) {
    test::DeterministicRandom rng(4);
    RandomBits bits(rng);
    const LaplaceExponent e = exact_exponent(x);
    const std::vector<i128> v = draw(100000, [&] { return geometric(bits, e); });
    const auto cdf = [x](i128 k) { return geometric_cdf(x, k); };
    expect_fit("geometric x=" + std::to_string(x), v,
               bins_from_cdf(cdf, 0, static_cast<i128>(40 / x), 2e-3L));
  }
}

TEST(Noise, DiscreteLaplaceFitsExactly) {
  for (double x : kSmallExponents) {
    test::DeterministicRandom rng(5);
    RandomBits bits(rng);
    const LaplaceExponent e = exact_exponent(x);
    const std::vector<i128> v = draw(100000, [&] { return discrete_laplace(bits, e); });
    const auto cdf = [x](i128 k) { return laplace_cdf(x, k); };
    const i128 reach = static_cast<i128>(40 / x);
    expect_fit("discrete Laplace x=" + std::to_string(x), v,
               bins_from_cdf(cdf, -reach, reach, 2e-3L));
  }
}

TEST(Noise, PolyaFitsExactly) {
  for (std::uint32_t parts : {2u, 3u, 7u, 10u}) {
    for (double x : {0.37, 0.1, 0x1.0p-5}) {
      test::DeterministicRandom rng(6 + parts);
      RandomBits bits(rng);
      const LaplaceExponent e = exact_exponent(x);
      const std::vector<i128> v = draw(50000, [&] { return polya(bits, e, parts); });
      const std::vector<Real> pmf = polya_pmf(static_cast<Real>(1) / parts, x);
      expect_fit("Polya(1/" + std::to_string(parts) + ") x=" + std::to_string(x), v,
                 bins_from_cdf(cdf_of(pmf), 0, static_cast<i128>(pmf.size()), 2e-3L));
    }
  }
}

// One share: Polya - Polya, P(D = d) = sum over k of P(k + d) P(k).
TEST(Noise, OneShareFitsThePolyaDifference) {
  for (auto [parts, x] : {std::pair<std::uint32_t, double>{3, 0.2}, {2, 0.05}, {10, 0.3}}) {
    const std::vector<Real> pmf = polya_pmf(static_cast<Real>(1) / parts, x);
    const i128 m = static_cast<i128>(pmf.size());
    std::vector<Real> diff(static_cast<std::size_t>(2 * m - 1), 0);
    for (i128 d = 0; d < m; ++d) {
      Real s = 0;
      for (i128 k = 0; k + d < m; ++k)
        s += pmf[static_cast<std::size_t>(k + d)] * pmf[static_cast<std::size_t>(k)];
      diff[static_cast<std::size_t>(m - 1 + d)] = diff[static_cast<std::size_t>(m - 1 - d)] = s;
    }
    test::DeterministicRandom rng(20 + parts);
    const std::vector<i128> v = draw(60000, [&] { return laplace_noise_share(rng, x, parts); });
    expect_fit("one share of " + std::to_string(parts) + " x=" + std::to_string(x), v,
               bins_from_cdf(cdf_of(diff, -(m - 1)), -(m - 1), m - 1, 2e-3L));
  }
}

// `parts` shares add up to discrete Laplace, for every number of parts.
TEST(Noise, SharesAddUpToDiscreteLaplaceExactly) {
  for (std::uint32_t parts : {1u, 2u, 3u, 5u, 10u}) {
    for (double x : {0.3, 0x1.0p-5}) {
      test::DeterministicRandom rng(30 + parts);
      const std::size_t n = x > 0.1 ? 20000 : 10000;
      const std::vector<i128> v = draw(n, [&] {
        i128 total = 0;
        for (std::uint32_t p = 0; p < parts; ++p) total += laplace_noise_share(rng, x, parts);
        return total;
      });
      const auto cdf = [x](i128 k) { return laplace_cdf(x, k); };
      const i128 reach = static_cast<i128>(40 / x);
      expect_fit(std::to_string(parts) + " shares x=" + std::to_string(x), v,
                 bins_from_cdf(cdf, -reach, reach, 5e-3L));
    }
  }
}

// Large scales: the draws in bins of fractions of the scale (exact bin
// probabilities from the CDF), their residues modulo small numbers (exact,
// which catches a bias in the low digits), and no draw fails.
const int kLargeScaleLog2[] = {10, 20, 30, 40, 50};

std::vector<i128> scale_edges(double scale, bool symmetric) {
  std::vector<i128> edges;
  const double fractions[] = {0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 4};
  if (symmetric) {
    for (int i = 10; i >= 0; --i) edges.push_back(-static_cast<i128>(fractions[i] * scale));
    edges.push_back(0);
  }
  for (double f : fractions) edges.push_back(static_cast<i128>(f * scale) + (symmetric ? 1 : 0));
  return edges;
}

TEST(Noise, DiscreteLaplaceAtLargeScales) {
  for (int k : kLargeScaleLog2) {
    // 2^-k exactly, and a non-dyadic exponent with a 53-bit numerator.
    for (double x : {std::ldexp(1.0, -k), std::ldexp(1.0, -k) * 1.1}) {
      test::DeterministicRandom rng(40 + k);
      const std::vector<i128> v = draw(40000, [&] { return laplace_noise_share(rng, x, 1); });
      const auto cdf = [x](i128 n) { return laplace_cdf(x, n); };
      const std::string what =
          "discrete Laplace x=2^-" + std::to_string(k) + (x == std::ldexp(1.0, -k) ? "" : "*1.1");
      expect_fit(what, v, bins_at(cdf, scale_edges(1 / x, true)));
      for (unsigned q : {2u, 3u, 10u}) expect_residues(what, v, q, laplace_residues(x, q));
    }
  }
}

TEST(Noise, SharesAtLargeScalesAddUpToDiscreteLaplace) {
  for (int k : {10, 30, 50}) {
    const double x = std::ldexp(1.0, -k) * 1.3;
    for (std::uint32_t parts : {2u, 3u, 10u}) {
      test::DeterministicRandom rng(50 + k + parts);
      const std::vector<i128> v = draw(parts == 10 ? 4000 : 10000, [&] {
        i128 total = 0;
        for (std::uint32_t p = 0; p < parts; ++p) total += laplace_noise_share(rng, x, parts);
        return total;
      });
      const auto cdf = [x](i128 n) { return laplace_cdf(x, n); };
      const std::string what = std::to_string(parts) + " shares x=1.3*2^-" + std::to_string(k);
      expect_fit(what, v, bins_at(cdf, scale_edges(1 / x, true)));
      for (unsigned q : {2u, 3u}) expect_residues(what, v, q, laplace_residues(x, q));
    }
  }
}

// Polya at large scales: P(0) = (1 - alpha)^r exactly, residues from the
// generating function exactly, and the bins of K / scale against the gamma
// limit (which the exact CDF is within about 1 / scale of).
TEST(Noise, PolyaAndSharesAtLargeScales) {
  for (int k : kLargeScaleLog2) {
    const double x = std::ldexp(1.0, -k);
    for (std::uint32_t parts : {2u, 5u, 10u}) {
      const Real r = static_cast<Real>(1) / parts;
      test::DeterministicRandom rng(60 + k + parts);
      RandomBits bits(rng);
      const LaplaceExponent e = exact_exponent(x);
      const std::vector<i128> v = draw(10000, [&] { return polya(bits, e, parts); });
      const std::string what = "Polya(1/" + std::to_string(parts) + ") x=2^-" + std::to_string(k);
      const Real scale = 1 / -std::expm1(-static_cast<Real>(x));  // 1 / (1 - alpha)
      const Real p0 = std::pow(one_minus_alpha_pow(x, 1), r);
      std::vector<i128> edges{1};
      for (double f : {1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0}) {
        const auto edge = static_cast<i128>(f * static_cast<double>(scale));
        if (edge > edges.back()) edges.push_back(edge);
      }
      // CDF: exactly p0 at 0; beyond, the gamma limit at (n + 1) / scale.
      const auto cdf = [&](i128 n) -> Real {
        if (n < 0) return 0;
        if (n == 0) return p0;
        return std::max(p0, gamma_cdf(r, (static_cast<Real>(n) + 1) / scale));
      };
      Bins b = bins_at(cdf, edges);
      // Merge bins too small for the test (P(0) is 2^-(k/parts)).
      for (std::size_t i = 0; i + 1 < b.probs.size();) {
        if (b.probs[i] * v.size() < 8) {
          b.probs[i + 1] += b.probs[i];
          b.probs.erase(b.probs.begin() + static_cast<std::ptrdiff_t>(i));
          b.edges.erase(b.edges.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          ++i;
        }
      }
      expect_fit(what, v, b);
      for (unsigned q : {2u, 3u}) {
        expect_residues(what, v, q, residues_from_pgf(q, [&](std::complex<Real> z) {
                          return polya_pgf(r, x, z);
                        }));
      }
      // One share, Polya - Polya: residues from PGF(z) PGF(1 / z).
      test::DeterministicRandom rng2(70 + k + parts);
      const std::vector<i128> shares =
          draw(10000, [&] { return laplace_noise_share(rng2, x, parts); });
      for (unsigned q : {2u, 3u}) {
        expect_residues("one share of " + std::to_string(parts) + " x=2^-" + std::to_string(k),
                        shares, q, residues_from_pgf(q, [&](std::complex<Real> z) {
                          return polya_pgf(r, x, z) * polya_pgf(r, x, std::conj(z));
                        }));
      }
    }
  }
}

// At the largest scale no draw fails, for any number of parts, at the
// smallest exponent and at one whose numerator has all 53 bits (the
// largest intermediate values).
TEST(Noise, NoDrawFailsAtTheLargestScale) {
  for (double x :
       {kMinLaplaceExponent, 0x1.fffffffffffffp-50, 0x1.5555555555555p-50, kMaxLaplaceExponent}) {
    for (std::uint32_t parts = 1; parts <= 10; ++parts) {
      test::DeterministicRandom rng(80 + parts);
      double sum = 0;
      for (int i = 0; i < 2000; ++i) {
        i128 v = 0;
        ASSERT_NO_THROW(v = laplace_noise_share(rng, x, parts)) << x << " " << parts;
        sum += std::fabs(static_cast<double>(v));
      }
      // Mean |share| is below the scale (a sanity bound, not a fit).
      EXPECT_LT(sum / 2000, 2 * laplace_scale(x) + 1) << x << " " << parts;
    }
  }
}

// Floating-point summaries: the scale comes from expm1, not from 1 - alpha
// (which would be off by tens of per cent at x = 1.7e-16).
TEST(Noise, TinyExponentsKeepTheirScale) {
  const double x = 1.7e-16;
  EXPECT_NEAR(laplace_scale(x) * x, 1, 1e-9);
  const double sloppy = std::exp(-x) / (1 - std::exp(-x));
  EXPECT_GT(std::fabs(sloppy * x - 1), 0.05);
  EXPECT_NEAR(laplace_variance(1e-9) / 2e18, 1, 1e-6);
  EXPECT_NEAR(laplace_variance(-std::log(0.8)), 40, 1e-9);
  EXPECT_THROW(laplace_exponent(0, 1), RangeError);
  EXPECT_THROW(laplace_exponent(1, 0), RangeError);
}

}  // namespace
}  // namespace smpc::crypto
