// split_work (work_split.hpp): chunks claimed from a shared counter.
#include "protocol/work_split.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace smpc::protocol {

namespace {

constexpr unsigned kMaxThreads = 4;

struct Shared {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex lock;
  std::exception_ptr error;

  void fail() {
    std::lock_guard<std::mutex> hold(lock);
    if (!error) error = std::current_exception();
    stop = true;
  }
};

// Takes chunks until none is left or a part failed.
void take_chunks(Shared& s, std::size_t n,
                 const std::function<void(std::size_t, std::size_t)>& work,
                 const std::function<void()>* poll) {
  while (!s.stop) {
    if (poll != nullptr && *poll) (*poll)();
    const std::size_t begin = s.next.fetch_add(kWorkChunk);
    if (begin >= n) return;
    work(begin, std::min(n, begin + kWorkChunk));
  }
}

}  // namespace

void split_work(std::size_t n, const std::function<void(std::size_t, std::size_t)>& work,
                const std::function<void()>& poll) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t chunks = (n + kWorkChunk - 1) / kWorkChunk;
  const unsigned threads = static_cast<unsigned>(
      std::min<std::size_t>({hw, kMaxThreads, std::max<std::size_t>(chunks, 1)}));
  Shared s;
  std::vector<std::thread> helpers;
  if (threads > 1) {
    // The helpers inherit the mask in force when they are created: all
    // signals blocked. The caller's own mask is restored at once.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (unsigned t = 1; t < threads; ++t) {
      try {
        helpers.emplace_back([&s, n, &work] {
          try {
            take_chunks(s, n, work, nullptr);
          } catch (...) {
            s.fail();
          }
        });
      } catch (const std::exception&) {
        break;  // no thread to be had: fewer take the chunks
      }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  try {
    take_chunks(s, n, work, &poll);
  } catch (...) {
    s.fail();
  }
  for (std::thread& t : helpers) t.join();
  if (s.error) std::rethrow_exception(s.error);
}

}  // namespace smpc::protocol
