// The secure aggregation protocol as a state machine without I/O ("sans-IO"):
// the caller delivers the messages it returns and feeds in the messages it
// receives. This keeps the protocol unit-testable in memory and keeps network
// waits (which can raise PostgreSQL errors) out of C++ frames.
//
// Roles (FederationDef): input parties I supply a vector x_i, compute parties
// C hold shares and compute, output parties O learn the result. Peer to peer,
// every party is all three. t is the reconstruction threshold: |C| for
// additive n-of-n sharing, the federation's threshold for Shamir sharing.
//
// Rounds, in this order (a job has only those it needs):
//   key:     only in jobs with MAC keys (below): each compute party sends
//            every input and output party its random part of the key.
//   share:   each input party splits x_i into one share per compute party
//            (additive, or points of a random polynomial of degree t - 1
//            with x_i at 0) and sends share j to compute party j, with the
//            federation definition and the release policy so a mismatch can
//            be named.
//   roster:  only when the job tolerates dropouts (Shamir sharing, or input
//            parties that do not compute): each compute party tells the
//            others which inputs' shares it holds (at that moment; shares
//            that come later are not used). S = the inputs in every roster.
//   agree:   likewise: each compute party tells the others the S it will
//            open over. Nothing is opened until every compute party this
//            one hears from names the same S, so honest parties never send
//            partial sums over different sets (two such sums would give away
//            the difference, an input). S must cover min_parties inputs.
//   count:   only under a minimum row count: each compute party sends to
//            every compute and output party the sum over S of its shares of
//            the row-count element, with S. The joint count is reconstructed
//            and the job refused when it is below the minimum, before any
//            other value is opened. (Compute parties learn the count.)
//   partial: likewise for every other element, but only to output parties:
//            a compute party that is not an output learns no result.
//   confirm: each output party hashes (fingerprints, job, descriptor, S, the
//            opened values). When the compute and output parties are the
//            same parties, they send each other this digest and release when
//            every digest they receive equals their own. Otherwise
//            outputs send it to the compute parties, and
//   vouch:   each compute party, once every output's digest is the same,
//            sends that digest back to the outputs, which release when the
//            compute parties' vouches equal their own digest. (Outputs that
//            do not compute never talk to one another: data owners of the
//            delegated model need no connections among themselves.)
//
// Hiding digests: where some parties compute without learning the result
// (the vouch round exists), every input party appends a random salt to its
// input; the joint salt is opened with the result, to output parties only,
// and the confirm digest covers it. A compute party that sees digests but
// no result cannot test candidate results against them.
//
// Verified results: an output releases a Shamir result only when more than
// t compute parties' values lie on one polynomial, so a single wrong value
// (and up to k - t of k values) is noticed. Additive sharing cannot tell a
// wrong share sum from a right one, so where compute parties differ from
// the input and output parties (the delegated and hybrid models), the job
// adds information-theoretic MACs: the key alpha is the sum of one random
// part from each compute party (key round), input parties append a tag
// sum_k alpha^(k+1) x_k per group of values that are opened together (a
// group per cell where cells may be suppressed), and outputs check every
// opened group against its tag before they release. A compute party that
// neither supplies an input nor learns the result does not know alpha and
// cannot change a value unnoticed (except with probability width / p).
// Every input party reports the digest of the key parts it received with
// its share, every compute party the common digest of the shares it summed
// with its partial; any difference (a compute party that sent different key
// parts to different parties) stops the job. verified() says whether the
// released result had either check. Additive peer-to-peer jobs have none:
// every compute party there is an input party, which can shift the result
// as it could lie about its input.
//
// Spent job ids: committed() turns true when this party first hands out a
// message that opens values or lets partners open them (agree, count,
// partial, confirm, vouch). The caller records that durably before the
// message leaves and never runs the job id again. With the quorum below,
// the honest compute parties that committed in any run that opened
// something can never be left out of a later run: no two runs of a job id
// open over different inputs.
//
// Values from more than t compute parties are checked to lie on one
// polynomial; with at least t + 2 of them a single wrong value is
// attributed to its sender.
//
// Dropouts: a job that tolerates them goes on without a party that stops
// answering (timeout()) or leaves (a non-fatal abort, a restart) as long as
// a quorum of q = ceil((n_c + t) / 2) of the n_c compute parties remains.
// Any two quorums then share t compute parties, so at least one honest one
// when at most t - 1 deviate: a party that talks to two groups cut off
// from each other cannot make both open (each over another input set), and
// a run can never go on without every honest party that committed in an
// earlier run. For Shamir sharing the federation refuses t = n_c, so q > t:
// a quorum always holds more than t values to check. A party this one
// cannot send to (unreachable()) gets nothing more but is still awaited.
// Every party includes the same inputs S, and the result says which
// (covered()). Without tolerance (peer-to-peer n-of-n) any missing party
// stops the job.
//
// Any inconsistency (a second, different message for the same round from the
// same sender, values that do not fit, a digest that differs, a fatal abort, a
// different federation or release policy) throws ProtocolError; the caller
// then aborts the job everywhere. Messages from a later round may arrive early
// and are buffered.
//
// Runs: each run of a job draws a fresh nonce, and a sender's share (or, from
// a party that sends no share, its first message) fixes which of its runs this
// job is talking to. Later messages carrying another nonce belong to an
// earlier, failed run and are ignored; a party that restarts mid-run is
// treated as dropped out (or, without tolerance, is an error). Messages that
// arrive before the sender's run is known are held until it is.
//
// Bound to their run: a sender's first message cannot carry anything of this
// party's run (the sender may have started first), so a message of an
// earlier run of the job id would pass for the sender's current one. A run
// that fails here hands the runs it knew of to the next run of the job id
// (runs_of(), forget_run()), which ignores their messages: a share of a
// failed run, replayed with the sender's credentials, is not taken for the
// sender's new run. A partner whose run ended before it sent anything (its
// own input failed) says so in its abort (withdrawn); a run under way acts
// on that abort at once.
//
// Dead runs: an abort that was already waiting here before this run started
// (before this party sent anything) ends a partner's run that never involved
// this one, typically a failed attempt this party missed. The caller hands
// such aborts to discard_run() before start(): that run's messages are
// ignored, the job keeps waiting for the partner's retry, and its reason is
// kept for the timeout error (dead_runs()).
//
// Files: aggregation_job.cpp (construction: roles, rounds, widths; who sends
// what to whom; start(); what the caller reads; the invariants kept across
// these files), aggregation_job_receive.cpp (receive() in stages: address,
// run, abort, same job, restart, round, repeat, accept; dropouts:
// timeout(), unreachable(), leaving), aggregation_job_rounds.cpp
// (advance(): per round, the checks as messages arrive, what completes it,
// the quorum, what starts the next; the shares of the input; S and the sums
// over it; the transcript digest; release), aggregation_job_open.cpp
// (reconstruction and its consistency check, the row-count gate and
// suppressed cells, the MAC keys and tags), aggregation_job_internal.hpp
// (helpers they share).
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
  // Number of values per input; 0: the size of the input (which a party that
  // supplies no input leaves empty).
  std::size_t width = 0;
  // Grouped jobs: the input is `cells` cells of `cell_width` values each,
  // cell c at [c * cell_width, (c + 1) * cell_width), its row count at
  // offset `cell_count` within it (count_index stays unset). Under a
  // minimum row count every cell's count is opened in the count round and a
  // cell below the minimum is suppressed instead of refusing the job: its
  // other values are never opened (compute parties send zero for them, so
  // outputs learn nothing of them) and result() holds zero there
  // (suppressed()). 0: not grouped.
  std::size_t cells = 0;
  std::size_t cell_width = 0;
  std::size_t cell_count = 0;
  // Differential privacy: per value, the exponent x = epsilon / sensitivity
  // of the discrete Laplace(exp(-x)) noise it gets (0: none); empty: no
  // noise. An input party adds its share of that noise
  // (protocol/noise_plan.hpp) to its input before it is shared, so nobody
  // sees the exact value and no party knows the total noise. Every party
  // must use the same (the descriptor names epsilon).
  std::vector<double> noise_exponent;
};

