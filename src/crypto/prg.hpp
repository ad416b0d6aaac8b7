// Shares expanded from a seed: a party sends a 32-byte seed in place of a
// share vector, and the receiver expands it. Additive sharing needs only
// one share to depend on the secret; the others may be pseudorandom, so a
// job's first round carries one full vector per party instead of n - 1
// (a million-key job: 32 MB less per partner).
//
// Expansion: random_elements() over the AES-256-CTR keystream of the seed
// (key = seed, counter block 0). Both sides run this code, so the stream,
// the block size of random_elements and its rejection rule together define
// what a seed means: changing any of them changes the wire format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/field.hpp"
#include "crypto/random.hpp"

namespace smpc::crypto {

using Seed = std::array<std::uint8_t, 32>;

// The keystream of one seed, as a RandomSource. Throws std::runtime_error
// when OpenSSL fails.
class SeedStream final : public RandomSource {
 public:
  explicit SeedStream(const Seed& seed);
  ~SeedStream() override;
  SeedStream(const SeedStream&) = delete;
  SeedStream& operator=(const SeedStream&) = delete;

  void fill(std::uint8_t* out, std::size_t len) override;

 private:
  void* ctx_;  // EVP_CIPHER_CTX
};

// out[0..n) = the n elements seed stands for.
void expand_seed(const Seed& seed, Fp* out, std::size_t n);

}  // namespace smpc::crypto
