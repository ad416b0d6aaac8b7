// Splits the group operations of a set job over the machine's cores.
//
// Why: blinding and sealing are public-key work of 50 to 300 µs a key, and
// a set passes its hops one after the other, so a hop on one core keeps the
// whole ring waiting while the other cores idle. Each key's work is
// independent of the others', so it splits without changing any result.
//
// How, inside a PostgreSQL backend: the caller's thread works too and is
// the only one that polls (its poll may throw, e.g. on a cancel); the
// helper threads start with every signal blocked, so the host's signal
// handlers only ever run on its own thread, and they touch nothing but the
// work's own memory (no PostgreSQL call reaches this layer). An exception
// in any part stops the others at their next chunk, and the first one is
// rethrown once all have joined.
#pragma once

#include <cstddef>
#include <functional>

namespace smpc::protocol {

// Items per chunk: the parts threads claim, and how often the caller polls.
constexpr std::size_t kWorkChunk = 1024;

// Runs work(begin, end) over [0, n) in chunks, on up to
// min(hardware threads, 4) threads (one: below two chunks). poll, if given,
// is called on the caller's thread before each chunk it takes.
void split_work(std::size_t n, const std::function<void(std::size_t, std::size_t)>& work,
                const std::function<void()>& poll = {});

}  // namespace smpc::protocol
