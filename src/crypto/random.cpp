// OpenSSL-backed randomness and uniform sampling of field elements.
#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <cstring>
#include <stdexcept>

#include "crypto/wipe.hpp"

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

// Bytes for this many elements are drawn per CSPRNG call.
constexpr std::size_t kBlockElements = 4096;

void random_elements(RandomSource& rng, Fp* out, std::size_t n) {
  // (The bytes become shares and coefficients.)
  std::uint8_t buf[kBlockElements * Fp::kBytes];
  const ScopedWipe wipe_buf(buf, sizeof buf);
  for (std::size_t done = 0; done < n;) {
    const std::size_t k = n - done < kBlockElements ? n - done : kBlockElements;
    rng.fill(buf, k * Fp::kBytes);
    for (std::size_t i = 0; i < k; ++i) {
      u128 v;
      std::memcpy(&v, buf + i * Fp::kBytes, sizeof v);
      v &= Fp::kModulus;  // the low 127 bits
      // As random_element: only p itself is rejected, and redrawn.
      out[done + i] = v != Fp::kModulus ? Fp::from_canonical(v) : random_element(rng);
    }
    done += k;
  }
}

// Draws 127-bit strings until one is below p. Only the single value p itself
// (all 127 bits set) is rejected, so a retry happens with probability 2^-127.
Fp random_element(RandomSource& rng) {
  std::uint8_t buf[Fp::kBytes];
  const ScopedWipe wipe_buf(buf, sizeof buf);
  for (;;) {
    rng.fill(buf, sizeof buf);
    buf[Fp::kBytes - 1] &= 0x7f;
    u128 v = 0;
    for (std::size_t i = Fp::kBytes; i-- > 0;) v = (v << 8) | buf[i];
    if (v != Fp::kModulus) return Fp::from_canonical(v);
  }
}

}  // namespace smpc::crypto
