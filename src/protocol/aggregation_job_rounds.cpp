// AggregationJob, the rounds: advance() moves through the rounds the stored
// messages complete, finishing each (checks, quorum, opening) and sending
// this party's messages of the next; the share round's splitting; S and the
// sums over it; the transcript digest and the release. See aggregation_job.hpp
// for the rounds and the invariants in aggregation_job.cpp.
#include <string>
#include <utility>

#include "crypto/hash.hpp"
#include "crypto/sharing.hpp"
#include "crypto/wipe.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/aggregation_job_internal.hpp"

namespace smpc::protocol {

using job_internal::bit;
using job_internal::pick;

namespace {

constexpr std::string_view kTranscriptDomain = "smpc-transcript-v4";

}  // namespace

// Moves through as many rounds as the stored messages allow, returning the
// messages each completed round produces.
std::vector<Outgoing> AggregationJob::advance() {
  std::vector<Outgoing> out;
  while (!finished_ && phase_ > 0) {
    const MessageType now = current();
    check_round_so_far(now);
    if (!complete(now)) break;
    finish_round(now);
    if (finished_) break;
    ++phase_;
    begin_round(current(), out);
  }
  return out;
}

// Digests and input sets are checked as soon as each message arrives, so a
// mismatch is reported when it is known rather than after the last one.
void AggregationJob::check_round_so_far(MessageType now) const {
  if (now == MessageType::kConfirm || now == MessageType::kVouch) check_digests(now);
  if (now == MessageType::kRoster) check_own_input_kept();
  if (now == MessageType::kAgree) check_agreed_inputs();
}

void AggregationJob::check_digests(MessageType now) const {
  const Slots& s = slots(now);
  // What every digest of this round must be: this party's own result
  // digest, or, at a compute party that learns no result, the first
  // output's digest (all outputs must hold the same result).
  const crypto::Digest* want =
      now == MessageType::kVouch || !vouching_ || is_output_ ? &digest_ : nullptr;
  std::size_t first = params_.self;  // whose digest `want` is
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (j == params_.self || !s[j]) continue;
    if (want == nullptr) {
      want = &s[j]->digest;
      first = j;
      continue;
    }
    if (s[j]->digest != *want) {
      // Only the digests are known to differ, not who made them differ: a
      // party that sent different values to different partners makes honest
      // parties open different results, and the digest of an honest party
      // then differs too. The message names the two digests compared and
      // blames neither.
      const std::string& other = params_.federation.parties[j];
      const std::string compared =
          first == params_.self
              ? "this party and party " + other
              : "party " + params_.federation.parties[first] + " and party " + other;
      throw ProtocolError(ErrorKind::kInconsistent,
                          "the parties opened different results (transcript digest mismatch "
                          "between " +
                              compared + ")",
                          std::string("A party sent inconsistent values to different parties, or "
                                      "changed a digest; the digests do not show which party "
                                      "did.") +
                              (context_ ? " In a set job they also cover the size of every set "
                                          "each party saw: a party that dropped or added "
                                          "elements of a set it re-blinded makes them differ."
                                        : "") +
                              " No result is released.",
                          "Check the partners' logs; run the job again with a new job id.");
    }
  }
}

void AggregationJob::check_agreed_inputs() const {
  for (std::uint16_t c : compute_) {
    if (c == params_.self || !agrees_[c] || agrees_[c]->included == included_) continue;
    throw ProtocolError(
        ErrorKind::kInconsistent,
        "party " + params_.federation.parties[c] + " includes other inputs than this party",
        "Compute parties must open over the same inputs; nothing was opened.",
        "Run the job again.");
  }
}

// Every message of round `now` is here: what this party does with them.
// Sets finished_ when the job ends here with this round.
void AggregationJob::finish_round(MessageType now) {
  switch (now) {
    case MessageType::kKey:
      if (is_input_ || is_output_) fix_key();
      return;
    case MessageType::kShare:
      finish_share_round();
      return;
    case MessageType::kRoster:
      if (is_compute(params_.self)) fix_included();
      return;
    case MessageType::kAgree:
      if (is_compute(params_.self)) {
        // Everyone this party heard from agreed; enough of them to go on?
        require_quorum(MessageType::kAgree, "agree on the inputs");
        sum_held_shares();
      }
      return;
    case MessageType::kCount:
      finish_count_round();
      return;
    case MessageType::kPartial:
      finish_partial_round();
      return;
    case MessageType::kConfirm:
      finish_confirm_round();
      return;
    case MessageType::kVouch:
      if (is_output_) require_quorum(MessageType::kVouch, "vouched for the result");
      release();
      return;
    case MessageType::kAbort:
    case MessageType::kRequest:
    case MessageType::kBlinded:
    case MessageType::kSealedSum:
      return;  // no round of an aggregation job
  }
}

