// Federation definitions: validation, the canonical text every party hashes,
// its strict parser, and a human-readable comparison for mismatch errors.
#include "protocol/federation.hpp"

#include <algorithm>
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

// The names of a role list, joined with `sep`; "all" for the default.
std::string role_names(const FederationDef& def, const std::vector<PartyIndex>& role,
                       const char* sep) {
  if (role.empty()) return "all";
  std::string out;
  for (std::size_t i = 0; i < role.size(); ++i) {
    if (i > 0) out += sep;
    out += role[i] < def.parties.size() ? def.parties[role[i]] : "?";
  }
  return out;
}

std::vector<PartyIndex> all_or(const FederationDef& def, const std::vector<PartyIndex>& role) {
  if (!role.empty()) return role;
  std::vector<PartyIndex> all;
  for (std::size_t i = 0; i < def.parties.size(); ++i) all.push_back(static_cast<PartyIndex>(i));
  return all;
}

// Checks one role list: ascending indexes of parties, no repeats.
void validate_role(const FederationDef& def, const std::vector<PartyIndex>& role,
                   const char* what) {
  for (std::size_t i = 0; i < role.size(); ++i) {
    if (role[i] >= def.parties.size()) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          std::string(what) + " names a party outside the federation");
    }
    if (i > 0 && role[i] <= role[i - 1]) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          std::string(what) + " must name each party once, in federation order");
    }
  }
}

// Parses "a,b,c" (party names) into ascending indexes.
std::vector<PartyIndex> parse_role(const FederationDef& def, std::string_view names,
                                   const char* what) {
  std::vector<PartyIndex> role;
  while (true) {
    std::size_t comma = names.find(',');
    int index = party_index(def, names.substr(0, comma));
    if (index < 0) {
      throw ProtocolError(ErrorKind::kMalformed, std::string("federation definition: ") + what +
                                                     " names an unknown party");
    }
    role.push_back(static_cast<PartyIndex>(index));
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  return role;
}

}  // namespace

void normalize(FederationDef& def) {
  for (std::vector<PartyIndex>* role : {&def.compute, &def.inputs, &def.outputs}) {
    if (role->size() == def.parties.size()) role->clear();
  }
}

std::vector<PartyIndex> compute_parties(const FederationDef& def) {
  return all_or(def, def.compute);
}
std::vector<PartyIndex> input_parties(const FederationDef& def) { return all_or(def, def.inputs); }
std::vector<PartyIndex> output_parties(const FederationDef& def) {
  return all_or(def, def.outputs);
}

std::size_t reconstruction_threshold(const FederationDef& def) {
  return def.threshold == 0 ? compute_parties(def).size() : def.threshold;
}

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
  validate_role(def, def.compute, "the compute list");
  validate_role(def, def.inputs, "the input list");
  validate_role(def, def.outputs, "the output list");
  const std::vector<PartyIndex> compute = compute_parties(def);
  if (compute.size() < 2) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a federation needs at least 2 compute parties");
  }
  if (def.threshold == 1 || def.threshold > compute.size()) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "threshold must be between 2 and the number of compute parties (" +
                            std::to_string(compute.size()) + "), or 0 for n-of-n sharing");
  }
  if (def.threshold != 0 && def.threshold == compute.size()) {
    // Jobs go on with a quorum of ceil((n_c + t) / 2) compute parties and
    // release only what more than t of them confirm (aggregation_job.hpp).
    throw ProtocolError(
        ErrorKind::kInvalidArgument,
        "threshold " + std::to_string(def.threshold) + " equals the number of compute parties",
        "With t = n_c every compute party is needed to reconstruct, so no value could be checked "
        "against another and no compute party could be missing: Shamir sharing would give "
        "nothing that n-of-n sharing does not.",
        "Use threshold 0 (n-of-n sharing), or at most " + std::to_string(compute.size() - 1) +
            " (more compute parties for more room).");
  }
  const std::vector<PartyIndex> inputs = input_parties(def);
  const std::vector<PartyIndex> outputs = output_parties(def);
  for (std::size_t i = 0; i < def.parties.size(); ++i) {
    auto has = [i](const std::vector<PartyIndex>& role) {
      return std::find(role.begin(), role.end(), i) != role.end();
    };
    if (!has(compute) && !has(inputs) && !has(outputs)) {
      throw ProtocolError(
          ErrorKind::kInvalidArgument,
          "party \"" + def.parties[i] + "\" has no role (compute, input or output)");
    }
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
  if (def.threshold != 0) out += "threshold=" + std::to_string(def.threshold) + "\n";
  if (!def.compute.empty()) out += "compute=" + role_names(def, def.compute, ",") + "\n";
  if (!def.inputs.empty()) out += "inputs=" + role_names(def, def.inputs, ",") + "\n";
  if (!def.outputs.empty()) out += "outputs=" + role_names(def, def.outputs, ",") + "\n";
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
  // Optional lines, in this order.
  auto next_is = [&text](std::string_view key) {
    return text.substr(0, key.size()) == key && text.size() > key.size() && text[key.size()] == '=';
  };
  if (next_is("threshold")) {
    def.threshold = static_cast<std::uint32_t>(
        parse_count(take_line(text, "threshold", kWhat), 2, kWhat, "threshold"));
  }
  if (next_is("compute"))
    def.compute = parse_role(def, take_line(text, "compute", kWhat), "compute");
  if (next_is("inputs")) def.inputs = parse_role(def, take_line(text, "inputs", kWhat), "inputs");
  if (next_is("outputs"))
    def.outputs = parse_role(def, take_line(text, "outputs", kWhat), "outputs");
  if (!text.empty()) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "federation definition has text after its last line");
  }
  try {
    validate(def);
    normalize(def);
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
  auto threshold = [](const FederationDef& d) {
    return d.threshold == 0 ? std::string("n-of-n") : std::to_string(d.threshold);
  };
  if (here.threshold != there.threshold) add("threshold", threshold(here), threshold(there));
  if (here.compute != there.compute) {
    add("compute", "(" + role_names(here, here.compute, ", ") + ")",
        "(" + role_names(there, there.compute, ", ") + ")");
  }
  if (here.inputs != there.inputs) {
    add("inputs", "(" + role_names(here, here.inputs, ", ") + ")",
        "(" + role_names(there, there.inputs, ", ") + ")");
  }
  if (here.outputs != there.outputs) {
    add("outputs", "(" + role_names(here, here.outputs, ", ") + ")",
        "(" + role_names(there, there.outputs, ", ") + ")");
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
