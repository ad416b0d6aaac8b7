// SetJob: overlap counts at 2, 3 and 5 parties over the wire encoding, in
// several delivery orders, with planted overlaps, duplicates and empty sets;
// the release policy on the overlap; the deviations it catches.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "job_network.hpp"
#include "protocol/set_job.hpp"

namespace smpc::protocol {
namespace {

using test_net::DeterministicRandom;

struct SetNet {
  std::vector<std::unique_ptr<DeterministicRandom>> rngs;
  std::vector<std::unique_ptr<SetJob>> jobs;
  std::deque<Outgoing> queue;
  std::mt19937 order{7};
  bool shuffle = false;
  bool twice = false;  // every message is delivered twice (a resend after a broken connection)

  // groups: per party, its keys' group sizes (in order); empty: not grouped.
  // Changes a message on its way (after encoding; tests of deviations).
  std::function<void(Message&)> tamper;

  // values (sum jobs): per party, the value of each key, or none.
  SetNet(const std::vector<std::vector<std::string>>& keys, std::size_t at_least,
         std::uint64_t min_rows = 0, const std::vector<std::string>& descriptors = {},
         const std::vector<std::vector<std::uint32_t>>& groups = {},
         const std::vector<std::vector<std::uint64_t>>* values = nullptr, bool pairs = false) {
    const std::size_t n = keys.size();
    FederationDef def = test_net::federation(n);
    normalize(def);
    for (std::size_t i = 0; i < n; ++i) {
      SetParams p;
      p.job = test_net::params(def, static_cast<std::uint16_t>(i),
                               descriptors.empty() ? "intersect_count(text)" : descriptors[i]);
      p.job.width = 1;
      p.job.policy.min_rows = min_rows;
      if (min_rows > 0) p.job.count_index = 0;
      if (!groups.empty()) {
        p.groups = groups[i].size();
        p.job.width = p.groups;
        p.job.cells = p.groups;
        p.job.cell_width = 1;
        p.job.cell_count = 0;
        p.job.count_index.reset();
      }
      p.at_least = at_least;
      if (pairs) {
        // The overlap matrix: one cell of one count per pair of parties.
        p.pairs = true;
        p.job.policy.overlap_pairs = true;
        p.job.width = p.job.cells = n * (n - 1) / 2;
        p.job.cell_width = 1;
        p.job.cell_count = 0;
        p.job.count_index.reset();
      }
      if (values != nullptr) {
        p.sum = true;
        p.job.width = 2;
        if (min_rows > 0) p.job.count_index = 1;
        if (!groups.empty()) {
          // [sum, count] per group, each a cell.
          p.job.width = 2 * p.groups;
          p.job.cells = p.groups;
          p.job.cell_width = 2;
          p.job.cell_count = 1;
          p.job.count_index.reset();
        }
      }
      rngs.push_back(std::make_unique<DeterministicRandom>(100 + i));
      jobs.push_back(std::make_unique<SetJob>(
          p, keys[i], *rngs.back(), groups.empty() ? std::vector<std::uint32_t>{} : groups[i],
          values != nullptr ? (*values)[i] : std::vector<std::uint64_t>{}));
    }
  }

  void post(std::vector<Outgoing> out) {
    for (Outgoing& o : out) {
      // Through the wire format, as between servers.
      std::vector<std::uint8_t> bytes = encode(o.message);
      queue.push_back({o.to, decode(bytes.data(), bytes.size())});
      if (tamper) tamper(queue.back().message);
      if (twice) queue.push_back({o.to, decode(bytes.data(), bytes.size())});
    }
  }

  // Starts every party (in the given order) and delivers until quiet.
  void run(const std::vector<std::size_t>& start_order) {
    for (std::size_t i : start_order) post(jobs[i]->start());
    while (!queue.empty()) {
      std::size_t at = 0;
      if (shuffle) at = std::uniform_int_distribution<std::size_t>(0, queue.size() - 1)(order);
      Outgoing o = std::move(queue[at]);
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(at));
      post(jobs[o.to]->receive(std::move(o.message)));
    }
  }

