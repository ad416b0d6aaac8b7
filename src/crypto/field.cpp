// GF(2^127 - 1) arithmetic. Elements are kept canonical (0 <= v < p) at all
// times; every operation returns a canonical element.
//
// Multiplication forms the full 254-bit product from 64-bit limbs and reduces
// it with the Mersenne identity 2^127 == 1 (mod p): writing the product as
// H * 2^127 + L gives H + L, which one more fold and one conditional
// subtraction bring below p.
#include "crypto/field.hpp"

#include <string>

namespace smpc::crypto {

namespace {

constexpr u128 kP = Fp::kModulus;
constexpr u128 kLow64 = (static_cast<u128>(1) << 64) - 1;

// Decimal text of an unsigned 128-bit value (for error messages).
std::string u128_decimal(u128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return digits;
}

// Brings a value below 2^128 into [0, p).
u128 reduce128(u128 s) {
  s = (s & kP) + (s >> 127);  // < 2^127 + 1
  if (s >= kP) s -= kP;
  return s;
}

// a * b mod p for canonical a, b.
u128 mul_mod(u128 a, u128 b) {
  const u128 a0 = a & kLow64, a1 = a >> 64;  // a1 < 2^63
  const u128 b0 = b & kLow64, b1 = b >> 64;  // b1 < 2^63

  const u128 lo_part = a0 * b0;        // < 2^128
  const u128 mid = a0 * b1 + a1 * b0;  // each < 2^127, sum < 2^128
  const u128 hi_part = a1 * b1;        // < 2^126

  // 256-bit product = hi * 2^128 + lo.
  const u128 mid_lo = mid << 64;
  const u128 lo = lo_part + mid_lo;
  const u128 carry = lo < mid_lo ? 1 : 0;
  const u128 hi = hi_part + (mid >> 64) + carry;  // < 2^126 since product < 2^254

  // product = H * 2^127 + L with L < 2^127 and H = product >> 127 < 2^127.
  const u128 low127 = lo & kP;
  const u128 high = (hi << 1) | (lo >> 127);
  return reduce128(low127 + high);
}

}  // namespace

void Fp::not_canonical() {
  throw RangeError("value is not a field element: it must be below 2^127 - 1");
}

// Embeds a signed value; negatives wrap to the top half of the field.
Fp Fp::from_signed(i128 v) {
  if (v > kSignedMax || v < -kSignedMax) {
    throw RangeError("value does not fit the field: magnitude must be at most " +
                     u128_decimal(static_cast<u128>(kSignedMax)));
  }
  if (v >= 0) return Fp(static_cast<u128>(v));
  return Fp(kP - static_cast<u128>(-v));
}

// from_bytes and to_bytes (field.hpp) read and write 16 little-endian bytes.
// The wire format is little-endian, as are the hosts we build for, so a
// copy is the conversion: a byte loop was 7% of a grouped job's CPU.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "field byte conversion assumes a little-endian host");

void Fp::not_an_element() {
  throw RangeError("byte string is not a field element: value is at least 2^127 - 1");
}

// Elements above kSignedMax stand for negative values.
i128 Fp::to_signed() const {
  if (v_ <= static_cast<u128>(kSignedMax)) return static_cast<i128>(v_);
  return -static_cast<i128>(kP - v_);
}

Fp Fp::operator*(Fp o) const { return Fp(mul_mod(v_, o.v_)); }

// Fermat: a^(p-2) = a^-1 for a != 0.
Fp Fp::inverse() const {
  if (v_ == 0) throw RangeError("zero has no multiplicative inverse");
  const u128 e = kP - 2;
  u128 result = 1;
  u128 base = v_;
  for (int bit = 126; bit >= 0; --bit) {
    result = mul_mod(result, result);
    if ((e >> bit) & 1) result = mul_mod(result, base);
  }
  return Fp(result);
}

// Embeds one party's contribution so that the sum of `parties` of them
// cannot wrap around the modulus.
SummandEncoder::SummandEncoder(std::size_t parties) : parties_(parties) {
  if (parties == 0) throw RangeError("a federation needs at least one party");
  bound_ = Fp::kSignedMax / static_cast<i128>(parties);
}

Fp SummandEncoder::operator()(i128 v) const {
  if (v > bound_ || v < -bound_) {
    throw RangeError("value does not fit the field: magnitude must be at most " +
                     u128_decimal(static_cast<u128>(bound_)) + " for a federation of " +
                     std::to_string(parties_) + (parties_ == 1 ? " party" : " parties"));
  }
  return Fp::from_signed(v);
}

Fp encode_summand(i128 v, std::size_t parties) { return SummandEncoder(parties)(v); }

}  // namespace smpc::crypto
