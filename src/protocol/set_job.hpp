// A set job: how many distinct join keys are held by at least k of the n
// parties (k = n: the intersection count; k = 1: the de-duplicated union
// count), computed without any party seeing another's keys. Sans-IO like
// AggregationJob: the caller delivers what it returns and feeds in what it
// receives.
//
// Two phases, under one run nonce:
//
//   ring:    each party hashes its keys to ristretto255 under a tag bound to
//            the federation and the job id, blinds them with a scalar drawn
//            for this run (private_set.hpp) and sends the sorted set to the
//            next party (party i to party i + 1 mod n). Every party re-blinds
//            each set it receives and passes it on, n - 1 hops in all; the
//            party that adds the last blinding sends the fully blinded set
//            to the counting party (the federation's first party). A set
//            travels with its origin and its hop count, so each hop knows
//            whose set it holds and whom it goes to next; every message is
//            checked against the ring's order.
//   release: an AggregationJob (aggregation_job.hpp) of one value, the
//            overlap count: the counting party supplies the count, every
//            other party zero. So the count goes out under the same release
//            policy (a minimum row count applies to the overlap and refuses
//            the job before anything is opened), differential privacy noise
//            (each party adds its share; nobody but the counter sees the
//            exact count), confirm digests and audit as every other job.
//
// What each party learns: its partners' set sizes pass through its hands
// (each hop sees the size of the set it re-blinds); the counting party sees
// every fully blinded set, so it learns every party's number of distinct
// keys and the overlap count of every group of parties, exactly, before
// noise. Nobody learns a key or whether one of its keys is in the overlap
// (under the decisional Diffie-Hellman assumption). SECURITY.md states it.
//
// Deviations caught: a set with an element that is not a group element, or
// with an element twice; a set out of the ring's order (wrong origin, hop
// or sender); a second, different set for the same origin (equivocation);
// another descriptor, federation or release policy; a set whose size (per
// group, with values or not) differs from what another party saw of it:
// every party binds the shape of every set it saw into the release job's
// transcript digest, so a party that drops or adds elements of a set it
// re-blinds makes the honest parties' digests differ and nothing is
// released (the counting party also compares each fully blinded set with
// what its own hop saw, and stops at once). A party that replaces elements
// (as many as it drops) still changes the count undetected, as the
// counting party could report a wrong count: the count is an input of the
// counting party, like any party's input to a sum.
//
// Sums (SetParams::sum): a party that gives values seals them beside its
// blinded keys; each hop re-randomises them with the elements; the counting
// party sends each party the sealed sum of its values over the overlap, one
// per group (message kSealedSum), which only that party opens and adds to
// its input of the release job, whose values are [sum, count] per group
// (sealed_set.hpp).
//
// Pairs (SetParams::pairs): the counting party counts each pair of fully
// blinded sets' common elements, one count per pair into the release job.
//
// Grouped: each party's set is a run of elements per group of a public
// domain (its keys in that group), sorted within the run; the runs travel
// and are re-blinded together, and the counting party counts each group
// apart. The group sizes of every set are seen as the set sizes are.
//
// Spent at once: the scalar is fresh per run, but a second run over
// changed keys would let the counting party difference two overlap counts,
// so committed() is true as soon as this party's set leaves (start()). A set
// job id runs once; a failed run is not retried under the same id.
//
// Only peer-to-peer federations with additive sharing: every party holds
// keys and all of them must take part (a missing party would silently
// shrink the overlap).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/elgamal.hpp"
#include "crypto/group.hpp"
#include "crypto/hash.hpp"
#include "protocol/aggregation_job.hpp"

