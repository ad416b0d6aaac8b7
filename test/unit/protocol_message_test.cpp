// Wire format of protocol messages: round trips, and a strict decoder that
// rejects every truncation, bad length, out-of-field element and trailing
// byte with kMalformed.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {
namespace {

using crypto::Fp;
using Bytes = std::vector<std::uint8_t>;

Message base(MessageType type) {
  Message m;
  m.type = type;
  m.federation = "acme";
  m.job_id = "2024-06/payroll";
  m.sender = 2;
  m.receiver = 1;
  for (std::size_t i = 0; i < m.nonce.size(); ++i) m.nonce[i] = static_cast<std::uint8_t>(i + 1);
  for (std::size_t i = 0; i < m.fingerprint.size(); ++i) {
    m.fingerprint[i] = static_cast<std::uint8_t>(0xA0 + i);
    m.policy[i] = static_cast<std::uint8_t>(0x30 + i);
  }
  m.descriptor = "avg(integer)";
  switch (type) {
    case MessageType::kShare:
      m.definition = "smpc-federation-v1\nname=acme\nparties=a,b,c\nscale=6\n";
      m.policy_text = "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=none\n";
      m.values = {Fp::from_signed(-5), Fp::from_canonical(Fp::kModulus - 1)};
      for (std::size_t i = 0; i < m.digest.size(); ++i)
        m.digest[i] = static_cast<std::uint8_t>(7 * i);
      break;
    case MessageType::kKey:
      m.values = {Fp::from_canonical(Fp::kModulus - 2)};
      break;
    case MessageType::kRoster:
      m.included = 0x8000000000000005ULL;
      break;
    case MessageType::kAgree:
      m.included = 0x5;
      break;
    case MessageType::kVouch:
      for (std::size_t i = 0; i < m.digest.size(); ++i)
        m.digest[i] = static_cast<std::uint8_t>(3 * i);
      break;
    case MessageType::kCount:
      m.included = 0x7;
      m.values = {Fp::from_signed(42)};
      break;
    case MessageType::kPartial:
      m.included = 0x6;
      for (std::size_t i = 0; i < m.digest.size(); ++i)
        m.digest[i] = static_cast<std::uint8_t>(5 * i);
      m.values = {Fp::from_signed(123456789), Fp::from_signed(0), Fp::from_signed(-1)};
      break;
    case MessageType::kConfirm:
      for (std::size_t i = 0; i < m.digest.size(); ++i) m.digest[i] = static_cast<std::uint8_t>(i);
      break;
    case MessageType::kAbort:
      m.reason = "statement timeout";
      break;
    case MessageType::kBlinded:
      m.descriptor = "intersect_count(text)";
      m.origin = 2;
      m.hops = 3;
      m.blinded.assign(3 * kSetElementBytes, 0);
      for (std::size_t i = 0; i < m.blinded.size(); ++i)
        m.blinded[i] = static_cast<std::uint8_t>(11 * i);
      break;
    case MessageType::kSealedSum:
      m.descriptor = "intersect_sum(text)";
      m.sealed.assign(kSealedBytes, 0);
      for (std::size_t i = 0; i < m.sealed.size(); ++i) m.sealed[i] = static_cast<std::uint8_t>(i);
      break;
    case MessageType::kRequest:
      m.descriptor = "avg";
      m.dataset = "expenditure";
      m.column = "amount";
      m.stage = RequestStage::kLaunch;
      break;
  }
  return m;
}

const MessageType kAllTypes[] = {
    MessageType::kShare,   MessageType::kRoster,  MessageType::kAgree,   MessageType::kCount,
    MessageType::kPartial, MessageType::kConfirm, MessageType::kVouch,   MessageType::kAbort,
    MessageType::kRequest, MessageType::kKey,     MessageType::kBlinded, MessageType::kSealedSum};

// The error decoding b[0..len) raises; checking the values only (as the
// delivery endpoint does) must raise the same.
ErrorKind decode_error(const Bytes& b, std::size_t len, std::string* what = nullptr) {
  std::string checked;
  try {
    decode(b.data(), len, Values::kCheck);
    ADD_FAILURE() << "decode (values checked only) accepted an invalid message of " << len
                  << " bytes";
  } catch (const ProtocolError& e) {
    checked = e.what();
  }
  try {
    decode(b.data(), len);
  } catch (const ProtocolError& e) {
    if (what != nullptr) *what = e.what();
    EXPECT_EQ(checked, e.what());
    return e.kind();
  }
  ADD_FAILURE() << "decode accepted an invalid message of " << len << " bytes";
  return ErrorKind::kInvalidArgument;
}
ErrorKind decode_error(const Bytes& b, std::string* what = nullptr) {
  return decode_error(b, b.size(), what);
}

// Offsets of the length fields of an encoded message built by base().
struct Layout {
  std::size_t federation_len = 6;  // u8
  std::size_t job_len;             // u16
  std::size_t descriptor_len;      // u8
  std::size_t body;                // first byte after the descriptor
};

Layout layout_of(const Message& m) {
  Layout l;
  l.job_len = 7 + m.federation.size();
  l.descriptor_len = l.job_len + 2 + m.job_id.size() + 2 + 2 + 16 + 32 + 32;
  l.body = l.descriptor_len + 1 + m.descriptor.size();
  return l;
}

void put_u16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

TEST(ProtocolMessage, RoundTripEachType) {
  for (MessageType t : kAllTypes) {
    Message m = base(t);
    Bytes b = encode(m);
    EXPECT_EQ(decode(b.data(), b.size()), m) << type_name(t);
  }
}

TEST(ProtocolMessage, CheckingValuesKeepsEverythingElse) {
  for (MessageType t : kAllTypes) {
    Message m = base(t);
    Bytes b = encode(m);
    Message checked = decode(b.data(), b.size(), Values::kCheck);
    if (t == MessageType::kKey) {
      // One value: kept, checked or not.
      EXPECT_EQ(checked, m);
      continue;
    }
    EXPECT_TRUE(checked.values.empty()) << type_name(t);
    m.values.clear();
    // A set job's elements and sealed values are its values too.
    m.blinded.clear();
    m.value_key.clear();
    m.sealed.clear();
    EXPECT_EQ(checked, m) << type_name(t);
  }
}

TEST(ProtocolMessage, EncodingIsExact) {
  Message m = base(MessageType::kConfirm);
  Bytes b = encode(m);
  ASSERT_EQ(b.size(), 4 + 1 + 1 + 1 + 4 + 2 + 15 + 2 + 2 + 16 + 32 + 32 + 1 + 12 + 32u);
  EXPECT_EQ(std::memcmp(b.data(), "SMPC", 4), 0);
  EXPECT_EQ(b[4], 4);    // version
  EXPECT_EQ(b[5], 3);    // type
  EXPECT_EQ(b[6], 4);    // federation length
  EXPECT_EQ(b[11], 15);  // job id length, little-endian
  EXPECT_EQ(b[12], 0);
  EXPECT_EQ(b[28], 2);  // sender
  EXPECT_EQ(b[30], 1);  // receiver
}

TEST(ProtocolMessage, RoundTripLimits) {
  Message m = base(MessageType::kShare);
  m.federation = std::string(kMaxNameBytes, 'f');
  m.job_id = std::string(kMaxJobIdBytes, 'j');
  m.descriptor = std::string(kMaxDescriptorBytes, 'd');
  m.definition = std::string(kMaxDefinitionBytes, 'x');
  m.policy_text = std::string(kMaxPolicyBytes, 'y');
  m.sender = 0xFFFF;
  m.receiver = 0xFFFE;
  m.values.assign(kMaxValues, Fp::from_canonical(Fp::kModulus - 1));
  Bytes b = encode(m);
  EXPECT_LE(b.size(), kMaxMessageBytes);
  EXPECT_EQ(decode(b.data(), b.size()), m);

  Message a = base(MessageType::kAbort);
  a.reason = std::string(kMaxReasonBytes, 'r');
  a.descriptor.clear();
  b = encode(a);
  EXPECT_EQ(decode(b.data(), b.size()), a);
  // Every combination of the abort's flags (withdrawn: bit 2) comes back.
  for (int flags = 0; flags < 8; ++flags) {
    a.refused = (flags & 1) != 0;
    a.fatal = (flags & 2) != 0;
    a.withdrawn = (flags & 4) != 0;
    b = encode(a);
    EXPECT_EQ(decode(b.data(), b.size()), a) << flags;
  }
}

TEST(ProtocolMessage, EncodeRejectsOversizeFields) {
  auto expect_invalid = [](const Message& m) {
    try {
      encode(m);
      ADD_FAILURE() << "encode accepted an invalid message";
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    }
  };
  Message m = base(MessageType::kShare);
  m.federation = "";
  expect_invalid(m);
  m = base(MessageType::kShare);
  m.federation = std::string(kMaxNameBytes + 1, 'f');
  expect_invalid(m);
  m = base(MessageType::kShare);
  m.job_id = "";
  expect_invalid(m);
  m.job_id = std::string(kMaxJobIdBytes + 1, 'j');
  expect_invalid(m);
  m = base(MessageType::kShare);
  m.descriptor = std::string(kMaxDescriptorBytes + 1, 'd');
  expect_invalid(m);
  m = base(MessageType::kShare);
  m.definition = std::string(kMaxDefinitionBytes + 1, 'x');
  expect_invalid(m);
  m = base(MessageType::kShare);
  m.policy_text = std::string(kMaxPolicyBytes + 1, 'y');
  expect_invalid(m);
  m = base(MessageType::kCount);
  m.values.clear();
  expect_invalid(m);
  m = base(MessageType::kPartial);
  m.values.clear();
  expect_invalid(m);
  m.values.assign(kMaxValues + 1, Fp());
  expect_invalid(m);
  m = base(MessageType::kAbort);
  m.reason = std::string(kMaxReasonBytes + 1, 'r');
  expect_invalid(m);
}

TEST(ProtocolMessage, EveryTruncationFails) {
  for (MessageType t : kAllTypes) {
    Bytes b = encode(base(t));
    for (std::size_t len = 0; len < b.size(); ++len) {
      EXPECT_EQ(decode_error(b, len), ErrorKind::kMalformed) << type_name(t) << " " << len;
    }
  }
}

// A share sent as a seed: base(kShare) with 3 values standing for a seed.
Message seeded_share() {
  Message m = base(MessageType::kShare);
  m.values.clear();
  m.seeded = 3;
  for (std::size_t i = 0; i < m.seed.size(); ++i) m.seed[i] = static_cast<std::uint8_t>(0x50 + i);
  return m;
}

TEST(ProtocolMessage, SeededShareRoundTripsAndIsStrict) {
  const Message m = seeded_share();
  const Bytes b = encode(m);
  EXPECT_EQ(decode(b.data(), b.size()), m);
  EXPECT_EQ(decode(b.data(), b.size(), Values::kCheck), m);
  EXPECT_TRUE(decode(b.data(), b.size()).values.empty());  // expanded by the job, not here
  // Another seed is another message.
  Message other = m;
  other.seed[31] ^= 1;
  EXPECT_FALSE(other == m);
  for (std::size_t len = 0; len < b.size(); ++len) {
    EXPECT_EQ(decode_error(b, len), ErrorKind::kMalformed) << len;
  }
  const std::size_t form_at = b.size() - 32 - 4 - 1;
  for (std::uint8_t form : {std::uint8_t{2}, std::uint8_t{0xFF}}) {
    Bytes c = b;
    c[form_at] = form;
    std::string what;
    EXPECT_EQ(decode_error(c, &what), ErrorKind::kMalformed);
    EXPECT_EQ(what, "message has an unknown share form");
  }
  for (std::uint32_t v :
       {std::uint32_t{0}, std::uint32_t(kMaxValues + 1), std::uint32_t{0xFFFFFFFF}}) {
    Bytes c = b;
    put_u32(c, form_at + 1, v);
    std::string what;
    EXPECT_EQ(decode_error(c, &what), ErrorKind::kMalformed) << v;
    EXPECT_EQ(what, "message has an invalid value count");
  }
  Bytes c = b;
  c.push_back(0);
  EXPECT_EQ(decode_error(c), ErrorKind::kMalformed);
  // Encoding refuses a seeded share that also has values, or too many.
  Message bad = m;
  bad.values = {Fp()};
  EXPECT_THROW(encode(bad), ProtocolError);
  bad = m;
  bad.seeded = static_cast<std::uint32_t>(kMaxValues + 1);
  EXPECT_THROW(encode(bad), ProtocolError);
}

TEST(ProtocolMessage, TruncationNamesTheField) {
  Message m = base(MessageType::kPartial);
  Bytes b = encode(m);
  Layout l = layout_of(m);
  std::string what;
  decode_error(b, l.job_len + 2 + 3, &what);
  EXPECT_EQ(what, "message truncated in job id");
  decode_error(b, 2, &what);
  EXPECT_EQ(what, "message truncated in magic");
  decode_error(b, b.size() - 1, &what);
  EXPECT_EQ(what, "message truncated in values");
}

TEST(ProtocolMessage, TrailingByteFails) {
  for (MessageType t : kAllTypes) {
    Bytes b = encode(base(t));
    b.push_back(0);
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed) << type_name(t);
    EXPECT_EQ(what, "message has trailing bytes");
  }
}

