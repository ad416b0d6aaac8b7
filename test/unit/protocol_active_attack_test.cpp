// Attacks by one actively deviating party (SECURITY.md, "Threat model"),
// written as regression tests: each test runs the attack with the in-memory
// network and asserts that it fails. Each one passed against the code before
// its defence (the attack worked) and would pass again without it.
//
//   - an equivocating party bridging two halves of a partition (quorums
//     that overlap in one party);
//   - differencing across a failed run and its retry (job ids spent once
//     anything opens: the protocol's part is committed());
//   - a compute party that is not an output brute-forcing the result from
//     the confirm digest;
//   - a compute party shifting the result (verified results);
//   - a partner's false refusal, and a compute party that leaves out an
//     input whose share it acknowledged.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "crypto/hash.hpp"
#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

bool in(const std::vector<std::uint16_t>& v, std::uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The input sets of every partial and count message the `honest` parties
// sent to anyone. Two different sets give whoever holds enough values of
// both the difference: an input (or the sum of a few).
std::set<std::uint64_t> opened_sets(const Network& net, const std::vector<std::uint16_t>& honest) {
  std::set<std::uint64_t> sets;
  for (const Message& m : net.sent) {
    if ((m.type == MessageType::kPartial || m.type == MessageType::kCount) &&
        in(honest, m.sender)) {
      sets.insert(m.included);
    }
  }
  return sets;
}

// A network split into sides (side[i]: 0 or 1 for compute parties, -1 for
// parties outside the split): messages between the sides are dropped after
// the share round (shares got through), except to and from `bridge`, which
// reaches everyone. The bridge tells side 1 that input `hidden` is missing
// (-1: it tells no lie).
void partition(Network& net, std::vector<int> side, std::uint16_t bridge, int hidden) {
  net.on_send = [side, bridge, hidden](Message& m) {
    if (hidden >= 0 && m.sender == bridge && side[m.receiver] == 1 &&
        (m.type == MessageType::kRoster || m.type == MessageType::kAgree)) {
      m.included &= ~(std::uint64_t{1} << hidden);
    }
    if (m.sender == bridge || m.receiver == bridge) return true;
    if (side[m.sender] < 0 || side[m.receiver] < 0) return true;  // not a compute party
    return m.type == MessageType::kShare || side[m.sender] == side[m.receiver];
  };
}

// Issue: quorums of max(t, majority) overlap in one party. Shamir 3-of-5,
// honest {alpha, beta} and {gamma, delta} cut off from each other, epsilon
// reachable from both and telling each side a different input set: both
// sides would reach a quorum of three with it and open over their own set;
// epsilon, with its own values, reconstructs both sums and subtracts.
TEST(ProtocolActiveAttack, EquivocatorCannotBridgeAPartitionFiveParties) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Network net(make_parties(5, 3), seed);
    partition(net, {0, 0, 1, 1, -1}, 4, 0);
    net.start_all();
    net.run_with_timeouts();
    EXPECT_LE(opened_sets(net, {0, 1, 2, 3}).size(), 1u) << "seed " << seed;
    std::set<int> sides;
    for (int i : {0, 1, 2, 3}) {
      if (net.parties[i].job->has_result()) sides.insert(i < 2 ? 0 : 1);
    }
    EXPECT_LE(sides.size(), 1u) << "both sides released, seed " << seed;
  }
  DeterministicRandom rng(1);
  EXPECT_EQ(AggregationJob(make_parties(5, 3)[0], {Fp(), Fp()}, rng).quorum(), 4u);
}

// The delegated example of docs/dba.md (owners o1..o5, compute c1..c3, 2-of-3):
// c3 bridges c1 and c2 and colludes with owner o5, which receives the
// partials of both sides and learns o1's input.
TEST(ProtocolActiveAttack, EquivocatorCannotBridgeAPartitionDelegated) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    // Parties 0..4 own data, 5..7 compute.
    Network net(make_parties(8, 2, {5, 6, 7}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, 3), seed);
    partition(net, {-1, -1, -1, -1, -1, 0, 1, -1}, 7, 0);
    net.start_all();
    net.run_with_timeouts();
    std::set<std::uint64_t> sets;
    for (const Message& m : net.sent) {
      if (m.type == MessageType::kPartial && (m.sender == 5 || m.sender == 6) && m.receiver == 4) {
        sets.insert(m.included);
      }
    }
    EXPECT_LE(sets.size(), 1u) << "o5 got partials over two input sets, seed " << seed;
  }
}

