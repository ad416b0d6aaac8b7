// The one exception type of the protocol layer. Each kind maps to a SQLSTATE
// in src/pg/errors.cpp; messages and details never contain share values.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace smpc::protocol {

enum class ErrorKind {
  kMalformed,           // a message that does not decode
  kInvalidArgument,     // bad parameters from the local caller
  kFederationMismatch,  // partner's federation definition differs
  kJobMismatch,         // partner runs a different aggregate under this job id
  kInconsistent,        // equivocation / confirm hash mismatch
  kAborted,             // a partner aborted the job
  kRange,               // value does not fit the field
  kRefused,             // this party's release policy refuses the job
  kPolicyMismatch,      // a partner applies a different release policy to the job
  kTooFewParties,       // after dropouts, too few parties remain to finish the job
  kInterrupted,         // the caller asked a long step to stop (query cancel)
};

class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorKind kind, const std::string& message, std::string detail = {},
                std::string hint = {})
      : std::runtime_error(message),
        kind_(kind),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }

 private:
  ErrorKind kind_;
  std::string detail_;
  std::string hint_;
};

}  // namespace smpc::protocol
