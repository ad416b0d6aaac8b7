// Federation definitions: validation, the canonical text every party hashes,
// its strict parser, and a human-readable comparison for mismatch errors.
#include "protocol/federation.hpp"

#include <set>

#include "protocol/canonical_lines.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kHeaderLine = "smpc-federation-v1\n";

// Checks one federation or party name; `what` names it in the error.
void validate_name(const std::string& name, const std::string& what) {
  if (name.empty()) {
    throw ProtocolError(ErrorKind::kInvalidArgument, what + " is empty");
  }
  if (name.size() > kMaxNameBytes) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        what + " is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      throw ProtocolError(ErrorKind::kInvalidArgument, what + " contains a control character");
    }
    if (c == ',') {
      throw ProtocolError(ErrorKind::kInvalidArgument, what + " contains a comma");
    }
  }
}

// "a, b, c": a party list for describe_difference.
std::string join_parties(const std::vector<std::string>& parties) {
  std::string out;
  for (std::size_t i = 0; i < parties.size(); ++i) {
    if (i > 0) out += ", ";
    out += parties[i];
  }
  return out;
}

}  // namespace

void validate(const FederationDef& def) {
  validate_name(def.name, "federation name");
  if (def.parties.size() < 2) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "a federation needs at least 2 parties");
  }
  if (def.parties.size() > kMaxParties) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a federation has at most " + std::to_string(kMaxParties) + " parties");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < def.parties.size(); ++i) {
    validate_name(def.parties[i], "party name " + std::to_string(i + 1));
    if (!seen.insert(def.parties[i]).second) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "party \"" + def.parties[i] + "\" appears more than once");
    }
  }
  if (def.scale < 0 || def.scale > kMaxScale) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "scale must be between 0 and " + std::to_string(kMaxScale));
  }
}

std::string canonical_text(const FederationDef& def) {
  std::string out(kHeaderLine);
  out += "name=" + def.name + "\n";
  out += "parties=";
  for (std::size_t i = 0; i < def.parties.size(); ++i) {
    if (i > 0) out += ',';
    out += def.parties[i];
  }
  out += "\nscale=" + std::to_string(def.scale) + "\n";
  return out;
}

FederationDef parse_canonical(std::string_view text) {
  const std::string_view original = text;
  if (text.substr(0, kHeaderLine.size()) != kHeaderLine) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "federation definition does not start with \"smpc-federation-v1\"");
  }
  text.remove_prefix(kHeaderLine.size());

  FederationDef def;
  constexpr const char* kWhat = "federation definition";
  def.name = std::string(take_line(text, "name", kWhat));
  std::string_view parties = take_line(text, "parties", kWhat);
  def.parties.clear();
  while (true) {
    std::size_t comma = parties.find(',');
    def.parties.emplace_back(parties.substr(0, comma));
    if (comma == std::string_view::npos) break;
    parties.remove_prefix(comma + 1);
  }
  def.scale = static_cast<int>(parse_count(take_line(text, "scale", kWhat), 2, kWhat, "scale"));
  if (!text.empty()) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "federation definition has text after the scale line");
  }
  try {
    validate(def);
  } catch (const ProtocolError& e) {
    throw ProtocolError(ErrorKind::kMalformed, std::string("federation definition: ") + e.what());
  }
  // Strictness: only the canonical spelling is accepted (e.g. no "scale=06").
  if (canonical_text(def) != original) {
    throw ProtocolError(ErrorKind::kMalformed, "federation definition is not in canonical form");
  }
  return def;
}

crypto::Digest fingerprint(const FederationDef& def) { return crypto::sha256(canonical_text(def)); }

std::string describe_difference(const FederationDef& here, const FederationDef& there) {
  std::string out;
  auto add = [&out](const std::string& field, const std::string& a, const std::string& b) {
    if (!out.empty()) out += "; ";
    out += field + ": here " + a + ", at the partner " + b;
  };
  if (here.name != there.name) add("name", '"' + here.name + '"', '"' + there.name + '"');
  if (here.parties != there.parties) {
    add("parties", "(" + join_parties(here.parties) + ")", "(" + join_parties(there.parties) + ")");
  }
  if (here.scale != there.scale) {
    add("scale", std::to_string(here.scale), std::to_string(there.scale));
  }
  return out;
}

int party_index(const FederationDef& def, std::string_view party) {
  for (std::size_t i = 0; i < def.parties.size(); ++i) {
    if (def.parties[i] == party) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace smpc::protocol
