// Grouped jobs: many cells in one exchange, and cells below the release
// policy's minimum row count suppressed (never opened) instead of the whole
// job being refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

constexpr std::size_t kCells = 4;

// Cells of (sum, count); the count at offset 1.
std::vector<JobParams> grouped(std::vector<JobParams> all, std::uint64_t min_rows) {
  for (JobParams& p : all) {
    p.policy.min_rows = min_rows;
    p.cells = kCells;
    p.cell_width = 2;
    p.cell_count = 1;
  }
  return all;
}

// Party i has, in cell c, sum 100 * (c + 1) + i and count rows[c] (party 0
// has them all; the others add nothing to the count).
std::vector<std::vector<i128>> cell_inputs(std::size_t n, const std::vector<i128>& rows) {
  std::vector<std::vector<i128>> in(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < kCells; ++c) {
      in[i].push_back(100 * static_cast<i128>(c + 1) + static_cast<i128>(i));
      in[i].push_back(i == 0 ? rows[c] : 0);
    }
  }
  return in;
}

i128 expected_sum(std::size_t n, std::size_t c) {
  i128 s = 0;
  for (std::size_t i = 0; i < n; ++i) s += 100 * static_cast<i128>(c + 1) + static_cast<i128>(i);
  return s;
}

void expect_cells(const Network& net, const std::vector<i128>& rows, std::uint64_t min_rows) {
  const std::size_t n = net.parties.size();
  for (std::size_t i = 0; i < n; ++i) {
    const AggregationJob& job = *net.parties[i].job;
    ASSERT_FALSE(net.parties[i].error) << net.parties[i].error->what();
    ASSERT_TRUE(job.has_result()) << "party " << i;
    const std::vector<Fp>& r = job.result();
    ASSERT_EQ(r.size(), 2 * kCells);
    for (std::size_t c = 0; c < kCells; ++c) {
      const bool small = min_rows > 0 && rows[c] < static_cast<i128>(min_rows);
      if (min_rows > 0) {
        ASSERT_EQ(job.suppressed().size(), kCells);
        EXPECT_EQ(job.suppressed()[c], small) << "cell " << c;
      } else {
        EXPECT_TRUE(job.suppressed().empty());
      }
      EXPECT_EQ(r[2 * c].to_signed(), small ? 0 : expected_sum(n, c)) << "cell " << c;
      EXPECT_EQ(r[2 * c + 1].to_signed(), small ? 0 : rows[c]) << "cell " << c;
    }
  }
}

class ProtocolGrouped : public ::testing::TestWithParam<std::uint32_t> {};

// Peer to peer (t = 0) and Shamir 2-of-3 over 3 and 5 parties: the cells at or
// above the minimum come back exact, the others are suppressed everywhere.
TEST_P(ProtocolGrouped, SmallCellsAreSuppressed) {
  const std::uint32_t t = GetParam();
  const std::vector<i128> rows = {5, 2, 0, 9};
  for (std::size_t n : {3u, 5u}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      Network net(grouped(make_parties(n, t), 3), seed, cell_inputs(n, rows));
      net.order = seed % 2 ? Network::Order::kFifo : Network::Order::kRandom;
      net.start_all();
      net.run();
      expect_cells(net, rows, 3);
    }
  }
}

// The suppressed cells' values never leave a compute party: every partial
// sum sent for them is zero, so no output could reconstruct them.
TEST_P(ProtocolGrouped, SuppressedCellsAreNeverSent) {
  const std::uint32_t t = GetParam();
  const std::vector<i128> rows = {5, 2, 0, 9};
  Network net(grouped(make_parties(3, t), 3), 7, cell_inputs(3, rows));
  net.start_all();
  net.run();
  expect_cells(net, rows, 3);
  std::size_t partials = 0;
  for (const Message& m : net.sent) {
    if (m.type == MessageType::kCount) {
      EXPECT_EQ(m.values.size(), kCells);
    }
    if (m.type != MessageType::kPartial) continue;
    ++partials;
    ASSERT_EQ(m.values.size(), kCells);  // the sums, one per cell
    EXPECT_EQ(m.values[1], Fp());
    EXPECT_EQ(m.values[2], Fp());
    EXPECT_NE(m.values[0], Fp());
  }
  EXPECT_GT(partials, 0u);
}

// Without a minimum there is no count round; every cell is released.
TEST_P(ProtocolGrouped, NoMinimumReleasesEveryCell) {
  const std::uint32_t t = GetParam();
  const std::vector<i128> rows = {5, 2, 0, 9};
  Network net(grouped(make_parties(3, t), 0), 3, cell_inputs(3, rows));
  net.start_all();
  net.run();
  expect_cells(net, rows, 0);
  for (const Message& m : net.sent) EXPECT_NE(m.type, MessageType::kCount);
}

// Counts only (a histogram): no partial round, small buckets suppressed.
TEST_P(ProtocolGrouped, CountOnlyCells) {
  const std::uint32_t t = GetParam();
  std::vector<JobParams> all = make_parties(3, t);
  for (JobParams& p : all) {
    p.policy.min_rows = 2;
    p.cells = 3;
    p.cell_width = 1;
    p.cell_count = 0;
  }
  Network net(all, 5, {{1, 0, 4}, {0, 1, 0}, {2, 0, 0}});
  net.start_all();
  net.run();
  for (const Network::Party& p : net.parties) {
    ASSERT_TRUE(p.job->has_result());
    EXPECT_EQ(p.job->result()[0].to_signed(), 3);
    EXPECT_EQ(p.job->result()[1].to_signed(), 0);
    EXPECT_TRUE(p.job->suppressed()[1]);
    EXPECT_EQ(p.job->result()[2].to_signed(), 4);
  }
  for (const Message& m : net.sent) EXPECT_NE(m.type, MessageType::kPartial);
}

INSTANTIATE_TEST_SUITE_P(Sharing, ProtocolGrouped, ::testing::Values(0u, 2u),
                         [](const ::testing::TestParamInfo<std::uint32_t>& info) {
                           return info.param == 0 ? std::string("Additive")
                                                  : std::string("Shamir2");
                         });

TEST(ProtocolGroupedParams, CellsMustFillTheInput) {
  JobParams p = params(federation(3), 0);
  p.cells = 3;
  p.cell_width = 2;
  p.cell_count = 1;
  DeterministicRandom r(1);
  EXPECT_THROW(AggregationJob(p, embed({1, 1, 2, 2}, 3), r), ProtocolError);
  p.cell_count = 2;
  EXPECT_THROW(AggregationJob(p, embed({1, 1, 2, 2, 3, 3}, 3), r), ProtocolError);
  p.cell_count = 1;
  p.count_index = 1;
  EXPECT_THROW(AggregationJob(p, embed({1, 1, 2, 2, 3, 3}, 3), r), ProtocolError);
  p.count_index.reset();
  EXPECT_NO_THROW(AggregationJob(p, embed({1, 1, 2, 2, 3, 3}, 3), r));
}

}  // namespace
}  // namespace smpc::protocol
