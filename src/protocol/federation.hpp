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

using PartyIndex = std::uint16_t;

// Who does what in a federation. In the peer-to-peer model (the default:
// empty lists) every party supplies an input, computes and learns the
// result. In the delegated model data owners only supply inputs, to two or
// three compute parties; in the hybrid model an external provider runs one
// compute party and the organisation the other.
struct FederationDef {
  std::string name;
  std::vector<std::string> parties;  // ordered; a party's index is its position
  int scale = 6;                     // decimal digits kept for numeric/float8
  // 0: additive n-of-n sharing over the compute parties (every one of them is
  // needed). t >= 2: Shamir t-of-n: any t compute parties reconstruct, t - 1
  // learn nothing, and jobs survive the loss of the others.
  std::uint32_t threshold = 0;
  // Indexes into parties, ascending; empty means every party.
  std::vector<PartyIndex> compute;  // hold shares and compute
  std::vector<PartyIndex> inputs;   // supply an input
  std::vector<PartyIndex> outputs;  // learn the result

  bool operator==(const FederationDef& o) const {
    return name == o.name && parties == o.parties && scale == o.scale && threshold == o.threshold &&
           compute == o.compute && inputs == o.inputs && outputs == o.outputs;
  }
};

// Throws ProtocolError(kInvalidArgument) when a name is empty, longer than
// kMaxNameBytes or holds a control character or ','; when parties repeat;
// when there are fewer than 2 or more than kMaxParties parties; when scale is
// outside [0, kMaxScale]; when a role list names an index twice or outside
// the parties, is not ascending, or a party has no role; when there are
// fewer than 2 compute parties; when threshold is 1 or above the number of
// compute parties.
void validate(const FederationDef& def);

// Empties role lists that name every party, so that equal federations have
// equal canonical texts.
void normalize(FederationDef& def);

// The parties of each role (every party when the list is empty).
std::vector<PartyIndex> compute_parties(const FederationDef& def);
std::vector<PartyIndex> input_parties(const FederationDef& def);
std::vector<PartyIndex> output_parties(const FederationDef& def);
// Compute parties needed to reconstruct: the threshold, or all of them.
std::size_t reconstruction_threshold(const FederationDef& def);

// Canonical, versioned, line-oriented text (stable across builds):
//   smpc-federation-v1\nname=<name>\nparties=<a>,<b>,...\nscale=<s>\n
// followed, only where they differ from the defaults, by
//   threshold=<t>\ncompute=<names>\ninputs=<names>\noutputs=<names>\n
// (so federations without them keep their fingerprint).
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