  std::vector<std::size_t> all() const {
    std::vector<std::size_t> v(jobs.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
  }

  // The released count, the same at every party.
  using i128_t = crypto::i128;
  i128_t count(std::size_t at = 0) const {
    i128_t c = -1;
    for (const auto& j : jobs) {
      EXPECT_TRUE(j->release().finished());
      EXPECT_TRUE(j->release().has_result());
      const i128_t mine = j->release().result().at(at).to_signed();
      if (c != -1) {
        EXPECT_EQ(mine, c);
      }
      c = mine;
    }
    return c;
  }
};

// Keys "k<from>" .. "k<to - 1>".
std::vector<std::string> range(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("k" + std::to_string(i));
  return out;
}

std::vector<std::string> join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(SetJobTest, ThreePartiesCountTheirOverlap) {
  // Planted: k0..k9 at all three; k10..k19 at a and b only; k20..k29 at c only.
  std::vector<std::vector<std::string>> keys = {
      join(range(0, 20), range(100, 130)),
      join(range(0, 20), range(200, 205)),
      join(range(0, 10), range(20, 30)),
  };
  SetNet all(keys, 3);
  all.run(all.all());
  EXPECT_EQ(all.count(), 10);

  SetNet two(keys, 2);
  two.run({2, 0, 1});
  EXPECT_EQ(two.count(), 20);

  SetNet any(keys, 1);
  any.shuffle = true;
  any.run({1, 2, 0});
  // Union: 20 + 30 + 5 + 10 distinct keys.
  EXPECT_EQ(any.count(), 65);
}

TEST(SetJobTest, FivePartiesInAnyOrder) {
  std::vector<std::vector<std::string>> keys;
  for (int p = 0; p < 5; ++p)
    keys.push_back(join(range(0, 7), range(1000 * (p + 1), 1000 * (p + 1) + 3 * p)));
  for (unsigned seed = 1; seed <= 3; ++seed) {
    SetNet net(keys, 5);
    net.shuffle = true;
    net.order.seed(seed);
    std::vector<std::size_t> order = net.all();
    std::shuffle(order.begin(), order.end(), net.order);
    net.run(order);
    EXPECT_EQ(net.count(), 7);
  }
  // k0..k6 and each party's own extras: at least 1 of 5 is the union.
  SetNet uni(keys, 1);
  uni.run(uni.all());
  EXPECT_EQ(uni.count(), 7 + 0 + 3 + 6 + 9 + 12);
}

TEST(SetJobTest, DuplicatesCountOnceAndEmptySetsWork) {
  SetNet net({{"x", "x", "y"}, {"x", "y", "y"}}, 2);
  net.run(net.all());
  EXPECT_EQ(net.count(), 2);
  EXPECT_EQ(net.jobs[0]->duplicates(), 1u);
  EXPECT_EQ(net.jobs[1]->duplicates(), 1u);

  SetNet empty({{}, {"a"}, {"a"}}, 3);
  empty.run(empty.all());
  EXPECT_EQ(empty.count(), 0);
}

TEST(SetJobTest, MinimumRowsApplyToTheOverlap) {
  std::vector<std::vector<std::string>> keys = {range(0, 10), range(5, 10), range(8, 20)};
  SetNet net(keys, 3, /*min_rows=*/5);
  net.run(net.all());
  for (const auto& j : net.jobs) {
    EXPECT_TRUE(j->release().finished());
    EXPECT_FALSE(j->release().has_result());
    ASSERT_TRUE(j->release().refusal().has_value());
    EXPECT_EQ(j->release().refusal()->kind(), ErrorKind::kRefused);
  }
  SetNet enough(keys, 2, /*min_rows=*/5);
  enough.run(enough.all());
  EXPECT_EQ(enough.count(), 5);  // k5..k9 at a and b; k8, k9 at all three
}

TEST(SetJobTest, ADifferentKeyTypeIsNamed) {
  SetNet net({{"1"}, {"1"}, {"1"}}, 3, 0,
             {"intersect_count(text)", "intersect_count(integer)", "intersect_count(text)"});
  try {
    net.run(net.all());
    FAIL() << "a job over different key types ran";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kJobMismatch);
    EXPECT_NE(std::string(e.what()).find("intersect_count(integer)"), std::string::npos);
  }
}

TEST(SetJobTest, ARepeatedElementIsRefused) {
  SetNet net({range(0, 5), range(0, 5), range(0, 5)}, 3);
  net.jobs[1]->set_fault(Fault::kRepeatBlinded);
  try {
    net.run(net.all());
    FAIL() << "a set with a repeated element was taken";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMalformed);
  }
}

