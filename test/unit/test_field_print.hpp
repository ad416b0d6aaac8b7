// Lets GoogleTest print field elements in failure messages (crypto and
// protocol tests).
#pragma once

#include <ostream>

#include "crypto/field.hpp"
#include "crypto/int128_text.hpp"

namespace smpc::crypto {

inline void PrintTo(const Fp& f, std::ostream* os) {
  *os << "Fp(" << i128_to_string(static_cast<i128>(f.value())) << ")";
}

}  // namespace smpc::crypto
