// Wiping: wipe() and ScopedWipe zero what they are given, and a SecretVector
// zeroes every block it frees (destruction, growth, exceptions) before the
// memory goes back to the allocator.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/wipe.hpp"

namespace smpc::crypto {
namespace {

bool all_zero(const void* p, std::size_t len) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < len; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

// Counts the blocks it frees and the nonzero bytes they still hold: the
// base of a WipingAllocator, so it sees each block after the wipe.
struct Freed {
  static inline std::size_t blocks = 0;
  static inline std::size_t nonzero_bytes = 0;
};

template <typename T>
struct SpyAllocator {
  using value_type = T;
  SpyAllocator() = default;
  template <typename U>
  SpyAllocator(const SpyAllocator<U>&) {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) {
    ++Freed::blocks;
    const auto* b = reinterpret_cast<const std::uint8_t*>(p);
    for (std::size_t i = 0; i < n * sizeof(T); ++i) Freed::nonzero_bytes += b[i] != 0;
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const SpyAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const SpyAllocator<U>&) const {
    return false;
  }
};

using SpiedSecrets = std::vector<Fp, WipingAllocator<Fp, SpyAllocator<Fp>>>;

Fp F(u128 v) { return Fp::from_canonical(v); }

TEST(Wipe, ZeroesBuffers) {
  std::uint8_t buf[100];
  for (std::uint8_t& b : buf) b = 0xab;
  wipe(buf, sizeof buf);
  EXPECT_TRUE(all_zero(buf, sizeof buf));
  wipe(nullptr, 10);  // nothing to do
}

TEST(Wipe, ZeroesVectorsAndStrings) {
  std::vector<Fp> v = {F(1), F(Fp::kModulus - 1), F(12345)};
  wipe(v);
  ASSERT_EQ(v.size(), 3u);
  for (Fp x : v) EXPECT_EQ(x, Fp());
  std::string s = "smpc1:s:3:2:1:0:0123456789abcdef0123456789abcdef";
  const std::size_t len = s.size();
  wipe(s);
  ASSERT_EQ(s.size(), len);
  EXPECT_TRUE(all_zero(s.data(), s.size()));
}

TEST(Wipe, ScopedWipeZeroesAtScopeEnd) {
  std::uint8_t buf[64];
  for (std::uint8_t& b : buf) b = 0x5a;
  try {
    const ScopedWipe guard(buf, sizeof buf);
    EXPECT_FALSE(all_zero(buf, sizeof buf));
    throw std::runtime_error("leaving by an exception");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(all_zero(buf, sizeof buf));
}

TEST(Wipe, SecretVectorWipesEveryBlockItFrees) {
  Freed::blocks = Freed::nonzero_bytes = 0;
  {
    SpiedSecrets v;
    // Growth moves the elements to a new block and frees the old one.
    for (u128 i = 1; i <= 1000; ++i) v.push_back(F(i * 0x0123456789abcdefULL));
    v.shrink_to_fit();
    SpiedSecrets copy = v;
    copy.clear();
    copy.shrink_to_fit();
  }
  EXPECT_GT(Freed::blocks, 5u);  // the growth steps, the shrink, both vectors
  EXPECT_EQ(Freed::nonzero_bytes, 0u);
}

TEST(Wipe, SecretVectorWipesOnException) {
  Freed::blocks = Freed::nonzero_bytes = 0;
  try {
    SpiedSecrets v(64, F(77));
    throw std::runtime_error("a failure while the secrets are held");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(Freed::blocks, 1u);
  EXPECT_EQ(Freed::nonzero_bytes, 0u);
}

TEST(Wipe, SecretVectorIsAVector) {
  SecretVector<Fp> v = {F(3), F(4)};
  v.push_back(F(5));
  Fp sum;
  for (Fp x : v) sum += x;
  EXPECT_EQ(sum, F(12));
}

}  // namespace
}  // namespace smpc::crypto
