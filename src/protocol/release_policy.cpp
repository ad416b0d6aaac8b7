// Release policies: validation, canonical text, its strict parser, and the
// human-readable forms used in mismatch errors and the audit trail.
#include "protocol/release_policy.hpp"

#include "crypto/int128_text.hpp"
#include "protocol/canonical_lines.hpp"
#include "protocol/federation.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kHeaderLine = "smpc-policy-v1\n";
constexpr const char* kWhat = "release policy";

// "clip 0.00 100.00", "reject -5 5" or "none".
std::string bounds_text(const std::optional<ClipBounds>& b) {
  if (!b) return "none";
  return std::string(b->reject ? "reject " : "clip ") +
         crypto::format_scaled_decimal(b->lo, b->scale) + " " +
         crypto::format_scaled_decimal(b->hi, b->scale);
}

// "[0.00, 100.00]": bounds for messages.
std::string interval_text(const ClipBounds& b) {
  return "[" + crypto::format_scaled_decimal(b.lo, b.scale) + ", " +
         crypto::format_scaled_decimal(b.hi, b.scale) + "]";
}

// Parses one decimal bound; its scale is its number of fractional digits.
crypto::i128 parse_bound(std::string_view text, int* scale) {
  std::size_t dot = text.find('.');
  int digits = dot == std::string_view::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  crypto::i128 v = 0;
  if (digits > kMaxScale || !crypto::parse_scaled_decimal(text, digits, &v)) {
    throw ProtocolError(ErrorKind::kMalformed, std::string(kWhat) + ": a bound is not valid");
  }
  *scale = digits;
  return v;
}

std::optional<ClipBounds> parse_bounds(std::string_view text) {
  if (text == "none") return std::nullopt;
  ClipBounds b;
  std::size_t sp1 = text.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : text.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    throw ProtocolError(ErrorKind::kMalformed, std::string(kWhat) + ": bounds are not valid");
  }
  std::string_view mode = text.substr(0, sp1);
  if (mode != "clip" && mode != "reject") {
    throw ProtocolError(ErrorKind::kMalformed, std::string(kWhat) + ": unknown bounds mode");
  }
  b.reject = mode == "reject";
  int lo_scale = 0;
  int hi_scale = 0;
  b.lo = parse_bound(text.substr(sp1 + 1, sp2 - sp1 - 1), &lo_scale);
  b.hi = parse_bound(text.substr(sp2 + 1), &hi_scale);
  if (lo_scale != hi_scale) {
    throw ProtocolError(ErrorKind::kMalformed,
                        std::string(kWhat) + ": bounds have different scales");
  }
  b.scale = lo_scale;
  return b;
}

}  // namespace

void validate(const ReleasePolicy& policy) {
  if (policy.min_parties < 2 || policy.min_parties > kMaxParties) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "min_parties must be between 2 and " + std::to_string(kMaxParties));
  }
  if (policy.bounds) {
    if (policy.bounds->scale < 0 || policy.bounds->scale > kMaxScale) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "bounds scale must be between 0 and " + std::to_string(kMaxScale));
    }
    if (policy.bounds->lo > policy.bounds->hi) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the lower bound is greater than the upper bound");
    }
  }
}

void check_admits(const FederationDef& federation, const ReleasePolicy& policy) {
  const std::size_t n = input_parties(federation).size();
  if (n >= policy.min_parties) return;
  const bool all = n == federation.parties.size();
  throw ProtocolError(
      ErrorKind::kRefused,
      "federation \"" + federation.name + "\" has " + std::to_string(n) +
          (all ? " parties" : " input parties") + ", but the release policy requires at least " +
          std::to_string(policy.min_parties),
      n == 2 ? "With two parties, each party learns the other's input from the joint result." : "",
      "Lower min_parties with smpc.set_policy() at every party if this is acceptable.");
}

std::string canonical_text(const ReleasePolicy& policy) {
  std::string out(kHeaderLine);
  out += "min_parties=" + std::to_string(policy.min_parties) + "\n";
  out += "min_rows=" + std::to_string(policy.min_rows) + "\n";
  out += "bounds=" + bounds_text(policy.bounds) + "\n";
  if (policy.overlap_pairs) out += "overlap_pairs=allowed\n";
  return out;
}

ReleasePolicy parse_policy(std::string_view text) {
  const std::string_view original = text;
  if (text.size() > kMaxPolicyBytes || text.substr(0, kHeaderLine.size()) != kHeaderLine) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "release policy does not start with \"smpc-policy-v1\"");
  }
  text.remove_prefix(kHeaderLine.size());
  ReleasePolicy policy;
  policy.min_parties = static_cast<std::uint32_t>(
      parse_count(take_line(text, "min_parties", kWhat), 2, kWhat, "min_parties"));
  policy.min_rows = parse_count(take_line(text, "min_rows", kWhat), 19, kWhat, "min_rows");
  policy.bounds = parse_bounds(take_line(text, "bounds", kWhat));
  if (!text.empty()) {
    if (take_line(text, "overlap_pairs", kWhat) != "allowed") {
      throw ProtocolError(ErrorKind::kMalformed, "release policy: overlap_pairs is not valid");
    }
    policy.overlap_pairs = true;
  }
  if (!text.empty()) {
    throw ProtocolError(ErrorKind::kMalformed, "release policy has text after its last line");
  }
  try {
    validate(policy);
  } catch (const ProtocolError& e) {
    throw ProtocolError(ErrorKind::kMalformed, std::string("release policy: ") + e.what());
  }
  if (canonical_text(policy) != original) {
    throw ProtocolError(ErrorKind::kMalformed, "release policy is not in canonical form");
  }
  return policy;
}

crypto::Digest fingerprint(const ReleasePolicy& policy) {
  return crypto::sha256(canonical_text(policy));
}

std::string describe_difference(const ReleasePolicy& here, const ReleasePolicy& there) {
  std::string out;
  auto add = [&out](const char* field, const std::string& a, const std::string& b) {
    if (!out.empty()) out += "; ";
    out += std::string(field) + ": here " + a + ", at the partner " + b;
  };
  if (here.min_parties != there.min_parties) {
    add("min_parties", std::to_string(here.min_parties), std::to_string(there.min_parties));
  }
  if (here.min_rows != there.min_rows) {
    add("min_rows", std::to_string(here.min_rows), std::to_string(there.min_rows));
  }
  if (!(here.bounds == there.bounds))
    add("bounds", bounds_text(here.bounds), bounds_text(there.bounds));
  if (here.overlap_pairs != there.overlap_pairs) {
    auto text = [](bool allowed) { return std::string(allowed ? "allowed" : "not allowed"); };
    add("overlap_pairs", text(here.overlap_pairs), text(there.overlap_pairs));
  }
  return out;
}

std::string describe(const ReleasePolicy& policy) {
  std::string out = "at least " + std::to_string(policy.min_parties) + " parties";
  if (policy.min_rows > 0) out += ", at least " + std::to_string(policy.min_rows) + " rows";
  if (policy.bounds) {
    out += std::string(policy.bounds->reject ? ", inputs must lie in " : ", inputs clipped to ") +
           interval_text(*policy.bounds);
  }
  if (policy.overlap_pairs) out += ", overlaps of pairs of parties released";
  return out;
}

}  // namespace smpc::protocol
