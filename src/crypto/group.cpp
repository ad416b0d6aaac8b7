// ristretto255 through libsodium (crypto_core_ristretto255_*,
// crypto_scalarmult_ristretto255*), and RFC 9380's expand_message_xmd over
// libsodium's SHA-512.
#include "crypto/group.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "crypto/wipe.hpp"

namespace smpc::crypto::group {

namespace {

constexpr std::size_t kSha512Bytes = crypto_hash_sha512_BYTES;  // 64
constexpr std::size_t kSha512Block = 128;

// libsodium must be initialised once before its random numbers are used.
void ensure_sodium() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });
  if (!ok) throw std::runtime_error("could not initialise libsodium");
}

// A SHA-512 state that is wiped when it goes out of scope (it may hold a
// join key).
struct Sha512 {
  crypto_hash_sha512_state st;
  Sha512() { crypto_hash_sha512_init(&st); }
  ~Sha512() { wipe(&st, sizeof st); }
  void update(const void* p, std::size_t len) {
    crypto_hash_sha512_update(&st, static_cast<const unsigned char*>(p), len);
  }
  void finish(std::uint8_t* out) { crypto_hash_sha512_final(&st, out); }
};

}  // namespace

Scalar Scalar::random() {
  ensure_sodium();
  Scalar s;
  do {
    crypto_core_ristretto255_scalar_random(s.s_.data());
  } while (sodium_is_zero(s.s_.data(), s.s_.size()));
  return s;
}

Scalar Scalar::from_bytes(const std::uint8_t* bytes, std::size_t len) {
  ensure_sodium();
  if (len != kScalarBytes) throw std::invalid_argument("a ristretto255 scalar has 32 bytes");
  // Canonical: reducing it modulo the group order leaves it unchanged.
  std::uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {0};
  std::memcpy(wide, bytes, kScalarBytes);
  Scalar s;
  crypto_core_ristretto255_scalar_reduce(s.s_.data(), wide);
  wipe(wide, sizeof wide);
  if (std::memcmp(s.s_.data(), bytes, kScalarBytes) != 0 ||
      sodium_is_zero(s.s_.data(), s.s_.size())) {
    throw std::invalid_argument("not a canonical non-zero ristretto255 scalar");
  }
  return s;
}

Scalar::Scalar(const Scalar& other) : s_(other.s_) {}

Scalar& Scalar::operator=(const Scalar& other) {
  s_ = other.s_;
  return *this;
}

Scalar::~Scalar() { wipe(s_.data(), s_.size()); }

Scalar Scalar::inverse() const {
  Scalar r;
  if (crypto_core_ristretto255_scalar_invert(r.s_.data(), s_.data()) != 0) {
    throw std::invalid_argument("the zero scalar has no inverse");
  }
  return r;
}

std::vector<std::uint8_t> expand_message_xmd_sha512(std::string_view msg, std::string_view dst,
                                                    std::size_t len) {
  if (dst.empty() || dst.size() > 255) {
    throw std::invalid_argument("a domain separation tag has 1 to 255 bytes");
  }
  const std::size_t ell = (len + kSha512Bytes - 1) / kSha512Bytes;
  if (len == 0 || ell > 255 || len > 65535) {
    throw std::invalid_argument("expand_message_xmd gives 1 to 255 * 64 bytes");
  }
  const std::uint8_t dst_len = static_cast<std::uint8_t>(dst.size());
  const std::uint8_t len_be[2] = {static_cast<std::uint8_t>(len >> 8),
                                  static_cast<std::uint8_t>(len & 0xff)};
  const std::uint8_t zero_block[kSha512Block] = {0};
  const std::uint8_t zero = 0;

  // b_0 = H(Z_pad || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime)
  std::uint8_t b0[kSha512Bytes];
  {
    Sha512 h;
    h.update(zero_block, sizeof zero_block);
    h.update(msg.data(), msg.size());
    h.update(len_be, sizeof len_be);
    h.update(&zero, 1);
    h.update(dst.data(), dst.size());
    h.update(&dst_len, 1);
    h.finish(b0);
  }
  // b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime), b_1 = H(b_0 || 1 || DST_prime)
  std::vector<std::uint8_t> out(len);
  std::uint8_t bi[kSha512Bytes];
  for (std::size_t i = 1; i <= ell; ++i) {
    std::uint8_t in[kSha512Bytes];
    for (std::size_t j = 0; j < kSha512Bytes; ++j) in[j] = i == 1 ? b0[j] : b0[j] ^ bi[j];
    const std::uint8_t counter = static_cast<std::uint8_t>(i);
    Sha512 h;
    h.update(in, sizeof in);
    h.update(&counter, 1);
    h.update(dst.data(), dst.size());
    h.update(&dst_len, 1);
    h.finish(bi);
    const std::size_t at = (i - 1) * kSha512Bytes;
    std::memcpy(out.data() + at, bi, std::min(kSha512Bytes, len - at));
    wipe(in, sizeof in);
  }
  wipe(b0, sizeof b0);
  wipe(bi, sizeof bi);
  return out;
}

Element hash_to_group(std::string_view msg, std::string_view dst) {
  ensure_sodium();
  std::vector<std::uint8_t> uniform = expand_message_xmd_sha512(msg, dst, 64);
  Element e;
  crypto_core_ristretto255_from_hash(e.data(), uniform.data());
  wipe(uniform);
  return e;
}

bool top_bit_clear(const Element& e) {
  // A canonical encoding is below the field's modulus, so bit 255 is 0;
  // libsodium 1.0.18 (Debian 12) ignores that bit when it decodes, which
  // would give every element a second encoding.
  return (e[kElementBytes - 1] & 0x80) == 0;
}

bool is_valid(const Element& e) {
  ensure_sodium();
  // libsodium's check refuses other non-canonical encodings, not the
  // identity (whose only encoding is 32 zero bytes).
  return top_bit_clear(e) && crypto_core_ristretto255_is_valid_point(e.data()) == 1 &&
         !sodium_is_zero(e.data(), e.size());
}

Element blind(const Element& e, const Scalar& s) {
  ensure_sodium();
  if (!top_bit_clear(e)) {
    throw std::invalid_argument("not a canonical ristretto255 encoding");
  }
  Element r;
  // libsodium decodes e strictly (a non-canonical encoding fails) and fails
  // when the product is the identity (so does e = identity): one decoding,
  // where checking is_valid(e) first would decode it twice.
  if (crypto_scalarmult_ristretto255(r.data(), s.data(), e.data()) != 0) {
    throw std::invalid_argument("not a ristretto255 element other than the identity");
  }
  return r;
}

Element base_blind(const Scalar& s) {
  ensure_sodium();
  Element r;
  if (crypto_scalarmult_ristretto255_base(r.data(), s.data()) != 0) {
    throw std::invalid_argument("blinding gave the identity element");
  }
  return r;
}

}  // namespace smpc::crypto::group