// Deliberate misbehaviour, for tests that prove deviations are caught. Only
// reachable from SQL in a test build (smpc.test_fault, superuser only).
enum class Fault {
  kNone,
  kEquivocateShare,    // share round: the first partner gets a second, different share
  kEquivocateCount,    // count round: the first partner gets a count sum that is off by one
  kEquivocatePartial,  // partial round: the first partner gets a partial sum that is off by one
  kWrongConfirm,       // confirm round: the first partner gets a wrong transcript digest
  kWrongPartial,       // partial round: every partner gets the same partial sum, off by one
  kAbortAfterOpen,     // an output party aborts (fatally) as soon as it has opened the result
  kEquivocateKey,      // key round: the first partner gets a different key part (and this
                       // party does not check the key digests it then sees differ)
  kRepeatBlinded,      // set jobs: every blinded set this party sends repeats an element
  kDropBlinded,        // set jobs: every partner's set this party passes on loses an element
};

struct Outgoing {
  std::uint16_t to;
  Message message;
};

class AggregationJob {
 public:
  // Validates params (federation, policy, self index, job id length
  // 1..kMaxJobIdBytes, descriptor length, count index, width) and input (1..
  // kMaxValues elements for an input party, none otherwise); draws the
  // nonce. Throws ProtocolError (kRefused) when the federation has fewer
  // input parties than the policy's min_parties.
  AggregationJob(JobParams params, std::vector<crypto::Fp> input, crypto::RandomSource& rng);
  // Wipes the input, the shares and the sums it held. Not copyable (a copy
  // would be another place for secrets); movable.
  ~AggregationJob();
  AggregationJob(const AggregationJob&) = delete;
  AggregationJob& operator=(const AggregationJob&) = delete;
  AggregationJob(AggregationJob&&) = default;

