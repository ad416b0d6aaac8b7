// How the noise of a differentially private job is split among the input
// parties, so that the noise the honest ones add is enough on its own.
//
// Each input party adds one share of discrete Laplace noise
// (crypto/noise.hpp), split `parts` ways. A party knows its own share, so a
// coalition can subtract the shares of its members: what is left is the
// honest input parties' noise. The federation promises privacy against up
// to c colluding parties: t - 1 for Shamir t-of-n sharing, one fewer than
// the compute parties for additive sharing. Among the m input parties a
// result covers at least (all of them, or the policy's min_parties when the
// job may go on without some), at least m - c are honest, so
//   parts = max(1, m - min(c, m - 1))
// and every party draws Polya(1/parts) - Polya(1/parts) per value: the
// honest parties' shares add up to at least one whole discrete Laplace
// variable. The price: the total noise has variance (m / parts) times the
// minimum. Peer to peer with additive sharing (c = n - 1) every party adds
// the whole noise, n times the variance a trusted curator would add.
//
// An input plus its noise share must still satisfy the bound that keeps the
// joint sum from wrapping around the field (crypto::encode_summand): the
// noise is unbounded, so it is checked again after it is added.
//
// No PostgreSQL headers here (the layering check in CMakeLists.txt).
#pragma once

#include <cstdint>

#include "crypto/field.hpp"
#include "protocol/federation.hpp"
#include "protocol/release_policy.hpp"

namespace smpc::protocol {

// The number of colluding parties the federation's sharing tolerates. The
// same number bounds colluding input parties: in the delegated model more
// data owners than this colluding (which the sharing itself would survive)
// could remove more of the noise than the calibration allows for.
std::size_t collusion_threshold(const FederationDef& federation);
// The number of shares each party's noise is a fraction of (see above).
std::uint32_t noise_parts(const FederationDef& federation, const ReleasePolicy& policy);
// An input party's value with its noise share added, re-encoded under the
// no-wrap bound for the federation's input parties. Throws ProtocolError
// (kRange) when the sum leaves that bound.
crypto::Fp add_noise_share(crypto::Fp input, crypto::i128 share, const FederationDef& federation);

}  // namespace smpc::protocol