TEST(ProtocolMessage, CorruptedHeaderFails) {
  Bytes good = encode(base(MessageType::kPartial));
  Bytes b = good;
  b[0] = 'X';
  EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
  b = good;
  b[4] = 1;  // version 1, before release policies
  EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
  b[4] = 3;  // smpc 0.2.0
  EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
  b[4] = 5;
  EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
  for (std::uint8_t type : {0, 13, 0xFF}) {
    b = good;
    b[5] = type;
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed);
    EXPECT_EQ(what, "message has an unknown type");
  }
}

// A message of another release's wire format is refused with an error that
// names both versions, whatever the message holds after the version byte.
TEST(ProtocolMessage, OtherWireVersionNamesBoth) {
  Bytes good = encode(base(MessageType::kShare));
  const int ours = good[4];
  EXPECT_EQ(ours, 4);
  for (int theirs : {2, 3, 5, 0, 255}) {
    Bytes b = good;
    b[4] = static_cast<std::uint8_t>(theirs);
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed) << theirs;
    EXPECT_EQ(what, "message is in wire format version " + std::to_string(theirs) +
                        ", this party speaks version " + std::to_string(ours) +
                        " (every party must run an smpc release with the same wire format)");
    // Only the header is needed to tell: the rest may be of any format.
    b.resize(5);
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed) << theirs;
    EXPECT_NE(what.find("wire format version " + std::to_string(theirs)), std::string::npos);
  }
}

