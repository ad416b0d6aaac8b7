// ristretto255 against published test vectors (RFC 9496 Appendix A, RFC 9380
// Appendix K.3, RFC 9497 Appendix A.1.1), and the properties private set
// operations rely on: blinding commutes and can be undone, tags separate
// domains, and what a partner could send that is not a group element is
// refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/group.hpp"
#include "crypto/hash.hpp"

namespace smpc::crypto::group {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

Element element(const std::string& h) {
  std::vector<std::uint8_t> b = from_hex(h);
  Element e{};
  std::copy(b.begin(), b.end(), e.begin());
  return e;
}

Scalar scalar(const std::string& h) {
  std::vector<std::uint8_t> b = from_hex(h);
  return Scalar::from_bytes(b.data(), b.size());
}

std::string hex(const Element& e) { return to_hex(e.data(), e.size()); }
std::string hex(const std::vector<std::uint8_t>& v) { return to_hex(v.data(), v.size()); }

Scalar small(std::uint8_t k) {
  std::uint8_t b[kScalarBytes] = {k};
  return Scalar::from_bytes(b, sizeof b);
}

// RFC 9496 A.1: the encodings of B, 2B, ..., 8B.
TEST(Group, MultiplesOfTheGenerator) {
  const char* want[] = {
      "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
      "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
      "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
      "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
      "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e",
      "f64746d3c92b13050ed8d80236a7f0007c3b3f962f5ba793d19a601ebb1df403",
      "44f53520926ec81fbd5a387845beb7df85a96a24ece18738bdcfa6a7822a176d",
      "903293d8f2287ebe10e2374dc1a53e0bc887e592699f02d077d5263cdd55601c",
  };
  for (std::uint8_t k = 1; k <= 8; ++k) {
    EXPECT_EQ(hex(base_blind(small(k))), want[k - 1]) << k << "B";
    EXPECT_TRUE(is_valid(element(want[k - 1])));
  }
  // kB as B blinded by k, and 2(4B) = 8B: blinding an element is the same
  // operation as from the generator.
  EXPECT_EQ(hex(blind(element(want[0]), small(5))), want[4]);
  EXPECT_EQ(hex(blind(element(want[3]), small(2))), want[7]);
}

// RFC 9380 K.3: expand_message_xmd(SHA-512).
TEST(Group, ExpandMessageXmdSha512) {
  const std::string dst = "QUUX-V01-CS02-with-expander-SHA512-256";
  EXPECT_EQ(hex(expand_message_xmd_sha512("", dst, 0x20)),
            "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba");
  EXPECT_EQ(hex(expand_message_xmd_sha512("abc", dst, 0x20)),
            "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc");
  EXPECT_EQ(hex(expand_message_xmd_sha512("abcdef0123456789", dst, 0x20)),
            "087e45a86e2939ee8b91100af1583c4938e0f5fc6c9db4b107b83346bc967f58");
  EXPECT_EQ(hex(expand_message_xmd_sha512("", dst, 0x80)),
            "41b037d1734a5f8df225dd8c7de38f851efdb45c372887be655212d07251b921"
            "b052b62eaed99b46f72f2ef4cc96bfaf254ebbbec091e1a3b9e4fb5e5b619d2e"
            "0c5414800a1d882b62bb5cd1778f098b8eb6cb399d5d9d18f5d5842cf5d13d7e"
            "b00a7cff859b605da678b318bd0e65ebff70bec88c753b159a805d2c89c55961");
  EXPECT_THROW(expand_message_xmd_sha512("abc", "", 32), std::invalid_argument);
  EXPECT_THROW(expand_message_xmd_sha512("abc", std::string(256, 'x'), 32), std::invalid_argument);
  EXPECT_THROW(expand_message_xmd_sha512("abc", dst, 0), std::invalid_argument);
  EXPECT_THROW(expand_message_xmd_sha512("abc", dst, 255 * 64 + 1), std::invalid_argument);
}

// RFC 9497 A.1.1, OPRF(ristretto255, SHA-512), test vector 1: HashToGroup
// of the input 00 under the OPRF's tag, blinded by the client's scalar, then
// by the server's key. The same two steps, in either order, are what two
// parties do to a join key.
TEST(Group, HashToGroupAndBlindingMatchRfc9497) {
  const std::string dst("HashToGroup-OPRFV1-\x00-ristretto255-SHA512", 40);
  const Scalar client = scalar("64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706");
  const Scalar server = scalar("5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e");
  const Element h = hash_to_group(std::string(1, '\0'), dst);
  const Element blinded = blind(h, client);
  EXPECT_EQ(hex(blinded), "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c");
  const Element evaluated = blind(blinded, server);
  EXPECT_EQ(hex(evaluated), "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e");
  // Commutes: the server first, then the client, gives the same element.
  EXPECT_EQ(hex(blind(blind(h, server), client)), hex(evaluated));
  // And the client's inverse takes its blinding off again.
  EXPECT_EQ(hex(blind(evaluated, client.inverse())), hex(blind(h, server)));
}

TEST(Group, TagsSeparateDomains) {
  const Element a = hash_to_group("alice@example.org", "smpc-psi-v1 federation f job j1");
  EXPECT_TRUE(is_valid(a));
  EXPECT_EQ(hex(a), hex(hash_to_group("alice@example.org", "smpc-psi-v1 federation f job j1")));
  EXPECT_NE(hex(a), hex(hash_to_group("alice@example.org", "smpc-psi-v1 federation f job j2")));
  EXPECT_NE(hex(a), hex(hash_to_group("alice@example.org ", "smpc-psi-v1 federation f job j1")));
}

TEST(Group, RandomScalarsBlindDifferently) {
  const Element h = hash_to_group("key", "smpc-psi-v1 test");
  const Scalar a = Scalar::random();
  const Scalar b = Scalar::random();
  EXPECT_NE(hex(blind(h, a)), hex(blind(h, b)));
  EXPECT_EQ(hex(blind(blind(h, a), b)), hex(blind(blind(h, b), a)));
}

// What a partner could send instead of an element.
TEST(Group, RefusesWhatIsNotAnElement) {
  const Scalar k = small(3);
  const char* bad[] = {
      // the identity
      "0000000000000000000000000000000000000000000000000000000000000000",
      // a negative field element (odd, RFC 9496 A.2's bad encodings)
      "0100000000000000000000000000000000000000000000000000000000000000",
      // not below the field's modulus
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
  };
  for (const char* h : bad) {
    EXPECT_FALSE(is_valid(element(h))) << h;
    EXPECT_THROW(blind(element(h), k), std::invalid_argument) << h;
  }
}

// An encoding with bit 255 set is not canonical (RFC 9496 4.3.1: s below
// the field's modulus), but libsodium 1.0.18 (Debian 12) ignores that bit:
// the generator's encoding with it set would decode to the generator. A
// partner could send such an alias of an element: it would pass as a
// different element (a repeat the set's check on encodings misses; a key
// that no longer matches at the counting party).
TEST(Group, RefusesAnAliasWithTheTopBitSet) {
  const Scalar k = small(3);
  Element alias = base_blind(small(1));
  alias[31] |= 0x80;
  EXPECT_FALSE(is_valid(alias));
  EXPECT_THROW(blind(alias, k), std::invalid_argument);
}

TEST(Group, ScalarsMustBeCanonical) {
  // The group order L itself and anything above it are not canonical.
  EXPECT_THROW(scalar("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"),
               std::invalid_argument);
  EXPECT_THROW(scalar("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
               std::invalid_argument);
  EXPECT_THROW(small(0), std::invalid_argument);
  std::uint8_t short_key[16] = {1};
  EXPECT_THROW(Scalar::from_bytes(short_key, sizeof short_key), std::invalid_argument);
  // L - 1 is.
  EXPECT_NO_THROW(scalar("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"));
}

}  // namespace
}  // namespace smpc::crypto::group
