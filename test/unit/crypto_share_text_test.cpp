// Share text: format, strict parsing (a table of malformed strings), and
// share_value / reconstruct_value round trips and user-facing errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/share_text.hpp"
#include "crypto/sharing.hpp"
#include "test_field_print.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

constexpr u128 kP = Fp::kModulus;
const std::string kOneHex = "01000000000000000000000000000000";

// Expects reconstruct_value to throw SharingError with exactly this message.
void expect_reconstruct_error(const std::vector<std::string>& shares, const std::string& msg) {
  std::uint32_t scale = 0;
  try {
    reconstruct_value(shares, &scale);
    ADD_FAILURE() << "expected SharingError: " << msg;
  } catch (const SharingError& e) {
    EXPECT_EQ(std::string(e.what()), msg);
  }
}

TEST(ShareText, FormatKnownAnswer) {
  TextShare s;
  s.scheme = 'a';
  s.n = 3;
  s.t = 3;
  s.x = 1;
  s.scale = 2;
  s.y = Fp::from_canonical(1);
  EXPECT_EQ(format_share(s), "smpc1:a:3:3:1:2:" + kOneHex);

  s.scheme = 's';
  s.n = 1024;
  s.t = 513;
  s.x = 1000;
  s.scale = 30;
  s.y = Fp::from_canonical(kP - 1);
  EXPECT_EQ(format_share(s), "smpc1:s:1024:513:1000:30:feffffffffffffffffffffffffffff7f");
}

TEST(ShareText, ParseValid) {
  const TextShare s = parse_share("smpc1:s:5:3:4:0:" + kOneHex);
  EXPECT_EQ(s.scheme, 's');
  EXPECT_EQ(s.n, 5u);
  EXPECT_EQ(s.t, 3u);
  EXPECT_EQ(s.x, 4u);
  EXPECT_EQ(s.scale, 0u);
  EXPECT_EQ(s.y, Fp::from_canonical(1));

  const std::vector<std::string> valid = {"smpc1:a:2:2:2:30:feffffffffffffffffffffffffffff7f",
                                          "smpc1:s:1024:2:1024:0:" + kOneHex,
                                          "smpc1:s:2:2:1:10:00000000000000000000000000000000"};
  for (const std::string& text : valid) {
    EXPECT_EQ(format_share(parse_share(text)), text);
  }
}

TEST(ShareText, MalformedStringsAreRejected) {
  const std::string h = kOneHex;
  const std::vector<std::string> cases = {
      "",
      "smpc1",
      "smpc1:",
      "smpc1:a",
      "smpc1:a:3:3:1:2",
      "smpc1:a:3:3:1:2:",
      "smpc1:a:3:3:1:" + h,
      "smpc2:a:3:3:1:2:" + h,
      "SMPC1:a:3:3:1:2:" + h,
      " smpc1:a:3:3:1:2:" + h,
      "smpc1:a:3:3:1:2:" + h + "\n",
      "smpc1:a:3:3:1:2:" + h + ":",
      "smpc1:a:3:3:1:2:" + h + ":0",
      "smpc1::3:3:1:2:" + h,
      "smpc1:b:3:3:1:2:" + h,
      "smpc1:A:3:3:1:2:" + h,
      "smpc1:as:3:3:1:2:" + h,
      "smpc1:a:03:3:1:2:" + h,  // leading zero
      "smpc1:a:3:3:01:2:" + h,
      "smpc1:a:3:3:1:02:" + h,
      "smpc1:a:3:3:1:00:" + h,
      "smpc1:a:+3:3:1:2:" + h,  // sign
      "smpc1:a:-3:3:1:2:" + h,
      "smpc1:a: 3:3:1:2:" + h,  // space
      "smpc1:a:3 :3:1:2:" + h,
      "smpc1:a::3:1:2:" + h,  // empty number
      "smpc1:a:3:3::2:" + h,
      "smpc1:a:0x3:3:1:2:" + h,
      "smpc1:a:1:1:1:2:" + h,  // n < 2
      "smpc1:a:0:0:1:2:" + h,
      "smpc1:a:1025:1025:1:2:" + h,  // n > kMaxTextParties
      "smpc1:s:99999999999:2:1:2:" + h,
      "smpc1:s:4294967298:2:1:2:" + h,  // wraps to 2 in 32 bits
      "smpc1:a:3:2:1:2:" + h,           // additive t != n
      "smpc1:a:3:4:1:2:" + h,
      "smpc1:s:3:0:1:2:" + h,  // shamir t out of range
      "smpc1:s:3:1:1:2:" + h,  // threshold 1: the share would be the value
      "smpc1:s:3:4:1:2:" + h,
      "smpc1:a:3:3:0:2:" + h,  // x out of range
      "smpc1:a:3:3:4:2:" + h,
      "smpc1:s:3:2:4:2:" + h,
      "smpc1:a:3:3:1:31:" + h,  // scale > kMaxTextScale
      "smpc1:a:3:3:1:4294967296:" + h,
      "smpc1:a:3:3:1:2:0100000000000000000000000000000",    // 31 hex digits
      "smpc1:a:3:3:1:2:010000000000000000000000000000000",  // 33 hex digits
      "smpc1:a:3:3:1:2:0A000000000000000000000000000000",   // upper case
      "smpc1:a:3:3:1:2:0g000000000000000000000000000000",
      "smpc1:a:3:3:1:2: 1000000000000000000000000000000",
      "smpc1:a:3:3:1:2:-1000000000000000000000000000000",
      "smpc1:a:3:3:1:2:ffffffffffffffffffffffffffffff7f",  // p
      "smpc1:a:3:3:1:2:ffffffffffffffffffffffffffffffff",  // 2^128 - 1
      "smpc1:a:3:3:1:2:00000000000000000000000000000080",  // top bit
      std::string("smpc1:a:3:3:1:2:0100000000000000000000000000000\0", 48),
      std::string("smpc1\0a:3:3:1:2:", 16) + h,
  };
  for (const std::string& c : cases) {
    EXPECT_THROW(parse_share(c), SharingError) << '"' << c << '"';
  }
}

