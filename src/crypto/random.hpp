// Sources of randomness for share generation. Production code uses the
// OpenSSL CSPRNG; tests inject a deterministic source.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/field.hpp"

namespace smpc::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills out[0..len) with random bytes; throws std::runtime_error on failure.
  virtual void fill(std::uint8_t* out, std::size_t len) = 0;
};

// OpenSSL RAND_bytes. Throws std::runtime_error when the CSPRNG fails.
class OpenSslRandom final : public RandomSource {
 public:
  void fill(std::uint8_t* out, std::size_t len) override;
};

// Uniform element of GF(p) by rejection sampling 127-bit strings.
Fp random_element(RandomSource& rng);
// out[0..n) = n independent uniform elements, drawn in large blocks: one
// CSPRNG call per element cost a grouped job a quarter of its CPU.
void random_elements(RandomSource& rng, Fp* out, std::size_t n);

}  // namespace smpc::crypto
