// SHA-256 through OpenSSL's EVP interface.
#include "crypto/hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace smpc::crypto {

namespace {

EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

// SHA-256, fetched from the provider once: EVP_sha256() makes OpenSSL 3
// look the algorithm up again on every init, which showed in profiles of
// message delivery (several digests per message).
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// (Re)starts a SHA-256 computation on ctx.
void init_sha256(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1) {
    throw std::runtime_error("could not initialise SHA-256");
  }
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw std::runtime_error("out of memory allocating a SHA-256 context");
  try {
    init_sha256(as_ctx(ctx_));
  } catch (...) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    throw;
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

Sha256& Sha256::update(const void* data, std::size_t len) {
  if (len > 0 && EVP_DigestUpdate(as_ctx(ctx_), data, len) != 1) {
    throw std::runtime_error("SHA-256 update failed");
  }
  return *this;
}

// Length prefix (8 bytes, little-endian) then the bytes.
Sha256& Sha256::update_field(std::string_view s) {
  std::uint64_t n = s.size();
  std::uint8_t len[8];
  for (std::uint8_t& b : len) {
    b = static_cast<std::uint8_t>(n & 0xff);
    n >>= 8;
  }
  update(len, sizeof len);
  return update(s);
}

// Returns the digest and restarts, so the object can hash a new message.
Digest Sha256::finish() {
  Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(as_ctx(ctx_), d.data(), &len) != 1 || len != d.size()) {
    throw std::runtime_error("SHA-256 finalisation failed");
  }
  init_sha256(as_ctx(ctx_));
  return d;
}

Digest sha256(std::string_view data) { return Sha256().update(data).finish(); }

// Lower-case hexadecimal.
std::string to_hex(const std::uint8_t* data, std::size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

}  // namespace smpc::crypto
