// SHA-256 (OpenSSL EVP) for federation fingerprints and transcript hashes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smpc::crypto {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(const void* data, std::size_t len);
  Sha256& update(std::string_view s) { return update(s.data(), s.size()); }
  // Length-prefixed update (8-byte little-endian length, then bytes), so that
  // concatenated fields cannot be confused with one another.
  Sha256& update_field(std::string_view s);
  Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, opaque to keep OpenSSL headers out of users
};

Digest sha256(std::string_view data);
std::string to_hex(const std::uint8_t* data, std::size_t len);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }

}  // namespace smpc::crypto
