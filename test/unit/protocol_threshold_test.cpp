// Threshold (Shamir t-of-n) jobs, dropouts and the delegated and hybrid
// deployments: every party that finishes holds the sum over exactly the same
// inputs, which the result names; too few remaining parties stop everyone;
// a value that does not fit the polynomial is attributed to its sender.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

// Makes party i crash as soon as it is about to send a message of a type in
// `from` (or at once, for an empty set): it sends and receives nothing more.
// `reached`: the parties that still get the first such message.
void crash_at(Network& net, std::size_t i, std::vector<MessageType> from,
              std::vector<std::uint16_t> reached = {}) {
  if (from.empty()) {
    net.parties[i].silent = true;
    return;
  }
  auto previous = net.on_send;
  net.on_send = [&net, i, from, reached, previous](Message& m) {
    if (m.sender == i && std::find(from.begin(), from.end(), m.type) != from.end()) {
      const bool reaches = std::find(reached.begin(), reached.end(), m.receiver) != reached.end();
      if (!reaches) {
        net.parties[i].silent = true;
        return false;
      }
    }
    if (net.parties[m.sender].silent) return false;
    return previous ? previous(m) : true;
  };
}

// Every party that is still up and learns the result holds the sum over the
// same covered inputs, which are `covered`.
void expect_live_agree(Network& net, const std::vector<std::uint16_t>& covered) {
  const std::vector<i128> want = net.expected_sum(covered);
  std::size_t released = 0;
  for (std::size_t i = 0; i < net.parties.size(); ++i) {
    Network::Party& p = net.parties[i];
    if (p.silent) continue;
    ASSERT_FALSE(p.error) << "party " << i << ": " << p.error->what() << " / " << p.error->detail();
    ASSERT_EQ(p.timed_out, "") << "party " << i;
    ASSERT_TRUE(p.job->finished()) << "party " << i << " " << p.job->describe_missing();
    if (!p.job->has_result()) continue;
    EXPECT_EQ(Network::decode_result(*p.job), want) << "party " << i;
    EXPECT_EQ(p.job->covered(), covered) << "party " << i;
    ++released;
  }
  EXPECT_GT(released, 0u);
}

// Every party still up failed (an error or a timeout it could not survive).
void expect_live_fail(const Network& net) {
  for (std::size_t i = 0; i < net.parties.size(); ++i) {
    const Network::Party& p = net.parties[i];
    if (p.silent) continue;
    EXPECT_TRUE(p.error || !p.timed_out.empty()) << "party " << i;
    EXPECT_FALSE(p.job->has_result()) << "party " << i;
  }
}

// Parties [0, n) all went on without exactly one party, for `why`.
void expect_dropout(const Network& net, std::size_t n, const std::string& why) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<std::string> d = net.parties[i].job->dropouts();
    ASSERT_EQ(d.size(), 1u) << "party " << i;
    EXPECT_EQ(d[0], why) << "party " << i;
  }
}

std::vector<std::uint16_t> all_but(std::size_t n, std::vector<std::uint16_t> out) {
  std::vector<std::uint16_t> v;
  for (std::uint16_t i = 0; i < n; ++i) {
    if (std::find(out.begin(), out.end(), i) == out.end()) v.push_back(i);
  }
  return v;
}

TEST(ProtocolThreshold, ShamirJobsGiveTheJointSum) {
  for (auto [n, t] : {std::pair<std::size_t, std::uint32_t>{3, 2}, {5, 3}, {5, 4}, {10, 4}}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      SCOPED_TRACE("n " + std::to_string(n) + " t " + std::to_string(t) + " seed " +
                   std::to_string(seed));
      Network net(make_parties(n, t), seed);
      net.start_all();
      net.run();
      expect_live_agree(net, all_but(n, {}));
    }
  }
}

// Shares of a Shamir job are points of a polynomial: t - 1 of them say
// nothing about the input; each one differs from it.
TEST(ProtocolThreshold, ShamirSharesAreMasked) {
  Network net(make_parties(5, 3), 4);
  net.start_all();
  net.run();
  for (const Message& m : net.sent) {
    if (m.type != MessageType::kShare) continue;
    EXPECT_NE(m.values, embed(net.parties[m.sender].input, 5));
  }
}

TEST(ProtocolThreshold, PartnerDownBeforeRoundOneIsExcludedEverywhere) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(5, 3), seed);
    crash_at(net, 4, {});
    net.start_all();
    net.run_with_timeouts();
    expect_live_agree(net, {0, 1, 2, 3});
    for (std::size_t i = 0; i < 4; ++i) {
      const std::vector<std::string> d = net.parties[i].job->dropouts();
      ASSERT_EQ(d.size(), 1u);
      EXPECT_EQ(d[0], "party epsilon: did not answer in round 1 (share)");
    }
  }
}