namespace smpc::protocol {

struct SetParams {
  // The release job's parameters: width 1 (the count), or one per group;
  // under a minimum row count, count_index 0 (one count) or cells of one
  // count each (groups: a group below the minimum is suppressed); the noise
  // of each count, if any.
  JobParams job;
  // k: count the keys held by at least this many parties (1..n).
  std::size_t at_least = 0;
  // Grouped set jobs: the number of groups of a public domain (each party
  // puts each of its keys in a group; a key counts in group g when at least
  // k parties put it in g). 0: not grouped.
  std::size_t groups = 0;
  // Intersection sums: the release job has two values per group (one
  // group when not grouped), the sum of the values the parties gave over
  // the keys every party holds, and that count: group g's at 2g and 2g + 1
  // (at_least must be every party; grouped, each group is a cell of those
  // two values whose count min_rows judges). A party gives
  // values or not (SetJob's values); each that does learns the sum of its
  // own values over the overlap (sealed_set.hpp).
  bool sum = false;
  // The overlap matrix: the release job has n(n - 1) / 2 values, the number
  // of keys each pair of parties shares, pairs in order (0, 1), (0, 2), ...,
  // (1, 2), ... (private_set::pair_overlaps), each a cell of one count that
  // min_rows suppresses alone. Only under a policy with overlap_pairs (the
  // counting party sees these counts anyway; the others learn them only
  // when every party's policy agrees to release them). Not grouped, no sum.
  bool pairs = false;
  // Asked every kPollEvery keys while blinding: true stops the step with
  // ProtocolError kInterrupted (the caller's query was cancelled). Empty:
  // never.
  std::function<bool()> interrupted;
};

class SetJob {
 public:
  // Validates the parameters (a peer-to-peer additive federation, k in
  // 1..n, at most kMaxSetElements keys) and keeps the keys until start().
  // Grouped jobs: keys are in group order, group_sizes[g] of group g.
  // Sum jobs: values[i] is the value of keys[i] (at most 2^48 - 1; at most
  // kMaxSealedElements keys), or values is empty when this party gives
  // none.
  SetJob(SetParams params, std::vector<std::string> keys, crypto::RandomSource& rng,
         std::vector<std::uint32_t> group_sizes = {}, std::vector<std::uint64_t> values = {});
  ~SetJob();
  SetJob(const SetJob&) = delete;
  SetJob& operator=(const SetJob&) = delete;

  // As AggregationJob's (before start() only).
  void discard_run(const Message& abort);
  void forget_run(std::uint16_t party, const Nonce& nonce);

  // Blinds this party's keys and sends the set on its way.
  std::vector<Outgoing> start();
  std::vector<Outgoing> receive(Message m);
  // While the ring runs nothing can go on without a party: false. Then as
  // AggregationJob's.
  bool timeout(std::vector<Outgoing>& out);
  bool unreachable(std::uint16_t party, const std::string& reason);

  // Rounds: 1 + the sets re-blinded here while the ring runs (each hop
  // renews the caller's deadline), then n + the release job's round.
  // Names: "the ring (blinded sets)", "release round 2 (count)".
  int round() const;
  MessageType current_round() const;
  std::string round_name(MessageType t) const;
  std::vector<std::uint16_t> missing() const;
  std::string describe_missing() const;

  bool committed() const { return started_; }
  // Keys this party gave more than once (counted once).
  std::size_t duplicates() const { return duplicates_; }
  void set_fault(Fault fault);

  // The release job: its result, refusal, rounds and aborts.
  AggregationJob& release() { return *release_; }
  const AggregationJob& release() const { return *release_; }

