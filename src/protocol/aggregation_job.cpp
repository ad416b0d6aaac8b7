// The sans-IO peer-to-peer aggregation protocol; see aggregation_job.hpp for
// the rounds. Invariants kept here:
//   - a received message is checked completely before any state changes, so
//     a rejected message leaves the job as it was;
//   - per sender and round at most one message is kept; an identical repeat
//     is ignored, a different one is equivocation;
//   - nothing but the row count is opened before the row count passed the
//     release policy, and a refused job keeps no opened value;
//   - the result is only exposed after every partner confirmed the same
//     transcript digest.
#include "protocol/aggregation_job.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "crypto/hash.hpp"
#include "crypto/sharing.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kTranscriptDomain = "smpc-transcript-v2";
constexpr std::size_t kMaxEarlyMessages = 16;

// Cuts a reason to kMaxReasonBytes without splitting a UTF-8 sequence.
std::string truncate_reason(const std::string& reason) {
  if (reason.size() <= kMaxReasonBytes) return reason;
  std::size_t end = kMaxReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

// The elements of `v` at `indexes`, in that order.
std::vector<crypto::Fp> pick(const std::vector<crypto::Fp>& v,
                             const std::vector<std::size_t>& indexes) {
  std::vector<crypto::Fp> out;
  out.reserve(indexes.size());
  for (std::size_t i : indexes) out.push_back(v[i]);
  return out;
}

}  // namespace

AggregationJob::AggregationJob(JobParams params, std::vector<crypto::Fp> input,
                               crypto::RandomSource& rng)
    : params_(std::move(params)), input_(std::move(input)), rng_(rng) {
  validate(params_.federation);
  validate(params_.policy);
  const std::size_t n = params_.federation.parties.size();
  if (params_.self >= n) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "party index " + std::to_string(params_.self) +
                                                         " is outside the federation of " +
                                                         std::to_string(n) + " parties");
  }
  if (params_.job_id.empty() || params_.job_id.size() > kMaxJobIdBytes) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job id must have 1 to " + std::to_string(kMaxJobIdBytes) + " bytes");
  }
  if (params_.descriptor.empty() || params_.descriptor.size() > kMaxDescriptorBytes) {
    throw ProtocolError(
        ErrorKind::kInvalidArgument,
        "job descriptor must have 1 to " + std::to_string(kMaxDescriptorBytes) + " bytes");
  }
  if (input_.empty() || input_.size() > kMaxValues) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job input must have 1 to " + std::to_string(kMaxValues) + " values");
  }
  width_ = input_.size();
  if (params_.count_index && *params_.count_index >= width_) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "the row count index is outside the input");
  }
  if (params_.policy.min_rows > 0 && !params_.count_index) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a minimum row count needs the row count in the job input");
  }
  check_admits(params_.federation, params_.policy);

  fingerprint_ = fingerprint(params_.federation);
  policy_fingerprint_ = fingerprint(params_.policy);
  for (std::size_t k = 0; k < width_; ++k) {
    if (params_.policy.min_rows > 0 && k == *params_.count_index) {
      gated_.push_back(k);
    } else {
      rest_.push_back(k);
    }
  }
  phases_.push_back(MessageType::kShare);
  if (!gated_.empty()) phases_.push_back(MessageType::kCount);
  if (!rest_.empty()) phases_.push_back(MessageType::kPartial);
  phases_.push_back(MessageType::kConfirm);

  shares_.resize(n);
  counts_.resize(n);
  partials_.resize(n);
  confirms_.resize(n);
  nonces_.resize(n);
  early_.resize(n);
  dead_.resize(n);
  dead_reason_.resize(n);
  rng_.fill(nonce_.data(), nonce_.size());
}