// Issue: a job id was not spent when a run failed after opening. Shamir
// 3-of-5: in run 1 epsilon starves some honest parties (it sends them
// nothing after the shares; they are cut off from the others), takes the
// others' partial sums and aborts; run 2 under the same job id leaves
// alpha's input out of epsilon's roster, and every party that did not
// commit in run 1 runs it. A party that committed (committed(): it sent
// something that opens values, or lets others open them) refuses every
// later run: the PostgreSQL glue records that durably before the message
// leaves. Honest parties must never open over two different input sets
// across the two runs: neither when run 1 could not reach a quorum (gamma
// and delta starved) nor when it could (delta starved).
TEST(ProtocolActiveAttack, NoSecondRunOpensOverOtherInputs) {
  for (const std::vector<int>& starved : {std::vector<int>{2, 3}, std::vector<int>{3}}) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      std::vector<bool> spent(5, false);
      std::set<std::uint64_t> sets;
      {
        Network run1(make_parties(5, 3), seed);
        run1.abort_on_error = true;
        run1.parties[4].job->set_fault(Fault::kAbortAfterOpen);
        std::vector<int> side = {0, 0, 0, 0, -1};
        for (int i : starved) side[i] = 1;
        run1.on_send = [side](Message& m) {
          if (m.type == MessageType::kShare) return true;
          if (m.sender == 4) return side[m.receiver] == 0;
          if (m.receiver == 4) return true;
          return side[m.sender] == side[m.receiver];
        };
        run1.start_all();
        run1.run_with_timeouts();
        for (int i = 0; i < 4; ++i) {
          spent[i] = run1.parties[i].job->committed();
          EXPECT_FALSE(run1.parties[i].job->has_result()) << "run 1 released at " << i;
        }
        sets = opened_sets(run1, {0, 1, 2, 3});
      }
      Network run2(make_parties(5, 3), seed + 100);
      for (int i = 0; i < 4; ++i) run2.parties[i].silent = spent[i];
      run2.on_send = [](Message& m) {
        if (m.sender == 4 && (m.type == MessageType::kRoster || m.type == MessageType::kAgree)) {
          m.included &= ~bits({0});
        }
        return true;
      };
      for (int i = 0; i < 5; ++i) {
        if (!run2.parties[i].silent) run2.start(i);
      }
      run2.run_with_timeouts();
      for (std::uint64_t s : opened_sets(run2, {0, 1, 2, 3})) sets.insert(s);
      EXPECT_LE(sets.size(), 1u) << "honest parties opened over two input sets, seed " << seed
                                 << ", " << starved.size() << " starved";
    }
  }
}

// committed() turns true exactly when a message that opens something (or,
// in jobs with an agree round, the agree message that lets others open) is
// handed to the caller, never for shares or rosters.
TEST(ProtocolActiveAttack, CommittedOnlyFromTheFirstOpeningRound) {
  for (std::uint32_t t : {0u, 3u}) {
    Network net(make_parties(5, t), 31);
    net.order = Network::Order::kFifo;
    std::vector<bool> seen_committing(5, false);
    net.on_send = [&](Message& m) {
      const bool opens = m.type == MessageType::kAgree || m.type == MessageType::kCount ||
                         m.type == MessageType::kPartial || m.type == MessageType::kConfirm ||
                         m.type == MessageType::kVouch;
      if (opens) {
        EXPECT_TRUE(net.parties[m.sender].job->committed()) << "party " << m.sender;
      } else if (!seen_committing[m.sender]) {
        EXPECT_FALSE(net.parties[m.sender].job->committed()) << "party " << m.sender;
      }
      seen_committing[m.sender] = seen_committing[m.sender] || opens;
      return true;
    };
    net.start_all();
    net.run();
    expect_all_finished_with_sum(net);
  }
}

