// The sans-IO peer-to-peer aggregation protocol; see aggregation_job.hpp for
// the rounds. Invariants kept here:
//   - a received message is checked completely before any state changes, so
//     a rejected message leaves the job as it was;
//   - per sender and round at most one message is kept; an identical repeat
//     is ignored, a different one is equivocation;
//   - the result is only exposed after every partner confirmed the same
//     transcript digest.
#include "protocol/aggregation_job.hpp"

#include <stdexcept>
#include <utility>

#include "crypto/hash.hpp"
#include "crypto/sharing.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kTranscriptDomain = "smpc-transcript-v1";
constexpr std::size_t kMaxEarlyMessages = 16;

// Adds b to a element by element; both have the same width.
void add_into(std::vector<crypto::Fp>& a, const std::vector<crypto::Fp>& b) {
  for (std::size_t k = 0; k < a.size(); ++k) a[k] += b[k];
}

// Cuts a reason to kMaxReasonBytes without splitting a UTF-8 sequence.
std::string truncate_reason(const std::string& reason) {
  if (reason.size() <= kMaxReasonBytes) return reason;
  std::size_t end = kMaxReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

}  // namespace

AggregationJob::AggregationJob(JobParams params, std::vector<crypto::Fp> input,
                               crypto::RandomSource& rng)
    : params_(std::move(params)), input_(std::move(input)), rng_(rng) {
  validate(params_.federation);
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
  fingerprint_ = fingerprint(params_.federation);
  width_ = input_.size();
  shares_.resize(n);
  partials_.resize(n);
  confirms_.resize(n);
  nonces_.resize(n);
  early_.resize(n);
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
  m.descriptor = params_.descriptor;
  return m;
}

std::vector<Outgoing> AggregationJob::start() {
  if (round_ != 0) throw std::logic_error("AggregationJob::start() called twice");
  const std::size_t n = params_.federation.parties.size();
  // by_party[j][k]: party j's share of input element k.
  std::vector<std::vector<crypto::Fp>> by_party(n, std::vector<crypto::Fp>(width_));
  for (std::size_t k = 0; k < width_; ++k) {
    std::vector<crypto::Fp> split = crypto::additive_split(input_[k], n, rng_);
    for (std::size_t j = 0; j < n; ++j) by_party[j][k] = split[j];
  }
  own_share_ = std::move(by_party[params_.self]);
  const std::string definition = canonical_text(params_.federation);

  std::vector<Outgoing> out;
  for (std::size_t j = 0; j < n; ++j) {
    if (j == params_.self) continue;
    auto to = static_cast<std::uint16_t>(j);
    Message m = header(MessageType::kShare, to);
    m.definition = definition;
    m.values = std::move(by_party[j]);
    out.push_back(Outgoing{to, std::move(m)});
  }
  round_ = 1;
  // Shares that arrived before start() may already complete round 1.
  std::vector<Outgoing> more = advance();
  for (Outgoing& o : more) out.push_back(std::move(o));
  return out;
}

std::vector<Outgoing> AggregationJob::receive(const Message& m) {
  const FederationDef& fed = params_.federation;
  const std::size_t n = fed.parties.size();
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

  // A sender's run of the job is fixed by its share (round 1). Messages of
  // another run (a failed earlier attempt whose abort or partial arrived
  // late) are ignored; messages that arrive before the sender's share are
  // held back until it shows which run is current.
  const std::optional<Nonce>& known = nonces_[m.sender];
  if (m.type != MessageType::kShare) {
    if (!known) {
      // Bounded: a sender has at most a partial, a confirm and an abort per
      // run; more are junk from a misbehaving sender and are dropped.
      if (early_[m.sender].size() < kMaxEarlyMessages) early_[m.sender].push_back(m);
      return {};
    }
    if (*known != m.nonce) return {};
  }

  if (m.type == MessageType::kAbort) {
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

  if (known && *known != m.nonce) {
    throw ProtocolError(ErrorKind::kInconsistent, party + " restarted the job while it was running",
                        "A message arrived with a different run nonce than earlier messages "
                        "from this party.");
  }

  std::optional<Message>* slot = nullptr;
  switch (m.type) {
    case MessageType::kShare:
      slot = &shares_[m.sender];
      break;
    case MessageType::kPartial:
      slot = &partials_[m.sender];
      break;
    case MessageType::kConfirm:
      slot = &confirms_[m.sender];
      break;
    case MessageType::kAbort:
      break;
  }
  if (slot == nullptr) {
    throw ProtocolError(ErrorKind::kMalformed, "message has an unknown type");
  }
  if ((m.type == MessageType::kShare || m.type == MessageType::kPartial) &&
      m.values.size() != width_) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent " + std::to_string(m.values.size()) +
                                                   " values, this party expects " +
                                                   std::to_string(width_));
  }
  if (slot->has_value()) {
    if (**slot == m) return {};  // a harmless duplicate delivery
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different " + type_name(m.type) + " messages",
                        "A party that sends different messages for the same round is "
                        "equivocating; the job cannot be trusted.");
  }
  *slot = m;
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

