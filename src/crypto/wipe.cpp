// Zeroing through explicit_bzero: a plain memset before free is a dead store
// the compiler may remove, and explicit_bzero is the C library's promise that
// it is not. It zeroes at memset's speed (wide vector stores), where
// OPENSSL_cleanse, used before, stores 8 bytes at a time: wiping a grouped
// job's share vectors took 4 % of its CPU that way (BENCHMARKS.md).
#include "crypto/wipe.hpp"

#include <string.h>

namespace smpc::crypto {

void wipe(void* p, std::size_t len) noexcept {
  if (p != nullptr && len > 0) explicit_bzero(p, len);
}

void wipe(std::string& s) noexcept { wipe(s.data(), s.size()); }

}  // namespace smpc::crypto
