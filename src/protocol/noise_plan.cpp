// Noise calibration; see noise_plan.hpp.
#include "protocol/noise_plan.hpp"

#include <algorithm>

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

}  // namespace smpc::protocol
