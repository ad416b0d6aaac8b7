// The aggregation protocol, run in memory on the network of job_network.hpp:
// every delivery order, duplicates, tampering, aborts and retries.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "job_network.hpp"

namespace smpc::protocol {
namespace {

using namespace test_net;  // NOLINT(build/namespaces): the shared harness

class ProtocolJobSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ProtocolJobSizes, EveryPartyGetsTheJointSum) {
  const std::size_t n = GetParam();
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Network net(Network::uniform(n), seed);
    net.start_all();
    net.run();
    expect_all_finished_with_sum(net);
  }
}

TEST_P(ProtocolJobSizes, FifoLifoAndDuplicateDelivery) {
  const std::size_t n = GetParam();
  for (Network::Order order : {Network::Order::kFifo, Network::Order::kLifo}) {
    for (bool duplicate : {false, true}) {
      Network net(Network::uniform(n), 7);
      net.order = order;
      net.duplicate = duplicate;
      net.start_all();
      net.run();
      expect_all_finished_with_sum(net);
    }
  }
}

// Parties start one after another, each after delivering everything sent so
// far: later parties find all rounds' messages already waiting.
TEST_P(ProtocolJobSizes, LateStartersUseBufferedMessages) {
  const std::size_t n = GetParam();
  Network net(Network::uniform(n), 11);
  for (std::size_t i = 0; i < n; ++i) {
    net.start(n - 1 - i);
    net.run();
  }
  expect_all_finished_with_sum(net);
}

TEST_P(ProtocolJobSizes, SharesAreMasked) {
  const std::size_t n = GetParam();
  Network net(Network::uniform(n), 3);
  net.start_all();
  net.run();
  expect_all_finished_with_sum(net);
  std::size_t shares = 0;
  std::vector<crypto::Seed> seeds;
  for (const Message& m : net.sent) {
    if (m.type != MessageType::kShare) continue;
    ++shares;
    // Peer to peer, a party keeps the one share that depends on its input
    // and sends seeds for the others.
    ASSERT_TRUE(m.values.empty());
    ASSERT_EQ(m.seeded, 2u);
    std::vector<Fp> values(m.seeded);
    crypto::expand_seed(m.seed, values.data(), values.size());
    const std::vector<Fp> input = embed(net.parties[m.sender].input, n);
    for (std::size_t k = 0; k < input.size(); ++k) EXPECT_NE(values[k], input[k]);
    seeds.push_back(m.seed);
  }
  EXPECT_EQ(shares, n * (n - 1));
  // A fresh seed for every share.
  std::sort(seeds.begin(), seeds.end());
  EXPECT_EQ(std::adjacent_find(seeds.begin(), seeds.end()), seeds.end());
}

// One party sends a different partial to party 0 than to the others: every
// honest party detects it at the confirm round and none releases a result.
TEST_P(ProtocolJobSizes, EquivocationIsDetectedAtConfirm) {
  const std::size_t n = GetParam();
  const std::uint16_t liar = static_cast<std::uint16_t>(n - 1);
  Network net(Network::uniform(n), 5);
  net.order = Network::Order::kFifo;
  net.on_send = [liar](Message& m) {
    if (m.type == MessageType::kPartial && m.sender == liar && m.receiver == 0) {
      m.values[0] += Fp::from_signed(1);
    }
    return true;
  };
  net.start_all();
  net.run();
  for (std::size_t i = 0; i < n; ++i) {
    if (i == liar) continue;
    const Network::Party& p = net.parties[i];
    EXPECT_FALSE(p.job->finished()) << i;
    ASSERT_TRUE(p.error) << i;
    EXPECT_EQ(p.error->kind(), ErrorKind::kInconsistent) << i;
    // Only the mismatch is known, not who caused it: the message blames
    // nobody (party 0 is honest but opened a different result).
    EXPECT_NE(std::string(p.error->what())
                  .find("the parties opened different results (transcript digest "
                        "mismatch between "),
              std::string::npos)
        << p.error->what();
    EXPECT_EQ(std::string(p.error->what()).find("holds a different result"), std::string::npos);
    EXPECT_EQ(p.job->round(), 3);
  }
}