// A party that re-blinds another's set and drops an element of it would
// shrink the overlap, or the union, beyond what a lie about its own keys
// could: every party binds the size of every set it saw (per group, with
// or without values) into the release's transcript digest, and the
// counting party compares each set with its own hop's, so the job stops
// with nothing released. Dropped by b from a's set (the counting party,
// a, sees it shrink), and by c from b's set (c hands it to a, which never
// saw it whole: a's digest and b's differ).
TEST(SetJobTest, ADroppedElementStopsTheJob) {
  const std::vector<std::vector<std::string>> same = {range(0, 5), range(0, 5), range(0, 5)};
  const std::vector<std::vector<std::string>> apart = {range(0, 5), range(10, 15), range(20, 25)};
  for (const std::size_t at_least : {std::size_t{3}, std::size_t{1}}) {
    for (const auto& [sender, origin] : {std::pair<int, int>{1, 0}, std::pair<int, int>{2, 1}}) {
      SetNet net(at_least == 3 ? same : apart, at_least);
      bool dropped = false;
      net.tamper = [&, s = sender, o = origin](Message& m) {
        if (m.type == MessageType::kBlinded && m.sender == s && m.origin == o && !dropped) {
          dropped = true;
          m.blinded.resize(m.blinded.size() - kSetElementBytes);
        }
      };
      try {
        net.run(net.all());
        FAIL() << "a set with a dropped element went through: " << static_cast<long>(net.count())
               << " (k = " << at_least << ")";
      } catch (const ProtocolError& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInconsistent) << e.what();
        EXPECT_NE(std::string(e.what()).find(origin == 0 ? "changed on its way round the ring"
                                                         : "transcript digest mismatch"),
                  std::string::npos)
            << e.what();
      }
      EXPECT_TRUE(dropped);
      for (const auto& j : net.jobs) EXPECT_FALSE(j->release().has_result());
    }
  }
  // An intersection sum: c's set loses an element and its sealed value at b.
  std::vector<std::vector<std::uint64_t>> values = {{}, {}, {1, 2, 3, 4, 5}};
  SetNet sum(same, 3, 0, {}, {}, &values);
  bool dropped = false;
  sum.tamper = [&](Message& m) {
    if (m.type == MessageType::kBlinded && m.sender == 1 && m.origin == 2 && !dropped) {
      dropped = true;
      m.blinded.resize(m.blinded.size() - kSetElementBytes);
      m.sealed.resize(m.sealed.size() - kSealedBytes);
    }
  };
  EXPECT_THROW(sum.run(sum.all()), ProtocolError);
  EXPECT_TRUE(dropped);
}

TEST(SetJobTest, SetsOutOfOrderOrTwiceAreRefused) {
  SetNet net({range(0, 5), range(0, 5), range(0, 5)}, 3);
  std::vector<Outgoing> first = net.jobs[0]->start();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].to, 1);
  (void)net.jobs[1]->start();
  // An identical repeat is taken once; another set for the same origin is not.
  Message m = first[0].message;
  std::vector<Outgoing> fwd = net.jobs[1]->receive(m);
  EXPECT_EQ(fwd.size(), 1u);
  EXPECT_TRUE(net.jobs[1]->receive(m).empty());
  Message other = m;
  std::swap_ranges(other.blinded.begin(), other.blinded.begin() + 32, other.blinded.begin() + 32);
  EXPECT_THROW(net.jobs[1]->receive(other), ProtocolError);
  // A set that claims another origin than the ring allows.
  (void)net.jobs[2]->start();
  Message wrong = m;
  wrong.receiver = 2;
  EXPECT_THROW(net.jobs[2]->receive(wrong), ProtocolError);
  // An element that is not a group element.
  SetNet bad({range(0, 5), range(0, 5)}, 2);
  std::vector<Outgoing> out = bad.jobs[0]->start();
  (void)bad.jobs[1]->start();
  std::fill(out[0].message.blinded.begin(), out[0].message.blinded.begin() + 32, 0xff);
  EXPECT_THROW(bad.jobs[1]->receive(out[0].message), ProtocolError);
}

