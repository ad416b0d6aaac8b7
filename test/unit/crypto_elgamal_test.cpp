// Exponential ElGamal over ristretto255: what sums over a private overlap
// rely on. A sum of encryptions decrypts to the sum of the values, also
// after every ciphertext was re-randomised; re-randomising changes every
// element; a search outside the bounds, another key or a tampered
// ciphertext gives no value; and limbs keep values apart (one key for all
// limbs would let a search read limb differences).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>

#include "crypto/elgamal.hpp"

namespace smpc::crypto::elgamal {
namespace {

constexpr std::uint64_t kLimbMax = (std::uint64_t{1} << kLimbBits) - 1;

std::uint64_t bounds(std::uint64_t each) { return each; }

TEST(CryptoElgamal, OneValueDecrypts) {
  const SecretKey key = SecretKey::random();
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{65535},
                          std::uint64_t{65536}, std::uint64_t{123456789012}, kMaxValue}) {
    const Ciphertext c = encrypt(key.public_key(), v);
    EXPECT_TRUE(is_valid(c));
    const auto got = key.decrypt_sum(c, bounds(kLimbMax));
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(static_cast<std::uint64_t>(*got), v);
  }
  EXPECT_THROW(encrypt(key.public_key(), kMaxValue + 1), std::invalid_argument);
}

TEST(CryptoElgamal, SumOfRerandomisedCiphertextsDecryptsToTheSum) {
  const SecretKey key = SecretKey::random();
  std::mt19937_64 rng(20261203);
  Ciphertext acc = zero();
  unsigned __int128 want = 0;
  for (int i = 0; i < 300; ++i) {
    const std::uint64_t v = rng() & kMaxValue;
    Ciphertext c = encrypt(key.public_key(), v);
    // Two hops re-randomise it.
    const Ciphertext once = rerandomize(key.public_key(), c);
    const Ciphertext twice = rerandomize(key.public_key(), once);
    EXPECT_NE(once.c1, c.c1);
    for (std::size_t l = 0; l < kLimbs; ++l) EXPECT_NE(twice.c2[l], once.c2[l]);
    add_into(acc, twice);
    want += v;
  }
  const auto got = key.decrypt_sum(acc, 300 * kLimbMax);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == want);
}

TEST(CryptoElgamal, TheEmptySumIsZero) {
  const SecretKey key = SecretKey::random();
  const auto got = key.decrypt_sum(zero(), bounds(0));
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == 0);
}

// The search is as long whatever the ciphertext (its time tells nothing
// but the bound), and can be stopped.
TEST(CryptoElgamal, TheSearchTakesEveryStepAndCanBeStopped) {
  const SecretKey key = SecretKey::random();
  long polls_small = 0;
  long polls_big = 0;
  (void)key.decrypt_sum(encrypt(key.public_key(), 0), 50 * kLimbMax, [&] { ++polls_small; });
  (void)key.decrypt_sum(encrypt(key.public_key(), kMaxValue), 50 * kLimbMax, [&] { ++polls_big; });
  EXPECT_EQ(polls_small, polls_big);
  long polls_bad = 0;
  Ciphertext bad = encrypt(key.public_key(), 1);
  bad.c2[0][31] |= 0x80;
  EXPECT_FALSE(key.decrypt_sum(bad, 50 * kLimbMax, [&] { ++polls_bad; }).has_value());
  EXPECT_EQ(polls_bad, polls_small);
  int calls = 0;
  EXPECT_THROW(key.decrypt_sum(zero(), 5000 * kLimbMax,
                               [&] {
                                 if (++calls == 3) throw std::runtime_error("cancelled");
                               }),
               std::runtime_error);
}

