// Strict readers for the canonical texts; see canonical_lines.hpp.
#include "protocol/canonical_lines.hpp"

#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

std::string_view take_line(std::string_view& text, std::string_view key, const char* what) {
  if (text.substr(0, key.size()) != key || text.size() <= key.size() || text[key.size()] != '=') {
    throw ProtocolError(ErrorKind::kMalformed,
                        std::string(what) + ": expected line \"" + std::string(key) + "=\"");
  }
  text.remove_prefix(key.size() + 1);
  std::size_t end = text.find('\n');
  if (end == std::string_view::npos) {
    throw ProtocolError(ErrorKind::kMalformed, std::string(what) + ": line \"" + std::string(key) +
                                                   "\" is not terminated");
  }
  std::string_view value = text.substr(0, end);
  text.remove_prefix(end + 1);
  return value;
}

std::uint64_t parse_count(std::string_view digits, std::size_t max_digits, const char* what,
                          std::string_view field) {
  if (digits.empty() || digits.size() > max_digits || (digits.size() > 1 && digits[0] == '0')) {
    throw ProtocolError(ErrorKind::kMalformed,
                        std::string(what) + ": " + std::string(field) + " is not valid");
  }
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      throw ProtocolError(ErrorKind::kMalformed,
                          std::string(what) + ": " + std::string(field) + " is not a number");
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace smpc::protocol
