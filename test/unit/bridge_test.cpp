// The bridge (src/bridge/core_api.hpp), the exception-free C face of the core
// that the PostgreSQL glue calls: every exported function at least once,
// with its error paths (bad input, NULL where it is allowed, short buffers,
// exceptions turned into status kinds) and the functions that wipe or free.
// Jobs run here over the bridge alone, as the glue runs them: bytes in,
// bytes out.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "bridge/core_api.hpp"
#include "protocol/message_type.hpp"

namespace {

using smpc::protocol::MessageType;

// The C names are the protocol's numbers (message_type.hpp defines them).
static_assert(SMPC_MSG_SHARE == static_cast<int>(MessageType::kShare), "share");
static_assert(SMPC_MSG_KEY == static_cast<int>(MessageType::kKey), "key");
static_assert(SMPC_MSG_BLINDED == static_cast<int>(MessageType::kBlinded), "blinded");
static_assert(SMPC_MSG_FIRST == SMPC_MSG_SHARE && SMPC_MSG_LAST == SMPC_MSG_SEALED_SUM, "range");

const char* const kNames[] = {"alpha", "beta", "gamma", "delta", "epsilon"};

// A federation as the glue hands it over, seen from party `self`.
struct Fed {
  std::string name = "acme";
  int n = 3;
  int scale = 2;
  int threshold = 0;
  std::vector<int> compute, inputs, outputs;

  SmpcFederation at(int self) const {
    SmpcFederation f{};
    f.name = name.c_str();
    f.parties = kNames;
    f.nparties = n;
    f.scale = scale;
    f.self = self;
    f.threshold = threshold;
    f.compute = compute.data();
    f.ncompute = static_cast<int>(compute.size());
    f.inputs = inputs.data();
    f.ninputs = static_cast<int>(inputs.size());
    f.outputs = outputs.data();
    f.noutputs = static_cast<int>(outputs.size());
    return f;
  }
};

SmpcPolicy default_policy(std::uint64_t min_rows = 0) {
  SmpcPolicy p{};
  p.min_parties = 2;
  p.min_rows = min_rows;
  return p;
}

SmpcJobShape plain_shape(int width, int count_index = -1) {
  SmpcJobShape s{};
  s.width = width;
  s.count_index = count_index;
  return s;
}

// One job per party, run over the bridge: every outbox item is delivered to
// its receiver with smpc_job_receive until nothing is left to send.
struct Network {
  Fed fed;
  std::string job_id = "job-7";
  std::string descriptor = "sum(integer)";
  SmpcPolicy policy = default_policy();
  SmpcJobShape shape = plain_shape(1);
  std::vector<SmpcJob*> jobs;
  std::vector<bool> silent;  // messages from these parties are dropped
  // The first failed receive: its receiver and status.
  int failed_at = -1;
  SmpcStatus failure{};

  ~Network() {
    for (SmpcJob* j : jobs) smpc_job_free(j);
  }

  // inputs[i]: party i's values (empty: no input).
  void create(const std::vector<std::vector<__int128>>& inputs) {
    for (int i = 0; i < fed.n; ++i) {
      SmpcFederation f = fed.at(i);
      SmpcStatus st;
      const void* in = inputs[static_cast<std::size_t>(i)].empty()
                           ? nullptr
                           : inputs[static_cast<std::size_t>(i)].data();
      SmpcJob* j = smpc_job_new(&f, job_id.data(), job_id.size(), descriptor.c_str(), &policy,
                                &shape, in, &st);
      ASSERT_NE(j, nullptr) << st.message;
      EXPECT_EQ(st.kind, SMPC_OK);
      jobs.push_back(j);
    }
    silent.assign(jobs.size(), false);
  }

  void start() {
    for (SmpcJob* j : jobs) {
      SmpcStatus st;
      ASSERT_TRUE(smpc_job_start(j, &st)) << st.message;
    }
  }

  // Delivers party i's outbox (emptying it); false when it held nothing.
  bool deliver_from(std::size_t i) {
    std::vector<std::pair<int, std::vector<std::uint8_t>>> items;
    for (int k = 0; k < smpc_job_outbox_size(jobs[i]); ++k) {
      int to;
      const std::uint8_t* data;
      std::size_t len;
      smpc_job_outbox_item(jobs[i], k, &to, &data, &len);
      items.emplace_back(to, std::vector<std::uint8_t>(data, data + len));
    }
    smpc_job_outbox_clear(jobs[i]);
    if (silent[i]) return false;
    for (auto& [to, bytes] : items) {
      SmpcStatus st;
      if (!smpc_job_receive(jobs[static_cast<std::size_t>(to)], bytes.data(), bytes.size(), &st)) {
        failed_at = to;
        failure = st;
        break;
      }
    }
    return !items.empty();
  }

