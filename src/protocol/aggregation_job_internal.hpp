// Small helpers shared by the files of AggregationJob (aggregation_job.cpp,
// aggregation_job_receive.cpp, aggregation_job_rounds.cpp,
// aggregation_job_open.cpp); not part of the protocol's interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/field.hpp"

namespace smpc::protocol::job_internal {

// Messages held per sender before its run is known, and dead runs kept per
// partner: a sender has at most one message per round and an abort per run.
constexpr std::size_t kMaxEarlyMessages = 16;

// Bit i of a party set (bit i: party i).
inline std::uint64_t bit(std::size_t i) { return std::uint64_t{1} << i; }

// The elements of `v` at `indexes`, in that order.
inline std::vector<crypto::Fp> pick(const std::vector<crypto::Fp>& v,
                                    const std::vector<std::size_t>& indexes) {
  std::vector<crypto::Fp> out;
  out.reserve(indexes.size());
  for (std::size_t i : indexes) out.push_back(v[i]);
  return out;
}

}  // namespace smpc::protocol::job_internal
