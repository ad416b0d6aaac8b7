// The peer-to-peer secure aggregation protocol as a state machine without I/O
// ("sans-IO"): the caller delivers the messages it returns and feeds in the
// messages it receives. This keeps the protocol unit-testable in memory and
// keeps network waits (which can raise PostgreSQL errors) out of C++ frames.
//
// Rounds, for parties 0..n-1, this party i, local input vector x_i:
//   1 share:   split x_i additively into n shares; send share j to party j
//              (with the federation definition, so a mismatch can be named).
//   2 partial: y_i = sum of the n shares this party holds (its own and the
//              n-1 received); send y_i to every party.
//   3 confirm: R = sum of all y_j; send H(transcript) where the transcript is
//              (fingerprint, job id, descriptor, y_0 .. y_{n-1}).
//   done:      when every party's confirm digest equals ours, R is released.
//
// Any inconsistency (a second, different message for the same round from the
// same sender, a digest that differs, a partner's abort) throws
// ProtocolError; the caller then aborts the job everywhere. Messages from a
// later round may arrive early and are buffered.
//
// Runs: each run of a job draws a fresh nonce, and a sender's share fixes
// which of its runs this job is talking to. Later messages carrying another
// nonce belong to an earlier, failed run (a late abort or partial) and are
// ignored, so a retry is never killed or polluted by its predecessor; a
// second share with another nonce means the sender restarted mid-run, which
// is an error. Messages that arrive before the sender's share are held until
// the share shows whether they belong to the current run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/random.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"

namespace smpc::protocol {

struct JobParams {
  FederationDef federation;
  std::uint16_t self = 0;
  std::string job_id;
  std::string descriptor;  // e.g. "avg(integer)"; must match at every party
};

// Deliberate misbehaviour, for tests that prove deviations are caught. Only
// reachable from SQL in a test build (smpc.test_fault, superuser only).
enum class Fault {
  kNone,
  kEquivocatePartial,  // round 2: the first partner gets a partial sum that is off by one
  kWrongConfirm,       // round 3: the first partner gets a wrong transcript digest
};

struct Outgoing {
  std::uint16_t to;
  Message message;
};

class AggregationJob {
 public:
  // Validates params (federation, self index, job id length 1..kMaxJobIdBytes,
  // descriptor length) and input (1..kMaxValues elements); draws the nonce.
  AggregationJob(JobParams params, std::vector<crypto::Fp> input, crypto::RandomSource& rng);

  // Round-1 messages, one per partner. Call once.
  std::vector<Outgoing> start();
  // Feeds one received message; returns what to send as a consequence (maybe
  // nothing). Throws ProtocolError on any inconsistency.
  std::vector<Outgoing> receive(const Message& m);

  bool finished() const { return finished_; }
  // The joint result, one element per input element. Only when finished().
  const std::vector<crypto::Fp>& result() const;

  // 1, 2 or 3 while running.
  int round() const { return round_; }
  // Indexes of the parties whose message for the current round is missing.
  std::vector<std::uint16_t> missing() const;
  // E.g. "round 1 (share) from party c, party d"; for timeout errors.
  std::string describe_missing() const;

  // Makes this party misbehave as described by `fault` (tests only).
  void set_fault(Fault fault) { fault_ = fault; }

  // A kAbort message to party `to` with the given reason.
  Message abort_message(std::uint16_t to, const std::string& reason) const;
  const JobParams& params() const { return params_; }
  const Nonce& nonce() const { return nonce_; }

 private:
  Message header(MessageType type, std::uint16_t to) const;
  std::vector<Outgoing> advance();

  JobParams params_;
  crypto::Digest fingerprint_{};
  std::vector<crypto::Fp> input_;
  crypto::RandomSource& rng_;
  Nonce nonce_{};
  int round_ = 0;
  bool finished_ = false;
  std::size_t width_ = 0;
  std::vector<crypto::Fp> own_share_;
  // Per sender, the message received for each round (index 0..2), if any.
  std::vector<std::optional<Message>> shares_, partials_, confirms_;
  std::vector<std::optional<Nonce>> nonces_;
  // Per sender, messages that arrived before its share (run not yet known).
  std::vector<std::vector<Message>> early_;
  std::vector<crypto::Fp> partial_;  // y_self
  std::vector<crypto::Fp> result_;
  crypto::Digest digest_{};
  Fault fault_ = Fault::kNone;
};

}  // namespace smpc::protocol
