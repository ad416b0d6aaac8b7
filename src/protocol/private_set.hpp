// The local steps of private set operations on join keys (PSI cardinality,
// k-of-n overlap counts, de-duplicated union counts): no I/O, no job
// state; the rounds that carry the sets between parties come with the
// job's messages.
//
// The construction is commutative blinding over ristretto255
// (crypto/group.hpp), as in Diffie-Hellman based PSI:
//   1. each party hashes its keys to the group under the job's tag (so
//      keys of different federations or jobs never match), blinds them
//      with its own secret scalar for this job, drops duplicates and sorts
//      the result (sorted blinded elements are in an order that depends on
//      no key);
//   2. the sets travel round the ring of parties; each party re-blinds
//      every set it receives with its scalar, checks every element and
//      sorts again, until every set is blinded by every party's scalar;
//   3. whoever holds the fully blinded sets counts: an element held in m
//      sets is a key that m parties hold. Equal keys give equal elements
//      whatever the order of blinding; different keys give different
//      elements (but with negligible probability).
//
// What it reveals, under the decisional Diffie-Hellman assumption: no key
// and no membership of a key in the overlap, to anyone. The party that
// counts sees every fully blinded set, so it learns each party's number of
// distinct keys and the overlap count of every group of parties (not only
// the released figure); each party sees the size of the sets passing
// through it. This is what ring-based commutative-blinding PSI reveals;
// SECURITY.md names it where the feature is released.
//
// A party that deviates can drop, repeat or replace elements of a set it
// re-blinds. Repeats and elements that are not group elements are refused
// here (ProtocolError kMalformed); dropping or replacing elements changes
// the count and is not detected by these steps alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/group.hpp"

namespace smpc::protocol::private_set {

using crypto::group::Element;
using crypto::group::Scalar;

// The domain separation tag of a job's keys: the federation's fingerprint
// and the job id, hashed so that the tag stays within RFC 9380's 255 bytes.
std::string key_tag(std::string_view federation_fingerprint, std::string_view job_id);

// This party's keys, hashed under tag and blinded by s: distinct, sorted.
struct OwnSet {
  std::vector<Element> elements;
  std::size_t duplicates = 0;  // keys given more than once, counted once
};
// The work is split over the cores (work_split.hpp). poll, if given, is
// called on the caller's thread before each chunk of kPollEvery keys (or
// elements, below) it takes: it
// may throw to stop a long step (a set of a million keys takes minutes).
constexpr std::size_t kPollEvery = 1024;
OwnSet blind_own(const std::vector<std::string>& keys, std::string_view tag, const Scalar& s,
                 const std::function<void()>& poll = {});

// A set received from a partner, re-blinded by s and sorted. Refuses
// (ProtocolError kMalformed) an element that is not a valid group element
// and a set that holds an element twice.
std::vector<Element> reblind(const std::vector<Element>& set, const Scalar& s,
                             const std::function<void()>& poll = {});

// How many distinct elements at least k of the sets hold (k from 1 to the
// number of sets): k = number of sets is the intersection count, k = 1 the
// union count. Each set must hold distinct elements (what blind_own and
// reblind give); a set that repeats one is refused (kMalformed).
std::uint64_t count_held_by_at_least(const std::vector<std::vector<Element>>& sets, std::size_t k);

// How many elements each pair of sets shares, pairs in order (0, 1), (0, 2),
// ..., (0, n - 1), (1, 2), ...: n(n - 1) / 2 counts (the overlap matrix above
// its diagonal). Each set must hold distinct elements (kMalformed); sorted
// sets are merged in place, others sorted in a copy. poll is called once
// per pair.
std::vector<std::uint64_t> pair_overlaps(const std::vector<const std::vector<Element>*>& sets,
                                         const std::function<void()>& poll = {});

}  // namespace smpc::protocol::private_set
