// Text form of one share, as returned by SQL smpc_share() and read back by
// smpc_reconstruct():
//
//   smpc1:<scheme>:<n>:<t>:<x>:<scale>:<32 hex digits, little-endian y>
//
// scheme is 'a' (additive n-of-n; t == n) or 's' (Shamir t-of-n, 2 <= t <=
// n); x is the share's index 1..n; scale is the number of decimal fraction
// digits of the shared value. The parser is strict (it is a fuzzing target):
// any deviation is an error, never a guess.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/random.hpp"

namespace smpc::crypto {

struct TextShare {
  char scheme = 'a';  // 'a' or 's'
  std::uint32_t n = 0;
  std::uint32_t t = 0;
  std::uint32_t x = 0;
  std::uint32_t scale = 0;
  Fp y;
};

constexpr std::uint32_t kMaxTextParties = 1024;
constexpr std::uint32_t kMaxTextScale = 30;

std::string format_share(const TextShare& s);
// Throws SharingError (sharing.hpp) with a message fit for users.
TextShare parse_share(std::string_view text);

// Splits the signed, already scaled value into text shares: additive when
// threshold == 0, Shamir t-of-n otherwise (t >= 2: with t = 1 every share
// would be the value itself). Throws SharingError / RangeError.
std::vector<std::string> share_value(i128 scaled_value, std::uint32_t scale, std::uint32_t n,
                                     std::uint32_t threshold, RandomSource& rng);
// Reconstructs the scaled value from text shares: all n additive shares, or
// at least t Shamir shares, all with the same scheme/n/t/scale and distinct
// x. More than t Shamir shares must lie on one polynomial of degree t - 1;
// otherwise the error names the share that does not (crypto::shamir_culprit)
// when that can be told. Sets *scale. Throws SharingError / RangeError.
i128 reconstruct_value(const std::vector<std::string>& shares, std::uint32_t* scale);

}  // namespace smpc::crypto