// Every length field, set to a few wrong values, makes decode fail.
TEST(ProtocolMessage, CorruptedLengthFieldsFail) {
  for (MessageType t : kAllTypes) {
    const Message m = base(t);
    const Bytes good = encode(m);
    const Layout l = layout_of(m);

    for (std::uint8_t v :
         {std::uint8_t{0}, std::uint8_t(m.federation.size() - 1),
          std::uint8_t(m.federation.size() + 1), std::uint8_t{64}, std::uint8_t{0xFF}}) {
      Bytes b = good;
      b[l.federation_len] = v;
      EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "federation length " << int(v);
    }
    for (std::uint16_t v :
         {std::uint16_t{0}, std::uint16_t(m.job_id.size() - 1), std::uint16_t(m.job_id.size() + 1),
          std::uint16_t(kMaxJobIdBytes + 1), std::uint16_t{0xFFFF}}) {
      Bytes b = good;
      put_u16(b, l.job_len, v);
      EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "job id length " << v;
    }
    for (std::uint8_t v : {std::uint8_t(m.descriptor.size() - 1),
                           std::uint8_t(m.descriptor.size() + 1), std::uint8_t{0xFF}}) {
      Bytes b = good;
      b[l.descriptor_len] = v;
      EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "descriptor length " << int(v);
    }

    std::size_t count_at = 0;
    std::size_t count = 0;
    if (t == MessageType::kShare) {
      for (std::uint16_t v :
           {std::uint16_t(m.definition.size() - 1), std::uint16_t(m.definition.size() + 1),
            std::uint16_t(kMaxDefinitionBytes + 1), std::uint16_t{0xFFFF}}) {
        Bytes b = good;
        put_u16(b, l.body, v);
        EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "definition length " << v;
      }
      const std::size_t policy_at = l.body + 2 + m.definition.size();
      for (std::uint16_t v :
           {std::uint16_t(m.policy_text.size() - 1), std::uint16_t(m.policy_text.size() + 1),
            std::uint16_t(kMaxPolicyBytes + 1), std::uint16_t{0xFFFF}}) {
        Bytes b = good;
        put_u16(b, policy_at, v);
        EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "policy length " << v;
      }
      count_at = policy_at + 2 + m.policy_text.size() + 32 + 1;  // after key digest and form
      count = m.values.size();
    } else if (t == MessageType::kCount) {
      count_at = l.body + 8;
      count = m.values.size();
    } else if (t == MessageType::kPartial) {
      count_at = l.body + 8 + 32;  // after the key digest
      count = m.values.size();
    } else if (t == MessageType::kKey) {
      count_at = l.body;
      count = 1;
    } else if (t == MessageType::kAbort) {
      for (std::uint8_t flags : {std::uint8_t{8}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
        Bytes b = good;
        b[l.body] = flags;
        EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "abort flags " << int{flags};
      }
      for (std::uint16_t v :
           {std::uint16_t(m.reason.size() - 1), std::uint16_t(m.reason.size() + 1),
            std::uint16_t(kMaxReasonBytes + 1), std::uint16_t{0xFFFF}}) {
        Bytes b = good;
        put_u16(b, l.body + 1, v);
        EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "reason length " << v;
      }
    }
    if (count_at != 0) {
      for (std::uint32_t v : {std::uint32_t{0}, std::uint32_t(count - 1), std::uint32_t(count + 1),
                              std::uint32_t(kMaxValues + 1), std::uint32_t{0xFFFFFFFF}}) {
        Bytes b = good;
        put_u32(b, count_at, v);
        EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << "value count " << v;
      }
    }
  }
}

TEST(ProtocolMessage, ElementOutsideFieldFails) {
  Message m = base(MessageType::kPartial);
  const Bytes good = encode(m);
  const std::size_t values_at = layout_of(m).body + 8 + 32 + 4;
  // p = 2^127 - 1, little-endian: fifteen 0xFF then 0x7F.
  Bytes p(16, 0xFF);
  p[15] = 0x7F;
  for (std::size_t k = 0; k < m.values.size(); ++k) {
    Bytes b = good;
    std::memcpy(b.data() + values_at + 16 * k, p.data(), 16);
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed);
    EXPECT_EQ(what, "message holds a value outside the field");
    b[values_at + 16 * k + 15] = 0xFF;  // 2^128 - 1
    EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
  }
  // p - 1 is the largest element and decodes.
  Bytes b = good;
  p[0] = 0xFE;
  std::memcpy(b.data() + values_at, p.data(), 16);
  EXPECT_EQ(decode(b.data(), b.size()).values[0], Fp::from_canonical(Fp::kModulus - 1));
}

