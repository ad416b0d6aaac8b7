// Deterministic RandomSource implementations for unit tests (crypto and
// protocol). Never use them outside tests: they are predictable by design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "crypto/random.hpp"

namespace smpc::test {

// A reproducible byte stream from splitmix64: the same seed always yields the
// same bytes, different seeds yield unrelated streams.
class DeterministicRandom final : public crypto::RandomSource {
 public:
  explicit DeterministicRandom(std::uint64_t seed = 0x5eed) : state_(seed) {}

  void fill(std::uint8_t* out, std::size_t len) override {
    for (std::size_t i = 0; i < len; ++i) {
      if (avail_ == 0) {
        word_ = next_u64();
        avail_ = 8;
      }
      out[i] = static_cast<std::uint8_t>(word_ & 0xff);
      word_ >>= 8;
      --avail_;
    }
    bytes_drawn_ += len;
  }

  std::uint64_t next_u64() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::size_t bytes_drawn() const { return bytes_drawn_; }

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int avail_ = 0;
  std::size_t bytes_drawn_ = 0;
};

// Returns a fixed script of bytes first, then continues with a
// DeterministicRandom stream. Used to force edge cases such as an all-0xFF
// draw that rejection sampling must discard.
class ScriptedRandom final : public crypto::RandomSource {
 public:
  explicit ScriptedRandom(std::vector<std::uint8_t> script, std::uint64_t seed = 1)
      : script_(std::move(script)), tail_(seed) {}

  void fill(std::uint8_t* out, std::size_t len) override {
    for (std::size_t i = 0; i < len; ++i) {
      if (pos_ < script_.size()) {
        out[i] = script_[pos_++];
      } else {
        tail_.fill(out + i, 1);
      }
    }
  }

  bool script_consumed() const { return pos_ >= script_.size(); }

 private:
  std::vector<std::uint8_t> script_;
  std::size_t pos_ = 0;
  DeterministicRandom tail_;
};

}  // namespace smpc::test
