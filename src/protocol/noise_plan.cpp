// Noise calibration; see noise_plan.hpp.
#include "protocol/noise_plan.hpp"

#include <algorithm>
#include <string>

#include "crypto/int128_text.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

std::size_t collusion_threshold(const FederationDef& federation) {
  if (federation.threshold != 0) return federation.threshold - 1;
  return compute_parties(federation).size() - 1;
}

std::uint32_t noise_parts(const FederationDef& federation, const ReleasePolicy& policy) {
  const std::vector<PartyIndex> inputs = input_parties(federation);
  const std::vector<PartyIndex> compute = compute_parties(federation);
  bool inputs_compute = true;
  for (PartyIndex i : inputs) {
    inputs_compute =
        inputs_compute && std::find(compute.begin(), compute.end(), i) != compute.end();
  }
  // A job that may go on without some inputs (Shamir, or inputs that do not
  // compute) covers at least min_parties of them; any other covers all.
  const bool tolerant = federation.threshold != 0 || !inputs_compute;
  const std::size_t m =
      tolerant ? std::min<std::size_t>(inputs.size(), std::max<std::size_t>(policy.min_parties, 1))
               : inputs.size();
  const std::size_t colluders = std::min(collusion_threshold(federation), m - 1);
  return static_cast<std::uint32_t>(std::max<std::size_t>(1, m - colluders));
}

crypto::Fp add_noise_share(crypto::Fp input, crypto::i128 share, const FederationDef& federation) {
  const std::size_t summands = input_parties(federation).size();
  const crypto::i128 bound = crypto::Fp::kSignedMax / static_cast<crypto::i128>(summands);
  // |input| <= bound < 2^126 and |share| < 2^118 (crypto/noise.hpp): the
  // sum fits in 128 bits, but is checked for overflow all the same.
  crypto::i128 noisy = 0;
  if (__builtin_add_overflow(input.to_signed(), share, &noisy) || noisy > bound || noisy < -bound) {
    throw ProtocolError(
        ErrorKind::kRange, "this party's input plus its noise share does not fit the field",
        "With noise a value's magnitude must stay at most " + crypto::i128_to_string(bound) +
            " for " + std::to_string(summands) + " input parties; nothing was sent.",
        "Use narrower clipping bounds or a larger smpc.epsilon, so that sums and noise stay far "
        "below that.");
  }
  return crypto::Fp::from_signed(noisy);
}

}  // namespace smpc::protocol