void AggregationJob::finish_share_round() {
  if (!is_compute(params_.self) && !is_output_) {
    // An input party that neither computes nor learns the result is done
    // once its shares are out.
    finished_ = true;
    return;
  }
  if (!tolerant_ && is_compute(params_.self)) {
    fix_included();
    sum_held_shares();
  }
}

// Compute and output parties open the row counts: a count below the
// minimum refuses the job (a grouped job suppresses the cell instead).
void AggregationJob::finish_count_round() {
  result_.resize(wide_);
  if (!is_compute(params_.self) && !is_output_) return;
  open(MessageType::kCount, gated_);
  gated_open_ = pick(result_, gated_);
  if (params_.cells != 0) {
    suppress_small_cells();
  } else if (result_[*params_.count_index].to_signed() <
             static_cast<crypto::i128>(params_.policy.min_rows)) {
    refusal_ = row_count_refusal();
    // Nothing but the count was opened; drop it with the other values.
    result_.assign(wide_, crypto::Fp());
    finished_ = true;
  }
}

// Output parties open every other value (checking the MAC tags).
void AggregationJob::finish_partial_round() {
  result_.resize(wide_);
  if (!is_output_) return;
  open(MessageType::kPartial, rest_);
  if (mac_) check_macs();
  if (fault_ == Fault::kAbortAfterOpen) {
    throw ProtocolError(ErrorKind::kInconsistent, "test fault: aborting after opening the result");
  }
}

void AggregationJob::finish_confirm_round() {
  if (!vouching_) {
    // Compute and output parties are the same: their digests agree.
    require_quorum(MessageType::kConfirm, "confirmed the result");
    release();
    return;
  }
  if (!is_compute(params_.self)) return;
  // Vouch for the outputs' common digest (every one seen is equal).
  bool any = is_output_;
  vouched_ = digest_;
  for (std::size_t j = 0; j < confirms_.size() && !any; ++j) {
    if (j != params_.self && confirms_[j]) {
      vouched_ = confirms_[j]->digest;
      any = true;
    }
  }
  if (!any) {
    throw ProtocolError(ErrorKind::kTooFewParties,
                        "no output party of job \"" + params_.job_id + "\" confirmed a result",
                        "No result was released.");
  }
}

// The quorum (aggregation_job.hpp, "Dropouts"): at least quorum_ compute
// parties, this one included when it computes, sent their message of
// round `type`; every one of them was checked to agree with this party.
void AggregationJob::require_quorum(MessageType type, const char* what) const {
  const Slots& s = slots(type);
  std::size_t count = is_compute(params_.self) ? 1 : 0;
  for (std::uint16_t c : compute_) count += c != params_.self && s[c] ? 1 : 0;
  if (count >= quorum_) return;
  throw ProtocolError(ErrorKind::kTooFewParties,
                      std::string("too few compute parties ") + what + " of job \"" +
                          params_.job_id + "\": " + std::to_string(count) + " of the " +
                          std::to_string(quorum_) + " needed",
                      "No result was released.");
}

// Round `next` starts: what this party fixes before it sends its messages.
void AggregationJob::begin_round(MessageType next, std::vector<Outgoing>& out) {
  if (next == MessageType::kRoster && is_compute(params_.self)) {
    // The roster: the inputs whose shares this party holds now. Shares
    // that come later are not used.
    included_ = 0;
    for (std::size_t i = 0; i < input_role_.size(); ++i) {
      if (input_role_[i] && (i == params_.self || shares_[i])) included_ |= bit(i);
    }
  }
  if (next == MessageType::kConfirm && is_output_) finish_transcript();
  send_round(next, out);
}

// input_ (its noise share added), the salt, the MAC tags.
std::vector<crypto::Fp> AggregationJob::extended_input() const {
  std::vector<crypto::Fp> x = input_;
  x.reserve(wide_);
  if (vouching_) x.push_back(crypto::random_element(rng_));
  if (mac_) {
    const std::vector<crypto::Fp> tags = mac_sums(x);
    x.insert(x.end(), tags.begin(), tags.end());
  }
  return x;
}