  // Marks the run of the abort's sender as dead (see "Dead runs" above).
  // Only before start(); throws ProtocolError for a message that is not an
  // abort of this job from a partner.
  void discard_run(const Message& abort);
  // E.g. "Party b aborted the job before this party started it: <reason>.",
  // one sentence per partner with a dead run; empty when there is none.
  std::string dead_runs() const;

  // Ended runs (see "Runs" above): the runs of partner `party` this job knew
  // of: every run a message of it came from (also one that failed the job
  // or was held back), and its dead ones.
  // When this run of the job fails, the caller keeps them; the next run of
  // the job id here takes them with forget_run() before start(), so a
  // message of a run that ended here (a share captured and replayed with the
  // sender's credentials, a late delivery) is ignored instead of being
  // taken for the sender's new run.
  std::vector<Nonce> runs_of(std::uint16_t party) const;
  // Marks run `nonce` of partner `party` as dead without a reason (it ended
  // at this party in an earlier run of the job). Only before start().
  void forget_run(std::uint16_t party, const Nonce& nonce);

  // Adds v to value k of this party's input (with its noise share, if any).
  // Only before start(), at an input party: for a caller that learns its
  // input while the job's first messages from partners are already
  // arriving (a set job's count, protocol/set_job.hpp).
  void add_to_input(std::size_t k, crypto::Fp v);
  // The first round's messages (shares, for an input party). Call once.
  std::vector<Outgoing> start();
  // Feeds one received message; returns what to send as a consequence (maybe
  // nothing). Throws ProtocolError on any inconsistency. A joint row count
  // below the policy's minimum is not thrown but ends the job (refusal()).
  std::vector<Outgoing> receive(Message m);
  // The current round's deadline passed. When the job can go on without the
  // parties it still waits for, they are dropped, `out` gets what to send
  // and the result is true; otherwise false (the caller reports the
  // timeout, naming missing()).
  bool timeout(std::vector<Outgoing>& out);
  // Messages to party `party` cannot be delivered (its connection failed).
  // A job that tolerates dropouts sends it nothing more but still awaits
  // its messages (the deadline drops it if they do not come) and returns
  // true; otherwise false (the caller reports the failure).
  bool unreachable(std::uint16_t party, const std::string& reason);

