// libFuzzer target: the wire decoder (protocol/message.hpp) and the protocol
// state machine that consumes what it decodes (protocol/aggregation_job.hpp).
//
// Properties checked for every input:
//   1. decode() returns a message or throws ProtocolError. Any other
//      exception escapes and libFuzzer reports it as a crash.
//   2. A decoded message re-encodes to exactly the input bytes (decode is
//      strict, so the encoding is canonical) and decodes to an equal message.
//   3. Party 0 of a 3-party federation named like the message, running the
//      message's job id, descriptor and width, accepts the message or throws
//      ProtocolError. So do variants of the message whose header is made
//      acceptable (receiver 0, sender 1 or 2, this federation's fingerprint
//      and the job's policy fingerprint), fed as shares, counts, partials and
//      confirms in an order chosen by the message's receiver field, so that
//      the fuzzer reaches every round, early (buffered) messages, duplicates
//      and equivocation.
//   4. Whatever the job sends in return is addressed to a partner, comes from
//      party 0, has the width of its round and survives the round trip of 2.
//   5. peek_type() returns a type or throws ProtocolError, and for every
//      message decode() accepts it returns that message's type.
//
// Receiver bits used to choose the schedule of variants (3):
//   bit 0      keep the message's own fingerprint (a federation mismatch,
//              which parses the message's definition text)
//   bits 1..3  feed this many variants (mod 8) before calling start()
//   bits 4..6  rotate the list of variants by this many (mod 7)
//   bit 7      reverse the list
//   bit 8      give shares, counts and partials one value too many
//   bit 9      a job with a minimum row count (a count round; the last
//              element is the row count)
//   bit 10     a Shamir 2-of-3 federation (a roster round, dropouts)
//   bit 11     let the deadline pass (timeout()) after every variant
//   bit 13     (without bit 10) the hybrid model: party 0 and party 1
//              compute, party 1 neither supplies an input nor learns the
//              result; a key round, salts and MAC tags
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "fuzz_check.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"
#include "protocol/protocol_error.hpp"
#include "test_random.hpp"

namespace smpc::fuzz {
namespace {

using crypto::Fp;
using protocol::AggregationJob;
using protocol::FederationDef;
using protocol::JobParams;
using protocol::Message;
using protocol::MessageType;
using protocol::Outgoing;
using protocol::ProtocolError;

constexpr std::uint16_t kSelf = 0;
constexpr std::size_t kParties = 3;
// Width of the job when the message carries no values (avg: sum and count).
constexpr std::size_t kDefaultWidth = 2;
const char* const kDefaultDescriptor = "avg(integer)";

// encode() then decode() must give back an equal message.
void check_round_trip(const Message& m) {
  const std::vector<std::uint8_t> bytes = protocol::encode(m);
  check(protocol::decode(bytes.data(), bytes.size()) == m, "decode(encode(m)) != m");
}

// The federation party 0 belongs to: the message's name when it is a valid
// name, parties a, b, c. Seeds use the same parties, so their fingerprints
// match and they are accepted as they are.
FederationDef federation_for(const Message& m) {
  FederationDef def;
  def.name = m.federation;
  def.parties = {"a", "b", "c"};
  def.scale = 6;
  def.threshold = (m.receiver >> 10) & 1 ? 2 : 0;
  if (def.threshold == 0 && ((m.receiver >> 13) & 1)) {
    def.compute = {0, 1};
    def.inputs = {0, 2};
    def.outputs = {0, 2};
  }
  try {
    protocol::validate(def);
  } catch (const ProtocolError&) {
    def.name = "fuzz";
  }
  return def;
}

// A job for party 0 that the message belongs to as far as its fields allow.
// All parameters are valid by construction: the constructor must not throw.
struct Party0 {
  Party0(const Message& m, const FederationDef& def)
      : width(m.values.empty() ? kDefaultWidth : m.values.size()),
        gated((m.receiver >> 9) & 1),
        hybrid(!def.compute.empty()),
        rng(0x5eed),
        job(params(m, def, width, gated), input(width), rng) {}

  static JobParams params(const Message& m, const FederationDef& def, std::size_t width,
                          bool gated) {
    JobParams p;
    p.federation = def;
    p.self = kSelf;
    p.job_id = m.job_id;
    p.descriptor = m.descriptor.empty() ? kDefaultDescriptor : m.descriptor;
    if (gated) {
      p.policy.min_rows = 1;
      p.count_index = width - 1;
    }
    if (!def.compute.empty()) p.policy.min_parties = 2;  // two input parties
    return p;
  }
  // Number of values a message of `type` carries in this job.
  // Hybrid: a salt and one MAC tag per group (the count, the rest) follow
  // the values in shares and partials.
  std::size_t width_of(MessageType type) const {
    const std::size_t extra = hybrid ? 1 + (gated ? 2 : 1) : 0;
    if (type == MessageType::kShare) return width + extra;
    if (type == MessageType::kCount || type == MessageType::kKey) return 1;
    return width - (gated ? 1 : 0) + extra;
  }
  static std::vector<Fp> input(std::size_t width) {
    std::vector<Fp> v;
    for (std::size_t k = 0; k < width; ++k) v.push_back(Fp::from_signed(static_cast<int>(k) + 1));
    return v;
  }