// A partner that fails after its shares went out: its input counts.
TEST(ProtocolThreshold, PartnerDownAfterSharingIsIncluded) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(5, 3), seed);
    crash_at(net, 4, {MessageType::kRoster, MessageType::kPartial, MessageType::kConfirm});
    net.start_all();
    net.run_with_timeouts();
    expect_live_agree(net, {0, 1, 2, 3, 4});
  }
}

// The quorum is ceil((n_c + t) / 2): 3-of-5 goes on without one compute
// party, 3-of-7 without two.
TEST(ProtocolThreshold, TwoDownOfSevenWithThresholdThreeStillFinish) {
  Network net(make_parties(7, 3), 9);
  EXPECT_EQ(net.parties[0].job->quorum(), 5u);
  crash_at(net, 1, {MessageType::kRoster});
  crash_at(net, 3, {MessageType::kPartial});
  net.start_all();
  net.run_with_timeouts();
  expect_live_agree(net, {0, 1, 2, 3, 4, 5, 6});
}

TEST(ProtocolThreshold, TwoDownOfFiveWithThresholdThreeStopEveryone) {
  Network net(make_parties(5, 3), 9);
  EXPECT_EQ(net.parties[0].job->quorum(), 4u);
  crash_at(net, 1, {MessageType::kRoster});
  crash_at(net, 3, {MessageType::kPartial});
  net.start_all();
  net.run_with_timeouts();
  expect_live_fail(net);
}

TEST(ProtocolThreshold, DownDuringTheConfirmRound) {
  Network net(make_parties(5, 3), 10);
  crash_at(net, 2, {MessageType::kConfirm});
  net.start_all();
  net.run_with_timeouts();
  expect_live_agree(net, {0, 1, 2, 3, 4});
}

// Shares that reached only some compute parties before their sender
// failed: every compute party leaves that input out (the rosters agree).
TEST(ProtocolThreshold, PartlyDeliveredSharesAreLeftOutEverywhere) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(5, 3), seed);
    crash_at(net, 4, {MessageType::kShare}, {0, 1});
    net.start_all();
    net.run_with_timeouts();
    expect_live_agree(net, {0, 1, 2, 3});
  }
}

TEST(ProtocolThreshold, TooFewRemainingStopsEveryoneNamingTheMissing) {
  Network net(make_parties(5, 3), 11);
  crash_at(net, 2, {});
  crash_at(net, 3, {});
  crash_at(net, 4, {});
  net.start_all();
  net.run_with_timeouts();
  expect_live_fail(net);
  for (std::size_t i : {0u, 1u}) {
    EXPECT_EQ(net.parties[i].timed_out,
              "timed out waiting for round 1 (share) from party gamma, party delta, party epsilon");
  }
}

// After dropouts, the included inputs must still meet min_parties.
TEST(ProtocolThreshold, DropoutsBelowMinPartiesAreRefusedAtEveryParty) {
  std::vector<JobParams> all = make_parties(4, 2);
  for (JobParams& p : all) p.policy.min_parties = 4;
  Network net(all, 12);
  crash_at(net, 3, {});
  net.start_all();
  net.run_with_timeouts();
  expect_live_fail(net);
  for (std::size_t i : {0u, 1u, 2u}) {
    ASSERT_TRUE(net.parties[i].error) << i;
    EXPECT_EQ(net.parties[i].error->kind(), ErrorKind::kTooFewParties);
    EXPECT_EQ(std::string(net.parties[i].error->what()),
              "too few parties remain in job \"job-42\": the inputs of 3 reached every compute "
              "party, the release policy requires at least 4");
    EXPECT_EQ(net.parties[i].error->detail(), "Missing: delta. No result was released.");
  }
}

// One-way trouble (a cannot reach e, e reaches a, as with a certificate a
// does not trust): a sends e nothing but still uses what e sends; e never
// gets a's share, so every compute party leaves a's input out (they all
// include the same inputs), and every party releases the same result.
TEST(ProtocolThreshold, OneWayUnreachableStillAgrees) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(5, 3), seed);
    ASSERT_TRUE(net.parties[0].job->unreachable(4, "could not be reached: certificate"));
    net.on_send = [](Message& m) { return !(m.sender == 0 && m.receiver == 4); };
    net.start_all();
    net.run_with_timeouts();
    expect_live_agree(net, {1, 2, 3, 4});
    expect_dropout(net, 1, "party epsilon: could not be reached: certificate");
    EXPECT_EQ(net.parties[4].job->dropouts(),
              std::vector<std::string>{"party alpha: did not answer in round 1 (share)"});
  }
}