  // True once the job has ended here: released, refused by the release
  // policy after the count round (refusal()), or, for a party that only
  // supplies an input, once its shares are out (has_result() is false).
  bool finished() const { return finished_; }
  bool has_result() const { return finished_ && !refusal_ && is_output_; }
  // Set when the joint row count was below the policy's minimum. Every
  // honest party opens the same count and refuses by itself; the caller
  // sends what receive() returned (this party's count may be among it), then
  // aborts as for any error: an abort made after a refusal says so, and a
  // partner that receives it before its own count round completes reports
  // the same refusal (same kind, message and detail), not an abort.
  const std::optional<ProtocolError>& refusal() const { return refusal_; }
  // The joint result, one element per input element. Only when has_result().
  const std::vector<crypto::Fp>& result() const;
  // Grouped jobs under a minimum row count: per cell, whether it was
  // suppressed (its values are zero in result()). Empty otherwise. Every
  // party that opens the counts finds the same cells.
  const std::vector<bool>& suppressed() const { return suppressed_; }
  // The input parties the result covers (S), ascending. Only when finished.
  std::vector<std::uint16_t> covered() const;
  // Parties this job went on without, with why, e.g. "party c: did not answer
  // in round 1 (share)"; empty when none.
  std::vector<std::string> dropouts() const;

  // 1-based number of the current round while running (0 before start()).
  int round() const { return phase_; }
  // The type of messages of the current round (share before start()).
  MessageType current_round() const { return current(); }
  // E.g. "round 2 (count)": the round in which messages of type t are sent
  // in this job, for errors; "abort" for aborts.
  std::string round_name(MessageType t) const;
  // Indexes of the parties whose message for the current round is missing.
  std::vector<std::uint16_t> missing() const;
  // E.g. "round 1 (share) from party c, party d"; for timeout errors.
  std::string describe_missing() const;

  // Compute parties that must remain for the job to go on (all of them
  // without tolerance).
  std::size_t quorum() const { return quorum_; }

  // True once this party has handed the caller a message that opens values
  // or lets partners open them (agree, count, partial, confirm, vouch).
  // From then on the job id is spent here: the caller must record that
  // durably before those messages leave, and refuse every later run of the
  // job id (see "Spent job ids" above).
  bool committed() const { return committed_; }
  // Whether the released result was checked against a compute party that
  // changed a value (see "Verified results" above); only once has_result().
  bool verified() const { return verified_; }
  // The caller delivered this party's share to compute party `party` (its
  // server accepted it). A compute party that acknowledged an input party's
  // share but leaves it out of the inputs stops the job there.
  void acknowledged(std::uint16_t party);
  // The confirm digest this party would compute for an opened vector
  // `values` over input set `included`: public parameters plus the values.
  crypto::Digest transcript_digest(std::uint64_t included,
                                   const std::vector<crypto::Fp>& values) const;

  // Makes this party misbehave as described by `fault` (tests only).
  void set_fault(Fault fault) { fault_ = fault; }
  // Binds what every party must have seen alike outside this job's rounds
  // (a set job: the size of every set each party saw) into the transcript
  // digest, so that the job releases nothing where they differ. Before the
  // confirm round; ordinary jobs bind nothing and their digest is as it was.
  void bind_context(const crypto::Digest& context) { context_ = context; }

  // A kAbort message to party `to` with the given reason; marked as a
  // refusal when the job was refused. `fatal`: the job must stop everywhere
  // (this party saw an inconsistency), not just go on without this party.
  Message abort_message(std::uint16_t to, const std::string& reason, bool fatal = true) const;
  // Every partner this party sends to (for aborts).
  std::vector<std::uint16_t> partners() const;
  const JobParams& params() const { return params_; }
  const Nonce& nonce() const { return nonce_; }

 private:
  using Slots = std::vector<std::optional<Message>>;