  std::size_t width;
  bool gated;
  bool hybrid;
  test::DeterministicRandom rng;  // declared before job, which keeps a reference
  AggregationJob job;
};

// Property 4 for the messages a job returned.
void check_outgoing(const Party0& p, const std::vector<Outgoing>& out) {
  for (const Outgoing& o : out) {
    check(o.to != kSelf && o.to < kParties, "job sends to itself or to an unknown party");
    check(o.message.receiver == o.to, "outgoing receiver differs from its destination");
    check(o.message.sender == kSelf, "outgoing sender is not this party");
    check(o.message.job_id == p.job.params().job_id, "outgoing job id differs");
    if (o.message.type == MessageType::kShare || o.message.type == MessageType::kCount ||
        o.message.type == MessageType::kPartial) {
      // A share sent as a seed carries its width instead of values.
      check((o.message.seeded != 0 ? o.message.seeded : o.message.values.size()) ==
                    p.width_of(o.message.type) &&
                (o.message.seeded == 0 || o.message.values.empty()),
            "outgoing values have the wrong width");
    }
    check_round_trip(o.message);
  }
}

// Feeds one message; ProtocolError is an expected outcome, anything else
// escapes. Checks the job's answers and that it stays queryable.
void feed(Party0& p, const Message& m) {
  try {
    check_outgoing(p, p.job.receive(m));
  } catch (const ProtocolError&) {
  }
  (void)p.job.describe_missing();
  if (p.job.finished() && !p.job.refusal()) {
    check(p.job.result().size() == p.width, "result has the wrong width");
  }
}

void start(Party0& p) {
  try {
    check_outgoing(p, p.job.start());
  } catch (const ProtocolError&) {
  }
}

// Property 3 with the message as it is, on a started job.
void feed_as_is(const Message& m, const FederationDef& def) {
  Party0 p(m, def);
  start(p);
  feed(p, m);
  // Abort messages cut long reasons at a UTF-8 boundary; the result must
  // still encode.
  check_round_trip(p.job.abort_message(1, m.definition + m.reason + m.job_id));
}

// Property 3 with variants of the message that pass the header checks.
void feed_variants(const Message& m, const FederationDef& def) {
  Party0 p(m, def);
  const std::uint16_t schedule = m.receiver;
  const bool keep_fingerprint = schedule & 1;
  const std::size_t start_at = (schedule >> 1) & 7;
  const std::size_t rotate_by = ((schedule >> 4) & 7) % 7;
  const bool reverse = (schedule >> 7) & 1;
  const bool extra_value = (schedule >> 8) & 1;

  Message base = m;
  base.federation = def.name;
  base.receiver = kSelf;
  base.descriptor = p.job.params().descriptor;
  if (!keep_fingerprint) {
    base.fingerprint = protocol::fingerprint(def);
    base.policy = protocol::fingerprint(p.job.params().policy);
  }

  std::vector<Message> variants;
  for (MessageType type :
       {MessageType::kShare, MessageType::kRoster, MessageType::kAgree, MessageType::kCount,
        MessageType::kPartial, MessageType::kConfirm, MessageType::kVouch, MessageType::kKey}) {
    for (std::uint16_t sender = 1; sender < kParties; ++sender) {
      Message v = base;
      v.type = type;
      v.sender = sender;
      v.values.resize(p.width_of(type) + (extra_value ? 1 : 0));
      variants.push_back(v);
    }
  }
  // The message's own type (possibly an abort) from one of the partners.
  Message own = base;
  own.values.resize(p.width + (extra_value ? 1 : 0));
  own.sender = static_cast<std::uint16_t>(1 + (m.sender & 1));
  variants.push_back(own);

  std::rotate(variants.begin(), variants.begin() + rotate_by, variants.end());
  if (reverse) std::reverse(variants.begin(), variants.end());
  const bool deadlines = (schedule >> 11) & 1;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    if (i == start_at) start(p);
    feed(p, variants[i]);
    if (deadlines) {
      std::vector<Outgoing> out;
      try {
        (void)p.job.timeout(out);
        check_outgoing(p, out);
      } catch (const ProtocolError&) {
      }
    }
  }
  if (start_at >= variants.size()) start(p);
}

}  // namespace
}  // namespace smpc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smpc;
  std::optional<protocol::MessageType> peeked;
  try {
    peeked = protocol::peek_type(data, size);
  } catch (const protocol::ProtocolError&) {
    // property 5: a clean rejection (decode() must reject it too)
  }
  protocol::Message m;
  try {
    m = protocol::decode(data, size);
  } catch (const protocol::ProtocolError&) {
    return 0;  // property 1: a clean rejection
  }
  fuzz::check(peeked.has_value() && *peeked == m.type, "peek_type(input) != decode(input).type");

  // Property 2.
  const std::vector<std::uint8_t> bytes = protocol::encode(m);
  fuzz::check(bytes.size() == size && std::equal(bytes.begin(), bytes.end(), data),
              "encode(decode(input)) != input");
  fuzz::check_round_trip(m);

  // Properties 3 and 4.
  const protocol::FederationDef def = fuzz::federation_for(m);
  fuzz::feed_as_is(m, def);
  fuzz::feed_variants(m, def);
  return 0;
}
