// split_work: every item is worked on exactly once whatever the number of
// threads; poll runs on the caller's thread only and can stop the work; an
// exception in any part reaches the caller after every thread joined.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "protocol/work_split.hpp"

namespace smpc::protocol {
namespace {

TEST(WorkSplit, EveryItemOnce) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kWorkChunk, 10 * kWorkChunk + 7}) {
    std::vector<std::atomic<int>> seen(n);
    split_work(n, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) seen[i]++;
    });
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i].load(), 1) << i;
  }
}

TEST(WorkSplit, PollRunsOnTheCallersThreadAndCanStop) {
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> elsewhere{false};
  std::atomic<int> polls{0};
  // Helper threads hold their first chunk until the caller has polled three
  // times (at most 5 s): with work that takes no time they would otherwise
  // take every chunk before the caller's second poll, and the work would end
  // without a third (a failure seen once in CI).
  const auto hold_helpers = [&](std::size_t, std::size_t) {
    if (std::this_thread::get_id() == caller) return;
    for (int i = 0; i < 5000 && polls.load() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  EXPECT_THROW(split_work(1000 * kWorkChunk, hold_helpers,
                          [&] {
                            if (std::this_thread::get_id() != caller) elsewhere = true;
                            if (++polls == 3) throw std::runtime_error("cancelled");
                          }),
               std::runtime_error);
  EXPECT_FALSE(elsewhere.load());
  EXPECT_EQ(polls.load(), 3);
}

TEST(WorkSplit, AnExceptionInAnyPartReachesTheCaller) {
  EXPECT_THROW(split_work(64 * kWorkChunk,
                          [&](std::size_t b, std::size_t) {
                            if (b == 5 * kWorkChunk) throw std::invalid_argument("bad element");
                          }),
               std::invalid_argument);
}

}  // namespace
}  // namespace smpc::protocol