TEST(SetJobTest, CommittedOnceTheSetLeaves) {
  SetNet net({range(0, 5), range(0, 5)}, 2);
  EXPECT_FALSE(net.jobs[0]->committed());
  net.post(net.jobs[0]->start());
  EXPECT_TRUE(net.jobs[0]->committed());
  EXPECT_EQ(net.jobs[0]->round(), 1);
  EXPECT_EQ(net.jobs[0]->current_round(), MessageType::kBlinded);
  EXPECT_EQ(net.jobs[0]->missing(), std::vector<std::uint16_t>{1});
}

TEST(SetJobTest, GroupedCountsPerGroup) {
  // Three groups. Group 0: k0..k9 at all; group 1: k0..k4 at all three but
  // c puts k3, k4 in group 2 instead; group 2: nothing else in common.
  std::vector<std::vector<std::string>> keys = {
      join(join(range(0, 10), range(0, 5)), range(100, 103)),
      join(join(range(0, 10), range(0, 5)), range(200, 201)),
      join(join(range(0, 10), range(0, 3)), join(range(3, 5), range(300, 302))),
  };
  std::vector<std::vector<std::uint32_t>> groups = {{10, 5, 3}, {10, 5, 1}, {10, 3, 4}};
  SetNet net(keys, 3, 0, {}, groups);
  net.shuffle = true;
  net.run({2, 1, 0});
  for (const auto& j : net.jobs) {
    ASSERT_TRUE(j->release().has_result());
    const auto& r = j->release().result();
    EXPECT_EQ(r.at(0).to_signed(), 10);
    EXPECT_EQ(r.at(1).to_signed(), 3);
    EXPECT_EQ(r.at(2).to_signed(), 0);
  }
  // Under min_rows 5 the groups below it are suppressed, the rest released.
  SetNet gated(keys, 3, 5, {}, groups);
  gated.run(gated.all());
  for (const auto& j : gated.jobs) {
    ASSERT_TRUE(j->release().has_result());
    EXPECT_EQ(j->release().result().at(0).to_signed(), 10);
    EXPECT_EQ(j->release().suppressed(), (std::vector<bool>{false, true, true}));
  }
  // A set with another number of groups is refused.
  SetNet other({range(0, 3), range(0, 3)}, 2, 0, {}, {{3}, {1, 2}});
  EXPECT_THROW(other.run(other.all()), ProtocolError);
}

// The overlap matrix: every pair's planted overlap, at 3 and 5 parties in
// any delivery order; min_rows suppresses each pair alone.
TEST(SetJobTest, PairsCountTheirOverlaps) {
  // a&b share k0..k19, a&c k0..k9 and k50..k54, b&c k0..k9 and k60..k62.
  std::vector<std::vector<std::string>> keys = {
      join(join(range(0, 20), range(50, 55)), range(100, 130)),
      join(join(range(0, 20), range(60, 63)), range(200, 205)),
      join(join(range(0, 10), range(50, 55)), join(range(60, 63), range(300, 310))),
  };
  SetNet net(keys, 2, 0, {}, {}, nullptr, /*pairs=*/true);
  net.shuffle = true;
  net.run({2, 0, 1});
  for (const auto& j : net.jobs) {
    ASSERT_TRUE(j->release().has_result());
    const auto& r = j->release().result();
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r.at(0).to_signed(), 20);  // a & b
    EXPECT_EQ(r.at(1).to_signed(), 15);  // a & c
    EXPECT_EQ(r.at(2).to_signed(), 13);  // b & c
  }
  SetNet gated(keys, 2, /*min_rows=*/14, {}, {}, nullptr, true);
  gated.run(gated.all());
  for (const auto& j : gated.jobs) {
    ASSERT_TRUE(j->release().has_result());
    EXPECT_EQ(j->release().suppressed(), (std::vector<bool>{false, false, true}));
    EXPECT_EQ(j->release().result().at(1).to_signed(), 15);
  }
  // Five parties: pair (i, j) shares 5i + j + 1 keys of its own (a
  // different count per pair, so a pair counted in another's place shows),
  // every party 3 keys with all and a few of its own.
  std::vector<std::vector<std::string>> five(5, range(0, 3));
  for (int a = 0; a < 5; ++a) {
    five[a] = join(five[a], range(1000 * (a + 1), 1000 * (a + 1) + a));
    for (int b = a + 1; b < 5; ++b) {
      std::vector<std::string> shared;
      for (int k = 0; k <= 5 * a + b; ++k)
        shared.push_back("p" + std::to_string(a) + std::to_string(b) + "-" + std::to_string(k));
      five[a] = join(five[a], shared);
      five[b] = join(five[b], shared);
    }
  }
  SetNet wide(five, 2, 0, {}, {}, nullptr, true);
  wide.shuffle = true;
  wide.run({4, 1, 3, 0, 2});
  std::vector<crypto::i128> want;
  for (int a = 0; a < 5; ++a)
    for (int b = a + 1; b < 5; ++b) want.push_back(3 + 5 * a + b + 1);
  for (const auto& j : wide.jobs) {
    ASSERT_TRUE(j->release().has_result());
    for (std::size_t c = 0; c < want.size(); ++c)
      EXPECT_EQ(j->release().result().at(c).to_signed(), want[c]) << c;
  }
}

