// Jobs under a release policy: the minimum number of parties, the row-count
// round that refuses small populations before anything else is opened,
// mismatched policies, and deliberate deviations in every round.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

// Parties' params for a job over (sum, count) with count_index 1.
std::vector<JobParams> gated(std::size_t n, std::uint64_t min_rows) {
  std::vector<JobParams> all = Network::uniform(n);
  for (JobParams& p : all) {
    p.policy.min_parties = 3;
    p.policy.min_rows = min_rows;
    p.count_index = 1;
  }
  return all;
}

// Inputs (sum, count) whose counts add up to `rows`.
std::vector<std::vector<i128>> inputs_with_rows(std::size_t n, i128 rows) {
  std::vector<std::vector<i128>> in;
  for (std::size_t i = 0; i < n; ++i) {
    i128 count = rows / static_cast<i128>(n) + (i == 0 ? rows % static_cast<i128>(n) : 0);
    in.push_back({1000 * static_cast<i128>(i + 1), count});
  }
  return in;
}

std::size_t sent_of_type(const Network& net, MessageType type) {
  return static_cast<std::size_t>(std::count_if(
      net.sent.begin(), net.sent.end(), [type](const Message& m) { return m.type == type; }));
}

// Every party failed with one of `kinds`; nobody has a result.
void expect_nobody_released(const Network& net, std::vector<ErrorKind> kinds) {
  for (std::size_t i = 0; i < net.parties.size(); ++i) {
    const Network::Party& p = net.parties[i];
    EXPECT_TRUE(!p.job->finished() || p.job->refusal()) << "party " << i;
    if (p.job->finished()) {
      EXPECT_THROW(p.job->result(), ProtocolError) << "party " << i;
    }
    ASSERT_TRUE(p.error.has_value()) << "party " << i;
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), p.error->kind()), kinds.end())
        << "party " << i << ": " << p.error->what();
  }
}

TEST(ProtocolPolicy, DefaultPolicyRefusesTwoParties) {
  FederationDef def = federation(2);
  JobParams p = params(def, 0);
  p.policy = ReleasePolicy{};
  DeterministicRandom r(1);
  try {
    AggregationJob job(p, embed({1}, 2), r);
    ADD_FAILURE() << "a two-party job ran under the default policy";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRefused);
    EXPECT_STREQ(e.what(),
                 "federation \"acme\" has 2 parties, but the release policy requires at least 3");
    EXPECT_EQ(e.detail(),
              "With two parties, each party learns the other's input from the joint result.");
  }
  p.policy.min_parties = 2;
  EXPECT_NO_THROW(AggregationJob(p, embed({1}, 2), r));
}

TEST(ProtocolPolicy, MinPartiesAboveTheFederationSizeRefuses) {
  JobParams p = params(federation(5), 0);
  p.policy.min_parties = 6;
  DeterministicRandom r(1);
  try {
    AggregationJob job(p, embed({1}, 5), r);
    ADD_FAILURE();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRefused);
    EXPECT_EQ(e.detail(), "");
  }
}

class ProtocolPolicySizes : public ::testing::TestWithParam<std::size_t> {};

// Enough rows: a count round, then the partial round for the sum, then the
// result, in any delivery order.
TEST_P(ProtocolPolicySizes, RowCountAtTheMinimumReleases) {
  const std::size_t n = GetParam();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(gated(n, 12), seed, inputs_with_rows(n, 12));
    net.start_all();
    net.run();
    expect_all_finished_with_sum(net);
    EXPECT_EQ(sent_of_type(net, MessageType::kCount), n * (n - 1));
    EXPECT_EQ(sent_of_type(net, MessageType::kPartial), n * (n - 1));
    for (const Message& m : net.sent) {
      if (m.type == MessageType::kCount || m.type == MessageType::kPartial) {
        EXPECT_EQ(m.values.size(), 1u);
      }
    }
  }
}