// The fields every message of this job carries.
Message AggregationJob::header(MessageType type, std::uint16_t to) const {
  Message m;
  m.type = type;
  m.federation = params_.federation.name;
  m.job_id = params_.job_id;
  m.sender = params_.self;
  m.receiver = to;
  m.nonce = nonce_;
  m.fingerprint = fingerprint_;
  m.policy = policy_fingerprint_;
  m.descriptor = params_.descriptor;
  return m;
}

AggregationJob::Slots& AggregationJob::slots(MessageType type) {
  return const_cast<Slots&>(static_cast<const AggregationJob*>(this)->slots(type));
}

const AggregationJob::Slots& AggregationJob::slots(MessageType type) const {
  switch (type) {
    case MessageType::kShare:
      return shares_;
    case MessageType::kCount:
      return counts_;
    case MessageType::kPartial:
      return partials_;
    case MessageType::kConfirm:
      return confirms_;
    case MessageType::kAbort:
      break;
  }
  throw std::logic_error("no slots for abort messages");
}

// Number of values a message of `type` carries in this job.
std::size_t AggregationJob::expected_width(MessageType type) const {
  switch (type) {
    case MessageType::kShare:
      return width_;
    case MessageType::kCount:
      return gated_.size();
    case MessageType::kPartial:
      return rest_.size();
    default:
      return 0;
  }
}

bool AggregationJob::complete(const Slots& s) const {
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (j != params_.self && !s[j]) return false;
  }
  return true;
}

void AggregationJob::discard_run(const Message& abort) {
  if (phase_ != 0) throw std::logic_error("AggregationJob::discard_run() after start()");
  const FederationDef& fed = params_.federation;
  if (abort.type != MessageType::kAbort || abort.federation != fed.name ||
      abort.job_id != params_.job_id || abort.receiver != params_.self ||
      abort.sender >= fed.parties.size() || abort.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "not an abort of this job from a partner");
  }
  std::vector<Nonce>& dead = dead_[abort.sender];
  // Bounded like early messages: a partner's aborted attempts are few.
  if (std::find(dead.begin(), dead.end(), abort.nonce) == dead.end() &&
      dead.size() < kMaxEarlyMessages) {
    dead.push_back(abort.nonce);
  }
  dead_reason_[abort.sender] = abort.reason.empty() ? "no reason was given" : abort.reason;
}

std::string AggregationJob::dead_runs() const {
  std::string out;
  for (std::size_t j = 0; j < dead_.size(); ++j) {
    if (dead_[j].empty()) continue;
    if (!out.empty()) out += " ";
    out += "Party " + params_.federation.parties[j] +
           " aborted the job before this party started it: " + dead_reason_[j] + ".";
  }
  return out;
}

std::vector<Outgoing> AggregationJob::start() {
  if (phase_ != 0) throw std::logic_error("AggregationJob::start() called twice");
  const std::size_t n = params_.federation.parties.size();
  // by_party[j][k]: party j's share of input element k.
  std::vector<std::vector<crypto::Fp>> by_party(n, std::vector<crypto::Fp>(width_));
  for (std::size_t k = 0; k < width_; ++k) {
    std::vector<crypto::Fp> split = crypto::additive_split(input_[k], n, rng_);
    for (std::size_t j = 0; j < n; ++j) by_party[j][k] = split[j];
  }
  own_share_ = std::move(by_party[params_.self]);
  const std::string definition = canonical_text(params_.federation);
  const std::string policy = canonical_text(params_.policy);

  std::vector<Outgoing> out;
  for (std::size_t j = 0; j < n; ++j) {
    if (j == params_.self) continue;
    auto to = static_cast<std::uint16_t>(j);
    Message m = header(MessageType::kShare, to);
    m.definition = definition;
    m.policy_text = policy;
    m.values = std::move(by_party[j]);
    if (out.empty() && fault_ == Fault::kEquivocateShare) {
      Message other = m;
      other.values[0] += crypto::Fp::from_signed(1);
      out.push_back(Outgoing{to, std::move(other)});
    }
    out.push_back(Outgoing{to, std::move(m)});
  }
  phase_ = 1;
  // Shares that arrived before start() may already complete round 1.
  std::vector<Outgoing> more = advance();
  for (Outgoing& o : more) out.push_back(std::move(o));
  return out;
}