// The same in random order, with failing parties aborting the job: every
// honest party fails, either by its own check or by a partner's abort.
TEST_P(ProtocolJobSizes, EquivocationInRandomOrderReleasesNothing) {
  const std::size_t n = GetParam();
  const std::uint16_t liar = 1;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Network net(Network::uniform(n), seed);
    net.abort_on_error = true;
    net.on_send = [liar](Message& m) {
      if (m.type == MessageType::kPartial && m.sender == liar && m.receiver == 0) {
        m.values[1] -= Fp::from_signed(1000);
      }
      return true;
    };
    net.start_all();
    net.run();
    // Some party (the liar runs honest code too) detects the mismatch
    // itself; the others learn of it from its abort.
    std::size_t inconsistent = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Network::Party& p = net.parties[i];
      if (p.error && p.error->kind() == ErrorKind::kInconsistent) ++inconsistent;
      if (i == liar) continue;
      EXPECT_FALSE(p.job->finished()) << "seed " << seed << " party " << i;
      ASSERT_TRUE(p.error) << "seed " << seed << " party " << i;
      if (p.error->kind() != ErrorKind::kInconsistent) {
        EXPECT_EQ(p.error->kind(), ErrorKind::kAborted);
        EXPECT_NE(p.error->detail().find("transcript digest mismatch"), std::string::npos)
            << p.error->detail();
      }
    }
    EXPECT_GE(inconsistent, 1u);
  }
}

// A partial altered in transit between two honest parties is detected.
TEST_P(ProtocolJobSizes, TamperedPartialIsDetected) {
  const std::size_t n = GetParam();
  Network net(Network::uniform(n), 9);
  net.order = Network::Order::kFifo;
  net.on_send = [](Message& m) {
    if (m.type == MessageType::kPartial && m.sender == 0 && m.receiver == 1) {
      m.values[1] = m.values[1] * Fp::from_signed(2);
    }
    return true;
  };
  net.start_all();
  net.run();
  for (const Network::Party& p : net.parties) {
    EXPECT_FALSE(p.job->finished());
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind(), ErrorKind::kInconsistent);
  }
}

INSTANTIATE_TEST_SUITE_P(Parties, ProtocolJobSizes, ::testing::Values(3, 5, 10),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "n" + std::to_string(info.param);
                         });

TEST(ProtocolJob, TwoPartiesWork) {
  Network net(Network::uniform(2), 1);
  net.start_all();
  net.run();
  expect_all_finished_with_sum(net);
}

TEST(ProtocolJob, FederationMismatchNamesTheDifference) {
  FederationDef other = federation(3);
  other.scale = 2;
  other.parties[2] = "delta";
  std::vector<JobParams> all = Network::uniform(3);
  all[2] = params(other, 2);
  Network net(all, 4);
  net.start_all();
  net.run();

  for (std::size_t i = 0; i < 2; ++i) {
    const Network::Party& p = net.parties[i];
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind(), ErrorKind::kFederationMismatch);
    EXPECT_STREQ(p.error->what(), "federation \"acme\" differs at party gamma");
    EXPECT_EQ(p.error->detail(),
              "parties: here (alpha, beta, gamma), at the partner (alpha, beta, delta); "
              "scale: here 6, at the partner 2");
    EXPECT_FALSE(p.error->hint().empty());
  }
  const Network::Party& odd = net.parties[2];
  ASSERT_TRUE(odd.error);
  EXPECT_EQ(odd.error->kind(), ErrorKind::kFederationMismatch);
  EXPECT_TRUE(std::string(odd.error->what()) == "federation \"acme\" differs at party alpha" ||
              std::string(odd.error->what()) == "federation \"acme\" differs at party beta")
      << odd.error->what();
  EXPECT_EQ(odd.error->detail(),
            "parties: here (alpha, beta, delta), at the partner (alpha, beta, gamma); "
            "scale: here 2, at the partner 6");
}

TEST(ProtocolJob, FederationMismatchWithoutDefinitionIsGeneric) {
  FederationDef def = federation(3);
  DeterministicRandom r0(1), r1(2);
  AggregationJob a(params(def, 0), embed({1}, 3), r0);
  AggregationJob b(params(def, 1), embed({2}, 3), r1);
  a.start();
  std::vector<Outgoing> out = b.start();
  Message m = out[0].message;
  ASSERT_EQ(m.receiver, 0);
  m.fingerprint[0] ^= 1;
  m.definition = "garbage";
  try {
    a.receive(m);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFederationMismatch);
    EXPECT_STREQ(e.what(), "federation \"acme\" differs at party beta");
    EXPECT_EQ(e.detail(), "The federation fingerprints differ.");
  }
}

