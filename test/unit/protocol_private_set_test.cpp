// Private set operations' local steps, run for 3 and 5 simulated parties
// round a ring with planted overlaps: the counts equal the plain set
// arithmetic over the keys, whatever the order of blinding; jobs do not
// match each other's keys; what a deviating partner could send is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/private_set.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol::private_set {
namespace {

// Runs the ring: each party blinds its keys, then every set is re-blinded
// by each other party in ring order starting at `start` hops. Returns the
// fully blinded sets.
std::vector<std::vector<Element>> run_ring(const std::vector<std::vector<std::string>>& keys,
                                           const std::string& tag,
                                           const std::vector<Scalar>& scalars) {
  const std::size_t n = keys.size();
  std::vector<std::vector<Element>> sets;
  for (std::size_t i = 0; i < n; ++i) sets.push_back(blind_own(keys[i], tag, scalars[i]).elements);
  for (std::size_t hop = 1; hop < n; ++hop) {
    for (std::size_t i = 0; i < n; ++i) sets[i] = reblind(sets[i], scalars[(i + hop) % n]);
  }
  return sets;
}

std::vector<Scalar> scalars_for(std::size_t n) {
  std::vector<Scalar> s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(Scalar::random());
  return s;
}

// The plain answer: distinct keys held by at least k parties.
std::uint64_t plain_at_least(const std::vector<std::vector<std::string>>& keys, std::size_t k) {
  std::map<std::string, std::size_t> holders;
  for (const auto& party : keys) {
    for (const std::string& key : std::set<std::string>(party.begin(), party.end())) holders[key]++;
  }
  std::uint64_t n = 0;
  for (const auto& [key, m] : holders) n += m >= k ? 1 : 0;
  return n;
}

std::vector<std::string> range(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

void append(std::vector<std::string>& to, const std::vector<std::string>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

TEST(PrivateSet, ThreePartiesPlantedOverlap) {
  // 100 customers all three hold, 30 only a and b, 20 only b and c, 50 of
  // each party's own; a lists 10 of its customers twice.
  std::vector<std::vector<std::string>> keys(3);
  for (auto& k : keys) append(k, range("all-", 0, 100));
  append(keys[0], range("ab-", 0, 30));
  append(keys[1], range("ab-", 0, 30));
  append(keys[1], range("bc-", 0, 20));
  append(keys[2], range("bc-", 0, 20));
  for (int p = 0; p < 3; ++p) append(keys[p], range("own" + std::to_string(p) + "-", 0, 50));
  append(keys[0], range("all-", 0, 10));

  const std::string tag = key_tag("fingerprint-of-fed", "overlap-1");
  const std::vector<Scalar> s = scalars_for(3);
  EXPECT_EQ(blind_own(keys[0], tag, s[0]).duplicates, 10u);
  const auto sets = run_ring(keys, tag, s);
  EXPECT_EQ(sets[0].size(), 180u);  // distinct keys only
  EXPECT_EQ(count_held_by_at_least(sets, 3), 100u);
  EXPECT_EQ(count_held_by_at_least(sets, 2), 150u);
  EXPECT_EQ(count_held_by_at_least(sets, 1), 100u + 30 + 20 + 150);
  for (std::size_t k = 1; k <= 3; ++k)
    EXPECT_EQ(count_held_by_at_least(sets, k), plain_at_least(keys, k));
  // Pairs: a&b share all- and ab-, a&c all-, b&c all- and bc-.
  EXPECT_EQ(pair_overlaps({&sets[0], &sets[1], &sets[2]}),
            (std::vector<std::uint64_t>{130, 100, 120}));
}

TEST(PrivateSet, PairOverlapsRefuseARepeatedElement) {
  const std::string tag = key_tag("fingerprint-of-fed", "pairs-1");
  const std::vector<Scalar> s = scalars_for(2);
  auto sets = run_ring({{"x", "y", "w"}, {"y", "z", "w"}}, tag, s);
  EXPECT_EQ(pair_overlaps({&sets[0], &sets[1]}), (std::vector<std::uint64_t>{2}));
  // Out of order: counted the same (sorted in a copy).
  std::reverse(sets[0].begin(), sets[0].end());
  EXPECT_EQ(pair_overlaps({&sets[0], &sets[1]}), (std::vector<std::uint64_t>{2}));
  sets[1].push_back(sets[1].front());
  EXPECT_THROW(pair_overlaps({&sets[0], &sets[1]}), ProtocolError);
}

TEST(PrivateSet, FivePartiesSkewedSizesAndAnEmptySet) {
  // One party much larger than the others, random overlaps from a shared
  // universe (deterministic), and a fifth party with no keys.
  std::vector<std::vector<std::string>> keys(5);
  unsigned x = 12345;
  auto next = [&x] { return x = x * 1103515245u + 12345u; };
  for (int i = 0; i < 600; ++i) keys[0].push_back("u" + std::to_string(next() % 1500));
  for (int p = 1; p <= 3; ++p) {
    for (int i = 0; i < 120; ++i) keys[p].push_back("u" + std::to_string(next() % 1500));
  }
  const std::string tag = key_tag("fp", "skewed");
  const auto sets = run_ring(keys, tag, scalars_for(5));
  for (std::size_t k = 1; k <= 5; ++k) {
    EXPECT_EQ(count_held_by_at_least(sets, k), plain_at_least(keys, k)) << "k = " << k;
  }
  EXPECT_EQ(count_held_by_at_least(sets, 5), 0u);  // the empty set empties the intersection
  // Without the empty party, the four others' overlaps.
  std::vector<std::vector<Element>> four(sets.begin(), sets.begin() + 4);
  std::vector<std::vector<std::string>> four_keys(keys.begin(), keys.begin() + 4);
  EXPECT_EQ(count_held_by_at_least(four, 4), plain_at_least(four_keys, 4));
}

TEST(PrivateSet, BlindingOrderDoesNotMatter) {
  const std::vector<std::string> keys = range("k", 0, 40);
  const std::string tag = key_tag("fp", "order");
  const std::vector<Scalar> s = scalars_for(3);
  std::vector<Element> abc = reblind(reblind(blind_own(keys, tag, s[0]).elements, s[1]), s[2]);
  std::vector<Element> cba = reblind(reblind(blind_own(keys, tag, s[2]).elements, s[1]), s[0]);
  EXPECT_EQ(abc, cba);
}

TEST(PrivateSet, JobsAndScalarsDoNotMatchEachOther) {
  const std::vector<std::string> keys = range("k", 0, 40);
  const Scalar s = Scalar::random();
  const auto j1 = blind_own(keys, key_tag("fp", "job-1"), s).elements;
  const auto j2 = blind_own(keys, key_tag("fp", "job-2"), s).elements;
  const auto other_fed = blind_own(keys, key_tag("fp2", "job-1"), s).elements;
  const auto other_scalar = blind_own(keys, key_tag("fp", "job-1"), Scalar::random()).elements;
  EXPECT_EQ(count_held_by_at_least({j1, j2}, 2), 0u);
  EXPECT_EQ(count_held_by_at_least({j1, other_fed}, 2), 0u);
  EXPECT_EQ(count_held_by_at_least({j1, other_scalar}, 2), 0u);
  // The tag is within RFC 9380's limit whatever the job id's length.
  EXPECT_LE(key_tag("fp", std::string(16384, 'j')).size(), 255u);
}

TEST(PrivateSet, RefusesWhatADeviatingPartnerCouldSend) {
  const Scalar s = Scalar::random();
  std::vector<Element> set = blind_own(range("k", 0, 5), key_tag("fp", "bad"), s).elements;

  std::vector<Element> with_identity = set;
  with_identity.push_back(Element{});
  try {
    reblind(with_identity, s);
    FAIL() << "the identity was accepted";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMalformed);
  }
  std::vector<Element> with_garbage = set;
  Element garbage;
  garbage.fill(0xff);
  with_garbage.push_back(garbage);
  EXPECT_THROW(reblind(with_garbage, s), ProtocolError);

  std::vector<Element> repeated = set;
  repeated.push_back(set[2]);
  EXPECT_THROW(reblind(repeated, s), ProtocolError);
  EXPECT_THROW(count_held_by_at_least({set, repeated}, 2), ProtocolError);

  EXPECT_THROW(count_held_by_at_least({set, set}, 0), ProtocolError);
  EXPECT_THROW(count_held_by_at_least({set, set}, 3), ProtocolError);
}

}  // namespace
}  // namespace smpc::protocol::private_set