std::vector<Outgoing> AggregationJob::receive(const Message& m) {
  const FederationDef& fed = params_.federation;
  const std::size_t n = fed.parties.size();
  // A job that ended here (released or refused) has nothing left to learn.
  if (finished_) return {};
  if (m.federation != fed.name || m.job_id != params_.job_id) {
    throw ProtocolError(ErrorKind::kMalformed, "message belongs to a different job");
  }
  if (m.receiver != params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message is addressed to a different party");
  }
  if (m.sender >= n) {
    throw ProtocolError(ErrorKind::kMalformed, "message comes from an unknown party index");
  }
  if (m.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message claims to come from this party");
  }
  const std::string party = "party " + fed.parties[m.sender];

  // Messages of a run that died before this one started are ignored.
  const std::vector<Nonce>& dead = dead_[m.sender];
  if (std::find(dead.begin(), dead.end(), m.nonce) != dead.end()) return {};

  // A sender's run of the job is fixed by its share (round 1). Messages of
  // another run (a failed earlier attempt whose abort or partial arrived
  // late) are ignored; messages that arrive before the sender's share are
  // held back until it shows which run is current.
  const std::optional<Nonce>& known = nonces_[m.sender];
  if (m.type != MessageType::kShare) {
    if (!known) {
      // Bounded: a sender has at most a count, a partial, a confirm and an
      // abort per run; more are junk from a misbehaving sender and are
      // dropped.
      if (early_[m.sender].size() < kMaxEarlyMessages) early_[m.sender].push_back(m);
      return {};
    }
    if (*known != m.nonce) return {};
  }

  if (m.type == MessageType::kAbort) {
    // A partner that opened the row count and found it too low: this party
    // opens the same count (its own count round may just not be complete
    // yet), so it reports the same refusal.
    if (m.refused && !gated_.empty() && phase_ >= 2) {
      refusal_ = row_count_refusal();
      result_.assign(width_, crypto::Fp());
      finished_ = true;
      return {};
    }
    throw ProtocolError(ErrorKind::kAborted, party + " aborted the job",
                        m.reason.empty() ? std::string("no reason was given") : m.reason);
  }

  if (m.fingerprint != fingerprint_) {
    const std::string message = "federation \"" + fed.name + "\" differs at " + party;
    const std::string hint =
        "Register the same federation definition (name, parties in order, scale) at every "
        "party.";
    std::string difference;
    if (m.type == MessageType::kShare) {
      try {
        difference = describe_difference(fed, parse_canonical(m.definition));
      } catch (const ProtocolError&) {
        // An unreadable definition: report the generic mismatch below.
      }
    }
    if (difference.empty()) difference = "The federation fingerprints differ.";
    throw ProtocolError(ErrorKind::kFederationMismatch, message, difference, hint);
  }

  if (m.descriptor != params_.descriptor) {
    throw ProtocolError(ErrorKind::kJobMismatch,
                        party + " computes " + m.descriptor + " under this job id, this party " +
                            "computes " + params_.descriptor,
                        {}, "Use a distinct job id for each computation.");
  }

  if (m.policy != policy_fingerprint_) {
    std::string difference;
    if (m.type == MessageType::kShare) {
      try {
        difference = describe_difference(params_.policy, parse_policy(m.policy_text));
      } catch (const ProtocolError&) {
        // An unreadable policy: report the generic mismatch below.
      }
    }
    if (difference.empty()) difference = "The release policy fingerprints differ.";
    throw ProtocolError(ErrorKind::kPolicyMismatch,
                        "the release policy of job \"" + params_.job_id + "\" differs at " + party,
                        difference,
                        "Every party must apply the same release policy to a job: the same "
                        "min_parties and min_rows, and the same bounds for the aggregated column.");
  }

  if (known && *known != m.nonce) {
    throw ProtocolError(ErrorKind::kInconsistent, party + " restarted the job while it was running",
                        "A message arrived with a different run nonce than earlier messages "
                        "from this party.");
  }

  if (std::find(phases_.begin(), phases_.end(), m.type) == phases_.end()) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent a " + type_name(m.type) +
                                                   " message, which this job has no round for");
  }
  std::optional<Message>& slot = slots(m.type)[m.sender];
  if (m.type != MessageType::kConfirm && m.values.size() != expected_width(m.type)) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent " + std::to_string(m.values.size()) +
                                                   " values, this party expects " +
                                                   std::to_string(expected_width(m.type)));
  }
  if (slot.has_value()) {
    if (*slot == m) return {};  // a harmless duplicate delivery
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different " + type_name(m.type) + " messages",
                        "A party that sends different messages for the same round is "
                        "equivocating; the job cannot be trusted.");
  }
  slot = m;
  nonces_[m.sender] = m.nonce;
  std::vector<Outgoing> out = advance();
  if (m.type == MessageType::kShare && !early_[m.sender].empty()) {
    // Replay what this sender sent before its share, now that its run is known.
    std::vector<Message> held = std::move(early_[m.sender]);
    early_[m.sender].clear();
    for (const Message& e : held) {
      for (Outgoing& o : receive(e)) out.push_back(std::move(o));
    }
  }
  return out;
}

