// Errors that name the right party, and messages bound to their run
// (protocol/aggregation_job.hpp, "Runs" and "Bound to their run"):
//
//   - a share of a failed run, captured and replayed with the sender's
//     credentials, is taken by the next run of the job id for the sender's
//     run, and fails it with a false "release policy differs" (the attack,
//     as it works without the ended runs); with the runs the failed run knew
//     of handed on (runs_of(), forget_run()), the next run ignores it and
//     releases;
//   - a party whose run ends before it sends anything (its own input
//     failed) says so (withdrawn); a partner whose run is under way stops at
//     once with its reason (n-of-n) or goes on without it (a quorum left),
//     and a withdrawn abort of a run other than the one the partner knows is
//     ignored;
//   - after an equivocation, the honest parties' errors blame nobody.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

constexpr std::uint16_t kAlpha = 0;
constexpr std::uint16_t kBeta = 1;

// The share alpha sent beta in `net`.
Message share_to_beta(const Network& net) {
  for (const Message& m : net.sent) {
    if (m.type == MessageType::kShare && m.sender == kAlpha && m.receiver == kBeta) return m;
  }
  ADD_FAILURE() << "alpha sent beta no share";
  return Message{};
}

// Run 1 of "job-42": alpha applies another release policy; the job fails.
// Returns the network (to read beta's runs and alpha's share from).
Network failed_first_run() {
  std::vector<JobParams> all = make_parties(3, 0);
  all[kAlpha].policy.min_parties = 3;  // the others: 2
  Network net(all, 7);
  net.abort_on_error = true;
  net.order = Network::Order::kFifo;
  net.start_all();
  net.run();
  EXPECT_TRUE(net.parties[kBeta].error);
  if (net.parties[kBeta].error) {
    EXPECT_EQ(net.parties[kBeta].error->kind(), ErrorKind::kPolicyMismatch);
  }
  return net;
}

TEST(ProtocolRunBinding, ReplayedShareOfAFailedRunFailsTheNextRunWithoutTheEndedRuns) {
  Network first = failed_first_run();
  const Message replay = share_to_beta(first);
  // Run 2, the policies fixed; the attacker delivers alpha's old share to
  // beta before alpha's new one. Without the ended runs beta takes it for
  // alpha's run and blames a policy alpha no longer has.
  Network second(make_parties(3, 0), 8);
  second.order = Network::Order::kFifo;
  second.start_all();
  second.inject(replay);
  ASSERT_TRUE(second.parties[kBeta].error);
  EXPECT_EQ(second.parties[kBeta].error->kind(), ErrorKind::kPolicyMismatch);
}

TEST(ProtocolRunBinding, ReplayedShareOfAFailedRunIsIgnoredByTheNextRun) {
  Network first = failed_first_run();
  const Message replay = share_to_beta(first);
  Network second(make_parties(3, 0), 8);
  second.order = Network::Order::kFifo;
  // What the glue does: the failed run's partners' runs are dead to the next.
  const AggregationJob& ended = *first.parties[kBeta].job;
  for (std::uint16_t p : {std::uint16_t{0}, std::uint16_t{2}}) {
    for (const Nonce& n : ended.runs_of(p)) second.parties[kBeta].job->forget_run(p, n);
  }
  EXPECT_FALSE(ended.runs_of(kAlpha).empty());
  second.start_all();
  second.inject(replay);
  EXPECT_FALSE(second.parties[kBeta].error) << second.parties[kBeta].error->what();
  second.run();
  expect_all_finished_with_sum(second);
  // Forgotten runs were not aborts: the timeout text does not invent one.
  EXPECT_EQ(second.parties[kBeta].job->dead_runs(), "");
}

TEST(ProtocolRunBinding, ForgetRunOnlyBeforeStartAndForPartners) {
  Network net(make_parties(3, 0), 9);
  Nonce n{};
  n.fill(7);
  EXPECT_THROW(net.parties[kBeta].job->forget_run(kBeta, n), ProtocolError);
  EXPECT_THROW(net.parties[kBeta].job->forget_run(3, n), ProtocolError);
  net.start_all();
  EXPECT_THROW(net.parties[kBeta].job->forget_run(kAlpha, n), std::logic_error);
}

