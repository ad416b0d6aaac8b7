// AggregationJob, opening values: reconstruction from the compute parties'
// values (checked to lie on one polynomial), the row-count gate and the
// suppression of small cells, and the MAC keys and tags of jobs whose
// compute parties neither supply inputs nor learn the result. See
// aggregation_job.hpp ("Verified results") and the invariants in
// aggregation_job.cpp.
#include <optional>
#include <string>

#include "crypto/hash.hpp"
#include "crypto/sharing.hpp"
#include "protocol/aggregation_job.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kMacKeyDomain = "smpc-mac-key-v1";

}  // namespace

// result_[indexes[k]] = the joint value of element indexes[k], reconstructed
// from the compute parties' messages of `type` over S (and this party's own
// values, for a compute party). With more than t of them, they are checked
// to lie on one polynomial, and a single value that does not is attributed.
void AggregationJob::open(MessageType type, const std::vector<std::size_t>& indexes) {
  const Slots& s = slots(type);
  const FederationDef& fed = params_.federation;
  // A party that computes no shares adopts S from the messages it receives:
  // the S that a quorum of compute parties opens over.
  if (!is_compute(params_.self) && !included_fixed_) {
    for (std::uint16_t c : compute_) {
      if (s[c]) {
        std::size_t agree = 0;
        for (std::uint16_t d : compute_) agree += s[d] && s[d]->included == s[c]->included ? 1 : 0;
        if (agree >= (tolerant_ ? quorum_ : threshold_)) {
          included_ = s[c]->included;
          included_fixed_ = true;
          check_min_parties();
          break;
        }
      }
    }
  }
  std::vector<std::uint16_t> senders;
  std::string disagree;
  for (std::uint16_t c : compute_) {
    if (c == params_.self) {
      senders.push_back(c);
    } else if (s[c] && included_fixed_ && s[c]->included == included_) {
      senders.push_back(c);
    } else if (s[c]) {
      disagree += (disagree.empty() ? "" : ", ") + fed.parties[c];
    }
  }
  // Shamir: more than t values, so that a wrong one cannot go unnoticed.
  const std::size_t needed = shamir_ ? threshold_ + 1 : threshold_;
  if (senders.size() < needed) {
    throw ProtocolError(
        ErrorKind::kTooFewParties,
        "too few compute parties agree on the inputs of job \"" + params_.job_id + "\": " +
            std::to_string(senders.size()) + " of the " + std::to_string(needed) + " needed",
        disagree.empty() ? "No result was released."
                         : "Included other inputs: " + disagree + ". No result was released.",
        "Run the job again.");
  }
  // The value of sender c for element index position k.
  auto value_of = [&](std::uint16_t c, std::size_t k) {
    return c == params_.self ? held_[indexes[k]] : s[c]->values[k];
  };
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    if (is_suppressed(indexes[k])) {
      result_[indexes[k]] = crypto::Fp();
      continue;
    }
    if (!shamir_) {
      crypto::Fp sum;
      for (std::uint16_t c : senders) sum += value_of(c, k);
      result_[indexes[k]] = sum;
      continue;
    }
    std::vector<crypto::ShamirShare> points;
    for (std::uint16_t c : senders) {
      points.push_back(
          crypto::ShamirShare{static_cast<std::uint32_t>(compute_pos_[c] + 1), value_of(c, k)});
    }
    if (!crypto::shamir_consistent(points, threshold_)) {
      // Which single sender, left out, makes the others consistent? Only
      // decidable with t + 2 values or more.
      const std::optional<std::size_t> culprit = crypto::shamir_culprit(points, threshold_);
      std::string names;
      for (std::uint16_t c : senders) names += (names.empty() ? "" : ", ") + fed.parties[c];
      if (culprit) {
        const std::string& who = fed.parties[senders[*culprit]];
        throw ProtocolError(ErrorKind::kInconsistent,
                            "party " + who + " sent a " + type_name(type) +
                                " value that does not fit the others (" + round_name(type) + ")",
                            "The values of " + names + " must lie on one polynomial of degree " +
                                std::to_string(threshold_ - 1) + "; without party " + who +
                                "'s they do. No result was released.");
      }
      throw ProtocolError(ErrorKind::kInconsistent,
                          "the " + std::string(type_name(type)) + " values of " + names +
                              " do not lie on one polynomial (" + round_name(type) + ")",
                          "At least one of them is wrong; with " + std::to_string(points.size()) +
                              " values and threshold " + std::to_string(threshold_) +
                              " it cannot be told which. No result was released.");
    }
    std::vector<crypto::ShamirShare> base(points.begin(),
                                          points.begin() + static_cast<std::ptrdiff_t>(threshold_));
    result_[indexes[k]] = crypto::shamir_reconstruct(base);
  }
}

// The error for a joint row count below the release policy's minimum. Built
// from this party's own policy (which every party shares, by fingerprint),
// never from a partner's text.
ProtocolError AggregationJob::row_count_refusal() const {
  return ProtocolError(ErrorKind::kRefused,
                       "the joint row count is below the release policy's minimum of " +
                           std::to_string(params_.policy.min_rows) + " rows",
                       "Only the row count was opened; no other value was revealed.",
                       "Aggregate over more rows, or lower min_rows with smpc.set_policy() at "
                       "every party.");
}