TEST(ProtocolMessage, EmptyFederationOrJobIdFails) {
  Message m = base(MessageType::kConfirm);
  Bytes b = encode(m);
  // Remove the federation name bytes and set its length to 0.
  Bytes no_federation = b;
  no_federation[6] = 0;
  no_federation.erase(no_federation.begin() + 7, no_federation.begin() + 7 + 4);
  EXPECT_EQ(decode_error(no_federation), ErrorKind::kMalformed);

  Layout l = layout_of(m);
  Bytes no_job = b;
  put_u16(no_job, l.job_len, 0);
  no_job.erase(no_job.begin() + l.job_len + 2, no_job.begin() + l.job_len + 2 + m.job_id.size());
  std::string what;
  EXPECT_EQ(decode_error(no_job, &what), ErrorKind::kMalformed);
  EXPECT_EQ(what, "message has an invalid length for job id");
}

TEST(ProtocolMessage, TooLongInputFails) {
  Bytes b(kMaxMessageBytes + 1, 0);
  EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
}

TEST(ProtocolMessage, ErrorsNeverEchoContent) {
  Message m = base(MessageType::kShare);
  m.job_id = "secret-job-id";
  Bytes good = encode(m);
  for (std::size_t len = 0; len < good.size(); ++len) {
    std::string what;
    decode_error(good, len, &what);
    EXPECT_EQ(what.find("secret"), std::string::npos);
    EXPECT_EQ(what.find("acme"), std::string::npos);
  }
}

