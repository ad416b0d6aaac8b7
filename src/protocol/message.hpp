// Wire format of the messages parties deliver to one another (the bytea
// argument of smpc.deliver). Layout, all integers little-endian:
//
//   "SMPC"  magic (4) | version u8 (=4) | type u8
//   federation: u8 length + bytes (<= 63)
//   job_id:     u16 length + bytes (1..16384)
//   sender u16 | receiver u16 | nonce (16) | fingerprint (32) | policy (32)
//   descriptor: u8 length + bytes (<= 255)
//   body, by type:
//     kKey:     values (one element: the sender's part of the MAC key)
//     kShare:   definition u16 length + bytes, policy text u16 length +
//               bytes (<= 512), key digest (32; zero without MAC keys),
//               form u8, then by form: 0 values; 1 a seeded share: u32
//               count (1..kMaxValues) + seed (32), the count elements
//               crypto::expand_seed makes of the seed
//     kRoster:  included u64 (bit i: this compute party holds party i's share)
//     kAgree:   included u64 (the inputs this compute party will open over)
//     kCount:   included u64 | values (partial sums of the row-count elements)
//     kPartial: included u64 | key digest (32; zero without MAC keys) | values
//     kConfirm: digest (32)
//     kVouch:   digest (32) (the result digest every output sent)
//     kAbort:   flags u8 (bit 0 refused, bit 1 fatal, bit 2 withdrawn; others 0) |
//               reason u16 length + bytes (<= 1024)
//     kRequest: dataset u8 length + bytes (1..63) | column u8 length +
//               bytes (1..63) | stage u8 (1 check, 2 launch, 3 withdraw,
//               4 failed) | flags u8 (bit 0 refused; only when failed) |
//               reason u16 length + bytes (<= 1024; empty unless failed);
//               the descriptor names the job, e.g. "avg(integer)", and the
//               nonce identifies the initiator's call (echoed when failed)
//     kBlinded: origin u16 (the party whose keys the set holds) | hops u8
//               (how many parties have blinded it, 1..parties) | u32
//               segments (0: one set; else the number of groups, 1..
//               kMaxSetSegments) + that many u32 sizes, adding up to the
//               count | u32 count (0..kMaxSetElements) + count * 32 bytes
//               (ristretto255 encodings, each group's in a run of its own;
//               checked by the set job, not here) | u8 values (0: none;
//               1: a value key (96 bytes) and count * 128 bytes of sealed
//               values, count <= kMaxSealedElements)
//     kSealedSum: u32 groups (1..kMaxSetSegments) + groups * 128 bytes:
//               one sealed sum per group of the job (one when not grouped)
//   values: u32 count (1..kMaxValues) + count * 16 bytes, each < p
//
// decode() is strict: trailing bytes, short input, lengths out of range,
// unknown type/version or an element >= p are all kMalformed errors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/hash.hpp"
#include "crypto/prg.hpp"
#include "protocol/message_type.hpp"
#include "protocol/release_policy.hpp"