void AggregationJob::suppress_small_cells() {
  const auto min = static_cast<crypto::i128>(params_.policy.min_rows);
  suppressed_.assign(params_.cells, false);
  for (std::size_t c = 0; c < params_.cells; ++c) {
    const std::size_t base = c * params_.cell_width;
    if (result_[base + params_.cell_count].to_signed() >= min) continue;
    suppressed_[c] = true;
    // The cell is not released: its count (opened to the compute and output
    // parties to decide this) is dropped from the result, and what this
    // party holds of its other values never leaves (it sends zero instead).
    for (std::size_t k = base; k < base + params_.cell_width; ++k) {
      result_[k] = crypto::Fp();
      if (k < held_.size()) held_[k] = crypto::Fp();
    }
    // Its MAC tag, too: it would say something about the cell's values.
    if (mac_per_cell_) {
      const std::size_t tag = first_tag_ + static_cast<std::size_t>(mac_group_of(base));
      result_[tag] = crypto::Fp();
      if (tag < held_.size()) held_[tag] = crypto::Fp();
    }
  }
}

bool AggregationJob::is_suppressed(std::size_t element) const {
  if (suppressed_.empty()) return false;
  if (element < width_) return suppressed_[element / params_.cell_width];
  if (!mac_per_cell_ || element < first_tag_) return false;
  // A cell's tag: groups are [counts,] then one per cell.
  const std::size_t cells_from = first_tag_ + (gated_.empty() ? 0 : 1);
  return element >= cells_from && suppressed_[element - cells_from];
}

bool AggregationJob::is_count(std::size_t k) const {
  if (params_.policy.min_rows == 0 || k >= width_) return false;
  return params_.cells != 0 ? k % params_.cell_width == params_.cell_count
                            : params_.count_index && k == *params_.count_index;
}

int AggregationJob::mac_group_of(std::size_t k) const {
  if (!mac_ || k >= width_) return -1;
  const int counts = gated_.empty() ? 0 : 1;
  if (is_count(k)) return 0;
  return counts + (mac_per_cell_ ? static_cast<int>(k / params_.cell_width) : 0);
}

std::vector<crypto::Fp> AggregationJob::mac_sums(const std::vector<crypto::Fp>& v) const {
  std::vector<crypto::Fp> sums(mac_groups_);
  crypto::Fp power = key_;
  for (std::size_t k = 0; k < width_; ++k) {
    sums[static_cast<std::size_t>(mac_group_of(k))] += power * v[k];
    power *= key_;
  }
  return sums;
}

void AggregationJob::fix_key() {
  crypto::Sha256 h;
  h.update_field(kMacKeyDomain);
  key_ = crypto::Fp();
  std::uint8_t bytes[crypto::Fp::kBytes];
  for (std::uint16_t c : compute_) {
    const crypto::Fp part = c == params_.self ? key_part_ : keys_[c]->values[0];
    key_ += part;
    part.to_bytes(bytes);
    h.update(bytes, sizeof bytes);
  }
  key_digest_ = h.finish();
}

void AggregationJob::check_share_key(const Message& m) {
  if (fault_ == Fault::kEquivocateKey) return;  // the liar knows (tests only)
  const crypto::Digest want = is_input_ || is_output_ ? key_digest_
                              : shares_key_digest_    ? *shares_key_digest_
                                                      : m.digest;
  if (m.digest != want) {
    throw ProtocolError(
        ErrorKind::kInconsistent,
        "the input parties of job \"" + params_.job_id + "\" received different MAC key parts",
        "Party " + params_.federation.parties[m.sender] +
            "'s share names other key parts than the others: a compute party sent "
            "different parts to different parties. Nothing was opened.");
  }
  shares_key_digest_ = want;
}

// Outputs: each compute party summed shares made with this party's key,
// and each opened group of values matches its tag.
void AggregationJob::check_macs() const {
  const FederationDef& fed = params_.federation;
  for (std::uint16_t c : compute_) {
    const crypto::Digest* d = c == params_.self
                                  ? (shares_key_digest_ ? &*shares_key_digest_ : nullptr)
                              : partials_[c] ? &partials_[c]->digest
                                             : nullptr;
    if (d != nullptr && *d != key_digest_) {
      throw ProtocolError(
          ErrorKind::kInconsistent,
          "party " + fed.parties[c] + " summed shares made with other MAC key parts",
          "A compute party sent different key parts to different parties. No "
          "result was released.");
    }
  }
  std::vector<crypto::Fp> values = result_;
  for (std::size_t i = 0; i < gated_.size(); ++i) values[gated_[i]] = gated_open_[i];
  const std::vector<crypto::Fp> sums = mac_sums(values);
  for (std::size_t g = 0; g < mac_groups_; ++g) {
    const std::size_t tag = first_tag_ + g;
    if (is_suppressed(tag)) continue;
    if (sums[g] != result_[tag]) {
      throw ProtocolError(
          ErrorKind::kInconsistent,
          "the result of job \"" + params_.job_id + "\" failed its integrity check",
          "An opened value does not match its MAC tag: a compute party changed a value it sent. "
          "No result was released.");
    }
  }
}

}  // namespace smpc::protocol
