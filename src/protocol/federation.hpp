// A federation definition and its fingerprint. Every party registers the same
// definition; the canonical text is hashed and exchanged at the start of each
// job so that parties with different definitions refuse to compute together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.hpp"

namespace smpc::protocol {

constexpr std::size_t kMaxParties = 64;
constexpr std::size_t kMaxNameBytes = 63;  // NAMEDATALEN - 1
constexpr int kMaxScale = 18;

struct FederationDef {
  std::string name;
  std::vector<std::string> parties;  // ordered; a party's index is its position
  int scale = 6;                     // decimal digits kept for numeric/float8

  bool operator==(const FederationDef& o) const {
    return name == o.name && parties == o.parties && scale == o.scale;
  }
};

// Throws ProtocolError(kInvalidArgument) when a name is empty, longer than
// kMaxNameBytes or holds a control character or ','; when parties repeat;
// when there are fewer than 2 or more than kMaxParties parties; when scale is
// outside [0, kMaxScale].
void validate(const FederationDef& def);

// Canonical, versioned, line-oriented text (stable across builds):
//   smpc-federation-v1\nname=<name>\nparties=<a>,<b>,...\nscale=<s>\n
std::string canonical_text(const FederationDef& def);
// Strict inverse of canonical_text; throws ProtocolError(kMalformed).
FederationDef parse_canonical(std::string_view text);
crypto::Digest fingerprint(const FederationDef& def);

// Human-readable list of what differs, e.g.
//   "parties: here (a, b, c), at the partner (a, b, d); scale: here 6, at the partner 2"
// Empty when the definitions are equal.
std::string describe_difference(const FederationDef& here, const FederationDef& there);

// Index of `party` in def.parties, or -1.
int party_index(const FederationDef& def, std::string_view party);

}  // namespace smpc::protocol
