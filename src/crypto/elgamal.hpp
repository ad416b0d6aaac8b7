// Additively homomorphic encryption of small integers: exponential ElGamal
// over ristretto255 (group.hpp), the building block of sums over a private
// overlap.
//
// Why this scheme: a value that travels round the ring of a set job beside
// its blinded key must be hidden from every party it passes, re-randomised
// at each hop (so a hop cannot link what it sends to what it got), carried
// through the hop's shuffle, and summed by the counting party over the keys
// it finds in the overlap, without anyone but the key owner able to read
// the sum. Exponential ElGamal does all of that with a few group operations
// per value (a Paillier ciphertext would cost milliseconds and 512 bytes);
// its price is that decryption yields v·B and v must be found by a bounded
// search (baby-step giant-step), so values are cut into 16-bit limbs and
// each limb's sum is searched for apart.
//
// A ciphertext of v = sum of limb_i · 2^(16 i) under the public key
// (X_0, X_1, X_2), X_i = x_i · B:
//
//   c1 = r · B,  c2_i = limb_i · B + r · X_i
//
// One r for the limbs, a key of its own per limb (one key would leave
// c2_i − c2_j = (limb_i − limb_j) · B, which a search reveals). Under the
// decisional Diffie-Hellman assumption a ciphertext reveals nothing about v
// to whoever lacks the x_i. The scheme is malleable by design: whoever
// holds ciphertexts can add them and add encryptions of zero, and nothing
// here tells who did; it keeps values secret, not honest.
//
// Encodings are 32 bytes per element; the identity (all zeros) is allowed,
// as the sum of no ciphertexts. Secret keys are wiped when destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "crypto/group.hpp"

namespace smpc::crypto::elgamal {

using group::Element;

constexpr std::size_t kLimbs = 3;
constexpr unsigned kLimbBits = 16;
// Values from 0 to 2^48 − 1.
constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << (kLimbs * kLimbBits)) - 1;
// Bytes of a public key and of a ciphertext on the wire.
constexpr std::size_t kPublicKeyBytes = kLimbs * group::kElementBytes;
constexpr std::size_t kCiphertextBytes = (1 + kLimbs) * group::kElementBytes;

struct PublicKey {
  std::array<Element, kLimbs> x{};
  bool operator==(const PublicKey& o) const { return x == o.x; }
};

struct Ciphertext {
  Element c1{};
  std::array<Element, kLimbs> c2{};
  bool operator==(const Ciphertext& o) const { return c1 == o.c1 && c2 == o.c2; }
};

// The encryption of zero with no randomness: what sums start from.
Ciphertext zero();

// Whether every element of a partner's public key or ciphertext is a
// canonical encoding (the identity allowed in a ciphertext, not in a key).
bool is_valid(const PublicKey& key);
bool is_valid(const Ciphertext& c);

class SecretKey {
 public:
  // Fresh keys (one scalar per limb), from libsodium's random numbers.
  static SecretKey random();
  PublicKey public_key() const { return public_; }

  // The sum a ciphertext holds, when each limb's sum lies in 0..bound (a
  // sum of at most m of this key's encryptions: m · (2^16 − 1)); nullopt
  // otherwise (the ciphertext was no such sum). The search is as long
  // whatever the ciphertext, about 2·sqrt(3 · bound) group additions, so
  // its time tells nothing but the bound (which the caller derives from
  // what is public, e.g. a set's size). poll, if given, is called every
  // 1,024 steps and may throw to stop it.
  std::optional<unsigned __int128> decrypt_sum(const Ciphertext& c, std::uint64_t bound,
                                               const std::function<void()>& poll = {}) const;
  // The same for several ciphertexts (one per group of a job), bounds[k]
  // that of cs[k], in one search: one table of baby steps for all of them,
  // about 2·sqrt(3 · Σ bounds) + 3 · count steps in all, every step taken
  // whatever the ciphertexts (a sum that does not open does not cut the
  // search short). std::invalid_argument when the sizes differ.
  std::vector<std::optional<unsigned __int128>> decrypt_sums(
      const std::vector<Ciphertext>& cs, const std::vector<std::uint64_t>& bounds,
      const std::function<void()>& poll = {}) const;

 private:
  SecretKey(std::array<group::Scalar, kLimbs> x, PublicKey pub);
  std::array<group::Scalar, kLimbs> x_;
  PublicKey public_;
};

// v in 0..kMaxValue (else std::invalid_argument) under key, with fresh
// randomness.
Ciphertext encrypt(const PublicKey& key, std::uint64_t v);
// The same value under fresh randomness (adds an encryption of zero).
Ciphertext rerandomize(const PublicKey& key, const Ciphertext& c);
// acc += c (limb-wise: the ciphertext of the sum).
void add_into(Ciphertext& acc, const Ciphertext& c);
// How much v adds to each limb's sum: limb i of v.
std::array<std::uint64_t, kLimbs> limbs(std::uint64_t v);

}  // namespace smpc::crypto::elgamal
