// Federation definitions: validation, canonical text, strict parsing,
// fingerprints and the mismatch description shown to users.
#include <gtest/gtest.h>

#include <string>

#include "crypto/hash.hpp"
#include "protocol/federation.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {
namespace {

FederationDef acme() {
  FederationDef def;
  def.name = "acme";
  def.parties = {"alpha", "beta", "gamma"};
  def.scale = 6;
  return def;
}

void expect_invalid(const FederationDef& def) {
  try {
    validate(def);
    FAIL() << "validate accepted an invalid definition";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
}

void expect_malformed(const std::string& text) {
  try {
    parse_canonical(text);
    FAIL() << "parse_canonical accepted: " << text;
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMalformed) << text;
  }
}

TEST(ProtocolFederation, AcceptsValidDefinitions) {
  EXPECT_NO_THROW(validate(acme()));
  FederationDef def = acme();
  def.parties = {"a", "b"};
  def.scale = 0;
  EXPECT_NO_THROW(validate(def));
  def.scale = kMaxScale;
  def.name = std::string(kMaxNameBytes, 'n');
  EXPECT_NO_THROW(validate(def));
  def.parties.clear();
  for (std::size_t i = 0; i < kMaxParties; ++i) def.parties.push_back("p" + std::to_string(i));
  EXPECT_NO_THROW(validate(def));
}

TEST(ProtocolFederation, RejectsInvalidDefinitions) {
  FederationDef def = acme();
  def.name = "";
  expect_invalid(def);
  def.name = std::string(kMaxNameBytes + 1, 'n');
  expect_invalid(def);
  def.name = "ac,me";
  expect_invalid(def);
  def.name = "ac\nme";
  expect_invalid(def);
  def.name = std::string("ac\x7f", 3);
  expect_invalid(def);

  def = acme();
  def.parties = {"alpha"};
  expect_invalid(def);
  def.parties = {"alpha", "beta", "alpha"};
  expect_invalid(def);
  def.parties = {"alpha", ""};
  expect_invalid(def);
  def.parties = {"alpha", "be\tta"};
  expect_invalid(def);
  def.parties.clear();
  for (std::size_t i = 0; i <= kMaxParties; ++i) def.parties.push_back("p" + std::to_string(i));
  expect_invalid(def);

  def = acme();
  def.scale = -1;
  expect_invalid(def);
  def.scale = kMaxScale + 1;
  expect_invalid(def);
}

TEST(ProtocolFederation, CanonicalTextIsExact) {
  EXPECT_EQ(canonical_text(acme()),
            "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n");
}

TEST(ProtocolFederation, CanonicalTextRoundTrips) {
  FederationDef def = acme();
  EXPECT_EQ(parse_canonical(canonical_text(def)), def);
  def.name = "name=with=equals and spaces";
  def.parties = {"x", "y y", "z=1"};
  def.scale = 18;
  EXPECT_EQ(parse_canonical(canonical_text(def)), def);
  def.scale = 0;
  EXPECT_EQ(parse_canonical(canonical_text(def)), def);
}

TEST(ProtocolFederation, ParseIsStrict) {
  const std::string good = canonical_text(acme());
  expect_malformed("");
  expect_malformed("smpc-federation-v2\nname=acme\nparties=alpha,beta,gamma\nscale=6\n");
  expect_malformed("name=acme\nparties=alpha,beta,gamma\nscale=6\n");
  expect_malformed("smpc-federation-v1\nparties=alpha,beta,gamma\nname=acme\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=06\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=+6\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=-1\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=19\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6");
  expect_malformed(good + "\n");
  expect_malformed(good + "extra=1\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,,gamma\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,beta,\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=acme\nparties=alpha,alpha\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=\nparties=alpha,beta\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname=acme\r\nparties=alpha,beta\nscale=6\n");
  expect_malformed("smpc-federation-v1\r\nname=acme\nparties=alpha,beta\nscale=6\n");
  expect_malformed("smpc-federation-v1\nname acme\nparties=alpha,beta\nscale=6\n");
  // Every proper prefix of a valid text is rejected.
  for (std::size_t len = 0; len < good.size(); ++len) expect_malformed(good.substr(0, len));
}

TEST(ProtocolFederation, FingerprintIsStable) {
  // Regression guard: the fingerprint is exchanged between builds and
  // versions, so it must never change for the same definition.
  EXPECT_EQ(crypto::to_hex(fingerprint(acme())),
            "bf9c1d3dfbd6ed2984cb53d9f14030ea82b436f3e6fa0d833501395e6bbd3b44");
  EXPECT_EQ(fingerprint(acme()), crypto::sha256(canonical_text(acme())));
}

TEST(ProtocolFederation, FingerprintCoversEveryField) {
  const crypto::Digest base = fingerprint(acme());
  FederationDef def = acme();
  def.name = "acme2";
  EXPECT_NE(fingerprint(def), base);
  def = acme();
  def.parties = {"alpha", "gamma", "beta"};
  EXPECT_NE(fingerprint(def), base);
  def = acme();
  def.parties.push_back("delta");
  EXPECT_NE(fingerprint(def), base);
  def = acme();
  def.scale = 2;
  EXPECT_NE(fingerprint(def), base);
  // Party names cannot run into one another.
  FederationDef a = acme(), b = acme();
  a.parties = {"ab", "c"};
  b.parties = {"a", "bc"};
  EXPECT_NE(fingerprint(a), fingerprint(b));
}

TEST(ProtocolFederation, DescribeDifference) {
  EXPECT_EQ(describe_difference(acme(), acme()), "");

  FederationDef there = acme();
  there.scale = 2;
  EXPECT_EQ(describe_difference(acme(), there), "scale: here 6, at the partner 2");

  there = acme();
  there.parties = {"alpha", "beta", "delta"};
  EXPECT_EQ(describe_difference(acme(), there),
            "parties: here (alpha, beta, gamma), at the partner (alpha, beta, delta)");

  there.scale = 2;
  EXPECT_EQ(describe_difference(acme(), there),
            "parties: here (alpha, beta, gamma), at the partner (alpha, beta, delta); "
            "scale: here 6, at the partner 2");

  there.name = "globex";
  EXPECT_EQ(describe_difference(acme(), there),
            "name: here \"acme\", at the partner \"globex\"; "
            "parties: here (alpha, beta, gamma), at the partner (alpha, beta, delta); "
            "scale: here 6, at the partner 2");
}

// Threshold and roles: in the canonical text only where they are not the
// defaults (so earlier federations keep their fingerprint), parsed back
// exactly, and named when they differ.
TEST(ProtocolFederation, ThresholdAndRoles) {
  FederationDef def = acme();
  def.parties = {"alpha", "beta", "gamma", "delta", "epsilon"};
  const std::string plain = canonical_text(def);
  def.threshold = 2;
  def.compute = {2, 3, 4};
  def.inputs = {0, 1};
  EXPECT_NO_THROW(validate(def));
  const std::string text = canonical_text(def);
  EXPECT_EQ(text,
            "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma,delta,epsilon\nscale=6\n"
            "threshold=2\ncompute=gamma,delta,epsilon\ninputs=alpha,beta\n");
  EXPECT_EQ(parse_canonical(text), def);
  EXPECT_NE(fingerprint(def), crypto::sha256(plain));
  EXPECT_EQ(compute_parties(def), (std::vector<PartyIndex>{2, 3, 4}));
  EXPECT_EQ(output_parties(def).size(), 5u);
  EXPECT_EQ(reconstruction_threshold(def), 2u);
  def.threshold = 0;
  EXPECT_EQ(reconstruction_threshold(def), 3u);

  // A role list naming every party is the default.
  FederationDef full = acme();
  full.compute = {0, 1, 2};
  normalize(full);
  EXPECT_TRUE(full.compute.empty());
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "compute=alpha,beta,gamma\n");
  // Out of order, unknown names, threshold 1 or above the compute parties.
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "inputs=beta,alpha\n");
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "outputs=zeta\n");
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "threshold=1\n");
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "threshold=4\n");
  expect_malformed(
      "smpc-federation-v1\nname=acme\nparties=alpha,beta,gamma\nscale=6\n"
      "inputs=alpha\nthreshold=2\n");

  FederationDef bad = acme();
  bad.compute = {1};
  expect_invalid(bad);  // one compute party
  bad = acme();
  bad.compute = {0, 1};
  bad.inputs = {0};
  bad.outputs = {1};
  expect_invalid(bad);  // gamma has no role
  bad = acme();
  bad.threshold = 1;
  expect_invalid(bad);

  FederationDef there = acme();
  there.threshold = 2;
  there.compute = {0, 1};
  EXPECT_EQ(describe_difference(acme(), there),
            "threshold: here n-of-n, at the partner 2; compute: here (all), at the partner "
            "(alpha, beta)");
}

TEST(ProtocolFederation, PartyIndex) {
  EXPECT_EQ(party_index(acme(), "alpha"), 0);
  EXPECT_EQ(party_index(acme(), "gamma"), 2);
  EXPECT_EQ(party_index(acme(), "delta"), -1);
  EXPECT_EQ(party_index(acme(), ""), -1);
}

}  // namespace
}  // namespace smpc::protocol
