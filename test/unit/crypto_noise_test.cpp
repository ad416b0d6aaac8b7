// Noise samplers for distributed differential privacy: each distribution's
// mean and variance over many draws, within a tolerance of several standard
// errors (fixed seeds, so the tests are reproducible), and that shares
// drawn by several parties add up to discrete Laplace noise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "crypto/noise.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

struct Moments {
  double mean = 0;
  double variance = 0;
};

Moments moments(std::size_t n, const std::function<double()>& draw) {
  double sum = 0;
  double sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = draw();
    sum += x;
    sq += x * x;
  }
  Moments m;
  m.mean = sum / n;
  m.variance = sq / n - m.mean * m.mean;
  return m;
}

TEST(Noise, UniformIsOpenAndCentred) {
  test::DeterministicRandom rng(1);
  double lo = 1, hi = 0;
  const Moments m = moments(200000, [&] {
    const double u = uniform_open(rng);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    return u;
  });
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(m.mean, 0.5, 0.005);
  EXPECT_NEAR(m.variance, 1.0 / 12, 0.002);
}

TEST(Noise, NormalHasUnitVariance) {
  test::DeterministicRandom rng(2);
  const Moments m = moments(200000, [&] { return standard_normal(rng); });
  EXPECT_NEAR(m.mean, 0, 0.015);
  EXPECT_NEAR(m.variance, 1, 0.02);
}

TEST(Noise, GammaMeanAndVariance) {
  // Gamma(k, s): mean k s, variance k s^2; below and above shape 1.
  const double shapes[] = {0.2, 0.5, 1, 3.5};
  for (double k : shapes) {
    test::DeterministicRandom rng(3);
    const Moments m = moments(200000, [&] { return gamma_variate(rng, k, 2); });
    EXPECT_NEAR(m.mean, 2 * k, 0.03 * std::max(1.0, 2 * k)) << "shape " << k;
    EXPECT_NEAR(m.variance, 4 * k, 0.08 * 4 * k) << "shape " << k;
  }
  test::DeterministicRandom rng(3);
  EXPECT_THROW(gamma_variate(rng, 0, 1), RangeError);
}

TEST(Noise, PoissonMeanAndVarianceSmallAndLarge) {
  // Both algorithms: multiplication below 10, PTRS from 10 up.
  const double lambdas[] = {0.3, 3.5, 9.9, 10, 47, 1000, 1e7};
  for (double lambda : lambdas) {
    test::DeterministicRandom rng(4);
    const Moments m =
        moments(100000, [&] { return static_cast<double>(poisson_variate(rng, lambda)); });
    EXPECT_NEAR(m.mean, lambda, 6 * std::sqrt(lambda / 100000)) << "lambda " << lambda;
    EXPECT_NEAR(m.variance, lambda, 0.03 * lambda + 0.01) << "lambda " << lambda;
  }
  test::DeterministicRandom rng(4);
  EXPECT_EQ(poisson_variate(rng, 0), 0);
  EXPECT_THROW(poisson_variate(rng, 1e17), RangeError);
  EXPECT_THROW(poisson_variate(rng, -1), RangeError);
}

TEST(Noise, PoissonProbabilityOfZero) {
  test::DeterministicRandom rng(5);
  std::size_t zeros = 0;
  const std::size_t n = 200000;
  for (std::size_t i = 0; i < n; ++i) zeros += poisson_variate(rng, 1.5) == 0 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(zeros) / n, std::exp(-1.5), 0.004);
}

TEST(Noise, PolyaMeanAndVariance) {
  // Polya(r, a): mean r a / (1 - a), variance r a / (1 - a)^2.
  const double r = 0.25;
  const double a = 0.9;
  test::DeterministicRandom rng(6);
  const Moments m =
      moments(200000, [&] { return static_cast<double>(polya_variate(rng, r, -std::log(a))); });
  EXPECT_NEAR(m.mean, r * a / (1 - a), 0.05 * r * a / (1 - a));
  EXPECT_NEAR(m.variance, r * a / ((1 - a) * (1 - a)), 0.08 * r * a / ((1 - a) * (1 - a)));
  EXPECT_THROW(polya_variate(rng, r, 0), RangeError);
  EXPECT_THROW(polya_variate(rng, r, 1e-17), RangeError);  // scale above 2^50
}

