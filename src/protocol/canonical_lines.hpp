// Helpers for the canonical, line-oriented texts that parties hash and
// exchange (federation definitions, release policies): strict "key=value\n"
// lines, read front to back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace smpc::protocol {

// Consumes "<key>=<value>\n" from the front of `text` and returns the value.
// `what` names the text in errors (e.g. "federation definition"). Throws
// ProtocolError(kMalformed).
std::string_view take_line(std::string_view& text, std::string_view key, const char* what);

// Parses a decimal number without sign or leading zeros (except "0") of at
// most `max_digits` digits. Throws ProtocolError(kMalformed) naming `field`.
std::uint64_t parse_count(std::string_view digits, std::size_t max_digits, const char* what,
                          std::string_view field);

}  // namespace smpc::protocol