// Issue: the confirm digest was SHA-256 over public data and the result, so
// the hybrid provider (a compute party that learns no result) could try
// candidate results until one matched. It now covers a random salt that
// only output parties open.
TEST(ProtocolActiveAttack, ProviderCannotBruteForceTheConfirmDigest) {
  Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), 41,
              {{10, 1}, {0, 0}, {20, 1}, {15, 1}});
  std::vector<crypto::Digest> digests;
  net.on_send = [&](Message& m) {
    if (m.receiver == 1 && m.type == MessageType::kConfirm) digests.push_back(m.digest);
    return true;
  };
  net.start_all();
  net.run();
  ASSERT_TRUE(net.parties[0].job->has_result());
  ASSERT_FALSE(digests.empty());
  const AggregationJob& provider = *net.parties[1].job;
  // Everything public the provider knows, and every candidate result near
  // the truth (45, 3), with and without the salt and tags zero.
  int matches = 0;
  for (int sum = 0; sum <= 100; ++sum) {
    for (int count = 0; count <= 5; ++count) {
      for (std::size_t extra = 0; extra <= 3; ++extra) {
        std::vector<Fp> candidate = {Fp::from_signed(sum), Fp::from_signed(count)};
        candidate.resize(2 + extra);
        const crypto::Digest d = provider.transcript_digest(bits({0, 2, 3}), candidate);
        matches += d == digests[0] ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(matches, 0) << "the provider recovered the result from the confirm digest";
}

// Issue: the hybrid provider, which has no input, sent the same wrong
// partial to everyone; all three outputs released 45 shifted by one. Every
// output now refuses or releases the right value, and says it verified it.
TEST(ProtocolActiveAttack, HybridProviderCannotShiftTheResult) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), seed,
                {{10, 1}, {0, 0}, {20, 1}, {15, 1}});
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kWrongPartial);
    net.start_all();
    net.run();
    int noticed = 0;
    for (int i : {0, 2, 3}) {
      const Network::Party& p = net.parties[i];
      EXPECT_FALSE(p.job->has_result()) << "party " << i << " released a shifted result";
      ASSERT_TRUE(p.error) << i;
      noticed += p.error->kind() == ErrorKind::kInconsistent ? 1 : 0;
    }
    EXPECT_GT(noticed, 0) << "no output noticed the shift";
  }
  // Honest: verified.
  Network ok(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), 5,
             {{10, 1}, {0, 0}, {20, 1}, {15, 1}});
  ok.start_all();
  ok.run();
  for (int i : {0, 2, 3}) {
    ASSERT_TRUE(ok.parties[i].job->has_result()) << i;
    EXPECT_EQ(Network::decode_result(*ok.parties[i].job), (std::vector<i128>{45, 3}));
    EXPECT_TRUE(ok.parties[i].job->verified()) << i;
  }
}

// The same in the delegated model with additive sharing: three compute
// parties, data owners as outputs; a compute party shifts its partial.
TEST(ProtocolActiveAttack, DelegatedAdditiveComputePartyCannotShiftTheResult) {
  for (bool grouped : {false, true}) {
    std::vector<JobParams> all = make_parties(6, 0, {3, 4, 5}, {0, 1, 2}, {0, 1, 2});
    if (grouped) {
      // Two cells of (sum, count), small cells suppressed: per-cell checks.
      for (JobParams& p : all) {
        p.cells = 2;
        p.cell_width = 2;
        p.cell_count = 1;
        p.policy.min_rows = 2;
      }
    }
    Network net(
        all, 7,
        {{10, 1, 5, 1}, {20, 1, 0, 0}, {30, 1, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}});
    net.abort_on_error = true;
    net.parties[5].job->set_fault(Fault::kWrongPartial);
    net.start_all();
    net.run();
    int noticed = 0;
    for (int i : {0, 1, 2}) {
      EXPECT_FALSE(net.parties[i].job->has_result()) << "grouped " << grouped << " party " << i;
      ASSERT_TRUE(net.parties[i].error) << i;
      noticed += net.parties[i].error->kind() == ErrorKind::kInconsistent ? 1 : 0;
    }
    EXPECT_GT(noticed, 0) << "grouped " << grouped;
  }
}

// A compute party that sends different MAC key parts to different parties
// (to test, through a failed check, a guess about one input) stops the job
// before anything is opened: input parties report the digest of the key
// parts they received with their shares, and the organisation (an honest
// compute party) compares them.
TEST(ProtocolActiveAttack, KeyPartEquivocationStopsTheJob) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), seed,
                {{10, 1}, {0, 0}, {20, 1}, {15, 1}});
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kEquivocateKey);
    net.start_all();
    net.run();
    for (int i : {0, 2, 3}) {
      EXPECT_FALSE(net.parties[i].job->has_result()) << "seed " << seed << " party " << i;
      ASSERT_TRUE(net.parties[i].error) << i;
    }
    ASSERT_TRUE(net.parties[0].error);
    EXPECT_EQ(net.parties[0].error->kind(), ErrorKind::kInconsistent);
    for (const Message& m : net.sent) {
      EXPECT_FALSE(m.type == MessageType::kPartial && m.sender == 0) << "the organisation opened";
    }
  }
}