  Message header(MessageType type, std::uint16_t to) const;
  Slots& slots(MessageType type);
  const Slots& slots(MessageType type) const;
  MessageType current() const;
  std::size_t expected_width(MessageType type) const;
  // The parties this party expects a message of `type` from (live ones only).
  std::vector<std::uint16_t> expected(MessageType type) const;
  bool complete(MessageType type) const;
  bool is_compute(std::size_t party) const { return compute_pos_[party] >= 0; }
  std::size_t live_compute() const;
  // Sends this party's messages of the round that starts now.
  void send_round(MessageType type, std::vector<Outgoing>& out);
  // Sum over S of the shares this party holds (compute parties).
  void sum_held_shares();
  // Fixes S from the rosters (or takes every input when there is no roster).
  void fix_included();
  void check_min_parties() const;
  // Joint values of `indexes` from the compute parties' messages of `type`.
  void open(MessageType type, const std::vector<std::size_t>& indexes);
  ProtocolError row_count_refusal() const;
  // Grouped jobs: marks the cells whose opened count is below min_rows and
  // zeroes what this party holds of their other values.
  void suppress_small_cells();
  bool is_suppressed(std::size_t element) const;
  // Whether value k is a row count opened in the count round.
  bool is_count(std::size_t k) const;
  void finish_transcript();
  MessageType first_type_from(std::uint16_t sender) const;
  bool can_drop(std::uint16_t party) const;
  // Whether sender may send messages of `type` to this party.
  bool sends_to_me(std::uint16_t sender, MessageType type) const;
  // Whether this party sends messages of `type` to party `to`.
  bool sends_to(std::uint16_t to, MessageType type) const;
  // The party left (abort, restart): not awaited any more, if the job can
  // go on without it.
  bool leave(std::uint16_t party, const std::string& reason, std::vector<Outgoing>& out);
  void mark_dropped(std::uint16_t party, const std::string& reason);

  // receive(), stage by stage (aggregation_job_receive.cpp):
  // 1. the message is for this job and party, from a partner;
  void check_addressed(const Message& m) const;
  // (every message that passed 1: its run is one runs_of() hands on;)
  void note_run(std::uint16_t sender, const Nonce& nonce);
  // 2. it belongs to the sender's current run; false when it ends here
  //    (ignored, held back until the run is known, or a departure whose
  //    consequences are in `out`);
  bool in_current_run(Message& m, std::vector<Outgoing>& out);
  // 3. an abort: the partner leaves, reports a refusal, or stops the job;
  std::vector<Outgoing> receive_abort(const Message& m);
  // 4. the sender runs the same federation, job and release policy;
  void check_same_job(const Message& m) const;
  // 5. a first message of another run: the sender restarted;
  std::vector<Outgoing> restarted(std::uint16_t sender);
  // 6. the job has the round, the sender's role sends it, the width fits;
  void check_fits_round(const Message& m) const;
  bool width_fits(const Message& m) const;
  // 7. true for an identical repeat of the round's message, throws for a
  //    different one (equivocation);
  bool is_repeat(const Message& m);
  // 8. stored; the job advances and messages held back are replayed.
  std::vector<Outgoing> accept(Message m);

  // advance(), round by round (aggregation_job_rounds.cpp).
  std::vector<Outgoing> advance();
  // Checks on the messages of round `now` so far (digests, input sets).
  void check_round_so_far(MessageType now) const;
  void check_digests(MessageType now) const;
  void check_agreed_inputs() const;
  // Every message of round `now` is here: sets finished_ when the job ends.
  void finish_round(MessageType now);
  void finish_share_round();
  void finish_count_round();
  void finish_partial_round();
  void finish_confirm_round();
  // Throws kTooFewParties unless a quorum of compute parties sent their
  // message of round `type`; `what` says what they did ("confirmed the
  // result").
  void require_quorum(MessageType type, const char* what) const;
  // What this party fixes and sends as round `next` starts.
  void begin_round(MessageType next, std::vector<Outgoing>& out);
  // The input with its salt and MAC tags (input parties, after the key round).
  std::vector<crypto::Fp> extended_input() const;
  // Shares this party's input among the compute parties.
  void share_input(std::vector<Outgoing>& out);
  // After the key round: alpha and the digest of the key parts.
  void fix_key();
  // Which MAC group value k belongs to (-1: none).
  int mac_group_of(std::size_t k) const;
  // sum_k alpha^(k+1) v[k] per MAC group, from the opened values.
  std::vector<crypto::Fp> mac_sums(const std::vector<crypto::Fp>& v) const;
  // Outputs: every opened group matches its tag, or ProtocolError.
  void check_macs() const;
  // The input parties' key digest that share m carries, checked against
  // the others (compute parties in jobs with MAC keys).
  void check_share_key(const Message& m);
  // An input and compute party: no compute party that accepted its share
  // may leave it out of its roster.
  void check_own_input_kept() const;
  // Ends the job here with the result (outputs) or without.
  void release();

