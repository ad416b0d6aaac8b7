// Zeroing through OPENSSL_cleanse: a plain memset before free is a dead
// store the compiler may remove.
#include "crypto/wipe.hpp"

#include <openssl/crypto.h>

namespace smpc::crypto {

void wipe(void* p, std::size_t len) noexcept {
  if (p != nullptr && len > 0) OPENSSL_cleanse(p, len);
}

void wipe(std::string& s) noexcept { wipe(s.data(), s.size()); }

}  // namespace smpc::crypto