// Without overlap_pairs in the policy, the matrix is refused before
// anything is sent; so is a grouped one.
TEST(SetJobTest, PairsOnlyWhenThePolicyAllowsThem) {
  FederationDef def = test_net::federation(3);
  normalize(def);
  SetParams p;
  p.job = test_net::params(def, 1, "overlap_matrix(text)");
  p.pairs = true;
  p.at_least = 2;
  p.job.width = p.job.cells = 3;
  p.job.cell_width = 1;
  DeterministicRandom rng;
  try {
    SetJob job(p, {"a"}, rng);
    ADD_FAILURE() << "an overlap matrix ran under a policy that does not allow it";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRefused);
  }
  p.job.policy.overlap_pairs = true;
  EXPECT_NO_THROW(SetJob(p, {"a"}, rng));
  p.groups = 2;
  EXPECT_THROW(SetJob(p, {"a", "b"}, rng, {1, 1}), ProtocolError);
}

TEST(SetJobTest, RepeatedDeliveriesAreTakenOnce) {
  // Every message twice, also blinded sets that arrive after the ring is
  // done at their receiver: an honest resend must not stop the job.
  std::vector<std::vector<std::string>> keys = {range(0, 30), range(10, 40), range(20, 50)};
  for (bool shuffle : {false, true}) {
    SetNet net(keys, 3);
    net.twice = true;
    net.shuffle = shuffle;
    net.run(net.all());
    EXPECT_EQ(net.count(), 10);
  }
  // But another set for an origin after the ring is done is equivocation.
  SetNet net({range(0, 5), range(0, 5)}, 2);
  std::vector<Outgoing> a = net.jobs[0]->start();
  std::vector<Outgoing> b = net.jobs[1]->start();
  std::vector<Outgoing> from_b = net.jobs[1]->receive(a[0].message);  // the full set to a
  ASSERT_EQ(from_b.size(), 2u);  // b's ring is done: its share went out too
  Message other = a[0].message;
  std::swap_ranges(other.blinded.begin(), other.blinded.begin() + 32, other.blinded.begin() + 32);
  EXPECT_NO_THROW(net.jobs[1]->receive(a[0].message));
  EXPECT_THROW(net.jobs[1]->receive(other), ProtocolError);
}

TEST(SetJobTest, AnInterruptStopsBlinding) {
  FederationDef def = test_net::federation(2);
  normalize(def);
  SetParams p;
  p.job = test_net::params(def, 0, "intersect_count(text)");
  p.job.width = 1;
  p.at_least = 2;
  int asked = 0;
  p.interrupted = [&asked] { return ++asked > 2; };
  DeterministicRandom rng;
  // (Enough keys that the caller's thread takes at least three chunks of
  // 1,024 while helper threads take others.)
  SetJob job(p, range(0, 40000), rng);
  try {
    (void)job.start();
    FAIL() << "blinding went on after the interrupt";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInterrupted);
  }
  EXPECT_EQ(asked,
            3);  // asked before each chunk the caller's thread takes, stopped at the first yes
}