TEST(ProtocolMessage, EqualityComparesAllFields) {
  const Message a = base(MessageType::kShare);
  EXPECT_EQ(a, a);
  std::vector<Message> variants(20, a);
  variants[0].type = MessageType::kPartial;
  variants[1].federation += "x";
  variants[2].job_id += "x";
  variants[3].sender++;
  variants[4].receiver++;
  variants[5].nonce[3] ^= 1;
  variants[6].fingerprint[31] ^= 1;
  variants[7].descriptor += "x";
  variants[8].definition += "x";
  variants[9].values[1] += Fp::from_signed(1);
  variants[10].digest[0] ^= 1;
  variants[11].reason = "x";
  variants[12].policy[5] ^= 1;
  variants[13].policy_text += "x";
  variants[14].refused = true;
  variants[15].fatal = true;
  variants[16].included = 1;
  variants[17].dataset = "x";
  variants[18].column = "x";
  variants[19].stage = RequestStage::kWithdraw;
  for (std::size_t i = 0; i < variants.size(); ++i) EXPECT_FALSE(variants[i] == a) << i;
}

TEST(ProtocolMessage, AbortCarriesItsFlags) {
  for (bool refused : {false, true}) {
    for (bool fatal : {false, true}) {
      Message m = base(MessageType::kAbort);
      m.refused = refused;
      m.fatal = fatal;
      const Bytes wire = encode(m);
      const Message back = decode(wire.data(), wire.size());
      EXPECT_EQ(back.refused, refused);
      EXPECT_EQ(back.fatal, fatal);
      EXPECT_EQ(back, m);
    }
  }
}

