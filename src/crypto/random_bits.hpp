// Random bits and exact uniform integers for the noise samplers
// (crypto/noise.hpp). The samplers need many short draws (single bits,
// integers below a few hundred, integers of up to 128 bits); this reads the
// RandomSource in blocks and hands out bits one word at a time, so a draw
// costs no CSPRNG call. Uniform integers below n are drawn by rejection:
// exactly uniform, never approximated.
//
// The buffer holds secret bits (they become noise): it is wiped when the
// reader goes away.
//
// No PostgreSQL headers here (the layering check in CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/field.hpp"
#include "crypto/random.hpp"

namespace smpc::crypto {

class RandomBits {
 public:
  explicit RandomBits(RandomSource& rng) : rng_(rng) {}
  ~RandomBits();
  RandomBits(const RandomBits&) = delete;
  RandomBits& operator=(const RandomBits&) = delete;

  // One fair bit.
  bool bit() {
    if (left_ == 0) refill();
    const bool b = (word_ & 1) != 0;
    word_ >>= 1;
    --left_;
    return b;
  }
  // n uniform bits as an integer in [0, 2^n), n <= 128.
  u128 bits(unsigned n) {
    if (n < 64 && n <= left_) {  // the common case: a short draw from the current word
      const std::uint64_t v = word_ & ((std::uint64_t{1} << n) - 1);
      word_ >>= n;
      left_ -= n;
      return v;
    }
    return bits_across_words(n);
  }
  // Uniform in [0, n), n >= 1: draws of bit_length(n - 1) bits until one is
  // below n (fewer than two draws on average).
  u128 below(u128 n);
  // Bernoulli(1 / k), k >= 1: whether a uniform draw below k is 0 (below,
  // for the small k the samplers use most).
  bool one_in(std::uint64_t k) {
    const unsigned n = k <= 1 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(k - 1));
    for (;;) {
      const u128 v = bits(n);
      if (v < k) return v == 0;
    }
  }
  // Whether W < u for W uniform in [0, 2^n), n <= 128, comparing W's bits
  // with u's from the top and drawing only as many as it takes to decide
  // (two on average): P(true) = min(u, 2^n) / 2^n exactly.
  bool less_than(u128 u, unsigned n);

 private:
  void refill();
  u128 bits_across_words(unsigned n);

  RandomSource& rng_;
  static constexpr std::size_t kWords = 32;
  std::uint64_t block_[kWords] = {};
  std::size_t next_ = kWords;  // the next word of block_ to use
  std::uint64_t word_ = 0;     // bits not yet handed out, lowest first
  unsigned left_ = 0;          // how many bits word_ still holds
};

// The number of bits of v (0 for 0).
unsigned bit_length(u128 v);

}  // namespace smpc::crypto