// The shares of `parts` parties add up to discrete Laplace(alpha): mean 0,
// variance 2 a / (1 - a)^2, P(0) = (1 - a) / (1 + a), symmetric.
TEST(Noise, SharesAddUpToDiscreteLaplace) {
  const double a = 0.8;
  for (std::uint32_t parts : {1u, 2u, 3u, 7u}) {
    test::DeterministicRandom rng(7 + parts);
    std::size_t zeros = 0;
    std::size_t positive = 0;
    std::size_t negative = 0;
    const std::size_t n = 100000;
    const Moments m = moments(n, [&] {
      i128 total = 0;
      for (std::uint32_t p = 0; p < parts; ++p) {
        total += laplace_noise_share(rng, -std::log(a), parts);
      }
      zeros += total == 0 ? 1 : 0;
      positive += total > 0 ? 1 : 0;
      negative += total < 0 ? 1 : 0;
      return static_cast<double>(total);
    });
    const double var = laplace_variance(-std::log(a));
    EXPECT_NEAR(var, 40, 1e-9);
    EXPECT_NEAR(m.mean, 0, 6 * std::sqrt(var / n)) << parts << " parts";
    EXPECT_NEAR(m.variance, var, 0.05 * var) << parts << " parts";
    EXPECT_NEAR(static_cast<double>(zeros) / n, (1 - a) / (1 + a), 0.006) << parts << " parts";
    EXPECT_NEAR(static_cast<double>(positive) / n, static_cast<double>(negative) / n, 0.012);
  }
}

// A single party's share is only part of the noise: its variance is 1/parts
// of the total, so parties short of `parts` cannot remove the whole noise.
TEST(Noise, OneShareIsAFractionOfTheNoise) {
  const double a = 0.95;
  test::DeterministicRandom rng(11);
  const Moments m =
      moments(100000, [&] { return static_cast<double>(laplace_noise_share(rng, a, 4)); });
  EXPECT_NEAR(m.variance, laplace_variance(a) / 4, 0.06 * laplace_variance(a) / 4);
}

// Realistic scales: epsilon 1 for a sum with sensitivity 10^6 fixed-point
// units (bounds of +-1 at scale 6) has variance about 2 10^12.
TEST(Noise, LargeScaleNoise) {
  const double x = laplace_exponent(1, 1e6);
  test::DeterministicRandom rng(12);
  const Moments m = moments(50000, [&] {
    i128 total = 0;
    for (int p = 0; p < 3; ++p) total += laplace_noise_share(rng, x, 3);
    return static_cast<double>(total);
  });
  EXPECT_NEAR(m.variance / laplace_variance(x), 1, 0.05);
  EXPECT_NEAR(laplace_variance(x), 2e12, 1e9);
  EXPECT_THROW(laplace_exponent(0, 1), RangeError);
  EXPECT_THROW(laplace_exponent(1, 0), RangeError);
}

// Sensitivities so large that exp(-x) rounds towards 1: the scale still
// comes from expm1, not from 1 - alpha (which would be off by tens of
// percent at x = 1.7e-16).
TEST(Noise, TinyExponentsKeepTheirScale) {
  const double x = 1.7e-16;
  EXPECT_NEAR(laplace_scale(x) * x, 1, 1e-9);
  const double sloppy = std::exp(-x) / (1 - std::exp(-x));
  EXPECT_GT(std::fabs(sloppy * x - 1), 0.05);
  EXPECT_NEAR(laplace_variance(1e-9) / 2e18, 1, 1e-6);
}

}  // namespace
}  // namespace smpc::crypto