// n-of-n peer to peer has no tolerance: a missing party stops the job.
TEST(ProtocolThreshold, AdditiveJobsDoNotGoOnWithoutAParty) {
  Network net(make_parties(3, 0), 13);
  crash_at(net, 2, {MessageType::kPartial});
  net.start_all();
  net.run_with_timeouts();
  expect_live_fail(net);
  EXPECT_FALSE(net.parties[0].job->unreachable(2, "test"));
}

// A value that does not lie on the polynomial: with t + 2 values or more the
// sender is named; with t + 1 the mismatch is found but not attributed.
TEST(ProtocolThreshold, AWrongPartialIsAttributedToItsSender) {
  Network net(make_parties(5, 2), 14);
  net.parties[3].job->set_fault(Fault::kWrongPartial);
  net.start_all();
  net.run();
  for (std::size_t i : {0u, 1u, 2u, 4u}) {
    ASSERT_TRUE(net.parties[i].error) << i;
    EXPECT_EQ(net.parties[i].error->kind(), ErrorKind::kInconsistent);
    EXPECT_EQ(std::string(net.parties[i].error->what()),
              "party delta sent a partial value that does not fit the others (round 4 (partial))");
  }
}

TEST(ProtocolThreshold, AWrongPartialWithOneSpareValueIsFoundNotNamed) {
  Network net(make_parties(4, 3), 15);
  net.parties[3].job->set_fault(Fault::kWrongPartial);
  net.start_all();
  net.run();
  for (std::size_t i : {0u, 1u, 2u}) {
    ASSERT_TRUE(net.parties[i].error) << i;
    EXPECT_EQ(std::string(net.parties[i].error->what()),
              "the partial values of alpha, beta, gamma, delta do not lie on one polynomial "
              "(round 4 (partial))");
  }
}

// Equivocation in a Shamir job still stops every party, nothing released.
TEST(ProtocolThreshold, EquivocationInAShamirJobReleasesNothing) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    Network net(make_parties(5, 3), seed);
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kEquivocatePartial);
    net.start_all();
    net.run();
    for (const Network::Party& p : net.parties) EXPECT_FALSE(p.job->has_result());
  }
}

// A partner that aborts for its own reasons leaves a tolerant job; one that
// saw an inconsistency stops it.
TEST(ProtocolThreshold, NonFatalAbortIsADropoutFatalAbortStops) {
  Network net(make_parties(5, 3), 16);
  // Party 4 sends its shares, then aborts (disk full) instead of its roster.
  net.on_send = [](Message& m) { return m.sender != 4 || m.type == MessageType::kShare; };
  net.start_all();
  net.run();
  for (std::uint16_t j = 0; j < 4; ++j) {
    net.inject(net.parties[4].job->abort_message(j, "disk full", false));
  }
  net.parties[4].silent = true;
  net.run_with_timeouts();
  expect_live_agree(net, {0, 1, 2, 3, 4});
  expect_dropout(net, 4, "party epsilon: aborted: disk full");

  Network fatal(make_parties(5, 3), 17);
  fatal.on_send = [](Message& m) { return m.sender != 4 || m.type == MessageType::kShare; };
  fatal.start_all();
  fatal.run();
  std::string what;
  EXPECT_EQ(receive_error(*fatal.parties[0].job,
                          fatal.parties[4].job->abort_message(0, "bad values", true), &what),
            ErrorKind::kAborted);
  EXPECT_EQ(what, "party epsilon aborted the job");
}

// Delegated model: five data owners share to three compute parties (2-of-3)
// and learn the result; the compute parties hold shares of everyone's input
// but no input of their own.
TEST(ProtocolThreshold, DelegatedModel) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(8, 2, {5, 6, 7}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4, 5, 6, 7}), seed);
    net.start_all();
    net.run();
    expect_live_agree(net, {0, 1, 2, 3, 4});
    for (const Message& m : net.sent) {
      if (m.type == MessageType::kShare) {
        EXPECT_GE(m.receiver, 5) << "shares go to compute parties only";
      }
    }
  }
}

