// Randomness: the OpenSSL source, and rejection sampling of field elements.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "crypto/random.hpp"
#include "test_field_print.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

constexpr u128 kP = Fp::kModulus;

TEST(Random, OpenSslFillsBuffers) {
  OpenSslRandom rng;
  std::vector<std::uint8_t> a(64, 0), b(64, 0);
  rng.fill(a.data(), a.size());
  rng.fill(b.data(), b.size());
  EXPECT_NE(a, b);
  rng.fill(nullptr, 0);  // empty request is a no-op
}

TEST(Random, DeterministicSourceIsReproducible) {
  test::DeterministicRandom r1(99), r2(99), r3(100);
  std::uint8_t a[37], b[37], c[37];
  r1.fill(a, sizeof a);
  r2.fill(b, 5);
  r2.fill(b + 5, sizeof b - 5);  // chunking does not change the stream
  r3.fill(c, sizeof c);
  EXPECT_EQ(std::vector<std::uint8_t>(a, a + 37), std::vector<std::uint8_t>(b, b + 37));
  EXPECT_NE(std::vector<std::uint8_t>(a, a + 37), std::vector<std::uint8_t>(c, c + 37));
}

TEST(Random, AllOnesDrawIsRejected) {
  // First draw: 16 x 0xFF, which is p after clearing the top bit.
  std::vector<std::uint8_t> script(16, 0xff);
  // Second draw: 0xFF x 15 then 0x7F, exactly p again.
  script.insert(script.end(), 15, 0xff);
  script.push_back(0x7f);
  // Third draw: 0x05 then zeros, then a top byte with the high bit set.
  script.push_back(0x05);
  script.insert(script.end(), 14, 0x00);
  script.push_back(0x80);
  test::ScriptedRandom rng(script);
  const Fp e = random_element(rng);
  EXPECT_TRUE(rng.script_consumed());
  EXPECT_EQ(e.value(), 5u);  // top bit cleared
}

TEST(Random, LargestElementIsAccepted) {
  std::vector<std::uint8_t> script(16, 0xff);
  script[0] = 0xfe;  // p - 1 (with the top bit set, which is cleared)
  test::ScriptedRandom rng(script);
  EXPECT_EQ(random_element(rng).value(), kP - 1);
  EXPECT_TRUE(rng.script_consumed());
}

TEST(Random, BlockDrawRejectsOnlyTheModulus) {
  // Three elements in one block: p (redrawn after the block, from the
  // next 16 bytes), p - 1 and 7.
  std::vector<std::uint8_t> script(16, 0xff);
  script.insert(script.end(), 16, 0xff);
  script[16] = 0xfe;
  script.push_back(0x07);
  script.insert(script.end(), 15, 0x00);
  script.push_back(0x09);  // the redraw: 9
  script.insert(script.end(), 15, 0x00);
  test::ScriptedRandom rng(script);
  Fp out[3];
  random_elements(rng, out, 3);
  EXPECT_TRUE(rng.script_consumed());
  EXPECT_EQ(out[0].value(), 9u);
  EXPECT_EQ(out[1].value(), kP - 1);
  EXPECT_EQ(out[2].value(), 7u);
}

TEST(Random, BlockDrawsAreUniformAcrossBlocks) {
  // More than one block of 4096: every element below p, and the stream is
  // the same as element-by-element draws would read.
  test::DeterministicRandom a(5), b(5);
  std::vector<Fp> block(10000);
  random_elements(a, block.data(), block.size());
  for (const Fp& v : block) {
    Fp one = random_element(b);
    ASSERT_EQ(v, one);
    ASSERT_LT(v.value(), kP);
  }
}

TEST(Random, ElementsAreBelowModulus) {
  test::DeterministicRandom det(1);
  OpenSslRandom ossl;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_LT(random_element(det).value(), kP);
    ASSERT_LT(random_element(ossl).value(), kP);
  }
}

// Each of the 127 bits is set in about half of the draws (6 sigma bands).
void check_bit_balance(RandomSource& rng) {
  constexpr int kDraws = 4000;
  int counts[127] = {};
  for (int i = 0; i < kDraws; ++i) {
    const u128 v = random_element(rng).value();
    for (int bit = 0; bit < 127; ++bit) counts[bit] += static_cast<int>((v >> bit) & 1);
  }
  const double sigma = std::sqrt(kDraws * 0.25);
  for (int bit = 0; bit < 127; ++bit) {
    EXPECT_NEAR(counts[bit], kDraws / 2.0, 6 * sigma) << "bit " << bit;
  }
}

TEST(Random, BitsAreBalancedDeterministic) {
  test::DeterministicRandom rng(2024);
  check_bit_balance(rng);
}

TEST(Random, BitsAreBalancedOpenSsl) {
  OpenSslRandom rng;
  check_bit_balance(rng);
}

}  // namespace
}  // namespace smpc::crypto
