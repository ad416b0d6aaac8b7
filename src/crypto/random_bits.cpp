// Buffered random bits and exact uniform integers; see random_bits.hpp.
#include "crypto/random_bits.hpp"

#include "crypto/wipe.hpp"

namespace smpc::crypto {

RandomBits::~RandomBits() {
  wipe(block_, sizeof block_);
  wipe(&word_, sizeof word_);
}

void RandomBits::refill() {
  if (next_ == kWords) {
    rng_.fill(reinterpret_cast<std::uint8_t*>(block_), sizeof block_);
    next_ = 0;
  }
  word_ = block_[next_];
  block_[next_++] = 0;
  left_ = 64;
}

u128 RandomBits::bits_across_words(unsigned n) {
  u128 v = 0;
  unsigned have = 0;
  while (have < n) {
    if (left_ == 0) refill();
    const unsigned take = n - have < left_ ? n - have : left_;
    const std::uint64_t mask = take == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << take) - 1;
    v |= static_cast<u128>(word_ & mask) << have;
    word_ = take == 64 ? 0 : word_ >> take;
    left_ -= take;
    have += take;
  }
  return v;
}

u128 RandomBits::below(u128 n) {
  const unsigned k = bit_length(n - 1);
  for (;;) {
    const u128 v = bits(k);
    if (v < n) return v;
  }
}

bool RandomBits::less_than(u128 u, unsigned n) {
  if (n < 128 && (u >> n) != 0) return true;  // u >= 2^n > W
  for (unsigned i = n; i-- > 0;) {
    const bool w = bit();
    const bool ui = ((u >> i) & 1) != 0;
    if (w != ui) return ui;  // the first differing bit decides
  }
  return false;  // W == u
}

unsigned bit_length(u128 v) {
  const auto hi = static_cast<std::uint64_t>(v >> 64);
  if (hi != 0) return 128 - static_cast<unsigned>(__builtin_clzll(hi));
  const auto lo = static_cast<std::uint64_t>(v);
  return lo == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(lo));
}

}  // namespace smpc::crypto