  // Delivers until no outbox holds anything; stops at the first failure.
  void deliver() {
    for (bool sent = true; sent && failed_at < 0;) {
      sent = false;
      for (std::size_t i = 0; i < jobs.size() && failed_at < 0; ++i) sent |= deliver_from(i);
    }
  }
};

// ---- Message types ---------------------------------------------------------

TEST(BridgeMessageType, NamesRoundTrip) {
  for (int t = SMPC_MSG_FIRST; t <= SMPC_MSG_LAST; ++t) {
    const char* name = smpc_message_type_name(t);
    EXPECT_STRNE(name, "unknown") << t;
    EXPECT_EQ(smpc_message_type_of(name), t) << name;
  }
  EXPECT_STREQ(smpc_message_type_name(SMPC_MSG_SHARE), "share");
  EXPECT_STREQ(smpc_message_type_name(SMPC_MSG_KEY), "key");
  EXPECT_STREQ(smpc_message_type_name(0), "unknown");
  EXPECT_STREQ(smpc_message_type_name(SMPC_MSG_LAST + 1), "unknown");
  EXPECT_STREQ(smpc_message_type_name(-1), "unknown");
  EXPECT_EQ(smpc_message_type_of("no such type"), 0);
  EXPECT_EQ(smpc_message_type_of(""), 0);
  EXPECT_EQ(smpc_message_type_of(nullptr), 0);
}

// A message made by smpc_test_message, malloc'd; freed by the caller.
std::vector<std::uint8_t> test_message(const Fed& fed, int type, int sender = 1, int receiver = 0,
                                       const char* job_id = "job-7") {
  SmpcFederation f = fed.at(sender);
  std::uint8_t* out = nullptr;
  std::size_t len = 0;
  SmpcStatus st;
  EXPECT_TRUE(smpc_test_message(&f, job_id, sender, receiver, type, &out, &len, &st)) << st.message;
  std::vector<std::uint8_t> bytes(out, out + len);
  smpc_free_bytes(out);
  return bytes;
}

TEST(BridgeMessageType, ReadFromTheHeader) {
  const Fed fed;
  for (int t = SMPC_MSG_SHARE; t <= SMPC_MSG_VOUCH; ++t) {
    const std::vector<std::uint8_t> m = test_message(fed, t);
    int type = -1;
    EXPECT_EQ(smpc_message_type(m.data(), m.size(), &type), SMPC_OK);
    EXPECT_EQ(type, t);
    // Only the header is read: a message cut after the type still has one.
    EXPECT_EQ(smpc_message_type(m.data(), 6, &type), SMPC_OK);
    EXPECT_EQ(type, t);
  }
}

TEST(BridgeMessageType, RefusesWhatIsNotAHeader) {
  const std::vector<std::uint8_t> good = test_message(Fed(), SMPC_MSG_CONFIRM);
  int type = -1;
  EXPECT_EQ(smpc_message_type(good.data(), 5, &type), SMPC_MALFORMED);
  EXPECT_EQ(type, 0);
  type = -1;
  EXPECT_EQ(smpc_message_type(good.data(), 0, &type), SMPC_MALFORMED);
  EXPECT_EQ(type, 0);
  std::vector<std::uint8_t> bad = good;
  bad[0] = 'X';  // magic
  EXPECT_EQ(smpc_message_type(bad.data(), bad.size(), &type), SMPC_MALFORMED);
  bad = good;
  bad[4] ^= 0x7F;  // version
  EXPECT_EQ(smpc_message_type(bad.data(), bad.size(), &type), SMPC_MALFORMED);
  for (std::uint8_t t :
       {std::uint8_t{0}, static_cast<std::uint8_t>(SMPC_MSG_LAST + 1), std::uint8_t{255}}) {
    bad = good;
    bad[5] = t;
    type = -1;
    EXPECT_EQ(smpc_message_type(bad.data(), bad.size(), &type), SMPC_MALFORMED) << int(t);
    EXPECT_EQ(type, 0);
  }
  // NULL pointers are an invalid argument, never a crash.
  type = -1;
  EXPECT_EQ(smpc_message_type(nullptr, good.size(), &type), SMPC_INVALID_ARGUMENT);
  EXPECT_EQ(type, 0);
  EXPECT_EQ(smpc_message_type(good.data(), good.size(), nullptr), SMPC_INVALID_ARGUMENT);
}

// ---- Keys, fingerprints, hashes --------------------------------------------

TEST(BridgeFederation, JobKeyDependsOnFederationAndJobId) {
  std::uint8_t a[32], b[32], c[32], d[32];
  SmpcStatus st;
  ASSERT_TRUE(smpc_job_key("acme", "job-1", 5, a, &st));
  EXPECT_EQ(st.kind, SMPC_OK);
  ASSERT_TRUE(smpc_job_key("acme", "job-1", 5, b, &st));
  ASSERT_TRUE(smpc_job_key("acme", "job-2", 5, c, &st));
  ASSERT_TRUE(smpc_job_key("other", "job-1", 5, d, &st));
  EXPECT_EQ(std::memcmp(a, b, 32), 0);
  EXPECT_NE(std::memcmp(a, c, 32), 0);
  EXPECT_NE(std::memcmp(a, d, 32), 0);
  // The length counts, not a NUL: "job-1" and "job-1\0x" differ.
  ASSERT_TRUE(smpc_job_key("acme", "job-1\0x", 7, c, &st));
  EXPECT_NE(std::memcmp(a, c, 32), 0);
}

TEST(BridgeFederation, CheckWritesTheFingerprint) {
  const Fed fed;
  SmpcFederation f = fed.at(0);
  char hex[65];
  SmpcStatus st;
  ASSERT_TRUE(smpc_federation_check(&f, hex, &st)) << st.message;
  EXPECT_EQ(std::strlen(hex), 64u);
  EXPECT_EQ(std::strspn(hex, "0123456789abcdef"), 64u);
  // Every party computes the same fingerprint.
  char other[65];
  SmpcFederation g = fed.at(2);
  ASSERT_TRUE(smpc_federation_check(&g, other, &st));
  EXPECT_STREQ(hex, other);
}

TEST(BridgeFederation, CheckRefusesInvalidDefinitions) {
  SmpcStatus st;
  char hex[65];
  Fed one;
  one.n = 1;
  SmpcFederation f = one.at(0);
  EXPECT_FALSE(smpc_federation_check(&f, hex, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(st.message), "");

  Fed negative;
  negative.threshold = -1;
  f = negative.at(0);
  EXPECT_FALSE(smpc_federation_check(&f, hex, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_STREQ(st.message, "threshold must not be negative");

  Fed bad_role;
  bad_role.compute = {0, -1};
  f = bad_role.at(0);
  EXPECT_FALSE(smpc_federation_check(&f, hex, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_STREQ(st.message, "a role names an invalid party index");

  Fed scale;
  scale.scale = 1000;
  f = scale.at(0);
  EXPECT_FALSE(smpc_federation_check(&f, hex, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
}

TEST(BridgeFederation, Roles) {
  Fed fed;
  fed.n = 4;
  fed.compute = {0, 1};
  fed.inputs = {2, 3};
  fed.outputs = {3};
  bool in, comp, out;
  SmpcStatus st;
  SmpcFederation f = fed.at(0);
  ASSERT_TRUE(smpc_federation_roles(&f, 0, &in, &comp, &out, &st)) << st.message;
  EXPECT_FALSE(in);
  EXPECT_TRUE(comp);
  EXPECT_FALSE(out);
  ASSERT_TRUE(smpc_federation_roles(&f, 3, &in, &comp, &out, &st));
  EXPECT_TRUE(in);
  EXPECT_FALSE(comp);
  EXPECT_TRUE(out);
  ASSERT_TRUE(smpc_federation_roles(&f, 9, &in, &comp, &out, &st));
  EXPECT_FALSE(in || comp || out);

  Fed invalid;
  invalid.compute = {0};  // one compute party
  f = invalid.at(0);
  EXPECT_FALSE(smpc_federation_roles(&f, 0, &in, &comp, &out, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
}

TEST(BridgeHash, Sha256Hex) {
  char hex[65];
  smpc_sha256_hex("abc", 3, hex);
  EXPECT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  smpc_sha256_hex("", 0, hex);
  EXPECT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// ---- Inspecting received messages ------------------------------------------

TEST(BridgeInspect, ReadsTheHeaderAndFilesByJobKey) {
  const Fed fed;
  const std::vector<std::uint8_t> m = test_message(fed, SMPC_MSG_SHARE, 1, 2);
  SmpcMessageInfo info;
  SmpcStatus st;
  ASSERT_TRUE(smpc_message_inspect(m.data(), m.size(), &info, &st)) << st.message;
  EXPECT_EQ(info.type, SMPC_MSG_SHARE);
  EXPECT_EQ(info.sender, 1);
  EXPECT_EQ(info.receiver, 2);
  EXPECT_STREQ(info.federation, "acme");
  ASSERT_EQ(info.job_id_len, 5u);
  ASSERT_LE(info.job_id_offset + info.job_id_len, m.size());
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(m.data()) + info.job_id_offset, info.job_id_len),
      "job-7");
  std::uint8_t key[32];
  ASSERT_TRUE(smpc_job_key("acme", "job-7", 5, key, &st));
  EXPECT_EQ(std::memcmp(key, info.job_key, 32), 0);
}

TEST(BridgeInspect, RefusesMalformedBytes) {
  const std::vector<std::uint8_t> m = test_message(Fed(), SMPC_MSG_PARTIAL);
  SmpcMessageInfo info;
  SmpcStatus st;
  EXPECT_FALSE(smpc_message_inspect(m.data(), m.size() - 1, &info, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_NE(std::string(st.message), "");
  std::vector<std::uint8_t> longer = m;
  longer.push_back(0);
  EXPECT_FALSE(smpc_message_inspect(longer.data(), longer.size(), &info, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_FALSE(smpc_message_inspect(nullptr, 0, &info, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
}

TEST(BridgeInspect, CheckFederationNamesTheDifference) {
  const Fed fed;
  const std::vector<std::uint8_t> m = test_message(fed, SMPC_MSG_SHARE, 1, 0);
  SmpcMessageInfo info;
  SmpcStatus st;
  ASSERT_TRUE(smpc_message_inspect(m.data(), m.size(), &info, &st));
  SmpcFederation here = fed.at(0);
  EXPECT_TRUE(smpc_message_check_federation(m.data(), m.size(), &info, &here, &st));
  EXPECT_EQ(st.kind, SMPC_OK);

  Fed other = fed;
  other.scale = 4;
  SmpcFederation there = other.at(0);
  EXPECT_FALSE(smpc_message_check_federation(m.data(), m.size(), &info, &there, &st));
  EXPECT_EQ(st.kind, SMPC_FEDERATION_MISMATCH);
  EXPECT_NE(std::string(st.message).find("party beta"), std::string::npos) << st.message;
  EXPECT_NE(std::string(st.detail).find("Differences:"), std::string::npos) << st.detail;
  EXPECT_NE(std::string(st.hint), "");

  // Not a share: no definition to compare, no detail.
  const std::vector<std::uint8_t> c = test_message(fed, SMPC_MSG_CONFIRM, 1, 0);
  ASSERT_TRUE(smpc_message_inspect(c.data(), c.size(), &info, &st));
  EXPECT_FALSE(smpc_message_check_federation(c.data(), c.size(), &info, &there, &st));
  EXPECT_EQ(st.kind, SMPC_FEDERATION_MISMATCH);
  EXPECT_STREQ(st.detail, "");
}

TEST(BridgeTestMessage, RefusesUnknownTypes) {
  SmpcFederation f = Fed().at(0);
  for (int t : {0, static_cast<int>(SMPC_MSG_REQUEST), static_cast<int>(SMPC_MSG_KEY), 99}) {
    std::uint8_t* out = reinterpret_cast<std::uint8_t*>(&f);  // not NULL before the call
    std::size_t len = 0;
    SmpcStatus st;
    EXPECT_FALSE(smpc_test_message(&f, "job-7", 0, 1, t, &out, &len, &st)) << t;
    EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
    EXPECT_EQ(out, nullptr);
  }
  smpc_free_bytes(nullptr);  // like free(NULL)
}

// ---- Requests ----------------------------------------------------------------

// A request for avg(integer) over sales.amount at the given stage.
SmpcRequest sales_request(int stage) {
  SmpcRequest req{};
  std::strcpy(req.descriptor, "avg(integer)");
  std::strcpy(req.dataset, "sales");
  std::strcpy(req.column, "amount");
  req.stage = stage;
  return req;
}

TEST(BridgeRequest, RoundTrip) {
  SmpcFederation f = Fed().at(0);
  SmpcRequest req = sales_request(SMPC_REQUEST_FAILED);
  for (int i = 0; i < 16; ++i) req.nonce[i] = static_cast<std::uint8_t>(i);
  req.refused = true;
  std::strcpy(req.reason, "policy says no");
  std::uint8_t* out = nullptr;
  std::size_t len = 0;
  SmpcStatus st;
  ASSERT_TRUE(smpc_request_message(&f, "job-7", 2, &req, &out, &len, &st)) << st.message;
  int type = 0;
  EXPECT_EQ(smpc_message_type(out, len, &type), SMPC_OK);
  EXPECT_EQ(type, SMPC_MSG_REQUEST);
  SmpcRequest back;
  ASSERT_TRUE(smpc_request_read(out, len, &back, &st)) << st.message;
  smpc_free_bytes(out);
  EXPECT_STREQ(back.descriptor, "avg(integer)");
  EXPECT_STREQ(back.dataset, "sales");
  EXPECT_STREQ(back.column, "amount");
  EXPECT_EQ(back.stage, SMPC_REQUEST_FAILED);
  EXPECT_EQ(std::memcmp(back.nonce, req.nonce, 16), 0);
  EXPECT_TRUE(back.refused);
  EXPECT_STREQ(back.reason, "policy says no");
}

TEST(BridgeRequest, ErrorPaths) {
  SmpcFederation f = Fed().at(0);
  SmpcRequest req = sales_request(SMPC_REQUEST_CHECK);
  std::uint8_t* out = nullptr;
  std::size_t len = 0;
  SmpcStatus st;
  for (int stage : {0, 5}) {
    req.stage = stage;
    EXPECT_FALSE(smpc_request_message(&f, "job-7", 1, &req, &out, &len, &st));
    EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
    EXPECT_EQ(out, nullptr);
  }
  req.stage = SMPC_REQUEST_CHECK;
  req.dataset[0] = '\0';  // a request names a dataset
  EXPECT_FALSE(smpc_request_message(&f, "job-7", 1, &req, &out, &len, &st));
  EXPECT_NE(st.kind, SMPC_OK);

  // Reading a message that is not a request.
  const std::vector<std::uint8_t> share = test_message(Fed(), SMPC_MSG_SHARE);
  SmpcRequest back;
  EXPECT_FALSE(smpc_request_read(share.data(), share.size(), &back, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_STREQ(st.message, "message is not a request");
  EXPECT_FALSE(smpc_request_read(share.data(), 3, &back, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
}

// ---- Policies ------------------------------------------------------------------

TEST(BridgePolicy, DescribeAndRefuse) {
  SmpcPolicy p = default_policy(10);
  p.min_parties = 3;
  char buf[256];
  SmpcStatus st;
  ASSERT_TRUE(smpc_policy_describe(&p, buf, sizeof buf, &st)) << st.message;
  EXPECT_NE(std::string(buf).find("3"), std::string::npos) << buf;
  // A short buffer gets a NUL-terminated prefix.
  char small[8];
  std::memset(small, 'x', sizeof small);
  ASSERT_TRUE(smpc_policy_describe(&p, small, sizeof small, &st));
  EXPECT_EQ(std::strlen(small), sizeof small - 1);
  EXPECT_EQ(std::string(buf).substr(0, 7), small);

  p.min_parties = 1;
  EXPECT_FALSE(smpc_policy_describe(&p, buf, sizeof buf, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  p = default_policy();
  p.has_bounds = true;
  p.lo = 10;
  p.hi = 5;
  EXPECT_FALSE(smpc_policy_describe(&p, buf, sizeof buf, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
}

// ---- Jobs ------------------------------------------------------------------------

TEST(BridgeJob, PeerToPeerSum) {
  Network net;
  net.create({{100}, {-30}, {5}});
  for (SmpcJob* j : net.jobs) {
    EXPECT_EQ(smpc_job_round(j), 0);
    EXPECT_EQ(smpc_job_round_type(j), 0);
    EXPECT_FALSE(smpc_job_committed(j));
  }
  net.start();
  for (SmpcJob* j : net.jobs) {
    EXPECT_EQ(smpc_job_round(j), 1);
    EXPECT_EQ(smpc_job_round_type(j), SMPC_MSG_SHARE);
    EXPECT_EQ(smpc_job_outbox_size(j), 2);  // a share to each partner
    char buf[128];
    smpc_job_describe_missing(j, buf, sizeof buf);
    EXPECT_NE(std::string(buf).find("round 1 (share)"), std::string::npos) << buf;
    smpc_job_round_name(j, SMPC_MSG_CONFIRM, buf, sizeof buf);
    EXPECT_STREQ(buf, "round 3 (confirm)");
    smpc_job_round_name(j, SMPC_MSG_ABORT, buf, sizeof buf);
    EXPECT_STREQ(buf, "abort");
  }
  EXPECT_EQ(smpc_job_missing_mask(net.jobs[0]), (1u << 1) | (1u << 2));
  for (int i = 0; i < 3; ++i) {
    for (int c = 0; c < 3; ++c) smpc_job_acknowledged(net.jobs[i], c);
  }
  smpc_job_acknowledged(net.jobs[0], -1);  // ignored
  net.deliver();
  ASSERT_LT(net.failed_at, 0) << net.failure.message;
  for (SmpcJob* j : net.jobs) {
    EXPECT_TRUE(smpc_job_finished(j));
    EXPECT_TRUE(smpc_job_committed(j));
    EXPECT_TRUE(smpc_job_has_result(j));
    EXPECT_EQ(smpc_job_result(j, 0), 75);
    EXPECT_EQ(smpc_job_result(j, 1), 0);  // no such slot
    EXPECT_EQ(smpc_job_result(j, -1), 0);
    EXPECT_FALSE(smpc_job_verified(j));  // additive peer to peer has no check
    EXPECT_EQ(smpc_job_covered(j), 0x7u);
    EXPECT_EQ(smpc_job_round_type(j), 0);
    EXPECT_EQ(smpc_job_missing_mask(j), 0u);
    SmpcStatus st;
    EXPECT_FALSE(smpc_job_refused(j, &st));
    EXPECT_FALSE(smpc_job_suppressed(j, 0));
    char buf[64];
    smpc_job_dropouts(j, buf, sizeof buf);
    EXPECT_STREQ(buf, "");
    smpc_job_describe_missing(j, buf, sizeof buf);
    EXPECT_STREQ(buf, "");
    smpc_job_dead_runs(j, buf, sizeof buf);
    EXPECT_STREQ(buf, "");
  }
}

TEST(BridgeJob, NewRefusesBadParameters) {
  Fed fed;
  SmpcFederation f = fed.at(0);
  SmpcPolicy p = default_policy();
  SmpcJobShape shape = plain_shape(1);
  const __int128 in[1] = {1};
  SmpcStatus st;

  // The policy refuses before the job starts: more parties than there are.
  SmpcPolicy five = default_policy();
  five.min_parties = 5;
  EXPECT_EQ(smpc_job_new(&f, "j", 1, "sum(integer)", &five, &shape, in, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_REFUSED);

  SmpcJobShape zero = plain_shape(0);
  EXPECT_EQ(smpc_job_new(&f, "j", 1, "sum(integer)", &p, &zero, in, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_STREQ(st.message, "invalid job shape");

  EXPECT_EQ(smpc_job_new(&f, "j", 0, "sum(integer)", &p, &shape, in, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);  // empty job id

  // An input party without input.
  EXPECT_EQ(smpc_job_new(&f, "j", 1, "sum(integer)", &p, &shape, nullptr, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);

  // A crypto::RangeError becomes SMPC_RANGE: a value too large for the field.
  const __int128 huge[1] = {static_cast<__int128>(1) << 126};
  EXPECT_EQ(smpc_job_new(&f, "j", 1, "sum(integer)", &p, &shape, huge, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_RANGE);

  // A minimum row count needs the count in the input.
  SmpcPolicy rows = default_policy(5);
  EXPECT_EQ(smpc_job_new(&f, "j", 1, "sum(integer)", &rows, &shape, in, &st), nullptr);
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);

  smpc_job_free(nullptr);  // like free(NULL)
}

TEST(BridgeJob, StartTwiceIsAnInternalError) {
  Network net;
  net.create({{1}, {2}, {3}});
  net.start();
  SmpcStatus st;
  // A std::logic_error inside becomes SMPC_INTERNAL, never an exception.
  EXPECT_FALSE(smpc_job_start(net.jobs[0], &st));
  EXPECT_EQ(st.kind, SMPC_INTERNAL);
  EXPECT_NE(std::string(st.message).find("internal error: "), std::string::npos) << st.message;
}

TEST(BridgeJob, ReceiveRefusesBadMessages) {
  Network net;
  net.create({{1}, {2}, {3}});
  net.start();
  SmpcStatus st;
  const std::uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_FALSE(smpc_job_receive(net.jobs[0], junk, sizeof junk, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_FALSE(smpc_job_receive(net.jobs[0], nullptr, 0, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  // A message of another job.
  const std::vector<std::uint8_t> other = test_message(Fed(), SMPC_MSG_SHARE, 1, 0, "job-8");
  EXPECT_FALSE(smpc_job_receive(net.jobs[0], other.data(), other.size(), &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_STREQ(st.message, "message belongs to a different job");
  // This job under another release policy (smpc_test_message uses the
  // default, min_parties 3; the network's is 2).
  const std::vector<std::uint8_t> policy = test_message(Fed(), SMPC_MSG_SHARE, 1, 0);
  EXPECT_FALSE(smpc_job_receive(net.jobs[0], policy.data(), policy.size(), &st));
  EXPECT_EQ(st.kind, SMPC_POLICY_MISMATCH);
  EXPECT_NE(std::string(st.detail), "");
  EXPECT_NE(std::string(st.hint), "");
  // None of it changed the job: it still completes.
  net.deliver();
  ASSERT_LT(net.failed_at, 0) << net.failure.message;
  EXPECT_EQ(smpc_job_result(net.jobs[0], 0), 6);
}

TEST(BridgeJob, AbortReachesThePartners) {
  Network net;
  net.create({{1}, {2}, {3}});
  net.start();
  // Beta's shares arrive (fixing its run at its partners), then it aborts.
  ASSERT_TRUE(net.deliver_from(1));
  SmpcStatus st;
  ASSERT_TRUE(smpc_job_abort(net.jobs[1], "the disk is full", true, &st)) << st.message;
  ASSERT_EQ(smpc_job_outbox_size(net.jobs[1]), 2);  // the shares were replaced
  for (int k = 0; k < 2; ++k) {
    int to;
    const std::uint8_t* data;
    std::size_t len;
    smpc_job_outbox_item(net.jobs[1], k, &to, &data, &len);
    int type = 0;
    EXPECT_EQ(smpc_message_type(data, len, &type), SMPC_OK);
    EXPECT_EQ(type, SMPC_MSG_ABORT);
    EXPECT_NE(to, 1);
  }
  net.deliver();
  ASSERT_GE(net.failed_at, 0);
  EXPECT_EQ(net.failure.kind, SMPC_ABORTED);
  EXPECT_STREQ(net.failure.message, "party beta aborted the job");
  EXPECT_STREQ(net.failure.detail, "the disk is full");
}

TEST(BridgeJob, RefusedByTheRowCount) {
  Network net;
  net.policy = default_policy(100);
  net.shape = plain_shape(2, 1);  // value, row count
  net.create({{10, 3}, {20, 4}, {30, 5}});
  net.start();
  net.deliver();
  for (SmpcJob* j : net.jobs) {
    EXPECT_TRUE(smpc_job_finished(j));
    EXPECT_FALSE(smpc_job_has_result(j));
    EXPECT_EQ(smpc_job_result(j, 0), 0);
    SmpcStatus st;
    ASSERT_TRUE(smpc_job_refused(j, &st));
    EXPECT_EQ(st.kind, SMPC_REFUSED);
    EXPECT_NE(std::string(st.message).find("row count"), std::string::npos) << st.message;
  }
}

TEST(BridgeJob, GroupedCellsBelowTheMinimumAreSuppressed) {
  Network net;
  net.descriptor = "sum(integer) by 2 keys";
  net.policy = default_policy(5);
  net.shape.width = 4;
  net.shape.count_index = -1;
  net.shape.cells = 2;  // cells of (value, count)
  net.shape.cell_width = 2;
  net.shape.cell_count = 1;
  net.create({{10, 1, 7, 3}, {20, 1, 8, 3}, {30, 1, 9, 3}});
  net.start();
  net.deliver();
  ASSERT_LT(net.failed_at, 0) << net.failure.message;
  for (SmpcJob* j : net.jobs) {
    ASSERT_TRUE(smpc_job_has_result(j));
    EXPECT_TRUE(smpc_job_suppressed(j, 0));   // 3 rows
    EXPECT_FALSE(smpc_job_suppressed(j, 1));  // 9 rows
    EXPECT_FALSE(smpc_job_suppressed(j, 2));
    EXPECT_FALSE(smpc_job_suppressed(j, -1));
    EXPECT_EQ(smpc_job_result(j, 0), 0);
    EXPECT_EQ(smpc_job_result(j, 2), 24);
    EXPECT_EQ(smpc_job_result(j, 3), 9);
  }
}

// Shamir 3-of-4 (quorum 3): a party that never answers is dropped at the
// deadline, and the result is checked (verified).
TEST(BridgeJob, TimeoutGoesOnWithoutASilentParty) {
  Network net;
  net.fed.n = 4;
  net.fed.threshold = 2;
  net.create({{1}, {2}, {3}, {4}});
  net.silent[3] = true;
  net.start();
  net.deliver();
  ASSERT_LT(net.failed_at, 0) << net.failure.message;
  SmpcJob* j = net.jobs[0];
  ASSERT_FALSE(smpc_job_finished(j));
  EXPECT_EQ(smpc_job_missing_mask(j), 1u << 3);
  char buf[256];
  smpc_job_describe_missing(j, buf, sizeof buf);
  EXPECT_NE(std::string(buf).find("party delta"), std::string::npos) << buf;
  bool went_on = false;
  SmpcStatus st;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(smpc_job_timeout(net.jobs[i], &st, &went_on)) << st.message;
    EXPECT_TRUE(went_on);
  }
  // Unreachable: a tolerant job goes on, sending that party nothing more.
  ASSERT_TRUE(smpc_job_unreachable(net.jobs[0], 3, "connection refused", &went_on, &st));
  EXPECT_TRUE(went_on);
  for (int round = 0; round < 8 && !smpc_job_finished(net.jobs[0]); ++round) {
    net.deliver();
    for (int i = 0; i < 3; ++i) {
      if (!smpc_job_finished(net.jobs[i])) smpc_job_timeout(net.jobs[i], &st, &went_on);
    }
  }
  ASSERT_LT(net.failed_at, 0) << net.failure.message;
  for (int i = 0; i < 3; ++i) {
    SmpcJob* k = net.jobs[i];
    ASSERT_TRUE(smpc_job_finished(k)) << i;
    ASSERT_TRUE(smpc_job_has_result(k));
    EXPECT_EQ(smpc_job_result(k, 0), 6);  // without party delta's 4
    EXPECT_EQ(smpc_job_covered(k), 0x7u);
    EXPECT_TRUE(smpc_job_verified(k));
    smpc_job_dropouts(k, buf, sizeof buf);
    EXPECT_NE(std::string(buf).find("party delta: did not answer in round 1 (share)"),
              std::string::npos)
        << buf;
  }
  // A short buffer still gets a NUL-terminated prefix.
  char small[6];
  smpc_job_dropouts(net.jobs[0], small, sizeof small);
  EXPECT_STREQ(small, "party");
}

TEST(BridgeJob, WithoutToleranceTimeoutAndUnreachableStop) {
  Network net;
  net.create({{1}, {2}, {3}});
  net.silent[2] = true;
  net.start();
  net.deliver();
  bool went_on = true;
  SmpcStatus st;
  EXPECT_TRUE(smpc_job_timeout(net.jobs[0], &st, &went_on));
  EXPECT_FALSE(went_on);
  went_on = true;
  EXPECT_TRUE(smpc_job_unreachable(net.jobs[0], 2, "gone", &went_on, &st));
  EXPECT_FALSE(went_on);
}

TEST(BridgeJob, DiscardedRunsAreReported) {
  Network net;
  net.create({{1}, {2}, {3}});
  // Party beta's earlier run aborted before alpha started.
  SmpcStatus st;
  ASSERT_TRUE(smpc_job_abort(net.jobs[1], "restarting", false, &st));
  int to;
  const std::uint8_t* data;
  std::size_t len;
  smpc_job_outbox_item(net.jobs[1], 0, &to, &data, &len);
  ASSERT_EQ(to, 0);
  const std::vector<std::uint8_t> abort(data, data + len);
  ASSERT_TRUE(smpc_job_discard_run(net.jobs[0], abort.data(), abort.size(), &st)) << st.message;
  char buf[256];
  smpc_job_dead_runs(net.jobs[0], buf, sizeof buf);
  EXPECT_STREQ(buf, "Party beta aborted the job before this party started it: restarting.");

  // Anything but an abort of this job is refused.
  const std::vector<std::uint8_t> share = test_message(Fed(), SMPC_MSG_SHARE, 1, 0);
  EXPECT_FALSE(smpc_job_discard_run(net.jobs[0], share.data(), share.size(), &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
  EXPECT_FALSE(smpc_job_discard_run(net.jobs[0], abort.data(), 4, &st));
  EXPECT_EQ(st.kind, SMPC_MALFORMED);
}

// A three-party sum of 1 + 2 + 3 with party `party` set to `fault`: the
// first failure (kind SMPC_OK when there was none) and party gamma's result.
SmpcStatus run_with_fault(int party, int fault, __int128* result) {
  Network net;
  net.create({{1}, {2}, {3}});
  smpc_job_set_fault(net.jobs[static_cast<std::size_t>(party)], fault);
  net.start();
  net.deliver();
  *result = smpc_job_result(net.jobs[2], 0);
  if (net.failed_at < 0) net.failure.kind = SMPC_OK;
  return net.failure;
}

TEST(BridgeJob, FaultsMakeAPartyMisbehave) {
  __int128 result = 0;
  SmpcStatus st = run_with_fault(1, SMPC_FAULT_WRONG_CONFIRM, &result);
  EXPECT_EQ(st.kind, SMPC_INCONSISTENT);
  EXPECT_NE(std::string(st.message).find("transcript digest mismatch"), std::string::npos)
      << st.message;
  st = run_with_fault(0, SMPC_FAULT_EQUIVOCATE_SHARE, &result);
  EXPECT_EQ(st.kind, SMPC_INCONSISTENT);
  EXPECT_NE(std::string(st.message).find("two different share messages"), std::string::npos)
      << st.message;
  // The glue's own faults, SMPC_FAULT_NONE and unknown numbers leave the
  // core honest.
  for (int fault :
       {static_cast<int>(SMPC_FAULT_NONE), static_cast<int>(SMPC_FAULT_PAUSE_BEFORE_ROSTER),
        static_cast<int>(SMPC_FAULT_PAUSE_BEFORE_CONFIRM), -1, 10, 1000}) {
    st = run_with_fault(0, fault, &result);
    EXPECT_EQ(st.kind, SMPC_OK) << fault << ": " << st.message;
    EXPECT_EQ(result, 6) << fault;
  }
}

TEST(BridgeJob, OutboxClearEmptiesTheOutbox) {
  Network net;
  net.create({{1}, {2}, {3}});
  net.start();
  ASSERT_EQ(smpc_job_outbox_size(net.jobs[0]), 2);
  smpc_job_outbox_clear(net.jobs[0]);
  EXPECT_EQ(smpc_job_outbox_size(net.jobs[0]), 0);
  smpc_job_outbox_clear(net.jobs[0]);  // twice is harmless
  EXPECT_EQ(smpc_job_outbox_size(net.jobs[0]), 0);
}

// ---- Text shares and decimals ----------------------------------------------

TEST(BridgeShares, ShareAndReconstruct) {
  char** shares = nullptr;
  SmpcStatus st;
  ASSERT_TRUE(smpc_share_value(12345, 2, 3, 0, &shares, &st)) << st.message;
  ASSERT_NE(shares, nullptr);
  __int128 v = 0;
  int scale = -1;
  ASSERT_TRUE(smpc_reconstruct_value(shares, 3, &v, &scale, &st)) << st.message;
  EXPECT_EQ(v, 12345);
  EXPECT_EQ(scale, 2);
  // Additive shares need every one of them: a SharingError becomes
  // SMPC_INVALID_ARGUMENT.
  EXPECT_FALSE(smpc_reconstruct_value(shares, 2, &v, &scale, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  smpc_free_strings(shares, 3);

  ASSERT_TRUE(smpc_share_value(-7, 0, 4, 2, &shares, &st)) << st.message;
  ASSERT_TRUE(smpc_reconstruct_value(shares + 1, 2, &v, &scale, &st)) << st.message;
  EXPECT_EQ(v, -7);
  smpc_free_strings(shares, 4);
  smpc_free_strings(nullptr, 0);
}

TEST(BridgeShares, ErrorPaths) {
  char** shares = reinterpret_cast<char**>(&shares);  // not NULL before the call
  SmpcStatus st;
  EXPECT_FALSE(smpc_share_value(1, 0, 1, 0, &shares, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_EQ(shares, nullptr);
  EXPECT_FALSE(smpc_share_value(1, 0, 3, 4, &shares, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_FALSE(smpc_share_value(1, 0, 3, -1, &shares, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_FALSE(smpc_share_value(1, 0, 2000, 0, &shares, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);

  const char* junk[] = {"not a share", "nor this"};
  __int128 v;
  int scale;
  EXPECT_FALSE(smpc_reconstruct_value(junk, 2, &v, &scale, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
  EXPECT_NE(std::string(st.message).find("malformed share"), std::string::npos) << st.message;
  EXPECT_FALSE(smpc_reconstruct_value(junk, 0, &v, &scale, &st));
  EXPECT_EQ(st.kind, SMPC_INVALID_ARGUMENT);
}

TEST(BridgeDecimal, ParseAndFormat) {
  __int128 v = 0;
  EXPECT_TRUE(smpc_parse_scaled("12.5", 2, &v));
  EXPECT_EQ(v, 1250);
  EXPECT_TRUE(smpc_parse_scaled("-0.01", 2, &v));
  EXPECT_EQ(v, -1);
  EXPECT_FALSE(smpc_parse_scaled("abc", 2, &v));
  EXPECT_FALSE(smpc_parse_scaled("1.234", 2, &v));  // more digits than the scale
  EXPECT_FALSE(smpc_parse_scaled("1e400", 0, &v));
  EXPECT_FALSE(smpc_parse_scaled("999999999999999999999999999999999999999999", 0, &v));

  char buf[64];
  smpc_format_scaled(1250, 2, buf, sizeof buf);
  EXPECT_STREQ(buf, "12.50");
  smpc_format_scaled(-1, 2, buf, sizeof buf);
  EXPECT_STREQ(buf, "-0.01");
  smpc_format_scaled(42, 0, buf, sizeof buf);
  EXPECT_STREQ(buf, "42");
  char small[4];
  smpc_format_scaled(123456, 0, small, sizeof small);
  EXPECT_STREQ(small, "123");
}

}  // namespace
