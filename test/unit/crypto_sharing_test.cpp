// Additive and Shamir sharing: round trips for many (n, t), reconstruction
// from every subset, too few shares, and parameter errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "crypto/sharing.hpp"
#include "test_field_print.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

constexpr u128 kP = Fp::kModulus;

Fp F(u128 v) { return Fp::from_canonical(v); }

std::vector<Fp> sample_secrets(test::DeterministicRandom& rng) {
  return {F(0), F(1), F(kP - 1), Fp::from_signed(-42), random_element(rng)};
}

// The shares selected by the bits of mask.
std::vector<ShamirShare> subset(const std::vector<ShamirShare>& all, unsigned mask) {
  std::vector<ShamirShare> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (mask & (1u << i)) out.push_back(all[i]);
  }
  return out;
}

TEST(Additive, RoundTrip) {
  test::DeterministicRandom rng(1);
  for (std::size_t n = 2; n <= 20; ++n) {
    for (Fp secret : sample_secrets(rng)) {
      const std::vector<Fp> shares = additive_split(secret, n, rng);
      ASSERT_EQ(shares.size(), n);
      ASSERT_EQ(additive_combine(shares), secret);
    }
  }
}

TEST(Additive, FirstSharesDoNotDependOnSecret) {
  // Same randomness, different secrets: only the last share differs.
  test::DeterministicRandom r1(77), r2(77);
  const std::vector<Fp> a = additive_split(F(0), 5, r1);
  const std::vector<Fp> b = additive_split(F(123), 5, r2);
  for (std::size_t i = 0; i + 1 < 5; ++i) EXPECT_EQ(a[i], b[i]);
  EXPECT_NE(a[4], b[4]);
  EXPECT_EQ(a[4] - b[4], -F(123));
}

TEST(Additive, MissingShareGivesWrongValue) {
  test::DeterministicRandom rng(2);
  const Fp secret = F(1000);
  std::vector<Fp> shares = additive_split(secret, 4, rng);
  shares.pop_back();
  EXPECT_NE(additive_combine(shares), secret);
}

// A vector's shares (all but the last from seeds): they add up, and only
// the last depends on the secrets.
TEST(Additive, VectorRoundTripAndFirstSharesIndependent) {
  test::DeterministicRandom r1(9), r2(9);
  std::vector<Fp> secrets = sample_secrets(r1);
  std::vector<Fp> zeros(secrets.size());
  (void)sample_secrets(r2);
  const auto shares = [&secrets](const SeededSplit& split) {
    std::vector<std::vector<Fp>> out;
    for (std::size_t i = 0; i + 1 < split.seeds.size(); ++i) {
      out.emplace_back(secrets.size());
      expand_seed(split.seeds[i], out.back().data(), secrets.size());
    }
    out.push_back(split.full);
    return out;
  };
  const auto a = shares(additive_split_seeded(secrets, 4, 3, r1));
  const auto b = shares(additive_split_seeded(zeros, 4, 3, r2));
  ASSERT_EQ(a.size(), 4u);
  for (std::size_t k = 0; k < secrets.size(); ++k) {
    Fp sum;
    for (const auto& share : a) sum += share[k];
    EXPECT_EQ(sum, secrets[k]) << k;
    for (std::size_t i = 0; i + 1 < 4; ++i) EXPECT_EQ(a[i][k], b[i][k]);
  }
  EXPECT_THROW(additive_split_seeded(secrets, 1, 0, r1), SharingError);
}

TEST(Additive, Errors) {
  test::DeterministicRandom rng(3);
  EXPECT_THROW(additive_split(F(1), 0, rng), SharingError);
  EXPECT_THROW(additive_split(F(1), 1, rng), SharingError);
  EXPECT_THROW(additive_combine({}), SharingError);
}

TEST(Shamir, SharesAreOnPolynomialWithIndices) {
  test::DeterministicRandom rng(4);
  const std::vector<ShamirShare> shares = shamir_split(F(9), 5, 3, rng);
  ASSERT_EQ(shares.size(), 5u);
  for (std::size_t i = 0; i < shares.size(); ++i) EXPECT_EQ(shares[i].x, i + 1);
}

TEST(Shamir, ThresholdOneSharesAreTheSecret) {
  test::DeterministicRandom rng(5);
  for (const ShamirShare& s : shamir_split(F(31337), 4, 1, rng)) EXPECT_EQ(s.y, F(31337));
}

TEST(Shamir, EverySubsetOfSizeAtLeastTReconstructs) {
  test::DeterministicRandom rng(6);
  for (std::size_t n = 2; n <= 7; ++n) {
    for (std::size_t t = 1; t <= n; ++t) {
      for (Fp secret : sample_secrets(rng)) {
        const std::vector<ShamirShare> shares = shamir_split(secret, n, t, rng);
        for (unsigned mask = 1; mask < (1u << n); ++mask) {
          const std::vector<ShamirShare> sub = subset(shares, mask);
          if (sub.size() < t) continue;
          ASSERT_EQ(shamir_reconstruct(sub), secret) << "n=" << n << " t=" << t << " mask=" << mask;
        }
      }
    }
  }
}