 private:
  std::size_t parties() const;
  std::uint16_t next() const;
  std::uint16_t previous() const;
  bool is_counter() const { return params_.job.self == kCounter; }
  std::size_t segments() const { return params_.groups == 0 ? 1 : params_.groups; }
  Message header(std::uint16_t to) const;
  bool dead(std::uint16_t sender, const Nonce& nonce) const;
  // Every set this party had to re-blind, and (counting party) every fully
  // blinded set, is here: the count can be released.
  bool ring_complete() const;
  // Fault::kRepeatBlinded: the set repeats its first element; (a partner's
  // set passed on) Fault::kDropBlinded: it loses its last element, and its
  // sealed value (tests only).
  void repeat_if_faulty(Message& m) const;
  // Throws kInterrupted when the caller's interrupted() says so.
  void poll() const;
  // The tag keys of group g are hashed under (each group its own, so a key
  // in two groups gives two unrelated elements).
  std::string group_tag(std::size_t g) const;
  // What this party saw of origin's set: its size per group and whether it
  // came with values. The first time it is kept; a later sight of the same
  // set (the counting party: fully blinded, from `from`) must match it.
  void saw_set(std::uint16_t origin, bool valued, const std::vector<std::uint32_t>& sizes,
               std::uint16_t from);
  // The digest of every set's shape, bound into the release job.
  crypto::Digest shapes_digest() const;
  // A kBlinded message that came after the ring was done here: a repeat of
  // one taken (dropped) or equivocation (throws).
  void blinded_after_ring(const Message& m) const;
  // Checks a blinded set against the ring's order and this job; false for
  // an identical repeat.
  bool check_blinded(const Message& m);
  void take_blinded(const Message& m, std::vector<Outgoing>& out);
  // take_blinded for a set with sealed values (sum jobs).
  void take_valued(const Message& m, std::vector<Outgoing>& out);
  // The ring is done here: the count goes into the release job, which
  // starts and takes the messages held for it.
  void finish_ring(std::vector<Outgoing>& out);
  // Sum jobs, at the counting party: each other party's sealed sum goes
  // out (nothing to open for a party without values, or when the overlap
  // is below the release policy's minimum), and this party's own is kept.
  // Per origin, [begin, end) of each group's run in its fully blinded set.
  using Runs = std::vector<std::vector<std::pair<std::size_t, std::size_t>>>;
  void send_sealed_sums(const std::vector<std::uint64_t>& counts, const Runs& at,
                        std::vector<Outgoing>& out);
  // The counting party: every origin's fully blinded run of group g.
  std::vector<std::vector<crypto::group::Element>> run_sets(std::size_t g, const Runs& at) const;
  // A sealed sum from the counting party (sum jobs, other parties).
  void take_sealed_sum(const Message& m);
  // Sum jobs: opens this party's sealed sum and adds it to its input.
  void open_own_sum();
  [[noreturn]] void aborted(const Message& m) const;

  static constexpr std::uint16_t kCounter = 0;

  SetParams params_;
  std::vector<std::string> keys_;
  std::unique_ptr<AggregationJob> release_;
  std::optional<crypto::group::Scalar> scalar_;
  std::string tag_;
  crypto::Digest fingerprint_{};
  crypto::Digest policy_fingerprint_{};
  bool started_ = false;
  bool ring_done_ = false;
  std::size_t duplicates_ = 0;
  // Per origin: the set as it came here (to tell a repeat from another set).
  // Per origin: the digest of its set as it came here on its way round the
  // ring, and (counting party) fully blinded: a repeat is dropped, another
  // set is equivocation, also after the ring is done here.
  std::vector<std::optional<crypto::Digest>> hop_digest_;
  std::vector<std::optional<crypto::Digest>> full_digest_;
  std::size_t hops_taken_ = 0;
  // Per origin: the shape of its set as this party first saw it (saw_set).
  struct Shape {
    bool valued = false;
    std::vector<std::uint32_t> sizes;
    bool operator==(const Shape& o) const { return valued == o.valued && sizes == o.sizes; }
  };
  std::vector<std::optional<Shape>> shapes_;
  std::vector<std::uint32_t> group_sizes_;
  // The counting party: the fully blinded set of each origin, and its
  // group sizes (grouped jobs).
  std::vector<std::optional<std::vector<crypto::group::Element>>> full_;
  std::vector<std::vector<std::uint32_t>> full_sizes_;
  std::vector<std::optional<Nonce>> nonces_;
  std::vector<std::vector<Nonce>> dead_;
  std::vector<Message> held_;           // the release job's messages before it starts
  std::vector<std::size_t> held_from_;  // per sender, messages in held_
  Fault fault_ = Fault::kNone;
  // Sum jobs: this party's values (until start()), the key that seals them
  // and the bound of any limb's sum over part of them (the number of its
  // keys times 2^16 - 1); at the counting party, each origin's sealed values and key; the
  // sealed sum of this party's values over the overlap.
  std::vector<std::uint64_t> values_;
  std::optional<crypto::elgamal::SecretKey> value_key_;
  std::vector<std::uint64_t> value_bounds_;  // per group
  std::vector<std::optional<crypto::elgamal::PublicKey>> full_keys_;
  std::vector<std::vector<crypto::elgamal::Ciphertext>> full_sealed_;
  std::optional<std::vector<crypto::elgamal::Ciphertext>> own_sum_;  // per group
};

}  // namespace smpc::protocol
