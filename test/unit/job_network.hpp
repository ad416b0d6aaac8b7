// An in-memory network of AggregationJob parties for the protocol tests: it
// delivers the messages the jobs return (through the wire encoding) in FIFO,
// LIFO or random order, optionally dropping, duplicating or tampering with
// them, and lets failing parties abort the job everywhere.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"
#include "protocol/protocol_error.hpp"
#include "test_random.hpp"

namespace smpc::protocol::test_net {

using crypto::Fp;
using crypto::i128;
using test::DeterministicRandom;

const char* const kNames[] = {"alpha", "beta", "gamma", "delta", "epsilon",
                              "zeta",  "eta",  "theta", "iota",  "kappa"};

inline FederationDef federation(std::size_t n) {
  FederationDef def;
  def.name = "acme";
  for (std::size_t i = 0; i < n; ++i) def.parties.push_back(kNames[i]);
  def.scale = 6;
  return def;
}

inline JobParams params(const FederationDef& def, std::uint16_t self,
                        const std::string& descriptor = "avg(integer)") {
  JobParams p;
  p.federation = def;
  p.self = self;
  p.job_id = "job-42";
  p.descriptor = descriptor;
  // Two-party jobs are tested too; the default minimum of 3 has its own tests.
  p.policy.min_parties = 2;
  return p;
}

// Parties' params for a federation of n with threshold t (0: n-of-n), the
// given roles (empty: all) and, when not 0, a min_parties policy.
inline std::vector<JobParams> make_parties(std::size_t n, std::uint32_t t,
                                           std::vector<PartyIndex> compute = {},
                                           std::vector<PartyIndex> inputs = {},
                                           std::vector<PartyIndex> outputs = {},
                                           std::uint32_t min_parties = 0) {
  FederationDef def = federation(n);
  def.threshold = t;
  def.compute = std::move(compute);
  def.inputs = std::move(inputs);
  def.outputs = std::move(outputs);
  normalize(def);
  std::vector<JobParams> all;
  for (std::size_t i = 0; i < n; ++i) {
    all.push_back(params(def, static_cast<std::uint16_t>(i)));
    if (min_parties != 0) all.back().policy.min_parties = min_parties;
  }
  return all;
}

// The set of parties `l` as a bit mask (bit i: party i), as messages carry it.
inline std::uint64_t bits(std::initializer_list<int> l) {
  std::uint64_t m = 0;
  for (int i : l) m |= std::uint64_t{1} << i;
  return m;
}

inline std::vector<Fp> embed(const std::vector<i128>& values, std::size_t parties) {
  std::vector<Fp> out;
  for (i128 v : values) out.push_back(crypto::encode_summand(v, parties));
  return out;
}

// A set of parties and the network between them.
class Network {
 public:
  enum class Order { kFifo, kLifo, kRandom };

  struct Party {
    std::unique_ptr<DeterministicRandom> rng;
    std::unique_ptr<AggregationJob> job;
    std::vector<i128> input;
    bool supplies_input = true;
    std::optional<ProtocolError> error;
    std::string timed_out;  // set when a timeout could not be survived
    bool silent = false;    // crashed: sends and receives nothing any more
  };

  // One party per params entry; inputs are signed values of width 2, random
  // unless `inputs` gives them (one vector per party, any common width).
  // Parties that the federation gives no input role supply none.
  Network(const std::vector<JobParams>& all, std::uint64_t seed,
          const std::vector<std::vector<i128>>& inputs = {})
      : order_rng_(seed) {
    const std::size_t n = all.size();
    const std::vector<PartyIndex> input_role = input_parties(all[0].federation);
    const std::size_t summands = input_role.size();
    for (std::size_t i = 0; i < n; ++i) {
      Party p;
      p.rng = std::make_unique<DeterministicRandom>(seed * 1000 + i);
      std::uniform_int_distribution<std::int64_t> small(-1000000000000LL, 1000000000000LL);
      p.input = {small(order_rng_), small(order_rng_)};
      // Every third party contributes a value at the per-party bound, so the
      // sum comes close to the edge of the field without wrapping.
      if (i % 3 == 1) p.input[1] = -(Fp::kSignedMax / static_cast<i128>(summands));
      if (!inputs.empty()) p.input = inputs[i];
      p.supplies_input = std::find(input_role.begin(), input_role.end(), i) != input_role.end();
      JobParams params = all[i];
      params.width = p.input.size();
      p.job = std::make_unique<AggregationJob>(
          params, p.supplies_input ? embed(p.input, summands) : std::vector<Fp>{}, *p.rng);
      parties.push_back(std::move(p));
    }
  }

  static std::vector<JobParams> uniform(std::size_t n) {
    std::vector<JobParams> all;
    for (std::size_t i = 0; i < n; ++i) all.push_back(params(federation(n), i));
    return all;
  }

  void start(std::size_t i) { send(parties[i].job->start()); }
  void start_all() {
    for (std::size_t i = 0; i < parties.size(); ++i) start(i);
  }

  // Delivers until the queue is empty.
  void run() {
    while (!queue_.empty()) {
      Message m;
      if (order == Order::kFifo) {
        m = std::move(queue_.front());
        queue_.pop_front();
      } else if (order == Order::kLifo) {
        m = std::move(queue_.back());
        queue_.pop_back();
      } else {
        std::size_t k =
            std::uniform_int_distribution<std::size_t>(0, queue_.size() - 1)(order_rng_);
        m = std::move(queue_[k]);
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(k));
      }
      deliver(m);
      if (duplicate) deliver(m);
    }
  }

