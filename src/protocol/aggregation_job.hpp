// The peer-to-peer secure aggregation protocol as a state machine without I/O
// ("sans-IO"): the caller delivers the messages it returns and feeds in the
// messages it receives. This keeps the protocol unit-testable in memory and
// keeps network waits (which can raise PostgreSQL errors) out of C++ frames.
//
// Rounds, for parties 0..n-1, this party i, local input vector x_i:
//   share:   split x_i additively into n shares; send share j to party j
//            (with the federation definition and the release policy, so a
//            mismatch can be named).
//   count:   only when the release policy sets a minimum row count: send the
//            sum of the shares this party holds of the row-count element to
//            every party. Every party reconstructs the joint row count and
//            refuses the job when it is below the minimum, before any other
//            value is opened.
//   partial: y_i = sum of the n shares this party holds of every other
//            element (its own and the n-1 received); send y_i to every party.
//   confirm: R = sum of all y_j; send H(transcript) where the transcript is
//            (federation fingerprint, policy fingerprint, job id, descriptor,
//            every party's count and partial values).
//   done:    when every party's confirm digest equals ours, R is released.
// A job without a minimum row count has no count round; a job whose only
// element is the row count (smpc_count) has no partial round.
//
// Any inconsistency (a second, different message for the same round from the
// same sender, a digest that differs, a partner's abort, a different
// federation or release policy) throws ProtocolError; the caller then aborts
// the job everywhere. Messages from a later round may arrive early and are
// buffered.
//
// Runs: each run of a job draws a fresh nonce, and a sender's share fixes
// which of its runs this job is talking to. Later messages carrying another
// nonce belong to an earlier, failed run (a late abort or partial) and are
// ignored, so a retry is never killed or polluted by its predecessor; a
// second share with another nonce means the sender restarted mid-run, which
// is an error. Messages that arrive before the sender's share are held until
// the share shows whether they belong to the current run.
//
// Dead runs: an abort that was already waiting here before this run started
// (before this party sent anything) ends a partner's run that never involved
// this one, typically a failed attempt this party missed. The caller hands
// such aborts to discard_run() before start(): that run's messages are
// ignored, the job keeps waiting for the partner's retry, and its reason is
// kept for the timeout error (dead_runs()).  An abort that arrives after
// start() aborts the job as usual.
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
#include "protocol/protocol_error.hpp"
#include "protocol/release_policy.hpp"

namespace smpc::protocol {

struct JobParams {
  FederationDef federation;
  std::uint16_t self = 0;
  std::string job_id;
  std::string descriptor;  // e.g. "avg(integer)"; must match at every party
  ReleasePolicy policy;    // must match at every party
  // Position of the row count in the input vector; needed when the policy
  // sets min_rows.
  std::optional<std::size_t> count_index;
};

// Deliberate misbehaviour, for tests that prove deviations are caught. Only
// reachable from SQL in a test build (smpc.test_fault, superuser only).
enum class Fault {
  kNone,
  kEquivocateShare,    // share round: the first partner gets a second, different share
  kEquivocateCount,    // count round: the first partner gets a count sum that is off by one
  kEquivocatePartial,  // partial round: the first partner gets a partial sum that is off by one
  kWrongConfirm,       // confirm round: the first partner gets a wrong transcript digest
};

struct Outgoing {
  std::uint16_t to;
  Message message;
};

class AggregationJob {
 public:
  // Validates params (federation, policy, self index, job id length
  // 1..kMaxJobIdBytes, descriptor length, count index) and input
  // (1..kMaxValues elements); draws the nonce. Throws ProtocolError
  // (kRefused) when the federation has fewer parties than the policy's
  // min_parties.
  AggregationJob(JobParams params, std::vector<crypto::Fp> input, crypto::RandomSource& rng);

  // Marks the run of the abort's sender as dead (see "Dead runs" above).
  // Only before start(); throws ProtocolError for a message that is not an
  // abort of this job from a partner.
  void discard_run(const Message& abort);
  // E.g. "Party b aborted the job before this party started it: <reason>.",
  // one sentence per partner with a dead run; empty when there is none.
  std::string dead_runs() const;

