// Differentially private jobs: how the noise is split among the parties
// (noise_plan), and that a noisy job releases the same value everywhere
// whose error has the intended distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "crypto/noise.hpp"
#include "job_network.hpp"
#include "protocol/noise_plan.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

FederationDef def_of(std::size_t n, std::uint32_t t, std::vector<PartyIndex> compute = {},
                     std::vector<PartyIndex> inputs = {}) {
  return make_parties(n, t, std::move(compute), std::move(inputs))[0].federation;
}

TEST(NoisePlan, PartsFollowTheCollusionThreshold) {
  ReleasePolicy policy;  // min_parties 3
  // Peer to peer, additive: n - 1 may collude, so each party adds it all.
  EXPECT_EQ(collusion_threshold(def_of(3, 0)), 2u);
  EXPECT_EQ(noise_parts(def_of(3, 0), policy), 1u);
  EXPECT_EQ(noise_parts(def_of(10, 0), policy), 1u);
  // Shamir 2-of-5: one colluder; at least min_parties (3) inputs covered.
  EXPECT_EQ(collusion_threshold(def_of(5, 2)), 1u);
  EXPECT_EQ(noise_parts(def_of(5, 2), policy), 2u);
  policy.min_parties = 5;
  EXPECT_EQ(noise_parts(def_of(5, 2), policy), 4u);
  // Shamir 3-of-5: two colluders among five inputs.
  EXPECT_EQ(noise_parts(def_of(5, 3), policy), 3u);
  // Delegated: five owners, three compute parties (2-of-3).
  policy.min_parties = 3;
  EXPECT_EQ(noise_parts(def_of(8, 2, {5, 6, 7}, {0, 1, 2, 3, 4}), policy), 2u);
  // Hybrid: two compute parties (additive), four departments.
  EXPECT_EQ(noise_parts(def_of(6, 0, {0, 1}, {2, 3, 4, 5}), policy), 2u);
}

// Runs `jobs` noisy three-party jobs over (sum, count) and returns the
// errors of the released sum; every party must release the same values.
std::vector<double> noisy_errors(std::uint32_t t, double x, int jobs) {
  std::vector<double> errors;
  for (int seed = 1; seed <= jobs; ++seed) {
    std::vector<JobParams> all = make_parties(3, t, {}, {}, {}, 3);
    for (JobParams& p : all) p.noise_exponent = {x, 0};
    Network net(all, static_cast<std::uint64_t>(seed), {{100, 1}, {200, 1}, {300, 1}});
    net.start_all();
    net.run();
    const std::vector<i128> first = Network::decode_result(*net.parties[0].job);
    for (const Network::Party& p : net.parties) {
      EXPECT_FALSE(p.error);
      EXPECT_EQ(Network::decode_result(*p.job), first);
    }
    EXPECT_EQ(first[1], 3);  // exponent 0: the count is exact
    errors.push_back(static_cast<double>(first[0] - 600));
  }
  return errors;
}

double variance(const std::vector<double>& v) {
  double s = 0, q = 0;
  for (double x : v) {
    s += x;
    q += x * x;
  }
  return q / v.size() - (s / v.size()) * (s / v.size());
}

// Additive 3 parties: each adds a whole discrete Laplace, variance 3 times.
TEST(NoisyJob, AdditiveNoiseHasThreeTimesTheVariance) {
  const double x = crypto::laplace_exponent(1, 10);
  const std::vector<double> e = noisy_errors(0, x, 3000);
  EXPECT_NEAR(variance(e) / (3 * crypto::laplace_variance(x)), 1, 0.12);
}

// Shamir 2-of-3 (one colluder, three inputs): halves, 3/2 times the variance.
TEST(NoisyJob, ShamirNoiseIsSplitAmongHonestParties) {
  const double x = crypto::laplace_exponent(1, 10);
  const std::vector<double> e = noisy_errors(2, x, 3000);
  EXPECT_NEAR(variance(e) / (1.5 * crypto::laplace_variance(x)), 1, 0.12);
}

// An input at the no-wrap bound plus a positive noise share would carry the
// joint sum around the field (a huge negative release): the party refuses
// to go on instead, before anything is sent.
TEST(NoisyJob, NoiseNeverCarriesTheSumAroundTheField) {
  const i128 bound = crypto::Fp::kSignedMax / 3;
  int refused = 0;
  for (int seed = 1; seed <= 40; ++seed) {
    std::vector<JobParams> all = make_parties(3, 0);
    for (JobParams& p : all) p.noise_exponent = {0.001};
    try {
      Network net(all, static_cast<std::uint64_t>(seed), {{bound}, {bound}, {bound}});
      net.start_all();
      net.run();
      EXPECT_GT(Network::decode_result(*net.parties[0].job)[0], 0)
          << "the sum wrapped, seed " << seed;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kRange) << e.what();
      EXPECT_STREQ(e.what(), "this party's input plus its noise share does not fit the field");
      ++refused;
    }
  }
  EXPECT_GT(refused, 20);  // each party's share is positive about half the time
}

TEST(NoisyJob, NoiseShareKeepsTheNoWrapBound) {
  const FederationDef def = def_of(4, 0);
  const i128 bound = crypto::Fp::kSignedMax / 4;
  EXPECT_EQ(add_noise_share(crypto::Fp::from_signed(bound - 5), 5, def).to_signed(), bound);
  EXPECT_EQ(add_noise_share(crypto::Fp::from_signed(-bound), 7, def).to_signed(), -bound + 7);
  EXPECT_THROW(add_noise_share(crypto::Fp::from_signed(bound), 1, def), ProtocolError);
  EXPECT_THROW(add_noise_share(crypto::Fp::from_signed(-bound), -1, def), ProtocolError);
  EXPECT_THROW(add_noise_share(crypto::Fp::from_signed(0), crypto::Fp::kSignedMax, def),
               ProtocolError);
}

TEST(NoisyJob, NoiseNeedsOneParameterPerValue) {
  JobParams p = params(federation(3), 0);
  p.noise_exponent = {0.5};
  DeterministicRandom r(1);
  EXPECT_THROW(AggregationJob(p, embed({1, 2}, 3), r), ProtocolError);
}

}  // namespace
}  // namespace smpc::protocol
