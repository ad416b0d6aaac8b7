// AggregationJob, what comes in: receive() checks a message in stages
// before anything changes, then stores it and advances; dropouts (a partner
// that leaves, restarts, stops answering or cannot be reached). See
// aggregation_job.hpp ("Runs", "Dropouts") and the invariants in
// aggregation_job.cpp.
#include <algorithm>
#include <utility>

#include "crypto/prg.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/aggregation_job_internal.hpp"

namespace smpc::protocol {

using job_internal::kMaxEarlyMessages;

namespace {

std::string party_name(const FederationDef& fed, std::uint16_t party) {
  return "party " + fed.parties[party];
}

// Values a message carries (a seeded share: the values its seed stands for).
std::size_t values_sent(const Message& m) { return m.seeded != 0 ? m.seeded : m.values.size(); }

}  // namespace

// The stages, in order; each may end the message's way here. Nothing
// changes before the last one (stage 2 holds back or drops the message, or
// lets a departed partner go; stage 3 handles an abort, stage 5 a restart).
std::vector<Outgoing> AggregationJob::receive(Message m) {
  // A job that ended here (released or refused) has nothing left to learn.
  if (finished_) return {};
  check_addressed(m);  // 1. this job, this party
  note_run(m.sender, m.nonce);
  std::vector<Outgoing> out;
  if (!in_current_run(m, out)) return out;                     // 2. the sender's current run
  if (m.type == MessageType::kAbort) return receive_abort(m);  // 3. an abort
  check_same_job(m);                                           // 4. same federation, job, policy
  const std::optional<Nonce>& known = nonces_[m.sender];
  if (known && *known != m.nonce) return restarted(m.sender);  // 5. a new run
  check_fits_round(m);                                         // 6. round, role, width
  if (is_repeat(m)) return {};                                 // 7. a duplicate delivery
  return accept(std::move(m));                                 // 8. stored; the job advances
}

void AggregationJob::check_addressed(const Message& m) const {
  const FederationDef& fed = params_.federation;
  if (m.federation != fed.name || m.job_id != params_.job_id) {
    throw ProtocolError(ErrorKind::kMalformed, "message belongs to a different job");
  }
  if (m.receiver != params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message is addressed to a different party");
  }
  if (m.sender >= fed.parties.size()) {
    throw ProtocolError(ErrorKind::kMalformed, "message comes from an unknown party index");
  }
  if (m.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message claims to come from this party");
  }
  if (m.type == MessageType::kRequest) {
    throw ProtocolError(ErrorKind::kMalformed, "a request is not a message of a running job");
  }
  if (m.type == MessageType::kBlinded || m.type == MessageType::kSealedSum) {
    throw ProtocolError(ErrorKind::kMalformed, "a set job's message is not a message of this job");
  }
}

// Remembers that a message of `sender`'s run `nonce` came here (bounded
// like the messages held back: the oldest run is let go first).
void AggregationJob::note_run(std::uint16_t sender, const Nonce& nonce) {
  std::vector<Nonce>& seen = seen_[sender];
  if (std::find(seen.begin(), seen.end(), nonce) != seen.end()) return;
  if (seen.size() >= kMaxEarlyMessages) seen.erase(seen.begin());
  seen.push_back(nonce);
}

// Whether a share, count, partial or key message carries this job's number
// of values (only a share may come as a seed); other types carry none.
bool AggregationJob::width_fits(const Message& m) const {
  const bool vector = m.type == MessageType::kShare || m.type == MessageType::kCount ||
                      m.type == MessageType::kPartial || m.type == MessageType::kKey;
  return !vector || (values_sent(m) == expected_width(m.type) &&
                     (m.seeded == 0 || m.type == MessageType::kShare));
}

// A sender's run of the job is fixed by its first message of its first
// round (its share, for an input party). Messages of another run (a failed
// earlier attempt whose abort or partial arrived late) are ignored;
// messages that arrive before it are held back until it shows which run is
// current.
bool AggregationJob::in_current_run(Message& m, std::vector<Outgoing>& out) {
  // Messages of a run that died before this one started are ignored.
  const std::vector<Nonce>& dead = dead_[m.sender];
  if (std::find(dead.begin(), dead.end(), m.nonce) != dead.end()) return false;

  const std::optional<Nonce>& known = nonces_[m.sender];
  if (m.type == first_type_from(m.sender)) return true;
  if (known) return *known == m.nonce;
  // A run that ended before it sent anything (its party's input failed
  // there) while this one is under way: the sender's latest run, since a
  // later one's messages would follow this abort. Acted on at once, so
  // partners do not wait out the round for a party that has stopped.
  if (m.type == MessageType::kAbort && m.withdrawn && phase_ > 0) return true;
  // A tolerant job does not wait for a partner that left before it sent
  // anything here (a non-fatal abort); a fatal one may be stale.
  if (m.type == MessageType::kAbort && !m.fatal && tolerant_ && phase_ > 0) {
    (void)leave(m.sender,
                "aborted: " + (m.reason.empty() ? std::string("no reason was given") : m.reason),
                out);
    return false;
  }
  // Bounded: a sender has at most one message per round and an abort
  // per run; more are junk from a misbehaving sender and are dropped,
  // as are vectors that are not this job's (up to 32 MB each; the
  // sender's first message will say what it computes instead).
  if (early_[m.sender].size() < kMaxEarlyMessages && width_fits(m) &&
      m.descriptor == params_.descriptor) {
    early_[m.sender].push_back(std::move(m));
  }
  return false;
}

std::vector<Outgoing> AggregationJob::receive_abort(const Message& m) {
  // A compute partner that opened the row count and found it too low: this
  // party opens the same count (its own count round may just not be
  // complete yet), so it reports the same refusal. A party that opened
  // the count itself (and went on) trusts its own count, not the partner.
  const auto count_phase = std::find(phases_.begin(), phases_.end(), MessageType::kCount);
  const int count_round = static_cast<int>(count_phase - phases_.begin()) + 1;
  const bool counting = count_phase != phases_.end() && phase_ == count_round;
  if (m.refused && counting && is_compute(m.sender)) {
    refusal_ = row_count_refusal();
    result_.assign(wide_, crypto::Fp());
    finished_ = true;
    return {};
  }
  std::vector<Outgoing> out;
  const std::string why = m.reason.empty() ? std::string("no reason was given") : m.reason;
  // A partner that leaves for its own reasons is a dropout to a job that
  // tolerates them; one that saw an inconsistency stops the job everywhere.
  if (!m.fatal && !dropped_[m.sender] && leave(m.sender, "aborted: " + why, out)) return out;
  if (dropped_[m.sender] && !m.fatal) return {};
  throw ProtocolError(ErrorKind::kAborted,
                      party_name(params_.federation, m.sender) + " aborted the job", why);
}

// The sender's federation definition, job descriptor and release policy
// are this party's; a difference is named as precisely as the message allows.
void AggregationJob::check_same_job(const Message& m) const {
  const FederationDef& fed = params_.federation;
  const std::string party = party_name(fed, m.sender);
  if (m.fingerprint != fingerprint_) {
    const std::string message = "federation \"" + fed.name + "\" differs at " + party;
    const std::string hint =
        "Register the same federation definition (name, parties in order, scale, threshold and "
        "roles) at every party.";
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
    // Grouped jobs name their key domain ("... by 5 keys <fingerprint>").
    const bool grouped = m.descriptor.find(" keys ") != std::string::npos &&
                         params_.descriptor.find(" keys ") != std::string::npos;
    throw ProtocolError(
        ErrorKind::kJobMismatch,
        party + " computes " + m.descriptor + " under this job id, this party " + "computes " +
            params_.descriptor,
        grouped ? "The parties declared different key domains (the number of keys and a "
                  "fingerprint of them are part of the job)."
                : "",
        grouped ? "Declare the same keys at every party; their order does not matter."
                : "Use a distinct job id for each computation.");
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
}

// The sender started the job again (it restarted): its run with us is
// gone, which a tolerant job survives like any dropout.
std::vector<Outgoing> AggregationJob::restarted(std::uint16_t sender) {
  std::vector<Outgoing> out;
  if (dropped_[sender]) return {};
  if (leave(sender, "restarted the job while it was running", out)) return out;
  throw ProtocolError(
      ErrorKind::kInconsistent,
      party_name(params_.federation, sender) + " restarted the job while it was running",
      "A message arrived with a different run nonce than earlier messages "
      "from this party.");
}

void AggregationJob::check_fits_round(const Message& m) const {
  const FederationDef& fed = params_.federation;
  const std::string party = party_name(fed, m.sender);
  if (std::find(phases_.begin(), phases_.end(), m.type) == phases_.end()) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent a " + type_name(m.type) +
                                                   " message, which this job has no round for");
  }
  // Only the roles that send a round may send its messages, and only the
  // parties that take part as inputs may be included.
  if (!sends_to_me(m.sender, m.type)) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent a " + std::string(type_name(m.type)) +
                                                   " message, which its role in federation \"" +
                                                   fed.name + "\" does not send to this party");
  }
  if ((m.included & ~input_mask_) != 0) {
    throw ProtocolError(ErrorKind::kMalformed, party + " included parties that supply no input");
  }
  if (!width_fits(m)) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent " + std::to_string(values_sent(m)) +
                                                   " values, this party expects " +
                                                   std::to_string(expected_width(m.type)));
  }
}