namespace smpc::protocol {

constexpr std::size_t kMaxJobIdBytes = 16384;
constexpr std::size_t kMaxDescriptorBytes = 255;
constexpr std::size_t kMaxDefinitionBytes = 8192;
constexpr std::size_t kMaxReasonBytes = 1024;
// Two values per key of a grouped job over 2^20 keys: 32 MB of elements.
constexpr std::size_t kMaxValues = 1 << 21;
// Elements of one blinded set: 2^20 keys are 32 MB, as large as the
// largest vector of values.
constexpr std::size_t kMaxSetElements = 1 << 20;
constexpr std::size_t kSetElementBytes = 32;
// Sealed values beside a blinded set (crypto/elgamal.hpp): a public key of
// 96 bytes, a ciphertext of 128 per element; as many elements as a set
// without values, so the largest valued set is 2^20 * 160 bytes (160 MiB).
constexpr std::size_t kValueKeyBytes = 96;
constexpr std::size_t kSealedBytes = 128;
constexpr std::size_t kMaxSealedElements = kMaxSetElements;
// Groups of a grouped set job: 65,536, so that the largest set with its
// group sizes stays within kMaxMessageBytes.
constexpr std::size_t kMaxSetSegments = 1 << 16;
// Largest valid encoding: fixed fields (104 bytes) and the federation name
// (63), rounded up to 256, plus the variable parts of the largest message:
// a share of kMaxValues values (32 MiB), or a blinded set of kMaxSetElements
// elements with their sealed values, a value key and kMaxSetSegments group
// sizes (160 MiB).
constexpr std::size_t kMaxHeaderBytes =
    256 + kMaxJobIdBytes + kMaxDescriptorBytes + kMaxDefinitionBytes + kMaxPolicyBytes;
constexpr std::size_t kMaxShareBytes = kMaxValues * crypto::Fp::kBytes + 4;
constexpr std::size_t kMaxSetBytes = kMaxSetElements * kSetElementBytes +
                                     kMaxSealedElements * kSealedBytes + kValueKeyBytes +
                                     kMaxSetSegments * 4 + 16;
constexpr std::size_t kMaxMessageBytes =
    kMaxHeaderBytes + (kMaxShareBytes > kMaxSetBytes ? kMaxShareBytes : kMaxSetBytes);

using Nonce = std::array<std::uint8_t, 16>;

struct Message {
  MessageType type = MessageType::kShare;
  std::string federation;
  std::string job_id;
  std::uint16_t sender = 0;
  std::uint16_t receiver = 0;
  Nonce nonce{};                   // the sender's random id for this run of the job
  crypto::Digest fingerprint{};    // of the sender's federation definition
  crypto::Digest policy{};         // of the sender's release policy for this job
  std::string descriptor;          // what is computed, e.g. "avg(integer)"
  std::string definition;          // kShare: sender's canonical federation text
  std::string policy_text;         // kShare: sender's canonical release policy
  std::vector<crypto::Fp> values;  // kShare, kCount, kPartial, kKey
  // kShare: a seeded share of `seeded` elements (values stay empty until
  // AggregationJob::receive expands the seed); 0 for explicit values.
  std::uint32_t seeded = 0;
  crypto::Seed seed{};
  // kRoster, kAgree, kCount, kPartial: the input parties (bit i: party i)
  // whose shares the sender holds (roster), will open over (agree) or
  // summed (count, partial).
  std::uint64_t included = 0;
  // kConfirm, kVouch: hash of the opened result. kShare: the digest of the
  // MAC key parts the sending input party received; kPartial: that of the
  // input parties' shares the sender summed (jobs with MAC keys only).
  crypto::Digest digest{};
  std::string reason;    // kAbort; kRequest when failed
  bool refused = false;  // kAbort: the release policy refused the job (kRequest: when failed)
  // kAbort: the job must stop everywhere (an inconsistency or mismatch). A
  // job that tolerates dropouts treats other aborts as the sender leaving.
  bool fatal = false;
  // kAbort: the sender's run ended before it sent anything else (e.g. its
  // own input could not be aggregated): this abort is the whole run, so a
  // partner whose run is under way acts on it at once instead of holding it
  // as a possible leftover of an earlier run.
  bool withdrawn = false;
  std::string dataset;                        // kRequest: the receiver's published dataset
  std::string column;                         // kRequest: its column to aggregate
  RequestStage stage = RequestStage::kCheck;  // kRequest
  std::uint16_t origin = 0;                   // kBlinded: whose keys
  std::uint8_t hops = 0;                      // kBlinded: parties that blinded them
  std::vector<std::uint8_t> blinded;          // kBlinded: the elements, 32 bytes each
  std::vector<std::uint32_t> segments;        // kBlinded: elements per group (empty: one set)
  // kBlinded with values: the value owner's public key (crypto/elgamal.hpp;
  // empty: no values); its values sealed under it, one ciphertext per
  // element in the elements' order. kSealedSum: one ciphertext.
  std::vector<std::uint8_t> value_key;
  std::vector<std::uint8_t> sealed;

  bool operator==(const Message& o) const;
};

std::vector<std::uint8_t> encode(const Message& m);
// Throws ProtocolError(kMalformed) naming what is wrong (never echoing values).
// With values = kCheck every value is checked as strictly, but none is kept
// (m.values stays empty): the delivery endpoint, which only files a message,
// does not build a 32 MB vector to look at the header.
enum class Values { kKeep, kCheck };
Message decode(const std::uint8_t* data, std::size_t len, Values values = Values::kKeep);

// The type of an encoded message from its header alone (magic, version and
// type; nothing after them is read or checked), without decoding the rest:
// for a caller that holds messages this code made or decode() accepted.
// Throws ProtocolError(kMalformed) when the header is not a valid one.
MessageType peek_type(const std::uint8_t* data, std::size_t len);

}  // namespace smpc::protocol