TEST(ProtocolJob, DescriptorMismatchIsDetected) {
  std::vector<JobParams> all = Network::uniform(3);
  all[1].descriptor = "avg(numeric)";
  Network net(all, 6);
  net.start_all();
  net.run();
  for (std::size_t i : {0, 2}) {
    const Network::Party& p = net.parties[i];
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->kind(), ErrorKind::kJobMismatch);
    EXPECT_STREQ(p.error->what(),
                 "party beta computes avg(numeric) under this job id, this party computes "
                 "avg(integer)");
    EXPECT_FALSE(p.job->finished());
  }
  ASSERT_TRUE(net.parties[1].error);
  EXPECT_EQ(net.parties[1].error->kind(), ErrorKind::kJobMismatch);
}

TEST(ProtocolJob, AbortPropagates) {
  Network net(Network::uniform(3), 8);
  net.start(0);
  net.start(1);
  net.start(2);
  // Party gamma's shares reached the others; then gamma fails and aborts.
  std::vector<Outgoing> aborts;
  for (std::uint16_t j : {0, 1}) {
    Message m = net.parties[2].job->abort_message(j, "input query failed");
    EXPECT_EQ(m.type, MessageType::kAbort);
    EXPECT_EQ(m.receiver, j);
    EXPECT_EQ(m.sender, 2);
    aborts.push_back(Outgoing{j, m});
  }
  net.run();
  for (const Outgoing& o : aborts) {
    if (net.parties[o.to].job->finished()) continue;
    try {
      net.parties[o.to].job->receive(o.message);
      FAIL();
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kAborted);
      EXPECT_STREQ(e.what(), "party gamma aborted the job");
      EXPECT_EQ(e.detail(), "input query failed");
    }
  }
}

TEST(ProtocolJob, AbortReasonIsTruncated) {
  DeterministicRandom r(1);
  AggregationJob a(params(federation(3), 0), embed({1}, 3), r);
  // Multi-byte characters straddling the limit are cut whole.
  std::string reason(kMaxReasonBytes - 1, 'x');
  reason += "\xC3\xA9\xC3\xA9";
  Message m = a.abort_message(1, reason);
  EXPECT_EQ(m.reason, std::string(kMaxReasonBytes - 1, 'x'));
  EXPECT_EQ(a.abort_message(1, "short").reason, "short");
  std::vector<std::uint8_t> wire = encode(m);
  EXPECT_EQ(decode(wire.data(), wire.size()), m);
}

TEST(ProtocolJob, MissingNamesTheSilentParty) {
  Network net(Network::uniform(4), 10);
  net.start(0);
  net.start(1);
  net.start(3);
  net.run();
  for (std::size_t i : {0, 1, 3}) {
    const AggregationJob& job = *net.parties[i].job;
    EXPECT_FALSE(job.finished());
    EXPECT_EQ(job.round(), 1);
    EXPECT_EQ(job.missing(), std::vector<std::uint16_t>{2});
    EXPECT_EQ(job.describe_missing(), "round 1 (share) from party gamma");
  }
  // The silent party has everything it needs for round 1, once it starts.
  EXPECT_EQ(net.parties[2].job->round(), 0);
  EXPECT_TRUE(net.parties[2].job->missing().empty());
  net.start(2);
  net.run();
  expect_all_finished_with_sum(net);
}

TEST(ProtocolJob, MissingInLaterRounds) {
  Network net(Network::uniform(3), 12);
  net.on_send = [](Message& m) {
    return !(m.sender != 0 && m.receiver == 0 && m.type == MessageType::kPartial);
  };
  net.start_all();
  net.run();
  EXPECT_EQ(net.parties[0].job->round(), 2);
  EXPECT_EQ(net.parties[0].job->missing(), (std::vector<std::uint16_t>{1, 2}));
  EXPECT_EQ(net.parties[0].job->describe_missing(),
            "round 2 (partial) from party beta, party gamma");
  for (std::size_t i : {1, 2}) {
    EXPECT_EQ(net.parties[i].job->round(), 3);
    EXPECT_EQ(net.parties[i].job->describe_missing(), "round 3 (confirm) from party alpha");
    EXPECT_THROW(net.parties[i].job->result(), std::logic_error);
  }
}

