// AES-256-CTR keystreams through OpenSSL's EVP interface (AES-NI where the
// CPU has it: a 32 MB share expands in about 10 ms).
#include "crypto/prg.hpp"

#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <stdexcept>

namespace smpc::crypto {

namespace {

EVP_CIPHER_CTX* as_ctx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

// Fetched from the provider once (as SHA-256 in hash.cpp).
const EVP_CIPHER* aes_256_ctr() {
  static const EVP_CIPHER* const cipher = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
    return fetched != nullptr ? fetched : EVP_aes_256_ctr();
  }();
  return cipher;
}

}  // namespace

SeedStream::SeedStream(const Seed& seed) : ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_ == nullptr) throw std::runtime_error("out of memory allocating a cipher context");
  static const std::uint8_t kZeroCounter[16] = {};
  if (EVP_EncryptInit_ex(as_ctx(ctx_), aes_256_ctr(), nullptr, seed.data(), kZeroCounter) != 1) {
    EVP_CIPHER_CTX_free(as_ctx(ctx_));
    throw std::runtime_error("could not initialise AES-256-CTR");
  }
}

SeedStream::~SeedStream() { EVP_CIPHER_CTX_free(as_ctx(ctx_)); }

// The keystream is the encryption of zeros.
void SeedStream::fill(std::uint8_t* out, std::size_t len) {
  std::memset(out, 0, len);
  while (len > 0) {
    const int chunk =
        len < static_cast<std::size_t>(INT_MAX / 2) ? static_cast<int>(len) : INT_MAX / 2;
    int written = 0;
    if (EVP_EncryptUpdate(as_ctx(ctx_), out, &written, out, chunk) != 1 || written != chunk) {
      throw std::runtime_error("AES-256-CTR failed");
    }
    out += chunk;
    len -= static_cast<std::size_t>(chunk);
  }
}

void expand_seed(const Seed& seed, Fp* out, std::size_t n) {
  SeedStream stream(seed);
  random_elements(stream, out, n);
}

}  // namespace smpc::crypto