// Data owners that do not receive the result are done once their shares are
// out; one that never shared is left out.
TEST(ProtocolThreshold, DelegatedOwnersWithoutOutputAndADropout) {
  Network net(make_parties(8, 2, {5, 6, 7}, {0, 1, 2, 3, 4}, {5, 6, 7}), 21);
  crash_at(net, 2, {});
  net.start_all();
  net.run_with_timeouts();
  expect_live_agree(net, {0, 1, 3, 4});
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    EXPECT_TRUE(net.parties[i].job->finished()) << i;
    EXPECT_FALSE(net.parties[i].job->has_result()) << i;
  }
  // A compute party down too: with 2-of-4 the other three go on (a quorum
  // of three, one value to spare).
  Network net2(make_parties(9, 2, {5, 6, 7, 8}, {0, 1, 2, 3, 4}, {5, 6, 7, 8}), 22);
  crash_at(net2, 6, {MessageType::kRoster});
  net2.start_all();
  net2.run_with_timeouts();
  expect_live_agree(net2, {0, 1, 2, 3, 4});
  // With 2-of-3 the same is too few: all three are needed.
  Network net3(make_parties(8, 2, {5, 6, 7}, {0, 1, 2, 3, 4}, {5, 6, 7}), 22);
  crash_at(net3, 6, {MessageType::kRoster});
  net3.start_all();
  net3.run_with_timeouts();
  for (std::size_t i : {5u, 7u}) {
    EXPECT_TRUE(net3.parties[i].error || !net3.parties[i].timed_out.empty()) << i;
    EXPECT_FALSE(net3.parties[i].job->has_result()) << i;
  }
}

// Hybrid model: the organisation (0) and an external provider (1) compute,
// n-of-n between the two; the organisation's departments (2, 3) supply
// inputs. Neither compute party alone learns anything.
TEST(ProtocolThreshold, HybridModel) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), seed);
    net.start_all();
    net.run();
    expect_live_agree(net, {0, 2, 3});
    EXPECT_FALSE(net.parties[1].job->has_result());
    // A department sends the organisation a seed and the provider (the last
    // compute party) the one share that depends on its input: masked.
    for (const Message& m : net.sent) {
      if (m.type != MessageType::kShare || m.sender < 2) continue;
      if (m.receiver == 0) {
        EXPECT_NE(m.seeded, 0u);
        EXPECT_TRUE(m.values.empty());
        continue;
      }
      ASSERT_EQ(m.seeded, 0u);
      const std::vector<Fp> input = embed(net.parties[m.sender].input, 3);
      // The input, its salt and one MAC tag.
      ASSERT_EQ(m.values.size(), input.size() + 2);
      for (std::size_t k = 0; k < input.size(); ++k) EXPECT_NE(m.values[k], input[k]);
    }
  }
  // The provider down: nothing can be computed.
  Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}), 23);
  crash_at(net, 1, {MessageType::kRoster});
  net.start_all();
  net.run_with_timeouts();
  expect_live_fail(net);
}

// An output-only party (a regulator) learns the result and nothing else.
TEST(ProtocolThreshold, OutputOnlyParty) {
  Network net(make_parties(4, 2, {0, 1, 2}, {0, 1, 2}, {}), 24);
  net.start_all();
  net.run();
  expect_live_agree(net, {0, 1, 2});
  EXPECT_TRUE(net.parties[3].job->has_result());
  for (const Message& m : net.sent) {
    if (m.receiver == 3) {
      EXPECT_NE(m.type, MessageType::kShare);
      EXPECT_NE(m.type, MessageType::kRoster);
    }
  }
}

// Under a minimum row count, the count round of a Shamir job works the same.
TEST(ProtocolThreshold, RowCountGateInAShamirJob) {
  std::vector<JobParams> all = make_parties(5, 3);
  for (JobParams& p : all) {
    p.policy.min_parties = 3;
    p.policy.min_rows = 10;
    p.count_index = 1;
  }
  std::vector<std::vector<i128>> enough, few;
  for (int i = 0; i < 5; ++i) {
    enough.push_back({100 * (i + 1), 2});
    few.push_back({100 * (i + 1), 1});
  }
  Network ok(all, 25, enough);
  ok.start_all();
  ok.run();
  expect_live_agree(ok, {0, 1, 2, 3, 4});
  Network refused(all, 26, few);
  refused.start_all();
  refused.run();
  for (const Network::Party& p : refused.parties) {
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind(), ErrorKind::kRefused);
  }
}

// A partner that starts the job again while it runs has left it: a tolerant
// job goes on without it.
TEST(ProtocolThreshold, RestartedPartnerIsADropout) {
  std::vector<JobParams> all = make_parties(5, 3);
  Network net(all, 27);
  // Party 4's first run gets its shares out, then the party restarts.
  net.on_send = [](Message& m) { return m.sender != 4 || m.type == MessageType::kShare; };
  net.start_all();
  net.run();
  DeterministicRandom again(999);
  JobParams p4 = all[4];
  p4.width = 2;
  AggregationJob restarted(p4, embed(net.parties[4].input, 5), again);
  for (const Outgoing& o : restarted.start()) net.inject(o.message);
  net.parties[4].silent = true;
  net.run_with_timeouts();
  // Its first run's shares went out: its input still counts.
  expect_live_agree(net, {0, 1, 2, 3, 4});
  expect_dropout(net, 4, "party epsilon: restarted the job while it was running");
}

}  // namespace
}  // namespace smpc::protocol