// Helpers for tests that drive two or three jobs by hand.
struct Trio {
  FederationDef def = federation(3);
  DeterministicRandom r0{100}, r1{101}, r2{102};
  AggregationJob a{params(def, 0), embed({1, -2}, 3), r0};
  AggregationJob b{params(def, 1), embed({3, -4}, 3), r1};
  AggregationJob c{params(def, 2), embed({5, -6}, 3), r2};

  // The message in `out` addressed to `to`.
  static Message to(const std::vector<Outgoing>& out, std::uint16_t to) {
    for (const Outgoing& o : out) {
      if (o.to == to) return o.message;
    }
    ADD_FAILURE() << "no message to " << to;
    return {};
  }
};

TEST(ProtocolJob, ShareMessagesCarryTheDefinition) {
  Trio t;
  std::vector<Outgoing> out = t.a.start();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(t.a.round(), 1);
  for (const Outgoing& o : out) {
    EXPECT_EQ(o.message.type, MessageType::kShare);
    EXPECT_EQ(o.message.definition, canonical_text(t.def));
    EXPECT_EQ(o.message.fingerprint, fingerprint(t.def));
    EXPECT_EQ(o.message.nonce, t.a.nonce());
    EXPECT_EQ(o.message.federation, "acme");
    EXPECT_EQ(o.message.job_id, "job-42");
    EXPECT_EQ(o.message.descriptor, "avg(integer)");
    EXPECT_EQ(o.message.sender, 0);
    EXPECT_EQ(o.message.seeded, 2u);  // a seed standing for 2 values
    EXPECT_TRUE(o.message.values.empty());
  }
  EXPECT_NE(t.a.nonce(), t.b.nonce());
  EXPECT_THROW(t.a.start(), std::logic_error);
  EXPECT_THROW(t.a.result(), std::logic_error);
}

TEST(ProtocolJob, RejectsMisaddressedMessages) {
  Trio t;
  t.a.start();
  const Message good = Trio::to(t.b.start(), 0);
  Message m = good;
  m.job_id = "job-43";
  EXPECT_EQ(receive_error(t.a, m), ErrorKind::kMalformed);
  m = good;
  m.federation = "globex";
  EXPECT_EQ(receive_error(t.a, m), ErrorKind::kMalformed);
  m = good;
  m.receiver = 2;
  EXPECT_EQ(receive_error(t.a, m), ErrorKind::kMalformed);
  m = good;
  m.sender = 3;
  EXPECT_EQ(receive_error(t.a, m), ErrorKind::kMalformed);
  m = good;
  m.sender = 0;
  EXPECT_EQ(receive_error(t.a, m), ErrorKind::kMalformed);
  m = good;
  m.seeded = 3;
  std::string what;
  EXPECT_EQ(receive_error(t.a, m, &what), ErrorKind::kMalformed);
  EXPECT_EQ(what, "party beta sent 3 values, this party expects 2");
  m = good;
  m.seeded = 0;
  m.values.assign(3, Fp());
  EXPECT_EQ(receive_error(t.a, m, &what), ErrorKind::kMalformed);
  EXPECT_EQ(what, "party beta sent 3 values, this party expects 2");
  // None of these changed the job: the genuine message is still accepted.
  EXPECT_NO_THROW(t.a.receive(good));
  EXPECT_EQ(t.a.missing(), std::vector<std::uint16_t>{2});
}

TEST(ProtocolJob, DuplicateIsIgnoredAndEquivocationDetected) {
  Trio t;
  t.a.start();
  const Message share = Trio::to(t.b.start(), 0);
  EXPECT_TRUE(t.a.receive(share).empty());
  EXPECT_TRUE(t.a.receive(share).empty());
  // A different seed, and even the share the seed stands for sent as
  // values: a resend is the same bytes, anything else a second message.
  Message other = share;
  other.seed[0] ^= 1;
  std::string what;
  EXPECT_EQ(receive_error(t.a, other, &what), ErrorKind::kInconsistent);
  EXPECT_EQ(what, "party beta sent two different share messages");
  Message expanded = share;
  ASSERT_EQ(expanded.seeded, 2u);
  expanded.values.resize(2);
  crypto::expand_seed(share.seed, expanded.values.data(), 2);
  expanded.seeded = 0;
  EXPECT_EQ(receive_error(t.a, expanded, &what), ErrorKind::kInconsistent);
  // The job goes on with the first share.
  EXPECT_TRUE(t.a.receive(share).empty());
}