TEST(ProtocolMessage, RequestStagesAndNames) {
  for (RequestStage stage : {RequestStage::kCheck, RequestStage::kLaunch, RequestStage::kWithdraw,
                             RequestStage::kFailed}) {
    Message m = base(MessageType::kRequest);
    m.stage = stage;
    const Bytes wire = encode(m);
    EXPECT_EQ(decode(wire.data(), wire.size()).stage, stage);
  }
  const Message m = base(MessageType::kRequest);
  const Bytes good = encode(m);
  // stage, flags, reason length (u16) end the message.
  const std::size_t stage_at = good.size() - 4;
  for (std::uint8_t stage : {0, 5, 0xFF}) {
    Bytes b = good;
    b[stage_at] = stage;
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed);
    EXPECT_EQ(what, "message has an invalid request stage");
  }
  // Only a failed request carries flags and a reason.
  {
    Bytes b = good;
    b[stage_at + 1] = 1;
    std::string what;
    EXPECT_EQ(decode_error(b, &what), ErrorKind::kMalformed);
    EXPECT_EQ(what, "message has invalid request flags");
    Message bad = m;
    bad.reason = "why";
    EXPECT_THROW(encode(bad), ProtocolError);
    bad = m;
    bad.refused = true;
    EXPECT_THROW(encode(bad), ProtocolError);
  }
  {
    Message failed = m;
    failed.stage = RequestStage::kFailed;
    failed.refused = true;
    failed.reason = "dataset \"expenditure\" is not published at party b";
    const Bytes wire = encode(failed);
    EXPECT_EQ(decode(wire.data(), wire.size()), failed);
    Bytes b = wire;
    b[wire.size() - failed.reason.size() - 3] = 2;  // flags: an unknown bit
    EXPECT_EQ(decode_error(b), ErrorKind::kMalformed);
    failed.reason.assign(kMaxReasonBytes + 1, 'r');
    EXPECT_THROW(encode(failed), ProtocolError);
  }
  // Dataset and column names: 1 to 63 bytes, on encode and decode.
  for (std::size_t len : {std::size_t{0}, std::size_t{64}}) {
    Message bad = m;
    bad.dataset.assign(len, 'd');
    EXPECT_THROW(encode(bad), ProtocolError);
    bad = m;
    bad.column.assign(len, 'c');
    EXPECT_THROW(encode(bad), ProtocolError);
  }
  const std::size_t dataset_len = layout_of(m).body;
  for (std::uint8_t v : {0, 64, 0xFF}) {
    Bytes b = good;
    b[dataset_len] = v;
    EXPECT_EQ(decode_error(b), ErrorKind::kMalformed) << int(v);
  }
}

