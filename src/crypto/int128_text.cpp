// Decimal text <-> 128-bit integers. All parsing works on the unsigned
// magnitude with an explicit limit (2^127 - 1, or 2^127 for negative values),
// so INT128_MIN parses and prints without overflow.
#include "crypto/int128_text.hpp"

#include <cstdint>

namespace smpc::crypto {

namespace {

constexpr u128 kMaxPositive = (static_cast<u128>(1) << 127) - 1;
constexpr u128 kMaxNegative = static_cast<u128>(1) << 127;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// *acc = *acc * 10 + digit, failing when the result would exceed limit.
bool push_digit(u128* acc, unsigned digit, u128 limit) {
  if (*acc > (limit - digit) / 10) return false;
  *acc = *acc * 10 + digit;
  return true;
}

// Magnitude of v as unsigned (well defined for INT128_MIN).
u128 magnitude(i128 v) { return v < 0 ? static_cast<u128>(0) - static_cast<u128>(v) : v; }

// Decimal digits of an unsigned value.
// Values that fit 64 bits (nearly all released ones) are divided in 64-bit
// arithmetic: a 128-bit division per digit made formatting the result of a
// million-key job take longer than its exchange.
std::string u128_digits(u128 v) {
  char buf[40];  // 2^128 has 39 digits
  char* p = buf + sizeof buf;
  while (v > UINT64_MAX) {
    *--p = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  auto w = static_cast<std::uint64_t>(v);
  do {
    *--p = static_cast<char>('0' + static_cast<int>(w % 10));
    w /= 10;
  } while (w != 0);
  return std::string(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Converts sign + magnitude (already checked against the sign's limit).
i128 apply_sign(bool negative, u128 mag) {
  if (!negative) return static_cast<i128>(mag);
  if (mag == kMaxNegative) return static_cast<i128>(-static_cast<i128>(kMaxPositive) - 1);
  return -static_cast<i128>(mag);
}

// Consumes an optional leading sign.
bool take_sign(std::string_view* s) {
  if (s->empty()) return false;
  const char c = s->front();
  if (c == '-' || c == '+') s->remove_prefix(1);
  return c == '-';
}

}  // namespace

std::string i128_to_string(i128 v) {
  std::string digits = u128_digits(magnitude(v));
  return v < 0 ? "-" + digits : digits;
}

bool parse_i128(std::string_view s, i128* out) {
  const bool negative = take_sign(&s);
  if (s.empty()) return false;
  const u128 limit = negative ? kMaxNegative : kMaxPositive;
  u128 mag = 0;
  for (char c : s) {
    if (!is_digit(c) || !push_digit(&mag, static_cast<unsigned>(c - '0'), limit)) return false;
  }
  *out = apply_sign(negative, mag);
  return true;
}

// Grammar: [+-] digits [ '.' digits ]. Both digit runs must be nonempty when
// present; fractional digits beyond `scale` must be zeros.
bool parse_scaled_decimal(std::string_view s, int scale, i128* out) {
  if (scale < 0) return false;
  const bool negative = take_sign(&s);
  const std::size_t point = s.find('.');
  const std::string_view int_part = s.substr(0, point);
  const std::string_view frac_part =
      point == std::string_view::npos ? std::string_view() : s.substr(point + 1);
  if (int_part.empty()) return false;
  if (point != std::string_view::npos && frac_part.empty()) return false;

  const u128 limit = negative ? kMaxNegative : kMaxPositive;
  u128 mag = 0;
  for (char c : int_part) {
    if (!is_digit(c) || !push_digit(&mag, static_cast<unsigned>(c - '0'), limit)) return false;
  }
  const std::size_t want = static_cast<std::size_t>(scale);
  for (std::size_t i = 0; i < frac_part.size(); ++i) {
    const char c = frac_part[i];
    if (!is_digit(c)) return false;  // also rejects a second '.'
    if (i < want) {
      if (!push_digit(&mag, static_cast<unsigned>(c - '0'), limit)) return false;
    } else if (c != '0') {
      return false;  // more precision than the scale keeps
    }
  }
  for (std::size_t i = frac_part.size(); i < want; ++i) {
    if (!push_digit(&mag, 0, limit)) return false;
  }
  *out = apply_sign(negative, mag);
  return true;
}

// A scale of 0 (or, defensively, below 0) prints the plain integer.
std::string format_scaled_decimal(i128 v, int scale) {
  if (scale <= 0) return i128_to_string(v);
  const std::size_t digits_after = static_cast<std::size_t>(scale);
  std::string digits = u128_digits(magnitude(v));
  if (digits.size() <= digits_after) digits.insert(0, digits_after + 1 - digits.size(), '0');
  digits.insert(digits.size() - digits_after, 1, '.');
  return v < 0 ? "-" + digits : digits;
}

}  // namespace smpc::crypto