TEST(ProtocolJob, EquivocatingPartialToOnePartyIsDetected) {
  Trio t;
  std::vector<Outgoing> oa = t.a.start(), ob = t.b.start(), oc = t.c.start();
  t.a.receive(Trio::to(ob, 0));
  std::vector<Outgoing> partials = t.a.receive(Trio::to(oc, 0));
  ASSERT_EQ(partials.size(), 2u);
  EXPECT_EQ(t.a.round(), 2);
  t.b.receive(Trio::to(oa, 1));
  std::vector<Outgoing> pb = t.b.receive(Trio::to(oc, 1));
  Message p = Trio::to(pb, 0);
  t.a.receive(p);
  p.values[1] += Fp::from_signed(1);
  std::string what;
  EXPECT_EQ(receive_error(t.a, p, &what), ErrorKind::kInconsistent);
  EXPECT_EQ(what, "party beta sent two different partial messages");
}

TEST(ProtocolJob, RestartedPartnerIsDetected) {
  Trio t;
  t.a.start();
  t.a.receive(Trio::to(t.b.start(), 0));
  // Party beta starts the same job again: a new run has a new nonce.
  DeterministicRandom r(999);
  AggregationJob again(params(t.def, 1), embed({3, -4}, 3), r);
  Message m = Trio::to(again.start(), 0);
  ASSERT_NE(m.nonce, t.b.nonce());
  std::string what;
  EXPECT_EQ(receive_error(t.a, m, &what), ErrorKind::kInconsistent);
  EXPECT_EQ(what, "party beta restarted the job while it was running");
}

// A confirm that arrives early is kept and only checked in round 3.
TEST(ProtocolJob, EarlyWrongConfirmIsCheckedInRoundThree) {
  FederationDef def = federation(2);
  DeterministicRandom r0(1), r1(2);
  AggregationJob a(params(def, 0), embed({10, 20}, 2), r0);
  AggregationJob b(params(def, 1), embed({-1, -2}, 2), r1);
  std::vector<Outgoing> oa = a.start();
  std::vector<Outgoing> ob = b.start();
  Message forged = ob[0].message;
  forged.type = MessageType::kConfirm;
  forged.values.clear();
  forged.definition.clear();
  forged.digest.fill(0x42);
  EXPECT_TRUE(a.receive(forged).empty());
  EXPECT_EQ(a.round(), 1);
  std::vector<Outgoing> pa = a.receive(ob[0].message);  // share: a sends its partial
  ASSERT_EQ(pa.size(), 1u);
  EXPECT_EQ(a.round(), 2);
  std::vector<Outgoing> pb = b.receive(oa[0].message);
  ASSERT_EQ(pb.size(), 1u);
  std::string what;
  EXPECT_EQ(receive_error(a, pb[0].message, &what), ErrorKind::kInconsistent);
  EXPECT_EQ(what,
            "the parties opened different results (transcript digest mismatch between this "
            "party and party beta)");
  EXPECT_FALSE(a.finished());
  // b has no early confirm: it reaches round 3 and waits for a's confirm.
  std::vector<Outgoing> cb = b.receive(pa[0].message);
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(cb[0].message.type, MessageType::kConfirm);
  EXPECT_FALSE(b.finished());
  EXPECT_EQ(b.describe_missing(), "round 3 (confirm) from party alpha");
}

