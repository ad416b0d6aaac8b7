// Wiping secrets (inputs, shares, seeds, polynomial coefficients) from
// memory before it is freed or goes out of scope, so that they do not stay
// behind in freed heap blocks or dead stack frames, where a later over-read,
// a core dump or swapped-out memory could show them.
//
// Three tools, one rule (zero with explicit_bzero, which the compiler may
// not drop as a dead store):
//   wipe(p, len), wipe(vector)  zero now (a caller's own buffers);
//   SecretVector<T>             a std::vector whose every block is zeroed
//                               before it is freed: when the vector dies, on
//                               every path out (exceptions included), and
//                               when it grows and moves its elements;
//   ScopedWipe                  zeroes a fixed buffer when its scope ends.
//
// Not reached: copies a caller made of what these functions return (a
// caller wipes its own), values the compiler keeps in registers or spills
// to the stack, and memory of other libraries (OpenSSL cleanses its own
// cipher and digest contexts when they are freed).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace smpc::crypto {

// Zeroes [p, p + len).
void wipe(void* p, std::size_t len) noexcept;

// Zeroes the elements of v (its size is kept).
template <typename T, typename A>
void wipe(std::vector<T, A>& v) noexcept {
  static_assert(std::is_trivially_copyable_v<T>, "only plain values can be wiped bytewise");
  wipe(v.data(), v.size() * sizeof(T));
}

// Zeroes the characters of s (its size is kept).
void wipe(std::string& s) noexcept;

// An allocator that zeroes every block before Base frees it.
template <typename T, typename Base = std::allocator<T>>
class WipingAllocator : private Base {
 public:
  using value_type = T;
  template <typename U>
  struct rebind {
    using other =
        WipingAllocator<U, typename std::allocator_traits<Base>::template rebind_alloc<U>>;
  };

  WipingAllocator() noexcept = default;
  template <typename U, typename B>
  WipingAllocator(const WipingAllocator<U, B>&) noexcept {}

  T* allocate(std::size_t n) { return std::allocator_traits<Base>::allocate(base(), n); }
  void deallocate(T* p, std::size_t n) noexcept {
    wipe(p, n * sizeof(T));
    std::allocator_traits<Base>::deallocate(base(), p, n);
  }

  // Stateless: any two are interchangeable.
  template <typename U, typename B>
  bool operator==(const WipingAllocator<U, B>&) const noexcept {
    return true;
  }
  template <typename U, typename B>
  bool operator!=(const WipingAllocator<U, B>&) const noexcept {
    return false;
  }

 private:
  Base& base() noexcept { return *this; }
};

template <typename T>
using SecretVector = std::vector<T, WipingAllocator<T>>;

// Zeroes [p, p + len) when it goes out of scope (for fixed buffers).
class ScopedWipe {
 public:
  ScopedWipe(void* p, std::size_t len) noexcept : p_(p), len_(len) {}
  ~ScopedWipe() { wipe(p_, len_); }
  ScopedWipe(const ScopedWipe&) = delete;
  ScopedWipe& operator=(const ScopedWipe&) = delete;

 private:
  void* p_;
  std::size_t len_;
};

}  // namespace smpc::crypto