bool AggregationJob::is_repeat(const Message& m) {
  std::optional<Message>& slot = slots(m.type)[m.sender];
  if (!slot.has_value()) return false;
  // A harmless duplicate delivery is the same bytes again: a seeded share
  // the same seed (compared without expanding it: a resent seed costs
  // nothing), values the same values. Anything else, the same share in
  // the other form included, is a second message.
  bool same = false;
  if (m.seeded != 0 && slot->seeded == m.seeded) {
    std::vector<crypto::Fp> expanded = std::move(slot->values);
    slot->values.clear();
    same = *slot == m;
    slot->values = std::move(expanded);
  } else if (m.seeded == 0 && slot->seeded == 0) {
    same = *slot == m;
  }
  if (same) return true;
  throw ProtocolError(ErrorKind::kInconsistent,
                      party_name(params_.federation, m.sender) + " sent two different " +
                          type_name(m.type) + " messages",
                      "A party that sends different messages for the same round is "
                      "equivocating; the job cannot be trusted.");
}

std::vector<Outgoing> AggregationJob::accept(Message m) {
  // A seeded share is expanded into the share it stands for (its seed kept
  // for duplicates); kept without a copy: a grouped job's vector is up to
  // 32 MB.
  if (m.seeded != 0) {
    m.values.resize(m.seeded);
    crypto::expand_seed(m.seed, m.values.data(), m.values.size());
  }
  const std::uint16_t sender = m.sender;
  const MessageType type = m.type;
  nonces_[sender] = m.nonce;
  slots(type)[sender] = std::move(m);
  std::vector<Outgoing> out = phase_ > 0 ? advance() : std::vector<Outgoing>{};
  if (type == first_type_from(sender) && !early_[sender].empty()) {
    // Replay what this sender sent before its run was known.
    std::vector<Message> held = std::move(early_[sender]);
    early_[sender].clear();
    for (Message& e : held) {
      for (Outgoing& o : receive(std::move(e))) out.push_back(std::move(o));
    }
  }
  return out;
}

