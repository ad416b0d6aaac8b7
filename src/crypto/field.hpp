// Arithmetic in the prime field GF(p), p = 2^127 - 1 (a Mersenne prime).
//
// Why this field: secret shares are uniformly random elements, so the field
// must be larger than any sum we ever release. With p = 2^127 - 1 the signed
// range is +-(2^126 - 1), about +-8.5e37: bigint sums over 2^40 rows from
// 2^10 parties still fit. A Mersenne modulus makes reduction two additions.
//
// No PostgreSQL headers here: the core is plain C++, built and tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace smpc::crypto {

using u128 = unsigned __int128;
using i128 = __int128;

// Thrown when a value does not fit the field or a byte string is not an
// element. The message is safe to show to users (it never contains values).
class RangeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Fp {
 public:
  static constexpr u128 kModulus = (static_cast<u128>(1) << 127) - 1;
  // Largest magnitude of a signed value: (p - 1) / 2.
  static constexpr i128 kSignedMax = static_cast<i128>(kModulus >> 1);
  static constexpr std::size_t kBytes = 16;

  constexpr Fp() = default;

  // v must already be < p; throws RangeError otherwise.
  static Fp from_canonical(u128 v) {
    if (v >= kModulus) not_canonical();
    return Fp(v);
  }
  // Two's-complement style embedding: v >= 0 maps to v, v < 0 to p + v.
  // Throws RangeError when |v| > kSignedMax.
  static Fp from_signed(i128 v);
  // Little-endian 16 bytes; throws RangeError when the value is >= p.
  static Fp from_bytes(const std::uint8_t* in) {
    u128 v;
    std::memcpy(&v, in, sizeof v);  // the wire's byte order is the host's (field.cpp)
    if (v >= kModulus) not_an_element();
    return Fp(v);
  }

  u128 value() const { return v_; }
  // Inverse of from_signed: elements above kSignedMax decode as negative.
  i128 to_signed() const;
  void to_bytes(std::uint8_t* out) const { std::memcpy(out, &v_, sizeof v_); }

  // Addition and subtraction are defined here, inline: share vectors add
  // element by element, and a call per element through the library's
  // symbol table cost more than the arithmetic.
  Fp operator+(Fp o) const {
    u128 s = v_ + o.v_;  // < 2^128 - 2, cannot overflow
    if (s >= kModulus) s -= kModulus;
    return Fp(s);
  }
  Fp operator-(Fp o) const { return Fp(v_ >= o.v_ ? v_ - o.v_ : kModulus - o.v_ + v_); }
  Fp operator*(Fp o) const;
  Fp operator-() const { return Fp(v_ == 0 ? 0 : kModulus - v_); }
  Fp& operator+=(Fp o) { return *this = *this + o; }
  Fp& operator-=(Fp o) { return *this = *this - o; }
  Fp& operator*=(Fp o) { return *this = *this * o; }
  bool operator==(Fp o) const { return v_ == o.v_; }
  bool operator!=(Fp o) const { return v_ != o.v_; }
  // Multiplicative inverse; throws RangeError for zero.
  Fp inverse() const;

 private:
  explicit constexpr Fp(u128 v) : v_(v) {}
  // The errors of from_canonical and from_bytes, out of line (cold paths).
  [[noreturn]] static void not_canonical();
  [[noreturn]] static void not_an_element();
  u128 v_ = 0;
};

// Embeds a signed value that one of `parties` parties contributes to a joint
// sum. The bound |v| <= kSignedMax / parties guarantees that the joint sum of
// all parties' values cannot wrap around the modulus, so a result never
// silently overflows. Throws RangeError naming the bound otherwise.
Fp encode_summand(i128 v, std::size_t parties);

// encode_summand for the many values of one party (a grouped job has one per
// key): the bound, a 128-bit division, is worked out once.
class SummandEncoder {
 public:
  explicit SummandEncoder(std::size_t parties);  // throws RangeError for 0
  Fp operator()(i128 v) const;

 private:
  std::size_t parties_;
  i128 bound_ = 0;
};

}  // namespace smpc::crypto
