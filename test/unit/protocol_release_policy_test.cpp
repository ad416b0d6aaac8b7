// Release policies: canonical text, its strict parser, validation, and the
// descriptions used in mismatch errors and the audit trail.
#include <gtest/gtest.h>

#include <string>

#include "protocol/protocol_error.hpp"
#include "protocol/release_policy.hpp"

namespace smpc::protocol {
namespace {

ReleasePolicy bounded(crypto::i128 lo, crypto::i128 hi, int scale, bool reject = false) {
  ReleasePolicy p;
  p.min_rows = 10;
  ClipBounds b;
  b.lo = lo;
  b.hi = hi;
  b.scale = scale;
  b.reject = reject;
  p.bounds = b;
  return p;
}

ErrorKind parse_error(const std::string& text) {
  try {
    parse_policy(text);
  } catch (const ProtocolError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "parse_policy accepted: " << text;
  return ErrorKind::kInvalidArgument;
}

TEST(ReleasePolicy, DefaultIsThreePartiesNoRowMinimumNoBounds) {
  const ReleasePolicy p;
  EXPECT_EQ(canonical_text(p), "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=none\n");
  EXPECT_EQ(describe(p), "at least 3 parties");
}

TEST(ReleasePolicy, CanonicalTextRoundTrips) {
  for (const ReleasePolicy& p : {ReleasePolicy{}, bounded(0, 100, 0),
                                 bounded(-1500, 250000, 2, true), bounded(-5, -5, 18)}) {
    const std::string text = canonical_text(p);
    EXPECT_EQ(parse_policy(text), p) << text;
    EXPECT_EQ(fingerprint(parse_policy(text)), fingerprint(p));
  }
  EXPECT_EQ(canonical_text(bounded(-1500, 250000, 2, true)),
            "smpc-policy-v1\nmin_parties=3\nmin_rows=10\nbounds=reject -15.00 2500.00\n");
}

// A policy that allows the overlap matrix says so in a line of its own; one
// that does not has the text (and fingerprint) of a policy from before the
// field, so parties that never use it need not agree on a new version.
TEST(ReleasePolicy, OverlapPairsAreALineOnlyWhenAllowed) {
  ReleasePolicy p = bounded(0, 100, 0);
  const std::string before = canonical_text(p);
  p.overlap_pairs = true;
  EXPECT_EQ(canonical_text(p), before + "overlap_pairs=allowed\n");
  EXPECT_EQ(parse_policy(canonical_text(p)), p);
  EXPECT_FALSE(parse_policy(before).overlap_pairs);
  EXPECT_NE(fingerprint(p), fingerprint(parse_policy(before)));
}

TEST(ReleasePolicy, FingerprintCoversEveryField) {
  const ReleasePolicy base = bounded(0, 100, 0);
  ReleasePolicy v[6] = {base, base, base, base, base, base};
  v[0].min_parties = 4;
  v[1].min_rows = 11;
  v[2].bounds->lo = 1;
  v[3].bounds->hi = 99;
  v[4].bounds->reject = true;
  v[5].bounds.reset();
  for (const ReleasePolicy& p : v) EXPECT_NE(fingerprint(p), fingerprint(base));
  // The same bounds at another scale are a different policy: the values are
  // compared in the job's fixed point.
  EXPECT_NE(fingerprint(bounded(0, 100, 0)), fingerprint(bounded(0, 10000, 2)));
}

TEST(ReleasePolicy, ParserIsStrict) {
  const std::string good = canonical_text(bounded(-1500, 250000, 2));
  EXPECT_NO_THROW(parse_policy(good));
  const std::string bad[] = {
      "",
      "smpc-policy-v2\nmin_parties=3\nmin_rows=0\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=03\nmin_rows=0\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=1\nmin_rows=0\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=65\nmin_rows=0\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=-1\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=99999999999999999999\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=none",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=none\nextra=1\n",
      "smpc-policy-v1\nmin_rows=0\nmin_parties=3\nbounds=none\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip 1 0\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip 0 1.5\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clamp 0 1\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip 0\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip +0 1\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip 0 1 2\n",
      "smpc-policy-v1\nmin_parties=3\nmin_rows=0\nbounds=clip 0.0000000000000000000 "
      "1.0000000000000000000\n",
      good + " ",
      good.substr(0, good.size() - 1),
      good + "overlap_pairs=yes\n",
      good + "overlap_pairs=\n",
      good + "overlap_pairs=allowed",
      good + "overlap_pairs=allowed\noverlap_pairs=allowed\n",
      good + "overlap_pairs=allowed\nextra=1\n",
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(parse_error(text), ErrorKind::kMalformed) << text;
  }
  EXPECT_EQ(parse_error(std::string(kMaxPolicyBytes + 1, 'x')), ErrorKind::kMalformed);
}

TEST(ReleasePolicy, ValidateRejectsImpossiblePolicies) {
  auto invalid = [](const ReleasePolicy& p) {
    try {
      validate(p);
      ADD_FAILURE() << "accepted " << canonical_text(p);
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    }
  };
  ReleasePolicy p;
  p.min_parties = 1;
  invalid(p);
  p.min_parties = 65;
  invalid(p);
  invalid(bounded(2, 1, 0));
  invalid(bounded(0, 1, 19));
  EXPECT_NO_THROW(validate(bounded(1, 1, 0)));
}

TEST(ReleasePolicy, DescriptionsNameEachDifference) {
  ReleasePolicy here = bounded(0, 10000000, 2);
  ReleasePolicy there = here;
  there.min_rows = 5;
  there.min_parties = 4;
  there.bounds->hi = 5000000;
  EXPECT_EQ(describe_difference(here, there),
            "min_parties: here 3, at the partner 4; min_rows: here 10, at the partner 5; "
            "bounds: here clip 0.00 100000.00, at the partner clip 0.00 50000.00");
  EXPECT_EQ(describe_difference(here, here), "");
  ReleasePolicy pairs = here;
  pairs.overlap_pairs = true;
  EXPECT_EQ(describe_difference(here, pairs),
            "overlap_pairs: here not allowed, at the partner allowed");
  EXPECT_EQ(describe(pairs),
            "at least 3 parties, at least 10 rows, inputs clipped to [0.00, 100000.00], "
            "overlaps of pairs of parties released");
  EXPECT_EQ(describe(here),
            "at least 3 parties, at least 10 rows, inputs clipped to [0.00, "
            "100000.00]");
  EXPECT_EQ(describe(bounded(-1, 1, 0, true)),
            "at least 3 parties, at least 10 rows, inputs must lie in [-1, 1]");
}

}  // namespace
}  // namespace smpc::protocol