// Too few rows: every party refuses after the count round with the same
// error, whether it opened the count itself or heard a partner's refusal
// first (any delivery order), and no partial (which would open the sum) is
// ever sent.
TEST_P(ProtocolPolicySizes, RowCountBelowTheMinimumOpensNothingElse) {
  const std::size_t n = GetParam();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    Network net(gated(n, 12), seed, inputs_with_rows(n, 11));
    net.abort_on_error = true;
    net.start_all();
    net.run();
    expect_nobody_released(net, {ErrorKind::kRefused});
    EXPECT_EQ(sent_of_type(net, MessageType::kPartial), 0u);
    EXPECT_EQ(sent_of_type(net, MessageType::kConfirm), 0u);
    for (const Message& m : net.sent) {
      if (m.type == MessageType::kAbort) {
        EXPECT_TRUE(m.refused);
      }
    }
    for (const Network::Party& p : net.parties) {
      EXPECT_EQ(p.error->detail(), "Only the row count was opened; no other value was revealed.");
      EXPECT_STREQ(p.error->what(),
                   "the joint row count is below the release policy's minimum of 12 rows");
      // The count itself is not in the error.
      EXPECT_EQ(std::string(p.error->what()).find("11"), std::string::npos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Parties, ProtocolPolicySizes, ::testing::Values(3, 5, 10),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "n" + std::to_string(info.param);
                         });

TEST(ProtocolPolicy, RoundsAreNamedInOrder) {
  std::vector<JobParams> all = gated(3, 1);
  DeterministicRandom r(1);
  AggregationJob job(all[0], embed({5, 1}, 3), r);
  EXPECT_EQ(job.round_name(MessageType::kShare), "round 1 (share)");
  EXPECT_EQ(job.round_name(MessageType::kCount), "round 2 (count)");
  EXPECT_EQ(job.round_name(MessageType::kPartial), "round 3 (partial)");
  EXPECT_EQ(job.round_name(MessageType::kConfirm), "round 4 (confirm)");
  EXPECT_EQ(job.round_name(MessageType::kAbort), "abort");
  AggregationJob plain(params(federation(3), 0), embed({5, 1}, 3), r);
  EXPECT_EQ(plain.round_name(MessageType::kPartial), "round 2 (partial)");
  EXPECT_EQ(plain.round_name(MessageType::kCount), "count");
}

TEST(ProtocolPolicy, CountRoundIsNamedInTimeouts) {
  Network net(gated(3, 2), 3, inputs_with_rows(3, 3));
  net.on_send = [](Message& m) { return !(m.type == MessageType::kCount && m.sender == 2); };
  net.start_all();
  net.run();
  EXPECT_EQ(net.parties[0].job->describe_missing(), "round 2 (count) from party gamma");
}

// smpc_count: the row count is the only element, so there is no partial round.
TEST(ProtocolPolicy, CountOnlyJobHasNoPartialRound) {
  std::vector<JobParams> all = Network::uniform(3);
  for (JobParams& p : all) {
    p.policy.min_rows = 5;
    p.count_index = 0;
  }
  Network net(all, 4, {{2}, {0}, {3}});
  net.start_all();
  net.run();
  expect_all_finished_with_sum(net);
  EXPECT_EQ(sent_of_type(net, MessageType::kPartial), 0u);
  EXPECT_EQ(sent_of_type(net, MessageType::kCount), 6u);
}

TEST(ProtocolPolicy, MinRowsNeedsTheCountInTheInput) {
  JobParams p = params(federation(3), 0);
  p.policy.min_rows = 5;
  DeterministicRandom r(1);
  EXPECT_THROW(AggregationJob(p, embed({1, 2}, 3), r), ProtocolError);
  p.count_index = 2;
  EXPECT_THROW(AggregationJob(p, embed({1, 2}, 3), r), ProtocolError);
}

TEST(ProtocolPolicy, DifferentMinRowsIsNamed) {
  std::vector<JobParams> all = gated(3, 10);
  all[2].policy.min_rows = 5;
  Network net(all, 1, inputs_with_rows(3, 30));
  net.order = Network::Order::kFifo;
  net.start_all();
  net.run();
  ASSERT_TRUE(net.parties[0].error.has_value());
  EXPECT_EQ(net.parties[0].error->kind(), ErrorKind::kPolicyMismatch);
  EXPECT_STREQ(net.parties[0].error->what(),
               "the release policy of job \"job-42\" differs at party gamma");
  EXPECT_EQ(net.parties[0].error->detail(), "min_rows: here 10, at the partner 5");
  ASSERT_TRUE(net.parties[2].error.has_value());
  EXPECT_EQ(net.parties[2].error->detail(), "min_rows: here 5, at the partner 10");
  for (const Network::Party& p : net.parties) EXPECT_FALSE(p.job->finished());
}

TEST(ProtocolPolicy, DifferentBoundsAreNamed) {
  std::vector<JobParams> all = Network::uniform(3);
  for (JobParams& p : all) p.policy.bounds = ClipBounds{0, 100, 0, false};
  all[1].policy.bounds->hi = 50;
  Network net(all, 2);
  net.order = Network::Order::kFifo;
  net.start_all();
  net.run();
  ASSERT_TRUE(net.parties[0].error.has_value());
  EXPECT_EQ(net.parties[0].error->detail(), "bounds: here clip 0 100, at the partner clip 0 50");
  for (const Network::Party& p : net.parties) EXPECT_FALSE(p.job->finished());
}

// A later message (no policy text) with another policy fingerprint is still
// refused, with a generic detail.
TEST(ProtocolPolicy, PolicyFingerprintIsCheckedOnEveryMessage) {
  std::vector<JobParams> all = Network::uniform(3);
  Network net(all, 6);
  net.on_send = [](Message& m) {
    if (m.type == MessageType::kPartial && m.sender == 1) m.policy[0] ^= 1;
    return true;
  };
  net.order = Network::Order::kFifo;
  net.start_all();
  net.run();
  ASSERT_TRUE(net.parties[0].error.has_value());
  EXPECT_EQ(net.parties[0].error->kind(), ErrorKind::kPolicyMismatch);
  EXPECT_EQ(net.parties[0].error->detail(), "The release policy fingerprints differ.");
}

// Deviations in each round (the smpc.test_fault switch) stop the job.
TEST(ProtocolPolicy, FaultEquivocateShareIsDetected) {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    Network net(Network::uniform(3), seed);
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kEquivocateShare);
    net.start_all();
    net.run();
    expect_nobody_released(net, {ErrorKind::kInconsistent, ErrorKind::kAborted});
    EXPECT_STREQ(net.parties[0].error->what(), "party beta sent two different share messages");
  }
}

TEST(ProtocolPolicy, FaultEquivocateCountIsDetected) {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    Network net(gated(3, 3), seed, inputs_with_rows(3, 9));
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kEquivocateCount);
    net.start_all();
    net.run();
    expect_nobody_released(net, {ErrorKind::kInconsistent, ErrorKind::kAborted});
  }
}

// A count pushed over the minimum for one party cannot open the sum: the
// honest parties refuse and never send the partials it would need.
TEST(ProtocolPolicy, EquivocatedCountCannotOpenTheSum) {
  Network net(gated(3, 10), 8, inputs_with_rows(3, 9));
  net.abort_on_error = true;
  net.parties[1].job->set_fault(Fault::kEquivocateCount);
  net.start_all();
  net.run();
  expect_nobody_released(net, {ErrorKind::kRefused});
  for (const Message& m : net.sent) {
    if (m.type == MessageType::kPartial) {
      EXPECT_EQ(m.sender, 0) << "party " << m.sender;
    }
  }
}

}  // namespace
}  // namespace smpc::protocol
