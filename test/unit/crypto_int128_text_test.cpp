// Decimal text <-> i128, including INT128 min/max, and scaled decimals.
#include <gtest/gtest.h>

#include <string>

#include "crypto/int128_text.hpp"
#include "test_random.hpp"

namespace smpc::crypto {
namespace {

constexpr i128 kMax = static_cast<i128>((static_cast<u128>(1) << 127) - 1);
constexpr i128 kMin = -kMax - 1;
const std::string kMaxText = "170141183460469231731687303715884105727";
const std::string kMinText = "-170141183460469231731687303715884105728";

TEST(Int128Text, ToString) {
  EXPECT_EQ(i128_to_string(0), "0");
  EXPECT_EQ(i128_to_string(7), "7");
  EXPECT_EQ(i128_to_string(-1), "-1");
  EXPECT_EQ(i128_to_string(static_cast<i128>(1) << 64), "18446744073709551616");
  EXPECT_EQ(i128_to_string(kMax), kMaxText);
  EXPECT_EQ(i128_to_string(kMin), kMinText);
}

TEST(Int128Text, ParseValid) {
  struct Case {
    const char* text;
    i128 want;
  };
  const Case cases[] = {
      {"0", 0},   {"-0", 0},   {"+0", 0},
      {"42", 42}, {"+42", 42}, {"-42", -42},
      {"007", 7}, {"-000", 0}, {"18446744073709551616", static_cast<i128>(1) << 64}};
  for (const Case& c : cases) {
    i128 v = 123;
    ASSERT_TRUE(parse_i128(c.text, &v)) << c.text;
    EXPECT_EQ(v, c.want) << c.text;
  }
  i128 v = 0;
  ASSERT_TRUE(parse_i128(kMaxText, &v));
  EXPECT_EQ(v, kMax);
  ASSERT_TRUE(parse_i128(kMinText, &v));
  EXPECT_EQ(v, kMin);
  ASSERT_TRUE(parse_i128("+" + kMaxText, &v));
  EXPECT_EQ(v, kMax);
}

TEST(Int128Text, ParseInvalid) {
  const char* cases[] = {"",    "-",   "+",   "--1", "+-1", " 1",    "1 ",  "1a",  "0x10",
                         "1.0", "1e5", "NaN", "inf", "١",   "1,000", "\t1", "- 1", "1-"};
  for (const char* c : cases) {
    i128 v = 0;
    EXPECT_FALSE(parse_i128(c, &v)) << '"' << c << '"';
  }
  i128 v = 0;
  EXPECT_FALSE(parse_i128("170141183460469231731687303715884105728", &v));   // max + 1
  EXPECT_FALSE(parse_i128("-170141183460469231731687303715884105729", &v));  // min - 1
  EXPECT_FALSE(parse_i128("340282366920938463463374607431768211456", &v));   // 2^128
  EXPECT_FALSE(parse_i128(std::string(100, '9'), &v));
  EXPECT_FALSE(parse_i128(std::string_view("1\0", 2), &v));
}

TEST(Int128Text, RoundTrip) {
  test::DeterministicRandom rng(12);
  for (int i = 0; i < 1000; ++i) {
    const i128 x = static_cast<i128>((static_cast<u128>(rng.next_u64()) << 64) | rng.next_u64());
    i128 back = 0;
    ASSERT_TRUE(parse_i128(i128_to_string(x), &back));
    ASSERT_EQ(back, x);
  }
}

TEST(ScaledDecimal, ParseValid) {
  struct Case {
    const char* text;
    int scale;
    i128 want;
  };
  const Case cases[] = {
      {"7", 0, 7},
      {"7.0", 0, 7},
      {"7.000", 0, 7},
      {"1.5", 2, 150},
      {"1.500", 2, 150},
      {"1.50", 2, 150},
      {"-12.345", 3, -12345},
      {"0.05", 2, 5},
      {"-0.05", 2, -5},
      {"+1.25", 2, 125},
      {"1", 3, 1000},
      {"-0", 2, 0},
      {"-0.000", 2, 0},
      {"00012.30", 2, 1230},
      {"0", 39, 0},
      {"1", 38, static_cast<i128>(10000000000000000000ULL) * 10000000000000000000ULL},
      {"17014118346046923173168730371588410572.7", 1, kMax},
      {"-17014118346046923173168730371588410572.8", 1, kMin},
      {"-17014118346046923173168730371588410572.800", 1, kMin},
  };
  for (const Case& c : cases) {
    i128 v = 123;
    ASSERT_TRUE(parse_scaled_decimal(c.text, c.scale, &v)) << c.text << " scale " << c.scale;
    EXPECT_EQ(v, c.want) << c.text << " scale " << c.scale;
  }
}

TEST(ScaledDecimal, ParseInvalid) {
  struct Case {
    const char* text;
    int scale;
  };
  const Case cases[] = {
      {"", 2},
      {".", 2},
      {"-", 2},
      {"+", 2},
      {"-.", 2},
      {"1.", 2},
      {".5", 2},
      {"-.5", 2},
      {"1.501", 2},
      {"7.1", 0},
      {"0.001", 2},
      {"NaN", 2},
      {"nan", 0},
      {"Infinity", 0},
      {"-Infinity", 0},
      {"1e5", 0},
      {"1E5", 0},
      {"1.0e1", 2},
      {" 1", 0},
      {"1 ", 0},
      {"1. 5", 1},
      {"1.2.3", 3},
      {"1..2", 2},
      {"--1", 0},
      {"0x1", 0},
      {"1,5", 1},
      {"1", -1},
      {"1", 39},
      {"17014118346046923173168730371588410572.8", 1},
      {"-17014118346046923173168730371588410572.9", 1},
      {"170141183460469231731687303715884105727", 1},
  };
  for (const Case& c : cases) {
    i128 v = 0;
    EXPECT_FALSE(parse_scaled_decimal(c.text, c.scale, &v))
        << '"' << c.text << "\" scale " << c.scale;
  }
}

TEST(ScaledDecimal, Format) {
  EXPECT_EQ(format_scaled_decimal(150, 2), "1.50");
  EXPECT_EQ(format_scaled_decimal(-5, 2), "-0.05");
  EXPECT_EQ(format_scaled_decimal(5, 0), "5");
  EXPECT_EQ(format_scaled_decimal(-5, 0), "-5");
  EXPECT_EQ(format_scaled_decimal(0, 3), "0.000");
  EXPECT_EQ(format_scaled_decimal(-12345, 3), "-12.345");
  EXPECT_EQ(format_scaled_decimal(100, 2), "1.00");
  EXPECT_EQ(format_scaled_decimal(kMax, 0), kMaxText);
  EXPECT_EQ(format_scaled_decimal(kMin, 2), "-1701411834604692317316873037158841057.28");
  EXPECT_EQ(format_scaled_decimal(kMin, 39), "-0.170141183460469231731687303715884105728");
  EXPECT_EQ(format_scaled_decimal(1, 30), "0.000000000000000000000000000001");
}

TEST(ScaledDecimal, RoundTrip) {
  test::DeterministicRandom rng(13);
  for (int i = 0; i < 1000; ++i) {
    const i128 x = static_cast<i128>((static_cast<u128>(rng.next_u64()) << 64) | rng.next_u64());
    const int scale = static_cast<int>(rng.next_u64() % 40);
    i128 back = 0;
    ASSERT_TRUE(parse_scaled_decimal(format_scaled_decimal(x, scale), scale, &back));
    ASSERT_EQ(back, x);
  }
}

}  // namespace
}  // namespace smpc::crypto