TEST(ProtocolMessage, TypeNames) {
  EXPECT_STREQ(type_name(MessageType::kShare), "share");
  EXPECT_STREQ(type_name(MessageType::kCount), "count");
  EXPECT_STREQ(type_name(MessageType::kRoster), "roster");
  EXPECT_STREQ(type_name(MessageType::kAgree), "agree");
  EXPECT_STREQ(type_name(MessageType::kVouch), "vouch");
  EXPECT_STREQ(type_name(MessageType::kPartial), "partial");
  EXPECT_STREQ(type_name(MessageType::kConfirm), "confirm");
  EXPECT_STREQ(type_name(MessageType::kAbort), "abort");
  EXPECT_STREQ(type_name(MessageType::kRequest), "request");
  EXPECT_STREQ(type_name(MessageType::kBlinded), "blinded");
  EXPECT_STREQ(type_name(MessageType::kSealedSum), "sealed sum");
}

TEST(ProtocolMessage, BlindedSetsAreStrict) {
  Message m = base(MessageType::kBlinded);
  // An empty set travels (a party may hold no keys).
  m.blinded.clear();
  std::vector<std::uint8_t> empty = encode(m);
  EXPECT_EQ(decode(empty.data(), empty.size()), m);
  // No hops, a ragged element or a count beyond the limit do not.
  m.hops = 0;
  EXPECT_THROW(encode(m), ProtocolError);
  m = base(MessageType::kBlinded);
  m.blinded.push_back(1);
  EXPECT_THROW(encode(m), ProtocolError);
  m = base(MessageType::kBlinded);
  std::vector<std::uint8_t> bytes = encode(m);
  // The element count sits before the 3 elements of 32 and the values flag.
  const std::size_t at = bytes.size() - 1 - 3 * kSetElementBytes - 4;
  bytes[at + 3] = 0x7f;
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
  bytes = encode(m);
  bytes[at - 5] = 0;  // the hop count (before the group count)
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
  // Grouped: the group sizes travel and must add up to the elements.
  m.segments = {1, 0, 2};
  bytes = encode(m);
  EXPECT_EQ(decode(bytes.data(), bytes.size()), m);
  m.segments = {1, 1};
  EXPECT_THROW(encode(m), ProtocolError);
  m.segments = {1, 0, 2};
  bytes = encode(m);
  bytes[at + 4] = 2;  // the second group's size (0 -> 2): 5 in groups, 3 elements
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
}

