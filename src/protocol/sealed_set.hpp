// The local steps of sums over a private overlap: a blinded set whose
// elements carry sealed values (crypto/elgamal.hpp) on their way round the
// ring. No I/O, no job state; set_job.hpp runs the rounds.
//
//   1. A party that gives values blinds its keys as private_set.hpp does
//      and seals each key's value under a key pair of its own for this run;
//      a key given twice carries the sum of its values.
//   2. Each hop re-blinds every element, re-randomises every sealed value
//      under the owner's public key, and sorts the pairs by element: the
//      values follow their keys through every shuffle, and no hop can link
//      a sealed value it sends to one it got.
//   3. The counting party adds the sealed values of the owner's elements
//      that every other fully blinded set holds, and sends the owner that
//      one sealed sum, which only the owner can open.
//
// What it reveals beyond the overlap count: the owner learns the sum of its
// own values over the overlap (it is the only party that can open it); the
// other parties learn nothing of the values. A counting party that deviates
// can add the sealed values of other elements than the overlap's (e.g. of
// one element only), which tells the owner that sum instead: the counting
// party is trusted to count honestly, as for the counts themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/elgamal.hpp"
#include "crypto/group.hpp"

namespace smpc::protocol::sealed_set {

using crypto::elgamal::Ciphertext;
using crypto::elgamal::PublicKey;
using crypto::group::Element;
using crypto::group::Scalar;

// Elements with the sealed value of each, sorted by element, distinct.
struct SealedSet {
  std::vector<Element> elements;
  std::vector<Ciphertext> sealed;
  std::size_t duplicates = 0;  // keys given more than once (their values added)
};

// This party's keys with their values (values[i] of keys[i], each at most
// crypto::elgamal::kMaxValue), hashed under tag, blinded by s, sealed under
// key. poll as in private_set.hpp.
SealedSet seal_own(const std::vector<std::string>& keys, const std::vector<std::uint64_t>& values,
                   std::string_view tag, const Scalar& s, const PublicKey& key,
                   const std::function<void()>& poll = {});

// A partner's sealed set re-blinded by s, its values re-randomised under
// the owner's key, sorted. Refuses (ProtocolError kMalformed) an element or
// sealed value that is not a canonical encoding, and an element twice.
SealedSet reblind(const SealedSet& set, const Scalar& s, const PublicKey& key,
                  const std::function<void()>& poll = {});

// The sealed sum of the values of `set` whose elements every one of
// `others` holds (each sorted).
Ciphertext overlap_sum(const SealedSet& set, const std::vector<const std::vector<Element>*>& others,
                       const std::function<void()>& poll = {});

// Wire forms (message.hpp: kValueKeyBytes, kSealedBytes per value). The
// readers refuse (kMalformed) a length that does not fit, and a public key
// that is not one.
std::vector<std::uint8_t> key_bytes(const PublicKey& key);
PublicKey key_of(const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> sealed_bytes(const std::vector<Ciphertext>& sealed);
std::vector<Ciphertext> sealed_of(const std::vector<std::uint8_t>& bytes, std::size_t count);

}  // namespace smpc::protocol::sealed_set
