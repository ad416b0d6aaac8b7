// GF(2^127 - 1): arithmetic against a slow reference, edge cases at 0 and
// p - 1, byte and signed encodings, and the per-party summand bound.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "crypto/field.hpp"
#include "test_field_print.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

// Runs `f`, which must throw RangeError with exactly `text`.
template <class F>
void expect_range_error(F f, const char* text) {
  try {
    f();
    FAIL() << "expected RangeError";
  } catch (const RangeError& e) {
    EXPECT_STREQ(e.what(), text);
  }
}

constexpr u128 kP = Fp::kModulus;
constexpr u128 kOne = 1;

Fp F(u128 v) { return Fp::from_canonical(v); }

// Reference multiplication by double-and-add (only additions mod p).
u128 slow_mul(u128 a, u128 b) {
  u128 result = 0;
  for (int bit = 126; bit >= 0; --bit) {
    result = (result + result) % kP;  // < 2^128, no overflow
    if ((b >> bit) & 1) result = (result + a) % kP;
  }
  return result;
}

Fp random_fp(test::DeterministicRandom& rng) {
  u128 v = (static_cast<u128>(rng.next_u64()) << 64) | rng.next_u64();
  return F(v % kP);
}

TEST(Field, Constants) {
  EXPECT_EQ(kP, (kOne << 127) - 1);
  EXPECT_EQ(static_cast<u128>(Fp::kSignedMax), (kOne << 126) - 1);
  EXPECT_EQ(Fp::kBytes, 16u);
  EXPECT_EQ(Fp().value(), 0u);
}

TEST(Field, FromCanonicalRejectsModulus) {
  EXPECT_EQ(F(kP - 1).value(), kP - 1);
  EXPECT_THROW(F(kP), RangeError);
  EXPECT_THROW(F(~static_cast<u128>(0)), RangeError);
}

TEST(Field, AdditionWrapsAtModulus) {
  EXPECT_EQ(F(kP - 1) + F(1), F(0));
  EXPECT_EQ(F(kP - 1) + F(kP - 1), F(kP - 2));
  EXPECT_EQ(F(0) + F(0), F(0));
  EXPECT_EQ(F(kOne << 126) + F(kOne << 126), F(1));  // 2^127 = 1
}

TEST(Field, SubtractionAndNegation) {
  EXPECT_EQ(F(0) - F(1), F(kP - 1));
  EXPECT_EQ(F(5) - F(7), F(kP - 2));
  EXPECT_EQ(F(kP - 1) - F(kP - 1), F(0));
  EXPECT_EQ(-F(0), F(0));
  EXPECT_EQ(-F(1), F(kP - 1));
  EXPECT_EQ(-F(kP - 1), F(1));
}

TEST(Field, MultiplicationEdgeCases) {
  EXPECT_EQ(F(kP - 1) * F(kP - 1), F(1));  // (-1)(-1)
  EXPECT_EQ(F(kP - 1) * F(2), F(kP - 2));
  EXPECT_EQ(F(kP - 1) * F(0), F(0));
  EXPECT_EQ(F(kOne << 64) * F(kOne << 64), F(2));  // 2^128 = 2
  EXPECT_EQ(F(kOne << 126) * F(2), F(1));
  EXPECT_EQ(F(kOne << 126) * F(kOne << 126), F(kOne << 125));  // 2^252 = 2^(252 mod 127)
  const u128 all64 = (kOne << 64) - 1;
  EXPECT_EQ(F(all64) * F(all64), F(slow_mul(all64, all64)));
}

TEST(Field, MultiplicationMatchesReference) {
  test::DeterministicRandom rng(42);
  for (int i = 0; i < 2000; ++i) {
    const Fp a = random_fp(rng), b = random_fp(rng);
    ASSERT_EQ((a * b).value(), slow_mul(a.value(), b.value()));
  }
  // Values close to p exercise the final reductions.
  for (u128 da = 1; da < 40; ++da) {
    for (u128 db = 1; db < 40; ++db) {
      ASSERT_EQ((F(kP - da) * F(kP - db)).value(), slow_mul(kP - da, kP - db));
      ASSERT_EQ((F(kP - da) * F(db)).value(), slow_mul(kP - da, db));
    }
  }
}