TEST(ProtocolMessage, SealedValuesTravelWithTheirElements) {
  Message m = base(MessageType::kBlinded);
  m.value_key.assign(kValueKeyBytes, 9);
  m.sealed.assign(3 * kSealedBytes, 7);
  std::vector<std::uint8_t> bytes = encode(m);
  EXPECT_EQ(decode(bytes.data(), bytes.size()), m);
  // One sealed value per element, and a key with them; a flag of 0 or 1.
  m.sealed.resize(2 * kSealedBytes);
  EXPECT_THROW(encode(m), ProtocolError);
  m.sealed.assign(3 * kSealedBytes, 7);
  m.value_key.clear();
  EXPECT_THROW(encode(m), ProtocolError);
  m = base(MessageType::kBlinded);
  bytes = encode(m);
  bytes.back() = 2;
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
  bytes.back() = 1;  // values announced, none there
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
  // A sealed sum is one ciphertext per group (at least one).
  m = base(MessageType::kSealedSum);
  bytes = encode(m);
  EXPECT_EQ(decode(bytes.data(), bytes.size()), m);
  m.sealed.assign(4 * kSealedBytes, 9);
  bytes = encode(m);
  EXPECT_EQ(decode(bytes.data(), bytes.size()), m);
  bytes.pop_back();  // a group count the bytes do not fill
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
  m.sealed.pop_back();
  EXPECT_THROW(encode(m), ProtocolError);
  m.sealed.clear();
  EXPECT_THROW(encode(m), ProtocolError);
  m = base(MessageType::kSealedSum);
  bytes = encode(m);
  // The group count sits just before the ciphertext: 0 groups is refused.
  const std::size_t at = bytes.size() - kSealedBytes - 4;
  bytes[at] = bytes[at + 1] = bytes[at + 2] = bytes[at + 3] = 0;
  EXPECT_THROW(decode(bytes.data(), bytes.size()), ProtocolError);
}

// The largest set a party may send, 2^20 keys of an intersection sum with
// their sealed values and the most groups, fits in one message: the limit
// the delivery endpoint applies is at least kMaxMessageBytes.
TEST(ProtocolMessage, TheLargestValuedSetFits) {
  Message m = base(MessageType::kBlinded);
  m.job_id = std::string(kMaxJobIdBytes, 'j');
  m.descriptor = std::string(kMaxDescriptorBytes, 'd');
  m.segments.assign(kMaxSetSegments, kMaxSetElements / kMaxSetSegments);
  m.blinded.assign(kMaxSetElements * kSetElementBytes, 3);
  m.value_key.assign(kValueKeyBytes, 9);
  m.sealed.assign(kMaxSealedElements * kSealedBytes, 7);
  std::vector<std::uint8_t> bytes = encode(m);
  EXPECT_LE(bytes.size(), kMaxMessageBytes);
  EXPECT_GT(bytes.size(), std::size_t{160} << 20);
  EXPECT_EQ(decode(bytes.data(), bytes.size()), m);
  // One key more is refused, with its sealed value or without.
  m.segments.clear();
  m.blinded.resize(m.blinded.size() + kSetElementBytes, 3);
  m.sealed.resize(m.sealed.size() + kSealedBytes, 7);
  EXPECT_THROW(encode(m), ProtocolError);
}

}  // namespace
}  // namespace smpc::protocol