TEST(ShareText, ErrorMessagesDoNotEchoTheValue) {
  try {
    parse_share("smpc1:a:3:3:1:2:ffffffffffffffffffffffffffffff7f");
    FAIL() << "expected SharingError";
  } catch (const SharingError& e) {
    EXPECT_EQ(std::string(e.what()).find("ffff"), std::string::npos) << e.what();
  }
}

TEST(ShareText, AdditiveRoundTrip) {
  test::DeterministicRandom rng(21);
  const i128 max = Fp::kSignedMax;
  for (std::uint32_t n : {2u, 3u, 5u, 17u}) {
    for (i128 v : {i128{0}, i128{1}, i128{-1}, i128{150}, i128{-12345}, max, -max}) {
      const std::vector<std::string> shares = share_value(v, 2, n, 0, rng);
      ASSERT_EQ(shares.size(), n);
      for (std::uint32_t i = 0; i < n; ++i) {
        const TextShare s = parse_share(shares[i]);
        EXPECT_EQ(s.scheme, 'a');
        EXPECT_EQ(s.n, n);
        EXPECT_EQ(s.t, n);
        EXPECT_EQ(s.x, i + 1);
        EXPECT_EQ(s.scale, 2u);
      }
      std::uint32_t scale = 99;
      EXPECT_EQ(reconstruct_value(shares, &scale), v);
      EXPECT_EQ(scale, 2u);
      std::vector<std::string> reversed(shares.rbegin(), shares.rend());
      EXPECT_EQ(reconstruct_value(reversed, nullptr), v);
    }
  }
}

TEST(ShareText, ShamirRoundTripFromSubsets) {
  test::DeterministicRandom rng(22);
  for (std::uint32_t n = 2; n <= 6; ++n) {
    for (std::uint32_t t = 2; t <= n; ++t) {
      const i128 v = -987654321;
      const std::vector<std::string> shares = share_value(v, 6, n, t, rng);
      ASSERT_EQ(shares.size(), n);
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        std::vector<std::string> sub;
        for (std::uint32_t i = 0; i < n; ++i) {
          if (mask & (1u << i)) sub.push_back(shares[i]);
        }
        if (sub.size() < t) {
          EXPECT_THROW(reconstruct_value(sub, nullptr), SharingError);
          continue;
        }
        std::uint32_t scale = 0;
        ASSERT_EQ(reconstruct_value(sub, &scale), v) << "n=" << n << " t=" << t;
        ASSERT_EQ(scale, 6u);
      }
    }
  }
}