// Grouped sums open one sealed sum per group in one search: each with its
// own bound, a sum that does not open cutting nothing short, and fewer
// steps than one search per sum (one table of baby steps for all).
TEST(CryptoElgamal, SeveralSumsShareOneSearch) {
  const SecretKey key = SecretKey::random();
  const SecretKey other = SecretKey::random();
  std::vector<Ciphertext> cs;
  std::vector<std::uint64_t> bounds_of;
  for (std::uint64_t k = 0; k < 8; ++k) {
    Ciphertext c = encrypt(key.public_key(), 1000 * k + (k << 40));
    add_into(c, encrypt(key.public_key(), 7));
    cs.push_back(c);
    bounds_of.push_back(30 * kLimbMax);
  }
  long together = 0;
  const auto out = key.decrypt_sums(cs, bounds_of, [&] { ++together; });
  for (std::uint64_t k = 0; k < 8; ++k) {
    ASSERT_TRUE(out[k].has_value()) << k;
    EXPECT_EQ(*out[k], 1000 * k + (k << 40) + 7) << k;
  }
  long apart = 0;
  for (std::size_t k = 0; k < cs.size(); ++k)
    (void)key.decrypt_sum(cs[k], bounds_of[k], [&] { ++apart; });
  EXPECT_LT(together, apart);
  std::vector<Ciphertext> one_bad = cs;
  one_bad[0] = encrypt(other.public_key(), 5);
  long with_bad = 0;
  const auto partly = key.decrypt_sums(one_bad, bounds_of, [&] { ++with_bad; });
  EXPECT_FALSE(partly[0].has_value());
  EXPECT_TRUE(partly[7].has_value());
  EXPECT_EQ(with_bad, together);
  // A bound of 0 (a group without keys) opens the empty sum only.
  const auto empty = key.decrypt_sums({zero(), encrypt(key.public_key(), 1)}, {0, 0});
  EXPECT_EQ(empty[0], std::optional<unsigned __int128>(0));
  EXPECT_FALSE(empty[1].has_value());
  EXPECT_THROW(key.decrypt_sums(cs, {1}), std::invalid_argument);
}

TEST(CryptoElgamal, OutsideTheBoundsOrUnderAnotherKeyGivesNothing) {
  const SecretKey key = SecretKey::random();
  const SecretKey other = SecretKey::random();
  const Ciphertext c = encrypt(key.public_key(), 5000);
  EXPECT_FALSE(key.decrypt_sum(c, bounds(4999)).has_value());
  EXPECT_TRUE(key.decrypt_sum(c, bounds(5000)).has_value());
  EXPECT_FALSE(other.decrypt_sum(c, bounds(kLimbMax)).has_value());
}

TEST(CryptoElgamal, TamperedCiphertextsAreRefusedOrGiveNothing) {
  const SecretKey key = SecretKey::random();
  Ciphertext c = encrypt(key.public_key(), 77);
  Ciphertext bad = c;
  bad.c2[1][31] ^= 0x80;  // not a canonical encoding
  EXPECT_FALSE(is_valid(bad));
  EXPECT_FALSE(key.decrypt_sum(bad, bounds(kLimbMax)).has_value());
  // A valid element in the wrong place: no value within the bounds.
  bad = c;
  bad.c1 = encrypt(key.public_key(), 1).c1;
  EXPECT_TRUE(is_valid(bad));
  EXPECT_FALSE(key.decrypt_sum(bad, bounds(kLimbMax)).has_value());
}

TEST(CryptoElgamal, PublicKeysAreCheckedAndLimbsHaveKeysOfTheirOwn) {
  const SecretKey key = SecretKey::random();
  const PublicKey pub = key.public_key();
  EXPECT_TRUE(is_valid(pub));
  for (std::size_t i = 0; i < kLimbs; ++i) {
    for (std::size_t j = i + 1; j < kLimbs; ++j) EXPECT_NE(pub.x[i], pub.x[j]);
  }
  PublicKey bad = pub;
  bad.x[0].fill(0);  // the identity would encrypt in the clear
  EXPECT_FALSE(is_valid(bad));
  EXPECT_EQ(limbs(0x0003000200010000ULL >> 16), (std::array<std::uint64_t, kLimbs>{1, 2, 3}));
}

}  // namespace
}  // namespace smpc::crypto::elgamal