TEST(Shamir, FewerThanTSharesGiveAnotherValue) {
  test::DeterministicRandom rng(7);
  for (std::size_t n = 2; n <= 7; ++n) {
    for (std::size_t t = 2; t <= n; ++t) {
      const Fp secret = random_element(rng);
      const std::vector<ShamirShare> shares = shamir_split(secret, n, t, rng);
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        const std::vector<ShamirShare> sub = subset(shares, mask);
        if (sub.size() != t - 1) continue;
        EXPECT_NE(shamir_reconstruct(sub), secret) << "n=" << n << " t=" << t << " mask=" << mask;
      }
    }
  }
}

TEST(Shamir, ShareOrderDoesNotMatter) {
  test::DeterministicRandom rng(8);
  const Fp secret = random_element(rng);
  std::vector<ShamirShare> shares = shamir_split(secret, 6, 4, rng);
  std::vector<ShamirShare> reversed(shares.rbegin(), shares.rend());
  EXPECT_EQ(shamir_reconstruct(reversed), secret);
}

TEST(Shamir, LargeFederation) {
  test::DeterministicRandom rng(9);
  const Fp secret = random_element(rng);
  const std::vector<ShamirShare> shares = shamir_split(secret, 1024, 513, rng);
  std::vector<ShamirShare> odd;
  for (const ShamirShare& s : shares) {
    if (s.x % 2 == 1) odd.push_back(s);  // 512 shares
  }
  EXPECT_NE(shamir_reconstruct(odd), secret);
  odd.push_back(shares[1]);  // 513 shares
  EXPECT_EQ(shamir_reconstruct(odd), secret);
  EXPECT_EQ(shamir_reconstruct(shares), secret);
}

TEST(Shamir, SharesAreLinear) {
  // Adding shares point-wise shares the sum (what the protocol relies on).
  test::DeterministicRandom rng(10);
  const Fp a = Fp::from_signed(-500), b = Fp::from_signed(1234);
  const std::vector<ShamirShare> sa = shamir_split(a, 5, 3, rng);
  const std::vector<ShamirShare> sb = shamir_split(b, 5, 3, rng);
  std::vector<ShamirShare> sum;
  for (std::size_t i = 0; i < 5; ++i) sum.push_back({sa[i].x, sa[i].y + sb[i].y});
  EXPECT_EQ(shamir_reconstruct(subset(sum, 0b10101)).to_signed(), 734);
}

TEST(Shamir, VectorSharesReconstructPerElement) {
  test::DeterministicRandom rng(11);
  const std::vector<Fp> secrets = sample_secrets(rng);
  for (std::size_t t = 1; t <= 5; ++t) {
    const auto shares = shamir_split(secrets, 5, t, rng);
    ASSERT_EQ(shares.size(), 5u);
    for (std::size_t k = 0; k < secrets.size(); ++k) {
      std::vector<ShamirShare> points;
      for (std::uint32_t i = 0; i < 5; ++i) points.push_back(ShamirShare{i + 1, shares[i][k]});
      // Every t of them give the secret; t - 1 of them (t > 1) do not.
      for (unsigned mask = 1; mask < 32; ++mask) {
        const std::size_t size = static_cast<std::size_t>(__builtin_popcount(mask));
        if (size == t) {
          EXPECT_EQ(shamir_reconstruct(subset(points, mask)), secrets[k]);
        }
      }
      if (t > 1 && secrets[k] != F(0)) {
        EXPECT_NE(shamir_reconstruct(subset(points, (1u << (t - 1)) - 1)), secrets[k]);
      }
    }
  }
  EXPECT_THROW(shamir_split(secrets, 3, 4, rng), SharingError);
}

TEST(Shamir, SplitErrors) {
  test::DeterministicRandom rng(11);
  EXPECT_THROW(shamir_split(F(1), 1, 1, rng), SharingError);
  EXPECT_THROW(shamir_split(F(1), 0, 0, rng), SharingError);
  EXPECT_THROW(shamir_split(F(1), 3, 0, rng), SharingError);
  EXPECT_THROW(shamir_split(F(1), 3, 4, rng), SharingError);
}

TEST(Shamir, ReconstructErrors) {
  EXPECT_THROW(shamir_reconstruct({}), SharingError);
  EXPECT_THROW(shamir_reconstruct({{0, F(1)}, {1, F(2)}}), SharingError);
  try {
    shamir_reconstruct({{1, F(1)}, {2, F(2)}, {2, F(2)}});
    FAIL() << "expected SharingError";
  } catch (const SharingError& e) {
    EXPECT_STREQ(e.what(), "duplicate share index 2");
  }
}

}  // namespace
}  // namespace smpc::crypto