TEST(SetJobTest, OnlyPeerToPeerAdditiveFederations) {
  FederationDef def = test_net::federation(3);
  def.threshold = 2;
  normalize(def);
  SetParams p;
  p.job = test_net::params(def, 0, "intersect_count(text)");
  p.job.width = 1;
  p.at_least = 3;
  DeterministicRandom rng;
  EXPECT_THROW(SetJob(p, {"a"}, rng), ProtocolError);
  FederationDef plain = test_net::federation(3);
  normalize(plain);
  p.job = test_net::params(plain, 0, "intersect_count(text)");
  p.job.width = 1;
  p.at_least = 4;
  EXPECT_THROW(SetJob(p, {"a"}, rng), ProtocolError);
}

// Sums over the overlap: values of one party, of two, of the counting
// party; large values (all three limbs); repeated keys add their values.
TEST(SetJobTest, SumsOverTheOverlap) {
  // Planted: k0..k9 at all three; k10..k19 at a and b; a holds k3 twice.
  std::vector<std::vector<std::string>> keys = {
      join(join(range(0, 20), range(100, 130)), {"k3"}),
      join(range(0, 20), range(200, 205)),
      join(range(0, 10), range(20, 30)),
  };
  auto value_of = [](const std::string& k, std::uint64_t base) {
    return base + static_cast<std::uint64_t>(std::stoi(k.substr(1)));
  };
  auto values_for = [&](std::size_t p, std::uint64_t base) {
    std::vector<std::uint64_t> v;
    for (const std::string& k : keys[p]) v.push_back(value_of(k, base));
    return v;
  };
  const std::uint64_t big = (std::uint64_t{1} << 47) + 12345;  // every limb in use
  crypto::i128 want_a = value_of("k3", big);                   // k3 twice at a
  crypto::i128 want_c = 0;
  for (int i = 0; i < 10; ++i) {
    want_a += value_of("k" + std::to_string(i), big);
    want_c += value_of("k" + std::to_string(i), 7);
  }
  // Values at b only (not the counting party), at a only (the counting
  // party), at a and c; every delivery order, shuffled, delivered twice.
  std::vector<std::vector<std::uint64_t>> at_b = {{}, values_for(1, 500), {}};
  SetNet b(keys, 3, 0, {}, {}, &at_b);
  b.run({2, 1, 0});
  crypto::i128 want_b = 0;
  for (int i = 0; i < 10; ++i) want_b += value_of("k" + std::to_string(i), 500);
  EXPECT_EQ(b.count(0), want_b);
  EXPECT_EQ(b.count(1), 10);

  // (a's keys, with a repeated one, at c: the counting party gives none.)
  std::vector<std::vector<std::string>> swapped = {keys[2], keys[1], keys[0]};
  std::vector<std::vector<std::uint64_t>> at_c = {{}, {}, {}};
  for (const std::string& k : swapped[2]) at_c[2].push_back(value_of(k, big));
  SetNet c(swapped, 3, 0, {}, {}, &at_c);
  c.shuffle = true;
  c.twice = true;
  c.run(c.all());
  EXPECT_EQ(c.count(0), want_a);
  EXPECT_EQ(c.count(1), 10);

  std::vector<std::vector<std::uint64_t>> at_bc = {{}, values_for(1, 500), {}};
  for (const std::string& k : keys[2]) at_bc[2].push_back(value_of(k, 7));
  SetNet bc(keys, 3, 0, {}, {}, &at_bc);
  bc.shuffle = true;
  bc.run({1, 0, 2});
  EXPECT_EQ(bc.count(0), want_b + want_c);
}