  std::vector<i128> expected_sum() const {
    std::vector<i128> sum(parties[0].input.size(), 0);
    for (const Party& p : parties) {
      if (!p.supplies_input) continue;
      for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += p.input[k];
    }
    return sum;
  }

  // The sum over the given parties' inputs.
  std::vector<i128> expected_sum(const std::vector<std::uint16_t>& covered) const {
    std::vector<i128> sum(parties[0].input.size(), 0);
    for (std::uint16_t i : covered) {
      for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += parties[i].input[k];
    }
    return sum;
  }

  // Delivers m now (as if it had just arrived), queueing what it causes.
  void inject(const Message& m) { deliver(m); }

  // Delivers until the queue is empty, then lets time pass: the party whose
  // deadline comes first times out (timeout()), what that produces is
  // delivered, and so on until nothing changes. Deadlines follow the
  // PostgreSQL glue: round r (1-based), entered at time e, ends at
  // max(e + 1, r) (in units of smpc.timeout), so a party that is ahead
  // waits for partners that are still timing out an earlier round.
  void run_with_timeouts(int max_steps = 64) {
    double clock = 0;
    std::vector<int> round(parties.size(), 0);
    std::vector<double> entered(parties.size(), 0);
    for (int step = 0; step < max_steps; ++step) {
      run();
      double next = -1;
      for (std::size_t i = 0; i < parties.size(); ++i) {
        Party& p = parties[i];
        if (p.job->round() != round[i]) {
          round[i] = p.job->round();
          entered[i] = clock;
        }
        if (!stuck(p)) continue;
        const double deadline = std::max(entered[i] + 1, static_cast<double>(round[i]));
        if (next < 0 || deadline < next) next = deadline;
      }
      if (next < 0) break;
      clock = next;
      for (std::size_t i = 0; i < parties.size(); ++i) {
        Party& p = parties[i];
        if (!stuck(p) || std::max(entered[i] + 1, static_cast<double>(round[i])) > clock) continue;
        std::vector<Outgoing> out;
        try {
          if (!p.job->timeout(out))
            p.timed_out = "timed out waiting for " + p.job->describe_missing();
          if (p.job->refusal()) throw *p.job->refusal();
        } catch (const ProtocolError& e) {
          fail(i, e);
        }
        send(std::move(out));
      }
    }
    run();
  }

  static std::vector<i128> decode_result(const AggregationJob& job) {
    std::vector<i128> out;
    for (Fp v : job.result()) out.push_back(v.to_signed());
    return out;
  }

  std::vector<Party> parties;
  Order order = Order::kRandom;
  bool duplicate = false;       // deliver every message twice
  bool abort_on_error = false;  // a failing party sends kAbort to all others
  // Sees every message sent; may change it, or return false to drop it.
  std::function<bool(Message&)> on_send;
  std::vector<Message> sent;  // every message sent, after on_send

 private:
  static bool stuck(const Party& p) {
    return !p.silent && !p.error && p.timed_out.empty() && !p.job->finished();
  }

  void send(std::vector<Outgoing> out) {
    for (Outgoing& o : out) {
      EXPECT_EQ(o.to, o.message.receiver);
      if (parties[o.message.sender].silent) continue;
      if (on_send && !on_send(o.message)) continue;
      sent.push_back(o.message);
      queue_.push_back(std::move(o.message));
    }
  }

  void deliver(const Message& m) {
    Party& to = parties[m.receiver];
    if (to.error || to.silent) return;
    // Through the wire format, as the transport would.
    std::vector<std::uint8_t> wire = encode(m);
    Message received = decode(wire.data(), wire.size());
    EXPECT_EQ(received, m);
    try {
      send(to.job->receive(received));
      // A refusal ends the job; the caller raises it (and aborts) as an error.
      if (to.job->refusal()) throw *to.job->refusal();
    } catch (const ProtocolError& e) {
      fail(m.receiver, e);
    }
  }

  // Party i failed with e; with abort_on_error it tells the others, as the
  // PostgreSQL glue does (fatal unless it only ran out of partners).
  void fail(std::size_t i, const ProtocolError& e) {
    Party& p = parties[i];
    p.error = e;
    // A party that was itself aborted has nothing to add.
    if (abort_on_error && e.kind() != ErrorKind::kAborted) {
      const bool fatal = e.kind() != ErrorKind::kTooFewParties;
      std::vector<Outgoing> aborts;
      for (std::size_t j = 0; j < parties.size(); ++j) {
        if (j == i) continue;
        auto id = static_cast<std::uint16_t>(j);
        aborts.push_back(Outgoing{id, p.job->abort_message(id, e.what(), fatal)});
      }
      send(std::move(aborts));
    }
  }

  std::mt19937_64 order_rng_;
  std::deque<Message> queue_;
};

inline void expect_all_finished_with_sum(Network& net) {
  const std::vector<i128> want = net.expected_sum();
  for (std::size_t i = 0; i < net.parties.size(); ++i) {
    const Network::Party& p = net.parties[i];
    ASSERT_FALSE(p.error) << "party " << i << ": " << p.error->what() << " / " << p.error->detail();
    ASSERT_TRUE(p.job->finished()) << "party " << i << " " << p.job->describe_missing();
    EXPECT_EQ(Network::decode_result(*p.job), want) << "party " << i;
    EXPECT_TRUE(p.job->missing().empty());
    EXPECT_EQ(p.job->describe_missing(), "");
  }
}

inline ErrorKind receive_error(AggregationJob& job, const Message& m, std::string* what = nullptr) {
  try {
    job.receive(m);
  } catch (const ProtocolError& e) {
    if (what != nullptr) *what = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "receive accepted the message";
  return ErrorKind::kInvalidArgument;
}

}  // namespace smpc::protocol::test_net
