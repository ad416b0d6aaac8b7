// The message types of the wire format (message.hpp) and the stages of a
// request: the one definition of their numbers. The bridge's C names
// (SMPC_MSG_*, SMPC_REQUEST_* in bridge/core_api.hpp) take their values from
// here, so this header stays free of everything but <cstdint>.
#pragma once

#include <cstdint>

namespace smpc::protocol {

enum class MessageType : std::uint8_t {
  kShare = 1,
  kPartial = 2,
  kConfirm = 3,
  kAbort = 4,
  kCount = 5,
  kRoster = 6,
  kAgree = 7,
  kVouch = 8,
  // Not a round of a job: asks the receiver to run a job on one of its
  // published datasets (pg/requests.cpp). Never reaches an AggregationJob.
  kRequest = 9,
  kKey = 10,
  // Set jobs (protocol/set_job.hpp): a blinded set on its way round the ring
  // of parties, or fully blinded on its way to the party that counts.
  kBlinded = 11,
  // Set jobs with sums: from the counting party to a party that gave
  // values, the encryption of the sum of its values over the overlap.
  kSealedSum = 12,
};

// Every type lies in [kFirstMessageType, kLastMessageType]; decode() refuses
// any other number.
constexpr MessageType kFirstMessageType = MessageType::kShare;
constexpr MessageType kLastMessageType = MessageType::kSealedSum;

// The stages of a request: may the receiver run the job (nothing changes
// there), start it, or stop a job it started for this request; and, back
// from the receiver to the initiator, that the job it started could not
// begin (with the reason).
enum class RequestStage : std::uint8_t {
  kCheck = 1,
  kLaunch = 2,
  kWithdraw = 3,
  kFailed = 4,
};

// "key", "share", "roster", "agree", "count", "partial", "confirm", "vouch",
// "abort", "request", "blinded", "sealed sum" (message.cpp)
const char* type_name(MessageType t);

}  // namespace smpc::protocol