TEST(Field, RingLaws) {
  test::DeterministicRandom rng(7);
  for (int i = 0; i < 500; ++i) {
    const Fp a = random_fp(rng), b = random_fp(rng), c = random_fp(rng);
    ASSERT_EQ(a * (b + c), a * b + a * c);
    ASSERT_EQ((a * b) * c, a * (b * c));
    ASSERT_EQ(a + b, b + a);
    ASSERT_EQ(a - b + b, a);
    ASSERT_EQ(a + -a, F(0));
    Fp d = a;
    d += b;
    d -= c;
    d *= b;
    ASSERT_EQ(d, (a + b - c) * b);
  }
}

TEST(Field, Inverse) {
  EXPECT_EQ(F(1).inverse(), F(1));
  EXPECT_EQ(F(kP - 1).inverse(), F(kP - 1));
  EXPECT_EQ(F(2).inverse(), F(kOne << 126));
  EXPECT_THROW(F(0).inverse(), RangeError);
  test::DeterministicRandom rng(3);
  for (int i = 0; i < 200; ++i) {
    Fp a = random_fp(rng);
    if (a == F(0)) continue;
    ASSERT_EQ(a * a.inverse(), F(1));
  }
}

TEST(Field, BytesAreLittleEndian) {
  std::uint8_t out[16];
  F(0x0102).to_bytes(out);
  EXPECT_EQ(out[0], 0x02);
  EXPECT_EQ(out[1], 0x01);
  for (int i = 2; i < 16; ++i) EXPECT_EQ(out[i], 0);

  F(kP - 1).to_bytes(out);
  EXPECT_EQ(out[0], 0xfe);
  for (int i = 1; i < 15; ++i) EXPECT_EQ(out[i], 0xff);
  EXPECT_EQ(out[15], 0x7f);
  EXPECT_EQ(Fp::from_bytes(out), F(kP - 1));
}

TEST(Field, FromBytesRejectsNonElements) {
  std::uint8_t p_bytes[16];
  for (auto& b : p_bytes) b = 0xff;
  EXPECT_THROW(Fp::from_bytes(p_bytes), RangeError);  // 2^128 - 1
  p_bytes[15] = 0x7f;
  EXPECT_THROW(Fp::from_bytes(p_bytes), RangeError);  // exactly p
  p_bytes[15] = 0x80;
  p_bytes[0] = 0;
  EXPECT_THROW(Fp::from_bytes(p_bytes), RangeError);  // top bit set
}

TEST(Field, BytesRoundTrip) {
  test::DeterministicRandom rng(11);
  for (int i = 0; i < 200; ++i) {
    const Fp a = random_fp(rng);
    std::uint8_t buf[16];
    a.to_bytes(buf);
    ASSERT_EQ(Fp::from_bytes(buf), a);
  }
}

TEST(Field, SignedEmbedding) {
  const i128 max = Fp::kSignedMax;
  EXPECT_EQ(Fp::from_signed(0), F(0));
  EXPECT_EQ(Fp::from_signed(-1), F(kP - 1));
  EXPECT_EQ(Fp::from_signed(max).value(), static_cast<u128>(max));
  EXPECT_EQ(Fp::from_signed(-max).value(), kOne << 126);
  for (i128 v : {i128{0}, i128{1}, i128{-1}, i128{123456789}, i128{-987654321}, max, -max, max - 1,
                 -max + 1}) {
    EXPECT_EQ(Fp::from_signed(v).to_signed(), v);
  }
  EXPECT_EQ(F(kOne << 126).to_signed(), -max);
  EXPECT_EQ(F((kOne << 126) - 1).to_signed(), max);
  EXPECT_EQ(F(kP - 1).to_signed(), -1);
}