// A vector that is not the job's, arriving before the sender's share, is
// dropped rather than held back (it could be 32 MB, 16 times per sender).
TEST(ProtocolJob, EarlyVectorsOfAnotherWidthAreNotHeld) {
  // A partial of `width` zeros with the header of `share`.
  auto partial_like = [](const Message& share, std::size_t width) {
    Message p = share;
    p.type = MessageType::kPartial;
    p.seeded = 0;
    p.definition.clear();
    p.policy_text.clear();
    p.included = 0x7;
    p.values.assign(width, Fp());
    return p;
  };
  Trio t;
  t.a.start();
  const Message share = Trio::to(t.b.start(), 0);
  EXPECT_TRUE(t.a.receive(partial_like(share, 5)).empty());
  // Held, it would be replayed now and refused: "sent 5 values".
  EXPECT_NO_THROW(t.a.receive(share));
  // Another computation's vector: not held either (held, its replay would
  // be refused as a mismatch when gamma's share arrives).
  const Message share_c = Trio::to(t.c.start(), 0);
  Message other = partial_like(share_c, 2);
  other.descriptor = "sum(integer)";
  EXPECT_TRUE(t.a.receive(other).empty());
  EXPECT_NO_THROW(t.a.receive(share_c));
  EXPECT_EQ(t.a.round(), 2);
}

TEST(ProtocolJob, ConstructorValidates) {
  DeterministicRandom r(1);
  auto expect_invalid = [&r](const JobParams& p, std::vector<Fp> input) {
    try {
      AggregationJob job(p, std::move(input), r);
      ADD_FAILURE() << "constructor accepted invalid parameters";
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    }
  };
  const FederationDef def = federation(3);
  const std::vector<Fp> one = embed({1}, 3);
  expect_invalid(params(def, 3), one);
  JobParams p = params(def, 0);
  p.job_id = "";
  expect_invalid(p, one);
  p.job_id = std::string(kMaxJobIdBytes + 1, 'j');
  expect_invalid(p, one);
  p = params(def, 0, "");
  expect_invalid(p, one);
  p = params(def, 0, std::string(kMaxDescriptorBytes + 1, 'd'));
  expect_invalid(p, one);
  expect_invalid(params(def, 0), {});
  expect_invalid(params(def, 0), std::vector<Fp>(kMaxValues + 1));
  FederationDef bad = def;
  bad.parties = {"alpha"};
  expect_invalid(params(bad, 0), one);

  p = params(def, 2, std::string(kMaxDescriptorBytes, 'd'));
  p.job_id = std::string(kMaxJobIdBytes, 'j');
  EXPECT_NO_THROW(AggregationJob(p, one, r));
}

// A retry must not be killed by the abort of the failed run before it: the
// abort arrives before the sender's new share, is held back, and is dropped
// once the share shows that the sender is on a new run.
TEST(ProtocolJob, StaleAbortOfAnEarlierRunIsIgnored) {
  Trio t;
  DeterministicRandom old_rng(7);
  AggregationJob old_b(params(t.def, 1), embed({3, -4}, 3), old_rng);
  old_b.start();
  Message stale = old_b.abort_message(0, "timed out");
  t.a.start();
  EXPECT_TRUE(t.a.receive(stale).empty());
  std::vector<Outgoing> ob = t.b.start();
  std::vector<Outgoing> oc = t.c.start();
  t.a.receive(Trio::to(ob, 0));
  EXPECT_EQ(t.a.round(), 1);
  std::vector<Outgoing> partials = t.a.receive(Trio::to(oc, 0));
  EXPECT_EQ(t.a.round(), 2);
  EXPECT_EQ(partials.size(), 2u);
}

// An abort that arrives before the share of the same run takes effect as
// soon as the share arrives.
TEST(ProtocolJob, EarlyAbortOfTheCurrentRunApplies) {
  Trio t;
  t.a.start();
  std::vector<Outgoing> ob = t.b.start();
  EXPECT_TRUE(t.a.receive(t.b.abort_message(0, "disk full")).empty());
  std::string what;
  EXPECT_EQ(receive_error(t.a, Trio::to(ob, 0), &what), ErrorKind::kAborted);
  EXPECT_EQ(what, "party beta aborted the job");
}

