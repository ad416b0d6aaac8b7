// Seed expansion (AES-256-CTR keystream into field elements) and additive
// sharing with seeded shares: a known answer, determinism, and shares that
// add up.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "crypto/prg.hpp"
#include "crypto/sharing.hpp"
#include "test_field_print.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

std::vector<Fp> expand(const Seed& seed, std::size_t n) {
  std::vector<Fp> out(n);
  expand_seed(seed, out.data(), n);
  return out;
}

TEST(Prg, KnownAnswer) {
  // AES-256 of the zero block under the zero key is
  // dc95c078a2408989ad48a21492842087; read little-endian with the top bit
  // cleared, that is the first element of the zero seed.
  const std::uint8_t block[16] = {0xdc, 0x95, 0xc0, 0x78, 0xa2, 0x40, 0x89, 0x89,
                                  0xad, 0x48, 0xa2, 0x14, 0x92, 0x84, 0x20, 0x07};
  u128 want = 0;
  for (int i = 15; i >= 0; --i) want = (want << 8) | block[i];
  EXPECT_EQ(expand(Seed{}, 1)[0].value(), want);
}

TEST(Prg, DeterministicPrefixAndSeedDependent) {
  Seed a{}, b{};
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = b[i] = static_cast<std::uint8_t>(i);
  b[31] ^= 1;
  const std::vector<Fp> long_a = expand(a, 9000);  // more than one block of draws
  EXPECT_EQ(expand(a, 9000), long_a);
  const std::vector<Fp> short_a = expand(a, 10);
  EXPECT_TRUE(std::equal(short_a.begin(), short_a.end(), long_a.begin()));
  const std::vector<Fp> long_b = expand(b, 9000);
  std::size_t same = 0;
  for (std::size_t k = 0; k < long_a.size(); ++k) same += long_a[k] == long_b[k] ? 1 : 0;
  EXPECT_EQ(same, 0u);
  for (const Fp& v : long_a) ASSERT_LT(v.value(), Fp::kModulus);
}

TEST(Prg, StreamDoesNotDependOnChunking) {
  Seed s{};
  s[0] = 7;
  SeedStream one(s), two(s);
  std::vector<std::uint8_t> x(1000), y(1000);
  one.fill(x.data(), x.size());
  two.fill(y.data(), 3);
  two.fill(y.data() + 3, 500);
  two.fill(y.data() + 503, 497);
  EXPECT_EQ(x, y);
}

TEST(Prg, SeededSplitAddsUp) {
  test::DeterministicRandom rng(3);
  std::vector<Fp> secrets = {Fp::from_signed(-7), Fp(), Fp::from_canonical(Fp::kModulus - 1),
                             Fp::from_signed(123456789)};
  for (std::size_t n = 2; n <= 6; ++n) {
    for (std::size_t full = 0; full < n; ++full) {
      const SeededSplit split = additive_split_seeded(secrets, n, full, rng);
      ASSERT_EQ(split.seeds.size(), n);
      std::vector<Fp> sum = split.full;
      for (std::size_t i = 0; i < n; ++i) {
        if (i == full) continue;
        const std::vector<Fp> share = expand(split.seeds[i], secrets.size());
        for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += share[k];
        for (std::size_t j = 0; j < i; ++j) {
          if (j != full) {
            EXPECT_NE(split.seeds[i], split.seeds[j]);
          }
        }
      }
      EXPECT_EQ(sum, secrets) << n << " parties, full share at " << full;
    }
  }
  EXPECT_THROW(additive_split_seeded(secrets, 1, 0, rng), SharingError);
  EXPECT_THROW(additive_split_seeded(secrets, 3, 3, rng), SharingError);
}

}  // namespace
}  // namespace smpc::crypto