void AggregationJob::share_input(std::vector<Outgoing>& out) {
  const std::size_t nc = compute_.size();
  std::vector<crypto::Fp> x = extended_input();
  // by_compute[c][k]: compute party c's share of input element k (Shamir:
  // the point at x = c + 1). Additive: every share but one is sent as a
  // seed; the one in full is this party's own (or, at an input party that
  // does not compute, the last compute party's).
  std::vector<std::vector<crypto::Fp>> by_compute;
  crypto::SeededSplit seeded;
  std::size_t full = nc - 1;
  if (shamir_) {
    by_compute = crypto::shamir_split(x, nc, threshold_, rng_);
  } else {
    if (compute_pos_[params_.self] >= 0)
      full = static_cast<std::size_t>(compute_pos_[params_.self]);
    seeded = crypto::additive_split_seeded(x, nc, full, rng_);
  }
  const std::string definition = canonical_text(params_.federation);
  const std::string policy = canonical_text(params_.policy);
  const std::size_t first = out.size();
  for (std::size_t c = 0; c < nc; ++c) {
    const std::uint16_t to = compute_[c];
    std::vector<crypto::Fp> share = shamir_     ? std::move(by_compute[c])
                                    : c == full ? std::move(seeded.full)
                                                : std::vector<crypto::Fp>{};
    if (to == params_.self) {
      own_share_ = std::move(share);
      continue;
    }
    Message m = header(MessageType::kShare, to);
    m.definition = definition;
    m.policy_text = policy;
    if (mac_) m.digest = key_digest_;
    if (!shamir_ && c != full) {
      m.seeded = static_cast<std::uint32_t>(wide_);
      m.seed = seeded.seeds[c];
    } else {
      m.values = std::move(share);
    }
    if (out.size() == first && fault_ == Fault::kEquivocateShare) {
      Message other = m;
      if (other.seeded != 0) {
        other.seed[0] ^= 0x01;
      } else {
        other.values[0] += crypto::Fp::from_signed(1);
      }
      out.push_back(Outgoing{to, std::move(other)});
    }
    out.push_back(Outgoing{to, std::move(m)});
  }
  crypto::wipe(x);
  for (crypto::Seed& seed : seeded.seeds) crypto::wipe(seed.data(), seed.size());
}

// This party's messages of round `type` to every party that expects them.
void AggregationJob::send_round(MessageType type, std::vector<Outgoing>& out) {
  if (type == MessageType::kShare) {
    if (is_input_) share_input(out);
    return;
  }
  // A compute party that shifts the result for everyone, itself included
  // (tests only): outputs can only notice through the checks.
  if (fault_ == Fault::kWrongPartial && type == MessageType::kPartial && !rest_.empty()) {
    held_[rest_[0]] += crypto::Fp::from_signed(1);
  }
  const std::size_t n = params_.federation.parties.size();
  bool first = true;
  for (std::size_t j = 0; j < n; ++j) {
    // A party this one stopped waiting for may still wait for this one.
    if (j == params_.self || unreachable_[j]) continue;
    auto to = static_cast<std::uint16_t>(j);
    if (!sends_to(to, type)) continue;
    Message m = header(type, to);
    if (type == MessageType::kRoster || type == MessageType::kAgree ||
        type == MessageType::kCount || type == MessageType::kPartial) {
      m.included = included_;
    }
    if (type == MessageType::kKey) m.values = {key_part_};
    if (type == MessageType::kCount) m.values = pick(held_, gated_);
    if (type == MessageType::kPartial) {
      m.values = pick(held_, rest_);
      if (mac_ && shares_key_digest_) m.digest = *shares_key_digest_;
    }
    if (type == MessageType::kConfirm) m.digest = digest_;
    if (type == MessageType::kVouch) m.digest = vouched_;
    if ((fault_ == Fault::kEquivocateCount && type == MessageType::kCount && first) ||
        (fault_ == Fault::kEquivocatePartial && type == MessageType::kPartial && first)) {
      m.values[0] += crypto::Fp::from_signed(1);
    }
    if (fault_ == Fault::kWrongConfirm && type == MessageType::kConfirm && first)
      m.digest[0] ^= 0x01;
    if (fault_ == Fault::kEquivocateKey && type == MessageType::kKey && first) {
      m.values[0] += crypto::Fp::from_signed(1);
    }
    first = false;
    committed_ = committed_ || (type != MessageType::kRoster && type != MessageType::kKey);
    out.push_back(Outgoing{to, std::move(m)});
  }
}

