// The release policy one party applies to one job: how many parties a job
// needs, how many rows the joint result must cover, and the bounds this
// party clipped its input to. Every party builds its own from its own
// configuration and enforces it itself; the canonical text is hashed and
// sent with every message, so a job whose parties apply different policies
// is refused (naming what differs) before anything is opened.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/field.hpp"
#include "crypto/hash.hpp"
#include "protocol/federation.hpp"

namespace smpc::protocol {

constexpr std::size_t kMaxPolicyBytes = 512;

// Bounds [lo, hi] applied to every input value before the local aggregate is
// shared, in fixed point with `scale` fractional digits (the job's scale).
struct ClipBounds {
  crypto::i128 lo = 0;
  crypto::i128 hi = 0;
  int scale = 0;
  bool reject = false;  // values outside refuse the job instead of being clipped

  bool operator==(const ClipBounds& o) const {
    return lo == o.lo && hi == o.hi && scale == o.scale && reject == o.reject;
  }
};

struct ReleasePolicy {
  std::uint32_t min_parties = 3;  // with two parties each learns the other's input
  std::uint64_t min_rows = 0;     // joint count below which nothing is released; 0: off
  std::optional<ClipBounds> bounds;
  // Set jobs may release the overlap of every pair of parties (a union's
  // overlap matrix): n(n - 1) / 2 more figures than one count, so only when
  // the federation's policy says so.
  bool overlap_pairs = false;

  bool operator==(const ReleasePolicy& o) const {
    return min_parties == o.min_parties && min_rows == o.min_rows && bounds == o.bounds &&
           overlap_pairs == o.overlap_pairs;
  }
};

// Throws ProtocolError(kInvalidArgument) when min_parties is outside
// [2, kMaxParties], lo > hi, or the scale is outside [0, kMaxScale].
void validate(const ReleasePolicy& policy);

// Canonical text (stable across builds):
//   smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=none\n
//   ... bounds=clip 0.00 100.00\n   (or "reject"; decimals with `scale` digits)
//   ... overlap_pairs=allowed\n   (only when allowed: a policy without it
//   has the text, and so the fingerprint, it had before the field existed)
std::string canonical_text(const ReleasePolicy& policy);
// Strict inverse of canonical_text; throws ProtocolError(kMalformed).
ReleasePolicy parse_policy(std::string_view text);
crypto::Digest fingerprint(const ReleasePolicy& policy);

// Throws ProtocolError(kRefused) when the federation has fewer input parties
// than the policy's min_parties: the check every party makes before a job
// starts. (After dropouts, the job checks the inputs it includes again.)
void check_admits(const FederationDef& federation, const ReleasePolicy& policy);

// E.g. "min_rows: here 10, at the partner 5"; empty when equal.
std::string describe_difference(const ReleasePolicy& here, const ReleasePolicy& there);
// E.g. "at least 3 parties, at least 10 rows, inputs clipped to [0, 100]".
std::string describe(const ReleasePolicy& policy);

}  // namespace smpc::protocol