// Moves through as many rounds as the stored messages allow, returning the
// messages each completed round produces.
std::vector<Outgoing> AggregationJob::advance() {
  const std::size_t n = params_.federation.parties.size();
  auto complete = [&](const std::vector<std::optional<Message>>& slots) {
    for (std::size_t j = 0; j < n; ++j) {
      if (j != params_.self && !slots[j]) return false;
    }
    return true;
  };
  auto send_all = [&](std::vector<Outgoing>& out, MessageType type) {
    bool first = true;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == params_.self) continue;
      auto to = static_cast<std::uint16_t>(j);
      Message m = header(type, to);
      if (type == MessageType::kPartial) m.values = partial_;
      if (type == MessageType::kConfirm) m.digest = digest_;
      if (first && fault_ == Fault::kEquivocatePartial && type == MessageType::kPartial)
        m.values[0] += crypto::Fp::from_signed(1);
      if (first && fault_ == Fault::kWrongConfirm && type == MessageType::kConfirm)
        m.digest[0] ^= 0x01;
      first = false;
      out.push_back(Outgoing{to, std::move(m)});
    }
  };

  std::vector<Outgoing> out;
  while (!finished_) {
    if (round_ == 1) {
      if (!complete(shares_)) break;
      partial_ = own_share_;
      for (std::size_t j = 0; j < n; ++j) {
        if (j != params_.self) add_into(partial_, shares_[j]->values);
      }
      send_all(out, MessageType::kPartial);
      round_ = 2;
    } else if (round_ == 2) {
      if (!complete(partials_)) break;
      result_ = partial_;
      crypto::Sha256 h;
      h.update_field(kTranscriptDomain);
      h.update(fingerprint_.data(), fingerprint_.size());
      h.update_field(params_.job_id);
      h.update_field(params_.descriptor);
      std::uint8_t bytes[crypto::Fp::kBytes];
      for (std::size_t j = 0; j < n; ++j) {
        const std::vector<crypto::Fp>& y = j == params_.self ? partial_ : partials_[j]->values;
        if (j != params_.self) add_into(result_, y);
        for (const crypto::Fp& v : y) {
          v.to_bytes(bytes);
          h.update(bytes, sizeof bytes);
        }
      }
      digest_ = h.finish();
      send_all(out, MessageType::kConfirm);
      round_ = 3;
    } else if (round_ == 3) {
      // Check every confirm that is already here, so a mismatch is reported
      // as soon as it is known rather than after the last confirm arrives.
      for (std::size_t j = 0; j < n; ++j) {
        if (j == params_.self || !confirms_[j]) continue;
        if (confirms_[j]->digest != digest_) {
          throw ProtocolError(ErrorKind::kInconsistent,
                              "party " + params_.federation.parties[j] +
                                  " holds a different result (transcript digest mismatch)",
                              "Some party received inconsistent partial sums; no result is "
                              "released.");
        }
      }
      if (!complete(confirms_)) break;
      finished_ = true;
    } else {
      break;  // not started
    }
  }
  return out;
}

const std::vector<crypto::Fp>& AggregationJob::result() const {
  if (!finished_) throw std::logic_error("AggregationJob::result() before the job finished");
  return result_;
}

std::vector<std::uint16_t> AggregationJob::missing() const {
  std::vector<std::uint16_t> out;
  if (finished_) return out;
  const std::vector<std::optional<Message>>& slots =
      round_ <= 1 ? shares_ : (round_ == 2 ? partials_ : confirms_);
  for (std::size_t j = 0; j < slots.size(); ++j) {
    if (j != params_.self && !slots[j]) out.push_back(static_cast<std::uint16_t>(j));
  }
  return out;
}

std::string AggregationJob::describe_missing() const {
  std::vector<std::uint16_t> parties = missing();
  if (parties.empty()) return {};
  int round = round_ == 0 ? 1 : round_;
  static constexpr MessageType kTypes[] = {MessageType::kShare, MessageType::kPartial,
                                           MessageType::kConfirm};
  std::string out =
      "round " + std::to_string(round) + " (" + type_name(kTypes[round - 1]) + ") from ";
  for (std::size_t i = 0; i < parties.size(); ++i) {
    if (i > 0) out += ", ";
    out += "party " + params_.federation.parties[parties[i]];
  }
  return out;
}

Message AggregationJob::abort_message(std::uint16_t to, const std::string& reason) const {
  Message m = header(MessageType::kAbort, to);
  m.reason = truncate_reason(reason);
  return m;
}

}  // namespace smpc::protocol
