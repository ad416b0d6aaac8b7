// OpenSSL-backed randomness and uniform sampling of field elements.
#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace smpc::crypto {

// RAND_bytes takes an int length, so large requests are split.
void OpenSslRandom::fill(std::uint8_t* out, std::size_t len) {
  while (len > 0) {
    const std::size_t chunk = len < static_cast<std::size_t>(INT_MAX) ? len : INT_MAX;
    if (RAND_bytes(out, static_cast<int>(chunk)) != 1) {
      throw std::runtime_error("could not obtain random bytes from the OpenSSL CSPRNG");
    }
    out += chunk;
    len -= chunk;
  }
}

// Draws 127-bit strings until one is below p. Only the single value p itself
// (all 127 bits set) is rejected, so a retry happens with probability 2^-127.
Fp random_element(RandomSource& rng) {
  std::uint8_t buf[Fp::kBytes];
  for (;;) {
    rng.fill(buf, sizeof buf);
    buf[Fp::kBytes - 1] &= 0x7f;
    u128 v = 0;
    for (std::size_t i = Fp::kBytes; i-- > 0;) v = (v << 8) | buf[i];
    if (v != Fp::kModulus) return Fp::from_canonical(v);
  }
}

}  // namespace smpc::crypto