// This party's message of round `type` to every partner.
void AggregationJob::send_round(MessageType type, std::vector<Outgoing>& out) {
  const std::size_t n = params_.federation.parties.size();
  bool first = true;
  for (std::size_t j = 0; j < n; ++j) {
    if (j == params_.self) continue;
    auto to = static_cast<std::uint16_t>(j);
    Message m = header(type, to);
    if (type == MessageType::kCount) m.values = pick(held_, gated_);
    if (type == MessageType::kPartial) m.values = pick(held_, rest_);
    if (type == MessageType::kConfirm) m.digest = digest_;
    if (first) {
      if ((fault_ == Fault::kEquivocateCount && type == MessageType::kCount) ||
          (fault_ == Fault::kEquivocatePartial && type == MessageType::kPartial))
        m.values[0] += crypto::Fp::from_signed(1);
      if (fault_ == Fault::kWrongConfirm && type == MessageType::kConfirm) m.digest[0] ^= 0x01;
    }
    first = false;
    out.push_back(Outgoing{to, std::move(m)});
  }
}

// result_[indexes[k]] = this party's value plus every partner's value k.
void AggregationJob::open(MessageType type, const std::vector<std::size_t>& indexes) {
  const Slots& s = slots(type);
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    crypto::Fp sum = held_[indexes[k]];
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (j != params_.self) sum += s[j]->values[k];
    }
    result_[indexes[k]] = sum;
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

// digest_ = H(domain, fingerprints, job id, descriptor, every party's count
// and partial values).
void AggregationJob::finish_transcript() {
  crypto::Sha256 h;
  h.update_field(kTranscriptDomain);
  h.update(fingerprint_.data(), fingerprint_.size());
  h.update(policy_fingerprint_.data(), policy_fingerprint_.size());
  h.update_field(params_.job_id);
  h.update_field(params_.descriptor);
  std::uint8_t bytes[crypto::Fp::kBytes];
  for (MessageType type : {MessageType::kCount, MessageType::kPartial}) {
    if (std::find(phases_.begin(), phases_.end(), type) == phases_.end()) continue;
    const Slots& s = slots(type);
    const std::vector<std::size_t>& indexes = type == MessageType::kCount ? gated_ : rest_;
    for (std::size_t j = 0; j < s.size(); ++j) {
      const std::vector<crypto::Fp> own = pick(held_, indexes);
      for (const crypto::Fp& v : j == params_.self ? own : s[j]->values) {
        v.to_bytes(bytes);
        h.update(bytes, sizeof bytes);
      }
    }
  }
  digest_ = h.finish();
}