TEST(Field, SignedEmbeddingRejectsOutOfRange) {
  const i128 max = Fp::kSignedMax;
  const i128 i128_max = static_cast<i128>((kOne << 127) - 1);
  const i128 i128_min = -i128_max - 1;
  EXPECT_THROW(Fp::from_signed(max + 1), RangeError);
  EXPECT_THROW(Fp::from_signed(-max - 1), RangeError);
  EXPECT_THROW(Fp::from_signed(i128_max), RangeError);
  EXPECT_THROW(Fp::from_signed(i128_min), RangeError);
}

TEST(Field, SignedArithmeticIsHomomorphic) {
  test::DeterministicRandom rng(5);
  for (int i = 0; i < 500; ++i) {
    const i128 a = static_cast<i128>(static_cast<std::int64_t>(rng.next_u64())) * (i128{1} << 40);
    const i128 b = static_cast<std::int64_t>(rng.next_u64());
    ASSERT_EQ((Fp::from_signed(a) + Fp::from_signed(b)).to_signed(), a + b);
    ASSERT_EQ((Fp::from_signed(a) - Fp::from_signed(b)).to_signed(), a - b);
    ASSERT_EQ((Fp::from_signed(b) * Fp::from_signed(-3)).to_signed(), b * -3);
  }
}

TEST(Field, EncodeSummandBound) {
  for (std::size_t parties : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1024}}) {
    const i128 bound = Fp::kSignedMax / static_cast<i128>(parties);
    EXPECT_EQ(encode_summand(bound, parties).to_signed(), bound);
    EXPECT_EQ(encode_summand(-bound, parties).to_signed(), -bound);
    EXPECT_THROW(encode_summand(bound + 1, parties), RangeError);
    EXPECT_THROW(encode_summand(-bound - 1, parties), RangeError);

    // The sum of `parties` extreme summands never wraps.
    Fp hi, lo;
    for (std::size_t i = 0; i < parties; ++i) {
      hi += encode_summand(bound, parties);
      lo += encode_summand(-bound, parties);
    }
    EXPECT_EQ(hi.to_signed(), bound * static_cast<i128>(parties));
    EXPECT_EQ(lo.to_signed(), -bound * static_cast<i128>(parties));
  }
  EXPECT_THROW(encode_summand(0, 0), RangeError);
}

TEST(Field, EncodeSummandMessageNamesBoundNotValue) {
  const i128 bound = Fp::kSignedMax / 3;  // 28356863910078205288614550619314017621
  expect_range_error([&] { encode_summand(bound + 12345, 3); },
                     "value does not fit the field: magnitude must be at most "
                     "28356863910078205288614550619314017621 for a federation of 3 parties");
}

// One encoder serves all of a party's values: the same bound for each,
// values past it refused however many came before, and a message like
// encode_summand's.
TEST(Field, SummandEncoderReusedKeepsItsBound) {
  const SummandEncoder encode(3);
  const i128 bound = Fp::kSignedMax / 3;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(encode(bound).to_signed(), bound);
    EXPECT_EQ(encode(-bound).to_signed(), -bound);
    EXPECT_EQ(encode(round).to_signed(), round);
    EXPECT_THROW(encode(bound + 1), RangeError);
    EXPECT_THROW(encode(-bound - 1), RangeError);
  }
  EXPECT_THROW(SummandEncoder{0}, RangeError);
  expect_range_error([] { SummandEncoder{1}(Fp::kSignedMax + 1); },
                     "value does not fit the field: magnitude must be at most "
                     "85070591730234615865843651857942052863 for a federation of 1 party");
}

// The errors of the inline conversions, raised out of line, keep their text.
TEST(Field, ConversionErrorsNameTheRule) {
  expect_range_error([] { (void)F(kP); },
                     "value is not a field element: it must be below 2^127 - 1");
  std::uint8_t bytes[Fp::kBytes];
  std::memset(bytes, 0xff, sizeof bytes);
  expect_range_error([&] { (void)Fp::from_bytes(bytes); },
                     "byte string is not a field element: value is at least 2^127 - 1");
}

}  // namespace
}  // namespace smpc::crypto