// A partner's run that died before this party started (its share and abort
// were both waiting): discarded, so the partner's retry completes the job,
// and the reason is kept for the timeout error.
TEST(ProtocolJob, DeadRunBeforeStartIsDiscardedForTheRetry) {
  Trio t;
  DeterministicRandom old_rng(7);
  AggregationJob old_b(params(t.def, 1), embed({3, -4}, 3), old_rng);
  std::vector<Outgoing> old_shares = old_b.start();
  const Message old_share = Trio::to(old_shares, 0);
  const Message old_abort = old_b.abort_message(0, "timed out waiting for party alpha");
  t.a.discard_run(old_abort);
  EXPECT_EQ(t.a.dead_runs(),
            "Party beta aborted the job before this party started it: timed out waiting for "
            "party alpha.");
  t.a.start();
  // The dead run's messages, fed in arrival order, change nothing.
  EXPECT_TRUE(t.a.receive(old_share).empty());
  EXPECT_TRUE(t.a.receive(old_abort).empty());
  EXPECT_EQ(t.a.describe_missing(), "round 1 (share) from party beta, party gamma");
  // b's retry and c complete round 1.
  std::vector<Outgoing> ob = t.b.start();
  std::vector<Outgoing> oc = t.c.start();
  t.a.receive(Trio::to(ob, 0));
  std::vector<Outgoing> partials = t.a.receive(Trio::to(oc, 0));
  EXPECT_EQ(t.a.round(), 2);
  EXPECT_EQ(partials.size(), 2u);
}

// Only aborts of this job from a partner, and only before start().
TEST(ProtocolJob, DiscardRunChecksItsMessage) {
  Trio t;
  std::vector<Outgoing> ob = t.b.start();
  EXPECT_THROW(t.a.discard_run(Trio::to(ob, 0)), ProtocolError);  // a share
  Message other = t.b.abort_message(0, "x");
  other.job_id = "another";
  EXPECT_THROW(t.a.discard_run(other), ProtocolError);
  Message own = t.b.abort_message(0, "x");
  own.sender = 0;
  EXPECT_THROW(t.a.discard_run(own), ProtocolError);
  EXPECT_EQ(t.a.dead_runs(), "");
  t.a.start();
  EXPECT_THROW(t.a.discard_run(t.b.abort_message(0, "x")), std::logic_error);
}

// A late partial of an earlier run is ignored once the current run is known.
TEST(ProtocolJob, LatePartialOfAnEarlierRunIsIgnored) {
  Trio t;
  t.a.start();
  std::vector<Outgoing> ob = t.b.start();
  t.a.receive(Trio::to(ob, 0));
  DeterministicRandom old_rng(7);
  AggregationJob old_b(params(t.def, 1), embed({3, -4}, 3), old_rng);
  old_b.start();
  Message late = Trio::to(ob, 0);
  late.type = MessageType::kPartial;
  late.definition.clear();
  late.nonce = old_b.nonce();
  EXPECT_TRUE(t.a.receive(late).empty());
  EXPECT_EQ(t.a.round(), 1);
}

// The built-in fault switch (smpc.test_fault in test builds): a party that
// equivocates in round 2 makes every party fail, in any delivery order, and
// nobody releases.
TEST(ProtocolJob, FaultEquivocatePartialStopsEveryone) {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    Network net(Network::uniform(3), seed);
    net.abort_on_error = true;
    net.parties[1].job->set_fault(Fault::kEquivocatePartial);
    net.start_all();
    net.run();
    for (const Network::Party& p : net.parties) {
      EXPECT_FALSE(p.job->finished()) << "seed " << seed;
      ASSERT_TRUE(p.error.has_value()) << "seed " << seed;
      EXPECT_TRUE(p.error->kind() == ErrorKind::kInconsistent ||
                  p.error->kind() == ErrorKind::kAborted)
          << p.error->what();
    }
  }
}

// A wrong digest in round 3 is caught by the party that receives it, which
// never releases; the other parties may already have released the (correct)
// result: a deviating party can make an honest party abort, never release a
// wrong value (SECURITY.md).
TEST(ProtocolJob, FaultWrongConfirmIsCaughtByItsReceiver) {
  Network net(Network::uniform(3), 5);
  net.order = Network::Order::kFifo;
  net.parties[1].job->set_fault(Fault::kWrongConfirm);
  net.start_all();
  net.run();
  ASSERT_TRUE(net.parties[0].error.has_value());
  EXPECT_EQ(net.parties[0].error->kind(), ErrorKind::kInconsistent);
  EXPECT_FALSE(net.parties[0].job->finished());
  for (const Network::Party& p : net.parties) {
    if (p.job->finished()) {
      EXPECT_EQ(Network::decode_result(*p.job), net.expected_sum());
    }
  }
}

}  // namespace
}  // namespace smpc::protocol
