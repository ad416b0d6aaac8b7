// The prime-order group ristretto255 (RFC 9496, through libsodium): the
// building block of private set operations on join keys.
//
// A join key is hashed to a group element with a domain separation tag
// (RFC 9380's hash_to_ristretto255: expand_message_xmd with SHA-512, then
// RFC 9496's one-way map), so keys of different federations and jobs never
// map to the same element. Each party raises elements to a secret scalar
// of its own (blinding). Blinding commutes, (H(k)^a)^b = (H(k)^b)^a, so
// parties that have each blinded every key once can tell equal keys apart
// from different ones without learning any key: the commutative-blinding
// construction of Diffie-Hellman based PSI. Under the decisional
// Diffie-Hellman assumption in ristretto255 a blinded element reveals
// nothing about the key to whoever lacks the scalar.
//
// Scalars are secrets: they are wiped when destroyed. Elements received
// from a partner are checked to be canonical encodings of group elements
// before use (is_valid); an element that would blind to the identity is
// refused.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace smpc::crypto::group {

constexpr std::size_t kElementBytes = 32;
constexpr std::size_t kScalarBytes = 32;

// A group element in its canonical 32-byte encoding.
using Element = std::array<std::uint8_t, kElementBytes>;

// A secret scalar (an integer modulo the group order, little-endian).
class Scalar {
 public:
  // Uniformly random, never zero (libsodium's randombytes).
  static Scalar random();
  // From its canonical encoding (below the group order, not zero); throws
  // std::invalid_argument otherwise. For keys stored or given by tests.
  static Scalar from_bytes(const std::uint8_t* bytes, std::size_t len);

  Scalar(const Scalar& other);
  Scalar& operator=(const Scalar& other);
  ~Scalar();

  const std::uint8_t* data() const { return s_.data(); }
  // The inverse modulo the group order: unblinds what this scalar blinded.
  Scalar inverse() const;

 private:
  Scalar() = default;
  std::array<std::uint8_t, kScalarBytes> s_{};
};

// RFC 9380 expand_message_xmd with SHA-512: len uniform bytes from msg and
// the domain separation tag dst (1 to 255 bytes; len at most 255 * 64).
// Throws std::invalid_argument for other lengths.
std::vector<std::uint8_t> expand_message_xmd_sha512(std::string_view msg, std::string_view dst,
                                                    std::size_t len);

// hash_to_ristretto255 (RFC 9380, suite ristretto255_XMD:SHA-512_R255MAP_RO_):
// the element of msg under the domain separation tag dst.
Element hash_to_group(std::string_view msg, std::string_view dst);

// Whether e is the canonical encoding of a group element other than the
// identity (what a partner's element must be).
bool is_valid(const Element& e);
// Whether bit 255 of e is clear, as in every canonical encoding (libsodium
// 1.0.18 does not check it; callers that decode partners' encodings do).
bool top_bit_clear(const Element& e);

// e raised to s (scalar multiplication). Throws std::invalid_argument when
// e is not valid or the result would be the identity.
Element blind(const Element& e, const Scalar& s);

// The generator raised to s.
Element base_blind(const Scalar& s);

}  // namespace smpc::crypto::group