// Alpha's input failed before it started: its abort says the run sent nothing.
std::vector<Message> withdrawal(const AggregationJob& alpha, std::size_t n) {
  std::vector<Message> out;
  for (std::uint16_t to = 1; to < n; ++to) {
    Message m = alpha.abort_message(to, "party alpha cannot aggregate its input: it holds NaN",
                                    /*fatal=*/false);
    EXPECT_TRUE(m.withdrawn);
    out.push_back(m);
  }
  return out;
}

TEST(ProtocolRunBinding, WithdrawnAbortStopsARunningPartnerAtOnce) {
  Network net(make_parties(3, 0), 11);
  net.on_send = [](Message& m) { return m.receiver != kAlpha; };  // alpha never runs
  for (std::size_t i = 1; i < 3; ++i) net.start(i);
  net.run();
  for (const Message& m : withdrawal(*net.parties[kAlpha].job, 3)) net.inject(m);
  for (std::size_t i = 1; i < 3; ++i) {
    const Network::Party& p = net.parties[i];
    ASSERT_TRUE(p.error) << i;
    EXPECT_EQ(p.error->kind(), ErrorKind::kAborted);
    EXPECT_EQ(std::string(p.error->what()), "party alpha aborted the job");
    EXPECT_EQ(p.error->detail(), "party alpha cannot aggregate its input: it holds NaN");
  }
}

TEST(ProtocolRunBinding, WithdrawnAbortIsADropoutWhereAQuorumRemains) {
  Network net(make_parties(5, 3), 12);
  net.on_send = [](Message& m) { return m.receiver != kAlpha; };
  for (std::size_t i = 1; i < 5; ++i) net.start(i);
  net.run();
  for (const Message& m : withdrawal(*net.parties[kAlpha].job, 5)) net.inject(m);
  net.run();
  for (std::size_t i = 1; i < 5; ++i) {
    const Network::Party& p = net.parties[i];
    ASSERT_FALSE(p.error) << i << ": " << p.error->what();
    ASSERT_TRUE(p.job->finished()) << i;
    EXPECT_EQ(p.job->covered(), (std::vector<std::uint16_t>{1, 2, 3, 4}));
    EXPECT_EQ(Network::decode_result(*p.job), net.expected_sum({1, 2, 3, 4}));
  }
}

TEST(ProtocolRunBinding, WithdrawnAbortOfAnotherRunIsIgnored) {
  Network net(make_parties(3, 0), 13);
  net.order = Network::Order::kFifo;
  net.start_all();
  // Once alpha's share is at beta, beta knows alpha's run: a withdrawal
  // from another run of alpha (another job object) is not about this one.
  DeterministicRandom rng(99);
  std::vector<JobParams> all = make_parties(3, 0);
  all[kAlpha].width = 2;
  AggregationJob other(all[kAlpha], embed({1, 2}, 3), rng);
  net.inject(share_to_beta(net));  // (delivered again by run(): a harmless repeat)
  std::vector<Message> stale = withdrawal(other, 3);
  net.inject(stale[0]);  // to beta
  EXPECT_FALSE(net.parties[kBeta].error) << net.parties[kBeta].error->what();
  net.run();
  expect_all_finished_with_sum(net);
}

TEST(ProtocolRunBinding, EquivocationBlamesNoHonestParty) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(make_parties(3, 0), seed);
    net.abort_on_error = true;
    net.parties[kBeta].job->set_fault(Fault::kEquivocatePartial);  // alpha gets another partial
    net.start_all();
    net.run();
    bool reported = false;
    for (std::size_t i = 0; i < 3; ++i) {
      const Network::Party& p = net.parties[i];
      ASSERT_TRUE(p.error) << "seed " << seed << " party " << i;
      const std::string text = std::string(p.error->what()) + " " + p.error->detail();
      EXPECT_EQ(text.find("holds a different result"), std::string::npos) << text;
      if (text.find("the parties opened different results") != std::string::npos) reported = true;
    }
    EXPECT_TRUE(reported) << "seed " << seed;
  }
}

}  // namespace
}  // namespace smpc::protocol
