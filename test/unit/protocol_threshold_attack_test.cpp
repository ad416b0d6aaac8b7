// Attacks on threshold jobs that a review found, kept as regression tests:
// honest compute parties must never send partial sums over different input
// sets (two such sums give away an input), two groups cut off from each
// other must not both release, and a compute party that is not an output
// must not be able to reconstruct the result.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/sharing.hpp"
#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

// Every partial sum honest parties sent (from `honest`), with its S.
std::vector<std::uint64_t> partial_sets(const Network& net, std::vector<int> honest) {
  std::vector<std::uint64_t> sets;
  for (const Message& m : net.sent) {
    if (m.type != MessageType::kPartial) continue;
    if (std::find(honest.begin(), honest.end(), m.sender) == honest.end()) continue;
    if (std::find(sets.begin(), sets.end(), m.included) == sets.end()) sets.push_back(m.included);
  }
  return sets;
}

// A share that arrives after its receiver sent its roster is not used: the
// receiver opens over the set its roster named, like everyone else.
TEST(ProtocolThresholdAttack, LateShareAfterTheRosterIsNotUsed) {
  // compute 0, 1, 2 (2-of-3), inputs 3, 4, 5, outputs the compute parties.
  Network net(make_parties(6, 2, {0, 1, 2}, {3, 4, 5}, {0, 1, 2}, 2), 7);
  net.order = Network::Order::kFifo;
  std::vector<Message> held;
  net.on_send = [&](Message& m) {
    if (m.receiver == 0 && m.type == MessageType::kShare && m.sender == 5) {
      held.push_back(m);
      return false;
    }
    return true;
  };
  net.start_all();
  net.run();
  // Party 0's share deadline passes: it leaves input 5 out of its roster.
  std::vector<Outgoing> out;
  ASSERT_TRUE(net.parties[0].job->timeout(out));
  for (Outgoing& o : out) net.inject(o.message);
  net.run();
  // The late share arrives.
  net.on_send = nullptr;
  for (const Message& m : held) net.inject(m);
  net.run_with_timeouts();
  EXPECT_LE(partial_sets(net, {0, 1, 2}).size(), 1u) << "partials over two different sets";
  for (const Message& m : net.sent) {
    if (m.type == MessageType::kPartial) {
      EXPECT_EQ(m.included, bits({3, 4})) << "party " << m.sender;
    }
  }
}

// A malicious compute party sends different rosters to two honest ones: the
// agree round stops them before either opens anything.
TEST(ProtocolThresholdAttack, RosterEquivocationOpensNothing) {
  Network net(make_parties(5, 2, {0, 1, 2}, {0, 1, 3, 4}, {0, 1, 2}, 3), 8);
  net.on_send = [](Message& m) {
    if (m.sender == 2 && m.type == MessageType::kRoster && m.receiver == 1)
      m.included &= ~bits({0});
    return true;
  };
  net.start_all();
  net.run();
  for (const Message& m : net.sent) {
    EXPECT_NE(m.type, MessageType::kPartial) << "a partial from party " << m.sender;
  }
  for (int i : {0, 1}) {
    ASSERT_TRUE(net.parties[i].error) << i;
    EXPECT_EQ(net.parties[i].error->kind(), ErrorKind::kInconsistent) << i;
  }
}

// A malicious party that lies in its agree message to each honest party
// (naming each one's own S) still cannot get partials over two sets: honest
// parties check each other's agree messages too.
TEST(ProtocolThresholdAttack, AgreeEquivocationOpensNothing) {
  Network net(make_parties(5, 2, {0, 1, 2}, {0, 1, 3, 4}, {0, 1, 2}, 3), 9);
  net.on_send = [](Message& m) {
    if (m.sender == 2 && m.type == MessageType::kRoster && m.receiver == 1)
      m.included &= ~bits({0});
    if (m.sender == 2 && m.type == MessageType::kAgree && m.receiver == 1) m.included &= ~bits({0});
    return true;
  };
  net.start_all();
  net.run();
  EXPECT_LE(partial_sets(net, {0, 1}).size(), 1u);
  for (const Message& m : net.sent) {
    EXPECT_FALSE(m.type == MessageType::kPartial && m.sender != 2 && m.receiver == 2 &&
                 m.included != bits({0, 1, 3, 4}) && m.included != bits({1, 3, 4}))
        << "unexpected set";
  }
}

// Two halves cut off from each other (t = 2 of 4): neither has a majority of
// the compute parties, so neither releases.
TEST(ProtocolThresholdAttack, NoSplitBrain) {
  Network net(make_parties(4, 2, {}, {}, {}, 2), 9);
  auto side = [](int p) { return p < 2 ? 0 : 1; };
  net.on_send = [&](Message& m) {
    if (side(m.sender) == side(m.receiver)) return true;
    return m.type == MessageType::kShare && m.sender != 3;
  };
  net.start_all();
  net.run_with_timeouts();
  int released = 0;
  for (const Network::Party& p : net.parties) released += p.job->has_result() ? 1 : 0;
  EXPECT_EQ(released, 0);
  EXPECT_EQ(net.parties[0].job->quorum(), 3u);
}

// Hybrid: the provider (a compute party, not an output) never gets a partial
// it could add to its own to reconstruct the result.
TEST(ProtocolThresholdAttack, ComputePartyWithoutOutputGetsNoPartial) {
  Network net(make_parties(4, 0, {0, 1}, {0, 2, 3}, {0, 2, 3}, 2), 12);
  net.start_all();
  net.run();
  EXPECT_TRUE(net.parties[0].job->has_result());
  EXPECT_FALSE(net.parties[1].job->has_result());
  EXPECT_TRUE(net.parties[1].job->finished());
  for (const Message& m : net.sent) {
    if (m.receiver == 1) {
      EXPECT_NE(m.type, MessageType::kPartial);
    }
  }
}

// A data owner that only supplies its input is done once its shares are
// out; a compute party it then cannot reach does not make it fail.
TEST(ProtocolThresholdAttack, FinishedOwnerSurvivesAnUnreachableComputeParty) {
  Network net(make_parties(6, 2, {0, 1, 2}, {3, 4, 5}, {0, 1, 2}, 2), 11);
  std::vector<Outgoing> out = net.parties[3].job->start();
  EXPECT_TRUE(net.parties[3].job->finished());
  EXPECT_TRUE(net.parties[3].job->unreachable(2, "down"));
}

// A refusal may only come from a compute party that opened the count.
TEST(ProtocolThresholdAttack, RefusalFromAnInputPartyIsNotBelieved) {
  std::vector<JobParams> all = make_parties(6, 2, {0, 1, 2}, {3, 4, 5}, {0, 1, 2}, 2);
  for (JobParams& p : all) {
    p.policy.min_rows = 1;
    p.count_index = 1;
  }
  Network net(all, 13, {{0, 0}, {0, 0}, {0, 0}, {100, 5}, {200, 5}, {300, 5}});
  net.start_all();
  Message fake = net.parties[3].job->abort_message(0, "not enough rows", false);
  fake.refused = true;
  net.inject(fake);
  net.run();
  EXPECT_FALSE(net.parties[0].job->refusal());
  EXPECT_TRUE(net.parties[0].job->has_result());
}

}  // namespace
}  // namespace smpc::protocol