// Grouped sums: per group, the sum of the values the parties gave over the
// keys every party put in that group, and its count; a key in another group
// at one party is in no overlap; min_rows suppresses a group alone.
TEST(SetJobTest, GroupedSumsPerGroup) {
  // Group 0: k0..k9 at a and b, k0..k4 at c (c puts k5 in group 1).
  // Group 1: k10..k19 at all three. Group 2: k20 at a and c only.
  std::vector<std::vector<std::string>> keys = {
      join(join(range(0, 10), range(10, 20)), {"k20"}),
      join(join(range(0, 10), range(100, 103)), range(10, 20)),
      join(join(range(0, 5), join({"k5"}, range(10, 20))), {"k20"}),
  };
  std::vector<std::vector<std::uint32_t>> groups = {{10, 10, 1}, {13, 10, 0}, {5, 11, 1}};
  const std::uint64_t big = (std::uint64_t{1} << 47) + 99;  // every limb in use
  auto value_of = [](const std::string& k, std::uint64_t base) {
    return base + static_cast<std::uint64_t>(std::stoi(k.substr(1)));
  };
  // b gives big values, c small ones; a (the counting party) none.
  std::vector<std::vector<std::uint64_t>> values = {{}, {}, {}};
  for (const std::string& k : keys[1]) values[1].push_back(value_of(k, big));
  for (const std::string& k : keys[2]) values[2].push_back(value_of(k, 7));
  crypto::i128 want0 = 0;
  crypto::i128 want1 = 0;
  for (int i = 0; i < 5; ++i)
    want0 += value_of("k" + std::to_string(i), big) + value_of("k" + std::to_string(i), 7);
  for (int i = 10; i < 20; ++i)
    want1 += value_of("k" + std::to_string(i), big) + value_of("k" + std::to_string(i), 7);
  SetNet net(keys, 3, 0, {}, groups, &values);
  net.shuffle = true;
  net.run({2, 0, 1});
  EXPECT_EQ(net.count(0), want0);
  EXPECT_EQ(net.count(1), 5);
  EXPECT_EQ(net.count(2), want1);
  EXPECT_EQ(net.count(3), 10);
  EXPECT_EQ(net.count(4), 0);
  EXPECT_EQ(net.count(5), 0);
  // Under min_rows 6 groups 0 and 2 are suppressed, group 1 released.
  SetNet gated(keys, 3, 6, {}, groups, &values);
  gated.run(gated.all());
  for (const auto& j : gated.jobs) {
    ASSERT_TRUE(j->release().has_result());
    EXPECT_EQ(j->release().suppressed(), (std::vector<bool>{true, false, true}));
    EXPECT_EQ(j->release().result().at(2).to_signed(), want1);
    EXPECT_EQ(j->release().result().at(3).to_signed(), 10);
  }
  // A sealed sum of another number of groups is refused.
  SetNet short_sum(keys, 3, 0, {}, groups, &values);
  short_sum.tamper = [](Message& m) {
    if (m.type == MessageType::kSealedSum) m.sealed.resize(m.sealed.size() - kSealedBytes);
  };
  EXPECT_THROW(short_sum.run(short_sum.all()), ProtocolError);
}

// The counting party sees every fully blinded set: with the key to its own
// sealed values it could open them one by one and link each of its keys to
// the parties that hold it. It gives no values.
TEST(SetJobTest, TheCountingPartyGivesNoValues) {
  std::vector<std::vector<std::string>> keys = {range(0, 4), range(0, 4), range(0, 4)};
  std::vector<std::vector<std::uint64_t>> values = {{1, 2, 3, 4}, {}, {}};
  EXPECT_THROW(SetNet(keys, 3, 0, {}, {}, &values), ProtocolError);
}

// A set with values that repeats an element is refused where it arrives,
// and a resend of a set with other values than the first is equivocation.
TEST(SetJobTest, ValuedSetsAreCheckedAsSetsAre) {
  std::vector<std::vector<std::string>> keys = {range(0, 4), range(0, 6), range(0, 5)};
  std::vector<std::vector<std::uint64_t>> values = {{}, {1, 2, 3, 4, 5, 6}, {}};
  SetNet net(keys, 3, 0, {}, {}, &values);
  net.jobs[1]->set_fault(Fault::kRepeatBlinded);
  try {
    net.run(net.all());
    FAIL() << "a repeated element with its value went through";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMalformed);
  }
  SetNet twice(keys, 3, 0, {}, {}, &values);
  bool changed = false;
  twice.tamper = [&](Message& m) {
    if (m.type == MessageType::kBlinded && !m.sealed.empty() && m.receiver == 2 && !changed) {
      changed = true;
      Message other = m;
      other.sealed[0] ^= 0x02;  // the same elements, another sealed value
      twice.queue.push_back({2, other});
    }
  };
  try {
    twice.run(twice.all());
    FAIL() << "two sets with other values for one origin went through";
  } catch (const ProtocolError& e) {
    EXPECT_TRUE(e.kind() == ErrorKind::kInconsistent || e.kind() == ErrorKind::kMalformed)
        << e.what();
  }
}

