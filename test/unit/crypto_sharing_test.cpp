// Additive and Shamir sharing: round trips for many (n, t), reconstruction
// from every subset, too few shares, and parameter errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
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

TEST(Shamir, InterpolateGivesThePolynomial) {
  test::DeterministicRandom rng(12);
  const Fp secret = random_element(rng);
  const std::vector<ShamirShare> shares = shamir_split(secret, 6, 4, rng);
  const std::vector<ShamirShare> base(shares.begin(), shares.begin() + 4);
  EXPECT_EQ(shamir_interpolate(base, Fp()), secret);
  for (const ShamirShare& s : shares) EXPECT_EQ(shamir_interpolate(base, F(s.x)), s.y);
  EXPECT_THROW(shamir_interpolate({}, F(1)), SharingError);
}

// The position whose removal leaves the others consistent, if exactly one
// does: what shamir_culprit must answer, by trying every position.
std::optional<std::size_t> culprit_by_removal(const std::vector<ShamirShare>& points,
                                              std::size_t t) {
  std::optional<std::size_t> found;
  for (std::size_t drop = 0; drop < points.size(); ++drop) {
    std::vector<ShamirShare> rest;
    for (std::size_t q = 0; q < points.size(); ++q) {
      if (q != drop) rest.push_back(points[q]);
    }
    if (!shamir_consistent(rest, t)) continue;
    if (found) return std::nullopt;
    found = drop;
  }
  return found;
}

TEST(Shamir, ConsistentSharesPassEveryCheck) {
  test::DeterministicRandom rng(13);
  for (std::size_t n = 2; n <= 7; ++n) {
    for (std::size_t t = 1; t <= n; ++t) {
      const std::vector<ShamirShare> shares = shamir_split(random_element(rng), n, t, rng);
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        const std::vector<ShamirShare> sub = subset(shares, mask);
        ASSERT_TRUE(shamir_consistent(sub, t)) << "n=" << n << " t=" << t << " mask=" << mask;
        ASSERT_FALSE(shamir_culprit(sub, t).has_value());
      }
    }
  }
}

// One changed share among more than t is noticed; among t + 2 or more it is
// named, wherever it is (among the first t too).
TEST(Shamir, OneWrongShareIsNoticedAndNamed) {
  test::DeterministicRandom rng(14);
  for (std::size_t n = 2; n <= 9; ++n) {
    for (std::size_t t = 1; t < n; ++t) {
      const std::vector<ShamirShare> shares = shamir_split(random_element(rng), n, t, rng);
      for (std::size_t bad = 0; bad < n; ++bad) {
        std::vector<ShamirShare> points = shares;
        points[bad].y += random_element(rng) + F(1);
        if (points[bad].y == shares[bad].y) points[bad].y += F(1);
        ASSERT_FALSE(shamir_consistent(points, t)) << "n=" << n << " t=" << t << " bad=" << bad;
        const std::optional<std::size_t> odd = shamir_culprit(points, t);
        if (n >= t + 2) {
          ASSERT_TRUE(odd.has_value()) << "n=" << n << " t=" << t << " bad=" << bad;
          EXPECT_EQ(*odd, bad);
        } else {
          EXPECT_FALSE(odd.has_value()) << "with t + 1 shares any one of them could be wrong";
        }
      }
    }
  }
}

// Two wrong shares: random ones are never blamed on one share; shares
// forged to agree with each other answer exactly what removing each share in
// turn answers (a share is named only when it alone breaks consistency).
TEST(Shamir, CulpritAnswersAsRemovingEachShareInTurn) {
  test::DeterministicRandom rng(15);
  for (std::size_t n = 4; n <= 8; ++n) {
    for (std::size_t t = 1; t + 2 <= n; ++t) {
      const std::vector<ShamirShare> shares = shamir_split(random_element(rng), n, t, rng);
      for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t b = a + 1; b < n; ++b) {
          std::vector<ShamirShare> points = shares;
          points[a].y += F(1) + random_element(rng);
          points[b].y += F(1) + random_element(rng);
          EXPECT_EQ(shamir_culprit(points, t), culprit_by_removal(points, t))
              << "random n=" << n << " t=" << t << " a=" << a << " b=" << b;
          // b forged onto the polynomial through the first t points (a among them or not).
          std::vector<ShamirShare> base(points.begin(), points.begin() + static_cast<long>(t));
          if (b >= t) {
            points[b].y = shamir_interpolate(base, F(points[b].x));
            EXPECT_EQ(shamir_culprit(points, t), culprit_by_removal(points, t))
                << "forged n=" << n << " t=" << t << " a=" << a << " b=" << b;
          }
        }
      }
    }
  }
}

TEST(Shamir, CulpritInALargeFederationIsCheap) {
  test::DeterministicRandom rng(16);
  std::vector<ShamirShare> shares = shamir_split(random_element(rng), 1024, 600, rng);
  shares[17].y += F(1);  // among the first t: the hard case
  ASSERT_FALSE(shamir_consistent(shares, 600));
  EXPECT_EQ(shamir_culprit(shares, 600), std::optional<std::size_t>(17));
}

TEST(Shamir, CheckErrors) {
  EXPECT_THROW(shamir_consistent({{1, F(1)}}, 0), SharingError);
  EXPECT_THROW(shamir_culprit({{1, F(1)}}, 0), SharingError);
  EXPECT_THROW(shamir_consistent({{1, F(1)}, {1, F(2)}}, 1), SharingError);
  EXPECT_THROW(shamir_culprit({{0, F(1)}, {1, F(2)}, {2, F(2)}}, 1), SharingError);
}

}  // namespace
}  // namespace smpc::crypto