// Issue: Shamir jobs opened from exactly t values cannot tell a wrong one.
// 3-of-5 with two parties down left exactly three; now a job releases only
// from more than t values, so a single wrong partial is always noticed.
TEST(ProtocolActiveAttack, ShamirNeverReleasesFromExactlyTValues) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Network net(make_parties(5, 3), seed);
    net.parties[3].silent = true;
    net.parties[4].silent = true;
    net.parties[2].job->set_fault(Fault::kWrongPartial);
    net.start_all();
    net.run_with_timeouts();
    for (int i : {0, 1}) {
      if (net.parties[i].error) ADD_FAILURE() << net.parties[i].error->what();
    }
    const std::vector<i128> want = net.expected_sum({0, 1, 2});
    for (int i : {0, 1}) {
      if (net.parties[i].job->has_result()) {
        EXPECT_EQ(Network::decode_result(*net.parties[i].job), want) << "party " << i;
      }
    }
  }
  // One down: four values, one spare; the wrong one is found.
  Network net(make_parties(5, 3), 9);
  net.parties[4].silent = true;
  net.parties[2].job->set_fault(Fault::kWrongPartial);
  net.start_all();
  net.run_with_timeouts();
  for (int i : {0, 1, 3}) {
    EXPECT_FALSE(net.parties[i].job->has_result()) << i;
    ASSERT_TRUE(net.parties[i].error) << i;
    EXPECT_EQ(net.parties[i].error->kind(), ErrorKind::kInconsistent) << i;
  }
}

// Additive peer-to-peer jobs cannot verify (a party can shift the result as
// it can lie about its input): they say so.
TEST(ProtocolActiveAttack, AdditivePeerToPeerSaysItIsNotVerified) {
  Network net(make_parties(3, 0), 51);
  net.start_all();
  net.run();
  expect_all_finished_with_sum(net);
  for (const Network::Party& p : net.parties) EXPECT_FALSE(p.job->verified());
  Network sh(make_parties(5, 3), 52);
  sh.start_all();
  sh.run();
  expect_all_finished_with_sum(sh);
  for (const Network::Party& p : sh.parties) EXPECT_TRUE(p.job->verified());
}

// A refusal is believed only by a party that has not opened the count
// itself: one that has trusts its own count.
TEST(ProtocolActiveAttack, OwnCountOutweighsAPartnersRefusal) {
  std::vector<JobParams> all = make_parties(3, 0);
  for (JobParams& p : all) {
    p.policy.min_rows = 2;
    p.count_index = 1;
  }
  Network net(all, 61, {{10, 1}, {20, 1}, {30, 1}});
  net.order = Network::Order::kFifo;
  // Hold back gamma's partials so that alpha has opened the count (3 rows)
  // but not finished when gamma's false refusal arrives.
  std::vector<Message> held;
  net.on_send = [&](Message& m) {
    if (m.sender == 2 && m.type == MessageType::kPartial) {
      held.push_back(m);
      return false;
    }
    return true;
  };
  net.start_all();
  net.run();
  ASSERT_FALSE(net.parties[0].job->finished());
  Message fake =
      net.parties[2].job->abort_message(0, "the joint row count is below the minimum", false);
  fake.refused = true;
  net.inject(fake);
  EXPECT_FALSE(net.parties[0].job->refusal())
      << "alpha believed a refusal its own count contradicts";
}

// An input party that also computes stops the job when a compute party that
// acknowledged receiving its share (the delivery succeeded) leaves it out of
// the inputs: it cannot be silently dropped.
TEST(ProtocolActiveAttack, AcknowledgedShareCannotBeLeftOut) {
  Network net(make_parties(5, 3), 71);
  net.order = Network::Order::kFifo;
  net.abort_on_error = true;
  // Epsilon's server accepts alpha's share; its job acts as if it never
  // came (it leaves alpha out of its roster, consistently).
  net.on_send = [&](Message& m) {
    if (m.sender == 0 && m.type == MessageType::kShare && m.receiver == 4) {
      net.parties[0].job->acknowledged(4);
      return false;
    }
    return true;
  };
  net.start_all();
  net.run_with_timeouts();
  ASSERT_TRUE(net.parties[0].error);
  EXPECT_EQ(net.parties[0].error->kind(), ErrorKind::kInconsistent);
  EXPECT_NE(
      std::string(net.parties[0].error->what()).find("party epsilon left this party's input out"),
      std::string::npos)
      << net.parties[0].error->what();
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(net.parties[i].job->has_result()) << i;
}

}  // namespace
}  // namespace smpc::protocol