  // Round-1 messages, one per partner. Call once.
  std::vector<Outgoing> start();
  // Feeds one received message; returns what to send as a consequence (maybe
  // nothing). Throws ProtocolError on any inconsistency. A joint row count
  // below the policy's minimum is not thrown but ends the job (refusal()).
  std::vector<Outgoing> receive(const Message& m);

  // True once the job has ended here: released, or refused by the release
  // policy after the count round (see refusal()).
  bool finished() const { return finished_; }
  // Set when the joint row count was below the policy's minimum. Every
  // honest party opens the same count and refuses by itself; the caller
  // sends what receive() returned (this party's count may be among it), then
  // aborts as for any error: an abort made after a refusal says so, and a
  // partner that receives it before its own count round completes reports
  // the same refusal (same kind, message and detail), not an abort.
  const std::optional<ProtocolError>& refusal() const { return refusal_; }
  // The joint result, one element per input element. Only when finished()
  // and not refused.
  const std::vector<crypto::Fp>& result() const;

  // 1-based number of the current round while running (0 before start()).
  int round() const { return phase_; }
  // E.g. "round 2 (count)": the round in which messages of type t are sent
  // in this job, for errors; "abort" for aborts.
  std::string round_name(MessageType t) const;
  // Indexes of the parties whose message for the current round is missing.
  std::vector<std::uint16_t> missing() const;
  // E.g. "round 1 (share) from party c, party d"; for timeout errors.
  std::string describe_missing() const;

  // Makes this party misbehave as described by `fault` (tests only).
  void set_fault(Fault fault) { fault_ = fault; }

  // A kAbort message to party `to` with the given reason; marked as a
  // refusal when the job was refused.
  Message abort_message(std::uint16_t to, const std::string& reason) const;
  const JobParams& params() const { return params_; }
  const Nonce& nonce() const { return nonce_; }

 private:
  using Slots = std::vector<std::optional<Message>>;

  Message header(MessageType type, std::uint16_t to) const;
  Slots& slots(MessageType type);
  const Slots& slots(MessageType type) const;
  std::size_t expected_width(MessageType type) const;
  bool complete(const Slots& s) const;
  // Sends this party's message of the round that starts now.
  void send_round(MessageType type, std::vector<Outgoing>& out);
  // Joint values of `indexes` from every party's message of `type`.
  void open(MessageType type, const std::vector<std::size_t>& indexes);
  // The error every party reports when the joint row count is too low.
  ProtocolError row_count_refusal() const;
  void finish_transcript();
  std::vector<Outgoing> advance();

  JobParams params_;
  crypto::Digest fingerprint_{};
  crypto::Digest policy_fingerprint_{};
  std::vector<crypto::Fp> input_;
  crypto::RandomSource& rng_;
  Nonce nonce_{};
  std::vector<MessageType> phases_;  // the rounds of this job, in order
  int phase_ = 0;                    // 1-based index into phases_ while running
  bool finished_ = false;
  std::size_t width_ = 0;
  std::vector<std::size_t> gated_;  // elements opened in the count round
  std::vector<std::size_t> rest_;   // elements opened in the partial round
  std::vector<crypto::Fp> own_share_;
  std::vector<crypto::Fp> held_;  // this party's sums of the shares it holds
  // Per sender, the message received for each round, if any.
  Slots shares_, counts_, partials_, confirms_;
  std::vector<std::optional<Nonce>> nonces_;
  // Per sender, messages that arrived before its share (run not yet known).
  std::vector<std::vector<Message>> early_;
  // Per sender, runs that died before this run started, and the last reason.
  std::vector<std::vector<Nonce>> dead_;
  std::vector<std::string> dead_reason_;
  std::vector<crypto::Fp> result_;
  crypto::Digest digest_{};
  std::optional<ProtocolError> refusal_;
  Fault fault_ = Fault::kNone;
};

}  // namespace smpc::protocol