TEST(ShareText, ShareValueRejectsBadParameters) {
  test::DeterministicRandom rng(23);
  EXPECT_THROW(share_value(1, 0, 0, 0, rng), SharingError);
  EXPECT_THROW(share_value(1, 0, 1, 0, rng), SharingError);
  EXPECT_THROW(share_value(1, 0, kMaxTextParties + 1, 0, rng), SharingError);
  EXPECT_THROW(share_value(1, kMaxTextScale + 1, 3, 0, rng), SharingError);
  EXPECT_THROW(share_value(1, 0, 3, 4, rng), SharingError);
  EXPECT_THROW(share_value(1, 0, 3, 1, rng), SharingError);  // every share would be the value
  EXPECT_THROW(share_value(Fp::kSignedMax + 1, 0, 3, 0, rng), RangeError);
  EXPECT_THROW(share_value(-Fp::kSignedMax - 1, 0, 3, 2, rng), RangeError);
  EXPECT_EQ(share_value(1, kMaxTextScale, kMaxTextParties, 0, rng).size(), kMaxTextParties);
}

TEST(ShareText, ReconstructErrors) {
  test::DeterministicRandom rng(24);
  const std::vector<std::string> add3 = share_value(42, 2, 3, 0, rng);
  const std::vector<std::string> add4 = share_value(42, 2, 4, 0, rng);
  const std::vector<std::string> add3_scale1 = share_value(42, 1, 3, 0, rng);
  const std::vector<std::string> sham3 = share_value(42, 2, 3, 2, rng);
  const std::vector<std::string> sham3_t3 = share_value(42, 2, 3, 3, rng);

  expect_reconstruct_error({}, "no shares given");
  expect_reconstruct_error({add3[0], add3[1]}, "additive shares need all 3 shares, got 2");
  expect_reconstruct_error({add3[0], add4[1], add3[2]}, "shares disagree on the number of parties");
  expect_reconstruct_error({add3[0], add3[1], add3[1]}, "duplicate share index 2");
  expect_reconstruct_error({add3[0], add3[1], add3_scale1[2]}, "shares disagree on the scale");
  expect_reconstruct_error({add3[0], sham3[1], add3[2]}, "shares disagree on the sharing scheme");
  expect_reconstruct_error({sham3[0], sham3_t3[1]}, "shares disagree on the threshold");
  expect_reconstruct_error({sham3[2]}, "shamir shares need at least 2 of 3 shares, got 1");
  expect_reconstruct_error({add3[0], "garbage", add3[2]},
                           "malformed share: it does not start with \"smpc1:\"");
}

TEST(ShareText, MixingTwoSharingsGivesAnotherValue) {
  // Shares of the same value from two sharings look compatible but are not.
  test::DeterministicRandom rng(25);
  const std::vector<std::string> a = share_value(42, 0, 3, 0, rng);
  const std::vector<std::string> b = share_value(42, 0, 3, 0, rng);
  EXPECT_NE(reconstruct_value({a[0], b[1], a[2]}, nullptr), 42);
}

// More than t Shamir shares must agree: a share of another sharing (or a
// forged one) is refused, and named when t + 2 shares or more show which.
TEST(ShareText, InconsistentShamirSharesAreRefused) {
  test::DeterministicRandom rng(26);
  const std::vector<std::string> s = share_value(5, 0, 5, 3, rng);
  const std::vector<std::string> o = share_value(6, 0, 5, 3, rng);
  expect_reconstruct_error(
      {s[0], s[1], s[2], s[3], o[4]},
      "share 5 (index 5) does not fit the other 4 shares, which lie on one polynomial of degree 2");
  expect_reconstruct_error(
      {s[4], o[1], s[2], s[0], s[3]},
      "share 2 (index 2) does not fit the other 4 shares, which lie on one polynomial of degree 2");
  expect_reconstruct_error({s[0], s[1], o[2], s[3]},
                           "the 4 shares do not lie on one polynomial of degree 2, and which of "
                           "them is wrong cannot be told");
  expect_reconstruct_error({s[0], o[1], s[2], o[3], s[4]},
                           "the 5 shares do not lie on one polynomial of degree 2, and which of "
                           "them is wrong cannot be told");
  // Exactly t shares cannot be checked: they give some value.
  EXPECT_NE(reconstruct_value({s[0], s[1], o[2]}, nullptr), 5);
  EXPECT_EQ(reconstruct_value({s[0], s[1], s[2], s[3], s[4]}, nullptr), 5);
}

}  // namespace
}  // namespace smpc::crypto