// held_ = sum over the inputs in S of the shares this party holds.
void AggregationJob::sum_held_shares() {
  held_.assign(wide_, crypto::Fp());
  if (mac_ && (is_input_ || is_output_)) shares_key_digest_ = key_digest_;
  for (std::size_t i = 0; i < shares_.size(); ++i) {
    if ((included_ & bit(i)) == 0) continue;
    if (mac_ && i != params_.self) check_share_key(*shares_[i]);
    const std::vector<crypto::Fp>& share = i == params_.self ? own_share_ : shares_[i]->values;
    for (std::size_t k = 0; k < wide_; ++k) held_[k] += share[k];
  }
}

// S: this party's roster (the inputs whose shares it held when it sent it),
// narrowed by every other compute party's roster; at least min_parties.
void AggregationJob::fix_included() {
  // Peer to peer n-of-n (no roster round): every input, all shares are here.
  std::uint64_t s = tolerant_ ? included_ : input_mask_;
  for (std::uint16_t c : compute_) {
    if (c != params_.self && rosters_[c]) s &= rosters_[c]->included;
  }
  included_ = s;
  included_fixed_ = true;
  check_min_parties();
}

// Refuses a set S of fewer than min_parties inputs (or one naming a party
// without an input role, from a misbehaving partner).
void AggregationJob::check_min_parties() const {
  if ((included_ & ~input_mask_) != 0) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "a compute party included parties that supply no input");
  }
  std::size_t count = 0;
  std::string left_out;
  for (std::size_t i = 0; i < input_role_.size(); ++i) {
    if (!input_role_[i]) continue;
    if ((included_ & bit(i)) != 0) {
      ++count;
    } else {
      left_out += (left_out.empty() ? "" : ", ") + params_.federation.parties[i];
    }
  }
  if (count < params_.policy.min_parties) {
    throw ProtocolError(ErrorKind::kTooFewParties,
                        "too few parties remain in job \"" + params_.job_id + "\": the inputs of " +
                            std::to_string(count) + " reached every compute party, the release " +
                            "policy requires at least " +
                            std::to_string(params_.policy.min_parties),
                        "Missing: " + left_out + ". No result was released.",
                        "Run the job again when the missing parties are back.");
  }
}

// digest_ = H(domain, fingerprints, job id, descriptor, S, the bound context
// if any, the opened values).
void AggregationJob::finish_transcript() { digest_ = transcript_digest(included_, result_); }

crypto::Digest AggregationJob::transcript_digest(std::uint64_t included,
                                                 const std::vector<crypto::Fp>& values) const {
  crypto::Sha256 h;
  h.update_field(kTranscriptDomain);
  h.update(fingerprint_.data(), fingerprint_.size());
  h.update(policy_fingerprint_.data(), policy_fingerprint_.size());
  h.update_field(params_.job_id);
  h.update_field(params_.descriptor);
  std::uint8_t bytes[8];
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(included >> (8 * i));
  h.update(bytes, sizeof bytes);
  if (context_) h.update(context_->data(), context_->size());
  // In blocks of 4 kB: one digest update per 16-byte element took nearly
  // twice as long as hashing the same bytes at once.
  std::uint8_t block[256 * crypto::Fp::kBytes];
  const crypto::ScopedWipe wipe_block(block, sizeof block);  // (opened values, as result_)
  for (std::size_t i = 0; i < values.size();) {
    std::size_t n = 0;
    for (; n < 256 && i < values.size(); ++n, ++i)
      values[i].to_bytes(block + n * crypto::Fp::kBytes);
    h.update(block, n * crypto::Fp::kBytes);
  }
  return h.finish();
}

void AggregationJob::acknowledged(std::uint16_t party) {
  if (party < acked_.size()) acked_[party] = true;
}

void AggregationJob::check_own_input_kept() const {
  if (!is_input_ || !is_compute(params_.self)) return;
  const FederationDef& fed = params_.federation;
  for (std::uint16_t c : compute_) {
    if (c == params_.self || !acked_[c] || !rosters_[c]) continue;
    if ((rosters_[c]->included & bit(params_.self)) != 0) continue;
    throw ProtocolError(
        ErrorKind::kInconsistent,
        "party " + fed.parties[c] + " left this party's input out although it accepted its share",
        "Its server accepted this party's share in this run, but its roster names "
        "other inputs. Nothing was opened.",
        "Run the job again; if it happens again, ask party " + fed.parties[c] + " why.");
  }
}

void AggregationJob::release() {
  finished_ = true;
  if (!is_output_) return;
  // Shamir: opened from more than t values (open()); MAC keys: checked.
  verified_ = shamir_ || mac_;
  result_.resize(width_);
}

}  // namespace smpc::protocol