  JobParams params_;
  crypto::Digest fingerprint_{};
  crypto::Digest policy_fingerprint_{};
  std::vector<crypto::Fp> input_;
  crypto::RandomSource& rng_;
  Nonce nonce_{};

  // Roles.
  std::vector<std::uint16_t> compute_;  // compute parties, ascending
  std::vector<int> compute_pos_;        // per party: position in compute_, or -1
  std::vector<bool> input_role_;        // per party
  std::vector<bool> output_role_;       // per party
  bool is_input_ = false;
  bool is_output_ = false;
  std::size_t threshold_ = 0;  // compute parties needed to reconstruct
  std::size_t quorum_ = 0;     // compute parties needed to go on and release
  bool shamir_ = false;
  bool tolerant_ = false;  // goes on without parties that drop out
  bool vouching_ = false;  // compute and output parties differ: a vouch round
  bool mac_ = false;       // additive, with compute parties outside inputs and outputs
  std::uint64_t input_mask_ = 0;

  std::vector<MessageType> phases_;  // the rounds of this job, in order
  int phase_ = 0;                    // 1-based index into phases_ while running
  bool finished_ = false;
  std::size_t width_ = 0;  // values per input, as the caller sees them
  // Values shared: width_, then the salt (vouching jobs), then one MAC tag
  // per group (jobs with MAC keys).
  std::size_t wide_ = 0;
  std::size_t mac_groups_ = 0;
  std::size_t first_tag_ = 0;                        // index of group 0's tag
  bool mac_per_cell_ = false;                        // groups: [counts,] then one per cell
  std::vector<std::size_t> gated_;                   // elements opened in the count round
  std::vector<std::size_t> rest_;                    // elements opened in the partial round
  std::vector<crypto::Fp> gated_open_;               // the opened counts, kept for the MAC check
  crypto::Fp key_part_;                              // this compute party's part of alpha
  crypto::Fp key_;                                   // alpha (input and output parties)
  crypto::Digest key_digest_{};                      // of the key parts this party received
  std::optional<crypto::Digest> shares_key_digest_;  // what the input parties received
  std::vector<crypto::Fp> own_share_;
  std::vector<crypto::Fp> held_;  // this party's sums over S of the shares it holds
  std::uint64_t included_ = 0;    // this party's roster, then S (bit i: party i)
  bool included_fixed_ = false;
  crypto::Digest vouched_{};  // the outputs' common digest (vouch round)
  // Per sender, the message received for each round, if any.
  Slots keys_, shares_, rosters_, agrees_, counts_, partials_, confirms_, vouches_;
  std::vector<std::optional<Nonce>> nonces_;
  std::vector<bool> dropped_;      // not awaited any more
  std::vector<bool> unreachable_;  // sent nothing more
  std::vector<std::string> drop_reason_;
  // Per sender, messages that arrived before its run was known.
  std::vector<std::vector<Message>> early_;
  // Per sender, runs that died before this run started, and the last reason.
  std::vector<std::vector<Nonce>> dead_;
  // Per sender, every run a message addressed to this job came from (even
  // one this run refused or held back): what runs_of() hands on.
  std::vector<std::vector<Nonce>> seen_;
  std::vector<std::string> dead_reason_;
  std::vector<crypto::Fp> result_;
  std::vector<bool> suppressed_;  // per cell (grouped jobs under min_rows)
  crypto::Digest digest_{};
  bool committed_ = false;
  bool verified_ = false;
  std::vector<bool> acked_;  // per compute party: it accepted this party's share
  std::optional<ProtocolError> refusal_;
  Fault fault_ = Fault::kNone;
  std::optional<crypto::Digest> context_;  // bind_context()
};

}  // namespace smpc::protocol