// Moves through as many rounds as the stored messages allow, returning the
// messages each completed round produces.
std::vector<Outgoing> AggregationJob::advance() {
  const std::size_t n = params_.federation.parties.size();
  std::vector<Outgoing> out;
  while (!finished_ && phase_ > 0) {
    const MessageType current = phases_[static_cast<std::size_t>(phase_ - 1)];
    if (current == MessageType::kConfirm) {
      // Check every confirm that is already here, so a mismatch is reported
      // as soon as it is known rather than after the last confirm arrives.
      for (std::size_t j = 0; j < n; ++j) {
        if (j == params_.self || !confirms_[j]) continue;
        if (confirms_[j]->digest != digest_) {
          throw ProtocolError(ErrorKind::kInconsistent,
                              "party " + params_.federation.parties[j] +
                                  " holds a different result (transcript digest mismatch)",
                              "Some party received inconsistent values; no result is "
                              "released.");
        }
      }
      if (!complete(confirms_)) break;
      finished_ = true;
      break;
    }
    if (!complete(slots(current))) break;
    if (current == MessageType::kShare) {
      held_ = own_share_;
      result_.assign(width_, crypto::Fp());
      for (std::size_t j = 0; j < n; ++j) {
        if (j == params_.self) continue;
        for (std::size_t k = 0; k < width_; ++k) held_[k] += shares_[j]->values[k];
      }
    } else if (current == MessageType::kCount) {
      open(MessageType::kCount, gated_);
      const crypto::i128 rows = result_[*params_.count_index].to_signed();
      if (rows < static_cast<crypto::i128>(params_.policy.min_rows)) {
        refusal_ = row_count_refusal();
        // Nothing but the count was opened; drop it with the other values.
        result_.assign(width_, crypto::Fp());
        finished_ = true;
        break;
      }
    } else {
      open(MessageType::kPartial, rest_);
    }
    ++phase_;
    const MessageType next = phases_[static_cast<std::size_t>(phase_ - 1)];
    if (next == MessageType::kConfirm) finish_transcript();
    send_round(next, out);
  }
  return out;
}

const std::vector<crypto::Fp>& AggregationJob::result() const {
  if (!finished_) throw std::logic_error("AggregationJob::result() before the job finished");
  if (refusal_) throw *refusal_;
  return result_;
}

std::string AggregationJob::round_name(MessageType t) const {
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i] == t) {
      return "round " + std::to_string(i + 1) + " (" + type_name(t) + ")";
    }
  }
  return type_name(t);
}

std::vector<std::uint16_t> AggregationJob::missing() const {
  std::vector<std::uint16_t> out;
  if (finished_) return out;
  const Slots& s = slots(phases_[static_cast<std::size_t>(phase_ == 0 ? 0 : phase_ - 1)]);
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (j != params_.self && !s[j]) out.push_back(static_cast<std::uint16_t>(j));
  }
  return out;
}

std::string AggregationJob::describe_missing() const {
  std::vector<std::uint16_t> parties = missing();
  if (parties.empty()) return {};
  std::string out =
      round_name(phases_[static_cast<std::size_t>(phase_ == 0 ? 0 : phase_ - 1)]) + " from ";
  for (std::size_t i = 0; i < parties.size(); ++i) {
    if (i > 0) out += ", ";
    out += "party " + params_.federation.parties[parties[i]];
  }
  return out;
}

Message AggregationJob::abort_message(std::uint16_t to, const std::string& reason) const {
  Message m = header(MessageType::kAbort, to);
  m.reason = truncate_reason(reason);
  m.refused = refusal_.has_value();
  return m;
}

}  // namespace smpc::protocol