TEST(SetJobTest, FivePartiesSumTheirOverlap) {
  std::vector<std::vector<std::string>> keys;
  for (int p = 0; p < 5; ++p)
    keys.push_back(join(range(0, 6), range(1000 * (p + 1), 1000 * (p + 1) + 4 * p)));
  std::vector<std::vector<std::uint64_t>> values(5);
  for (const std::string& k : keys[3]) values[3].push_back(std::stoull(k.substr(1)) * 3 + 1);
  SetNet net(keys, 5, 0, {}, {}, &values);
  net.shuffle = true;
  net.run({4, 2, 0, 3, 1});
  EXPECT_EQ(net.count(0), 3 * (0 + 1 + 2 + 3 + 4 + 5) + 6);
  EXPECT_EQ(net.count(1), 6);
}

// Below min_rows the count is refused and no sum is opened anywhere.
TEST(SetJobTest, AnOverlapBelowTheMinimumOpensNoSum) {
  std::vector<std::vector<std::string>> keys = {range(0, 5), range(0, 8), range(3, 8)};
  std::vector<std::vector<std::uint64_t>> values = {{}, {10, 11, 12, 13, 14, 15, 16, 17}, {}};
  SetNet net(keys, 3, 3, {}, {}, &values);
  net.run(net.all());
  for (const auto& j : net.jobs) {
    EXPECT_TRUE(j->release().finished());
    EXPECT_FALSE(j->release().has_result());
  }
  SetNet enough(keys, 3, 2, {}, {}, &values);
  enough.run(enough.all());
  EXPECT_EQ(enough.count(0), 13 + 14);
}

// A counting party that sends the value party something other than a sum
// of its sealed values: the value party refuses it, and a second, different
// sealed sum is equivocation.
TEST(SetJobTest, ASealedSumThatDoesNotOpenIsRefused) {
  std::vector<std::vector<std::string>> keys = {range(0, 4), range(0, 4), range(0, 4)};
  std::vector<std::vector<std::uint64_t>> values = {{}, {}, {1, 2, 3, 4}};
  SetNet net(keys, 3, 0, {}, {}, &values);
  net.tamper = [](Message& m) {
    if (m.type == MessageType::kSealedSum && m.receiver == 2) m.sealed[40] ^= 0x01;
  };
  try {
    net.run(net.all());
    FAIL() << "a tampered sealed sum was opened";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInconsistent);
    EXPECT_NE(std::string(e.what()).find("does not open"), std::string::npos) << e.what();
  }
}

TEST(SetJobTest, ValuesOnlyInSumJobsAndWithinTheirRange) {
  FederationDef def = test_net::federation(3);
  normalize(def);
  SetParams p;
  p.job = test_net::params(def, 1, "intersect_count(text)");
  p.job.width = 1;
  p.at_least = 3;
  DeterministicRandom rng;
  EXPECT_THROW(SetJob(p, {"a"}, rng, {}, {1}), ProtocolError);  // values in a count job
  p.sum = true;
  p.job.width = 2;
  EXPECT_THROW(SetJob(p, {"a", "b"}, rng, {}, {1}), ProtocolError);  // one value short
  p.at_least = 2;
  EXPECT_THROW(SetJob(p, {"a"}, rng, {}, {1}), ProtocolError);  // a sum over at least 2 of 3
  p.at_least = 3;
  SetJob job(p, {"a"}, rng, {}, {crypto::elgamal::kMaxValue + 1});
  EXPECT_THROW((void)job.start(), ProtocolError);
}

}  // namespace
}  // namespace smpc::protocol