// The type of the first message `sender` sends this party in a run (its
// share, for an input party); an abort from a party that sends this one
// nothing else.
MessageType AggregationJob::first_type_from(std::uint16_t sender) const {
  for (MessageType t : phases_) {
    if (sends_to_me(sender, t)) return t;
  }
  return MessageType::kAbort;
}

bool AggregationJob::can_drop(std::uint16_t party) const {
  if (!tolerant_ || finished_) return false;
  // Not a compute party the job needs: below the quorum, or any in n-of-n.
  if (is_compute(party) && live_compute() - 1 < quorum_) return false;
  // An input after S was fixed is already in or out; before, it leaves S.
  return true;
}

void AggregationJob::mark_dropped(std::uint16_t party, const std::string& reason) {
  dropped_[party] = true;
  drop_reason_[party] = reason;
}

bool AggregationJob::leave(std::uint16_t party, const std::string& reason,
                           std::vector<Outgoing>& out) {
  if (party >= dropped_.size() || party == params_.self) return false;
  if (dropped_[party]) return true;
  if (!can_drop(party)) return false;
  mark_dropped(party, reason);
  if (phase_ > 0) {
    for (Outgoing& o : advance()) out.push_back(std::move(o));
  }
  return true;
}

// Not being able to send to a party says nothing about what it sends: its
// messages are still awaited (a deadline drops it if they do not come), so
// every compute party still includes the same inputs. It only gets nothing
// more from this party.
bool AggregationJob::unreachable(std::uint16_t party, const std::string& reason) {
  if (party >= unreachable_.size() || party == params_.self) return false;
  // A job that has ended here needs nothing more from anyone.
  if (finished_) return true;
  if (!tolerant_) return false;
  if (!unreachable_[party]) {
    unreachable_[party] = true;
    if (drop_reason_[party].empty()) drop_reason_[party] = reason;
  }
  return true;
}

bool AggregationJob::timeout(std::vector<Outgoing>& out) {
  if (finished_ || phase_ == 0) return false;
  const std::vector<std::uint16_t> late = missing();
  if (late.empty()) return false;
  // All or nothing: a round goes on only if it can go on without every one
  // of the parties it waits for.
  std::size_t compute_late = 0;
  for (std::uint16_t j : late) compute_late += is_compute(j) ? 1 : 0;
  if (!tolerant_ || live_compute() - compute_late < quorum_) return false;
  const std::string why = "did not answer in " + round_name(current());
  for (std::uint16_t j : late) mark_dropped(j, why);
  for (Outgoing& o : advance()) out.push_back(std::move(o));
  return true;
}

}  // namespace smpc::protocol
