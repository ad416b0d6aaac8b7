// SetJob: the ring of blinded sets, then the release job (set_job.hpp).
#include "protocol/set_job.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "crypto/hash.hpp"
#include "crypto/wipe.hpp"
#include "protocol/private_set.hpp"
#include "protocol/sealed_set.hpp"
#include "protocol/work_split.hpp"

namespace smpc::protocol {

namespace {

using crypto::group::Element;

std::string party_name(const FederationDef& fed, std::uint16_t party) {
  return "party " + fed.parties[party];
}

std::vector<std::uint8_t> flatten(const std::vector<Element>& set) {
  std::vector<std::uint8_t> out(set.size() * kSetElementBytes);
  for (std::size_t i = 0; i < set.size(); ++i) {
    std::memcpy(out.data() + i * kSetElementBytes, set[i].data(), kSetElementBytes);
  }
  return out;
}

std::vector<Element> elements_of(const std::vector<std::uint8_t>& bytes) {
  std::vector<Element> out(bytes.size() / kSetElementBytes);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::memcpy(out[i].data(), bytes.data() + i * kSetElementBytes, kSetElementBytes);
  }
  return out;
}

// What identifies a set as it travels: its group sizes, elements and
// sealed values with their key (a resend with other values is another set).
crypto::Digest set_digest(const Message& m) {
  crypto::Sha256 h;
  for (std::uint32_t n : m.segments) h.update(&n, sizeof n);
  for (const std::vector<std::uint8_t>* part : {&m.blinded, &m.value_key, &m.sealed}) {
    h.update_field(std::string_view(reinterpret_cast<const char*>(part->data()), part->size()));
  }
  return h.finish();
}

// Elements [b, e) of a sealed set with their sealed values (a group's run).
sealed_set::SealedSet sealed_run(const std::vector<Element>& elements,
                                 const std::vector<crypto::elgamal::Ciphertext>& sealed,
                                 std::size_t b, std::size_t e) {
  sealed_set::SealedSet part;
  part.elements.assign(elements.begin() + static_cast<std::ptrdiff_t>(b),
                       elements.begin() + static_cast<std::ptrdiff_t>(e));
  part.sealed.assign(sealed.begin() + static_cast<std::ptrdiff_t>(b),
                     sealed.begin() + static_cast<std::ptrdiff_t>(e));
  return part;
}

// The runs of a grouped set: [begin, end) of each group's elements.
std::vector<std::pair<std::size_t, std::size_t>> runs(const std::vector<std::uint32_t>& sizes) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t at = 0;
  for (std::uint32_t n : sizes) {
    out.emplace_back(at, at + n);
    at += n;
  }
  return out;
}

}  // namespace

SetJob::SetJob(SetParams params, std::vector<std::string> keys, crypto::RandomSource& rng,
               std::vector<std::uint32_t> group_sizes, std::vector<std::uint64_t> values)
    : params_(std::move(params)),
      keys_(std::move(keys)),
      group_sizes_(std::move(group_sizes)),
      values_(std::move(values)) {
  const FederationDef& fed = params_.job.federation;
  validate(fed);
  const std::size_t n = fed.parties.size();
  if (fed.threshold != 0 || compute_parties(fed).size() != n || input_parties(fed).size() != n ||
      output_parties(fed).size() != n) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "set operations need a peer-to-peer federation with additive sharing",
                        "Every party must hold keys, compute and learn the result, and all of "
                        "them must take part: a party left out would shrink the overlap unseen.",
                        "Run set operations in a federation without roles or a threshold.");
  }
  if (params_.at_least < 1 || params_.at_least > n) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "the overlap must be held by between 1 and " +
                                                         std::to_string(n) + " parties, not " +
                                                         std::to_string(params_.at_least));
  }
  if (keys_.size() > kMaxSetElements) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a set job takes at most " + std::to_string(kMaxSetElements) +
                            " keys per party, not " + std::to_string(keys_.size()));
  }
  if (params_.groups > kMaxSetSegments) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a grouped set job takes at most " + std::to_string(kMaxSetSegments) +
                            " groups, not " + std::to_string(params_.groups));
  }
  if (params_.sum && (params_.at_least != n || params_.job.width != 2 * segments())) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "an intersection sum releases a sum and a count (per group) over the "
                        "keys every party holds");
  }
  if (params_.pairs &&
      (params_.sum || params_.groups != 0 || params_.job.width != n * (n - 1) / 2 ||
       params_.job.cells != n * (n - 1) / 2)) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "an overlap matrix releases one count per pair of parties, not grouped");
  }
  if (params_.pairs && !params_.job.policy.overlap_pairs) {
    throw ProtocolError(ErrorKind::kRefused,
                        "the release policy does not allow the overlap of pairs of parties",
                        "An overlap matrix releases how many keys each pair of parties shares.",
                        "Allow it at every party with smpc.set_overlap_pairs(federation) if the "
                        "federation agrees.");
  }
  if (!params_.sum && !params_.pairs && params_.job.width != segments()) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a set job releases one value per group, its count");
  }
  if (!values_.empty() && (!params_.sum || values_.size() != keys_.size())) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "values go with an intersection sum, one per key");
  }
  if (!values_.empty() && params_.job.self == kCounter) {
    // It sees every fully blinded set; holding the key to its own sealed
    // values, it could open them one by one and so link each of its keys
    // to the parties that hold it.
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "the counting party gives no values to an intersection sum",
                        "It sees every fully blinded set; with the key to its own values it "
                        "would learn which parties hold each of its keys.",
                        "Give the values at another party (the counting party is the "
                        "federation's first).");
  }
  static_assert(kMaxSealedElements == kMaxSetElements,
                "a set with values takes as many keys as one without (checked above)");
  std::uint64_t grouped = 0;
  for (std::uint32_t n : group_sizes_) grouped += n;
  if (params_.groups == 0 ? !group_sizes_.empty()
                          : group_sizes_.size() != params_.groups || grouped != keys_.size()) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "the group sizes of a set job do not add up to its keys");
  }
  if (params_.groups == 0) group_sizes_.assign(1, static_cast<std::uint32_t>(keys_.size()));
  // The release job: this party's input is zero (plus its noise share)
  // until the ring has run; the counting party then adds the counts.
  std::vector<crypto::Fp> zero(params_.job.width);
  release_ = std::make_unique<AggregationJob>(params_.job, std::move(zero), rng);
  fingerprint_ = fingerprint(fed);
  policy_fingerprint_ = fingerprint(params_.job.policy);
  tag_ = private_set::key_tag(
      std::string_view(reinterpret_cast<const char*>(fingerprint_.data()), fingerprint_.size()),
      params_.job.job_id);
  hop_digest_.resize(n);
  full_digest_.resize(n);
  held_from_.assign(n, 0);
  full_.resize(n);
  full_sizes_.resize(n);
  full_keys_.resize(n);
  full_sealed_.resize(n);
  shapes_.resize(n);
  nonces_.resize(n);
  dead_.resize(n);
}

SetJob::~SetJob() {
  for (std::string& k : keys_) crypto::wipe(k);
}

std::size_t SetJob::parties() const { return params_.job.federation.parties.size(); }

std::uint16_t SetJob::next() const {
  return static_cast<std::uint16_t>((params_.job.self + 1) % parties());
}

std::uint16_t SetJob::previous() const {
  return static_cast<std::uint16_t>((params_.job.self + parties() - 1) % parties());
}

Message SetJob::header(std::uint16_t to) const {
  Message m;
  m.type = MessageType::kBlinded;
  m.federation = params_.job.federation.name;
  m.job_id = params_.job.job_id;
  m.sender = params_.job.self;
  m.receiver = to;
  m.nonce = release_->nonce();
  m.fingerprint = fingerprint_;
  m.policy = policy_fingerprint_;
  m.descriptor = params_.job.descriptor;
  return m;
}

void SetJob::discard_run(const Message& abort) {
  release_->discard_run(abort);
  dead_[abort.sender].push_back(abort.nonce);
}

void SetJob::forget_run(std::uint16_t party, const Nonce& nonce) {
  release_->forget_run(party, nonce);
  if (party < parties()) dead_[party].push_back(nonce);
}

bool SetJob::ring_complete() const {
  if (hops_taken_ != parties() - 1) return false;
  if (!is_counter()) return !params_.sum || own_sum_.has_value();
  return std::all_of(full_.begin(), full_.end(), [](const auto& s) { return s; });
}

void SetJob::repeat_if_faulty(Message& m) const {
  if (fault_ == Fault::kDropBlinded && m.origin != params_.job.self && !m.blinded.empty()) {
    m.blinded.resize(m.blinded.size() - kSetElementBytes);
    if (!m.sealed.empty()) m.sealed.resize(m.sealed.size() - kSealedBytes);
    // (The last group that holds an element loses it.)
    for (auto it = m.segments.rbegin(); it != m.segments.rend(); ++it) {
      if (*it > 0) {
        --*it;
        break;
      }
    }
    return;
  }
  if (fault_ != Fault::kRepeatBlinded || m.blinded.empty()) return;
  m.blinded.insert(m.blinded.end(), m.blinded.begin(), m.blinded.begin() + kSetElementBytes);
  if (!m.sealed.empty())
    m.sealed.insert(m.sealed.end(), m.sealed.begin(), m.sealed.begin() + kSealedBytes);
  if (!m.segments.empty()) m.segments.back()++;
}

void SetJob::poll() const {
  if (params_.interrupted && params_.interrupted()) {
    throw ProtocolError(ErrorKind::kInterrupted, "the set job was interrupted");
  }
}

std::string SetJob::group_tag(std::size_t g) const {
  return params_.groups == 0 ? tag_ : tag_ + "-g" + std::to_string(g);
}

bool SetJob::dead(std::uint16_t sender, const Nonce& nonce) const {
  const std::vector<Nonce>& d = dead_[sender];
  return std::find(d.begin(), d.end(), nonce) != d.end();
}

std::vector<Outgoing> SetJob::start() {
  if (started_) throw std::logic_error("SetJob::start() called twice");
  started_ = true;
  scalar_ = crypto::group::Scalar::random();
  private_set::OwnSet own;
  std::vector<std::uint32_t> sizes;
  std::size_t at = 0;
  const std::function<void()> check = [this] { poll(); };
  std::vector<std::uint8_t> value_key;
  std::vector<crypto::elgamal::Ciphertext> sealed;
  std::optional<crypto::elgamal::PublicKey> pub;
  if (!values_.empty()) {
    value_key_ = crypto::elgamal::SecretKey::random();
    pub = value_key_->public_key();
    value_key = sealed_set::key_bytes(*pub);
  }
  for (std::size_t g = 0; g < group_sizes_.size(); ++g) {
    const std::uint32_t n = group_sizes_[g];
    std::vector<std::string> group(
        std::make_move_iterator(keys_.begin() + static_cast<std::ptrdiff_t>(at)),
        std::make_move_iterator(keys_.begin() + static_cast<std::ptrdiff_t>(at + n)));
    if (pub) {
      std::vector<std::uint64_t> values(values_.begin() + static_cast<std::ptrdiff_t>(at),
                                        values_.begin() + static_cast<std::ptrdiff_t>(at + n));
      sealed_set::SealedSet part =
          sealed_set::seal_own(group, values, group_tag(g), *scalar_, *pub, check);
      crypto::wipe(values);
      sizes.push_back(static_cast<std::uint32_t>(part.elements.size()));
      // Any sum over part of the group: each limb at most 2^16 - 1 per
      // element. (Its size is public to every hop, so the search it sets
      // the length of tells nothing new.)
      value_bounds_.push_back(part.elements.size() *
                              ((std::uint64_t{1} << crypto::elgamal::kLimbBits) - 1));
      own.duplicates += part.duplicates;
      own.elements.insert(own.elements.end(), part.elements.begin(), part.elements.end());
      sealed.insert(sealed.end(), part.sealed.begin(), part.sealed.end());
    } else {
      private_set::OwnSet part = private_set::blind_own(group, group_tag(g), *scalar_, check);
      sizes.push_back(static_cast<std::uint32_t>(part.elements.size()));
      own.duplicates += part.duplicates;
      own.elements.insert(own.elements.end(), part.elements.begin(), part.elements.end());
    }
    at += n;
    for (std::string& k : group) crypto::wipe(k);
  }
  crypto::wipe(values_);
  values_.clear();
  if (pub && parties() == 1) {
    full_keys_[params_.job.self] = *pub;
    full_sealed_[params_.job.self] = sealed;
  }
  for (std::string& k : keys_) crypto::wipe(k);
  keys_.clear();
  duplicates_ = own.duplicates;
  std::vector<Outgoing> out;
  const std::uint16_t self = params_.job.self;
  saw_set(self, pub.has_value(), sizes, self);
  if (parties() == 1) {
    full_[self] = std::move(own.elements);
    full_sizes_[self] = sizes;
  } else {
    Message m = header(next());
    m.origin = self;
    m.hops = 1;
    m.blinded = flatten(own.elements);
    if (params_.groups != 0) m.segments = sizes;
    m.value_key = std::move(value_key);
    if (pub) m.sealed = sealed_set::sealed_bytes(sealed);
    repeat_if_faulty(m);
    out.push_back({m.receiver, std::move(m)});
  }
  // Sets may have come before this party started.
  std::vector<Message> early;
  early.swap(held_);
  for (Message& m : early) {
    std::vector<Outgoing> more = receive(std::move(m));
    for (Outgoing& o : more) out.push_back(std::move(o));
  }
  if (!ring_done_ && ring_complete()) {
    finish_ring(out);
  }
  return out;
}

void SetJob::aborted(const Message& m) const {
  const std::string why = m.reason.empty() ? std::string("no reason was given") : m.reason;
  throw ProtocolError(m.refused ? ErrorKind::kRefused : ErrorKind::kAborted,
                      party_name(params_.job.federation, m.sender) + " aborted the job", why);
}

void SetJob::blinded_after_ring(const Message& m) const {
  const std::size_t n = parties();
  const std::optional<crypto::Digest>& seen =
      m.origin >= n ? std::nullopt : (m.hops == n ? full_digest_[m.origin] : hop_digest_[m.origin]);
  if (m.sender < n && seen && *seen == set_digest(m)) return;  // a repeated delivery
  throw ProtocolError(
      ErrorKind::kInconsistent, "a blinded set came after the ring was done at this party",
      m.sender < n ? "It came from " + party_name(params_.job.federation, m.sender) +
                         " and differs from every set taken."
                   : "");
}

std::vector<Outgoing> SetJob::receive(Message m) {
  if (ring_done_ && m.type == MessageType::kBlinded) {
    blinded_after_ring(m);
    return {};
  }
  if (ring_done_ && m.type == MessageType::kSealedSum) {
    take_sealed_sum(m);  // a repeat, or another sum (throws)
    return {};
  }
  if (ring_done_) return release_->receive(std::move(m));
  const FederationDef& fed = params_.job.federation;
  if (m.federation != fed.name || m.job_id != params_.job.job_id) {
    throw ProtocolError(ErrorKind::kMalformed, "message belongs to a different job");
  }
  if (m.receiver != params_.job.self || m.sender >= parties() || m.sender == params_.job.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message is not addressed to this party");
  }
  if (dead(m.sender, m.nonce)) return {};
  if (m.type == MessageType::kAbort) {
    // (An abort of another run than the one whose sets came is stale.)
    if (nonces_[m.sender] && *nonces_[m.sender] != m.nonce) return {};
    aborted(m);
  }
  if (m.type == MessageType::kSealedSum && started_) {
    std::vector<Outgoing> out;
    take_sealed_sum(m);
    if (ring_complete()) finish_ring(out);
    return out;
  }
  if (m.type != MessageType::kBlinded || !started_) {
    // The release job's first messages (a faster partner finished the
    // ring), or sets before this party started: kept until they fit. An
    // honest partner sends at most its sets (one per party) and a few of
    // the release job's messages before this party can take them; more
    // are dropped, as AggregationJob drops early junk (a repeat is taken
    // once, a different one is caught when it is taken).
    if (held_from_[m.sender] >= parties() + 4) return {};
    ++held_from_[m.sender];
    held_.push_back(std::move(m));
    return {};
  }
  std::vector<Outgoing> out;
  if (!check_blinded(m)) return out;
  take_blinded(m, out);
  if (ring_complete()) {
    finish_ring(out);
  }
  return out;
}

bool SetJob::check_blinded(const Message& m) {
  const FederationDef& fed = params_.job.federation;
  const std::string party = party_name(fed, m.sender);
  if (m.fingerprint != fingerprint_) {
    throw ProtocolError(ErrorKind::kFederationMismatch,
                        "federation \"" + fed.name + "\" differs at " + party,
                        "The federation fingerprints differ.",
                        "Register the same federation definition (name, parties in order, scale, "
                        "threshold and roles) at every party.");
  }
  if (m.descriptor != params_.job.descriptor) {
    throw ProtocolError(ErrorKind::kJobMismatch,
                        party + " computes " + m.descriptor + " under this job id, this party " +
                            "computes " + params_.job.descriptor,
                        "Set operations match keys of one type, normalised the same way, and "
                        "count the same overlap at every party.",
                        "Use the same key type, normalisation and overlap at every party.");
  }
  if (m.policy != policy_fingerprint_) {
    throw ProtocolError(
        ErrorKind::kPolicyMismatch,
        "the release policy of job \"" + params_.job.job_id + "\" differs at " + party,
        "The release policy fingerprints differ.",
        "Every party must apply the same release policy to a job.");
  }
  if (m.segments.size() != params_.groups) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a blinded set of " + std::to_string(m.segments.size()) +
                            " groups to a job of " + std::to_string(params_.groups));
  }
  const std::size_t n = parties();
  const std::uint16_t self = params_.job.self;
  const bool hop =
      m.hops >= 1 && m.hops < n && m.sender == previous() && m.origin == (self + n - m.hops) % n;
  const bool full = m.hops == n && is_counter() && m.origin < n &&
                    m.sender == (m.origin + n - 1) % n && m.origin != (self + 1) % n;
  if (!hop && !full) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a blinded set out of the ring's order",
                        "Set of party index " + std::to_string(m.origin) + " after " +
                            std::to_string(static_cast<int>(m.hops)) + " blindings.");
  }
  if (nonces_[m.sender] && *nonces_[m.sender] != m.nonce) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent blinded sets of two runs of the job",
                        "A set job runs once: its id is spent when the first set leaves.",
                        "Run it again under a new job id.");
  }
  nonces_[m.sender] = m.nonce;
  // (At the counting party a set of one origin may come twice: on its way
  // round and fully blinded. The hop count tells them apart.)
  std::optional<crypto::Digest>& before =
      m.hops == n ? full_digest_[m.origin] : hop_digest_[m.origin];
  const crypto::Digest digest = set_digest(m);
  if (before) {
    if (*before == digest) return false;
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different blinded sets of one party",
                        "Party index " + std::to_string(m.origin) + "'s set came twice.");
  }
  before = digest;
  return true;
}

void SetJob::take_blinded(const Message& m, std::vector<Outgoing>& out) {
  if (!m.value_key.empty()) {
    take_valued(m, out);
    return;
  }
  std::vector<Element> set = elements_of(m.blinded);
  const std::vector<std::uint32_t> sizes =
      params_.groups == 0 ? std::vector<std::uint32_t>{static_cast<std::uint32_t>(set.size())}
                          : m.segments;
  const std::size_t n = parties();
  if (m.hops == n) {
    // A fully blinded set, at the counting party: distinct, valid elements
    // within each group.
    for (auto [b, e] : runs(sizes)) {
      auto first = set.begin() + static_cast<std::ptrdiff_t>(b);
      auto last = set.begin() + static_cast<std::ptrdiff_t>(e);
      std::sort(first, last);
      if (std::adjacent_find(first, last) != last) {
        throw ProtocolError(ErrorKind::kMalformed, "a fully blinded set holds an element twice",
                            "A party's blinded set holds each of its keys once.");
      }
    }
    for (const Element& e : set) {
      if (!crypto::group::is_valid(e)) {
        throw ProtocolError(ErrorKind::kMalformed,
                            "a fully blinded set holds a value that is no group element");
      }
    }
    saw_set(m.origin, false, sizes, m.sender);
    full_[m.origin] = std::move(set);
    full_sizes_[m.origin] = sizes;
    return;
  }
  saw_set(m.origin, false, sizes, m.sender);
  std::vector<Element> again;
  again.reserve(set.size());
  const std::function<void()> check = [this] { poll(); };
  for (auto [b, e] : runs(sizes)) {
    std::vector<Element> part(set.begin() + static_cast<std::ptrdiff_t>(b),
                              set.begin() + static_cast<std::ptrdiff_t>(e));
    std::vector<Element> blinded = private_set::reblind(part, *scalar_, check);
    again.insert(again.end(), blinded.begin(), blinded.end());
  }
  ++hops_taken_;
  const auto hops = static_cast<std::uint8_t>(m.hops + 1);
  if (hops == n && is_counter()) {
    full_[m.origin] = std::move(again);
    full_sizes_[m.origin] = sizes;
    return;
  }
  Message fwd = header(hops == n ? kCounter : next());
  fwd.origin = m.origin;
  fwd.hops = hops;
  fwd.blinded = flatten(again);
  if (params_.groups != 0) fwd.segments = sizes;
  repeat_if_faulty(fwd);
  out.push_back({fwd.receiver, std::move(fwd)});
}

void SetJob::take_valued(const Message& m, std::vector<Outgoing>& out) {
  const std::string party = party_name(params_.job.federation, m.sender);
  if (!params_.sum) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a blinded set with values to a job without sums");
  }
  sealed_set::SealedSet set;
  set.elements = elements_of(m.blinded);
  set.sealed = sealed_set::sealed_of(m.sealed, set.elements.size());
  const crypto::elgamal::PublicKey key = sealed_set::key_of(m.value_key);
  const std::size_t n = parties();
  const std::function<void()> check = [this] { poll(); };
  const std::vector<std::uint32_t> sizes =
      params_.groups == 0
          ? std::vector<std::uint32_t>{static_cast<std::uint32_t>(set.elements.size())}
          : m.segments;
  if (m.hops == n) {
    // Fully blinded, at the counting party: each group's run sorted by the
    // last hop (so the values stay with their elements), distinct, every
    // encoding valid.
    for (auto [b, e] : runs(sizes)) {
      auto first = set.elements.begin() + static_cast<std::ptrdiff_t>(b);
      auto last = set.elements.begin() + static_cast<std::ptrdiff_t>(e);
      if (!std::is_sorted(first, last) || std::adjacent_find(first, last) != last) {
        throw ProtocolError(
            ErrorKind::kMalformed,
            "a fully blinded set with values is not sorted or holds an element twice",
            "It came from " + party + ".");
      }
    }
    split_work(
        set.elements.size(),
        [&](std::size_t begin, std::size_t end) {
          for (std::size_t i = begin; i < end; ++i) {
            if (!crypto::group::is_valid(set.elements[i]) ||
                !crypto::elgamal::is_valid(set.sealed[i])) {
              throw ProtocolError(ErrorKind::kMalformed,
                                  "a fully blinded set holds a value that is no group element",
                                  "It came from " + party + ".");
            }
          }
        },
        check);
    saw_set(m.origin, true, sizes, m.sender);
    full_[m.origin] = std::move(set.elements);
    full_sizes_[m.origin] = sizes;
    full_keys_[m.origin] = key;
    full_sealed_[m.origin] = std::move(set.sealed);
    return;
  }
  saw_set(m.origin, true, sizes, m.sender);
  // Each group's run re-blinded and sorted apart (its elements and values);
  // one group: the set as it is, without a copy.
  sealed_set::SealedSet again;
  if (sizes.size() == 1) {
    again = sealed_set::reblind(set, *scalar_, key, check);
  } else {
    for (auto [b, e] : runs(sizes)) {
      sealed_set::SealedSet blinded =
          sealed_set::reblind(sealed_run(set.elements, set.sealed, b, e), *scalar_, key, check);
      again.elements.insert(again.elements.end(), blinded.elements.begin(), blinded.elements.end());
      again.sealed.insert(again.sealed.end(), blinded.sealed.begin(), blinded.sealed.end());
    }
  }
  ++hops_taken_;
  const auto hops = static_cast<std::uint8_t>(m.hops + 1);
  if (hops == n && is_counter()) {
    full_sizes_[m.origin] = sizes;
    full_[m.origin] = std::move(again.elements);
    full_keys_[m.origin] = key;
    full_sealed_[m.origin] = std::move(again.sealed);
    return;
  }
  Message fwd = header(hops == n ? kCounter : next());
  fwd.origin = m.origin;
  fwd.hops = hops;
  fwd.blinded = flatten(again.elements);
  if (params_.groups != 0) fwd.segments = sizes;
  fwd.value_key = m.value_key;
  fwd.sealed = sealed_set::sealed_bytes(again.sealed);
  repeat_if_faulty(fwd);
  out.push_back({fwd.receiver, std::move(fwd)});
}

std::vector<std::vector<Element>> SetJob::run_sets(std::size_t g, const Runs& at) const {
  std::vector<std::vector<Element>> sets;
  sets.reserve(full_.size());
  for (std::size_t o = 0; o < full_.size(); ++o) {
    const auto [b, e] = at[o][g];
    sets.emplace_back(full_[o]->begin() + static_cast<std::ptrdiff_t>(b),
                      full_[o]->begin() + static_cast<std::ptrdiff_t>(e));
  }
  return sets;
}

void SetJob::send_sealed_sums(const std::vector<std::uint64_t>& counts, const Runs& at,
                              std::vector<Outgoing>& out) {
  const std::size_t n = parties();
  const std::function<void()> check = [this] { poll(); };
  const bool one_group = segments() == 1;
  for (std::size_t o = 0; o < n; ++o) {
    std::vector<crypto::elgamal::Ciphertext> sums(segments(), crypto::elgamal::zero());
    for (std::size_t g = 0; g < segments() && full_keys_[o]; ++g) {
      if (g % 256 == 0) poll();
      // Below the release policy's minimum nothing of a group is opened:
      // its sum is the empty one (the release job then refuses the job, or
      // suppresses the group).
      if (counts[g] < params_.job.policy.min_rows) continue;
      // One group: the sets themselves; else each origin's run of group g.
      const auto [b, e] = at[o][g];
      sealed_set::SealedSet set = sealed_run(*full_[o], full_sealed_[o], b, e);
      std::vector<std::vector<Element>> others_runs;
      std::vector<const std::vector<Element>*> others;
      others_runs.reserve(n);
      for (std::size_t p = 0; p < n; ++p) {
        if (p == o) continue;
        if (one_group) {
          others.push_back(&*full_[p]);
          continue;
        }
        const auto [pb, pe] = at[p][g];
        others_runs.emplace_back(full_[p]->begin() + static_cast<std::ptrdiff_t>(pb),
                                 full_[p]->begin() + static_cast<std::ptrdiff_t>(pe));
        others.push_back(&others_runs.back());
      }
      sums[g] = sealed_set::overlap_sum(set, others, check);
    }
    if (o == params_.job.self) {
      own_sum_ = sums;
      continue;
    }
    Message m = header(static_cast<std::uint16_t>(o));
    m.type = MessageType::kSealedSum;
    m.sealed = sealed_set::sealed_bytes(sums);
    out.push_back({m.receiver, std::move(m)});
  }
}

void SetJob::take_sealed_sum(const Message& m) {
  const std::string party = party_name(params_.job.federation, m.sender);
  if (!params_.sum || is_counter() || m.sender != kCounter) {
    throw ProtocolError(ErrorKind::kInconsistent, party + " sent a sealed sum out of turn");
  }
  if (m.fingerprint != fingerprint_ || m.descriptor != params_.job.descriptor ||
      m.policy != policy_fingerprint_ || (nonces_[m.sender] && *nonces_[m.sender] != m.nonce)) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a sealed sum of another run, job or federation");
  }
  if (m.sealed.size() != segments() * kSealedBytes) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a sealed sum of " +
                            std::to_string(m.sealed.size() / kSealedBytes) +
                            " groups to a job of " + std::to_string(segments()));
  }
  const std::vector<crypto::elgamal::Ciphertext> sum = sealed_set::sealed_of(m.sealed, segments());
  if (own_sum_) {
    if (*own_sum_ == sum) return;  // a repeated delivery
    throw ProtocolError(ErrorKind::kInconsistent, party + " sent two different sealed sums");
  }
  nonces_[m.sender] = m.nonce;
  own_sum_ = sum;
}

void SetJob::open_own_sum() {
  if (!value_key_) return;
  // One search for every group's sum, as long whatever they hold.
  const std::vector<std::optional<unsigned __int128>> opened =
      value_key_->decrypt_sums(*own_sum_, value_bounds_, [this] { poll(); });
  value_key_.reset();
  if (!std::all_of(opened.begin(), opened.end(), [](const auto& v) { return v.has_value(); })) {
    throw ProtocolError(
        ErrorKind::kInconsistent, "the sealed sum of this party's values does not open",
        "It is no sum of this party's values: " + party_name(params_.job.federation, kCounter) +
            " (the counting party) sent another, or a party that re-blinded this party's set "
            "changed its sealed values.");
  }
  const crypto::SummandEncoder as_summand(parties());
  for (std::size_t g = 0; g < segments(); ++g) {
    release_->add_to_input(2 * g, as_summand(static_cast<crypto::i128>(*opened[g])));
  }
}

void SetJob::saw_set(std::uint16_t origin, bool valued, const std::vector<std::uint32_t>& sizes,
                     std::uint16_t from) {
  Shape shape{valued, sizes};
  std::optional<Shape>& seen = shapes_[origin];
  if (!seen) {
    seen = std::move(shape);
    return;
  }
  if (*seen == shape) return;
  const FederationDef& fed = params_.job.federation;
  auto describe = [](const Shape& s) {
    std::uint64_t total = 0;
    for (std::uint32_t n : s.sizes) total += n;
    return std::to_string(total) + " elements" + (s.sizes.size() > 1 ? " in its groups" : "") +
           (s.valued ? " with values" : "");
  };
  throw ProtocolError(
      ErrorKind::kInconsistent,
      "the blinded set of " + party_name(fed, origin) + " changed on its way round the ring",
      "This party saw it with " + describe(*seen) + ", and fully blinded from " +
          party_name(fed, from) + " with " + describe(shape) +
          ": a party on its way dropped or added elements. Nothing was released.",
      "Check the partners' logs; run the job again with a new job id.");
}

crypto::Digest SetJob::shapes_digest() const {
  crypto::Sha256 h;
  h.update_field("smpc-set-shapes-v1");
  for (const std::optional<Shape>& s : shapes_) {
    std::uint8_t b[5] = {0, 0, 0, 0, 0};
    if (s) {
      b[0] = s->valued ? 2 : 1;
      const auto count = static_cast<std::uint32_t>(s->sizes.size());
      for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<std::uint8_t>(count >> (8 * i));
    }
    h.update(b, sizeof b);
    if (!s) continue;
    for (std::uint32_t n : s->sizes) {
      for (int i = 0; i < 4; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
      h.update(b, 4);
    }
  }
  return h.finish();
}

void SetJob::finish_ring(std::vector<Outgoing>& out) {
  ring_done_ = true;
  // The counting party: each origin's runs, once.
  Runs at;
  if (is_counter()) {
    for (const auto& sizes : full_sizes_) at.push_back(runs(sizes));
  }
  const crypto::SummandEncoder as_summand(parties());
  if (is_counter() && params_.sum) {
    // Per group g: its sum at 2g (the parties' own, opened by each), its
    // overlap count at 2g + 1.
    std::vector<std::uint64_t> counts(segments());
    for (std::size_t g = 0; g < segments(); ++g) {
      if (g % 256 == 0) poll();
      counts[g] = private_set::count_held_by_at_least(run_sets(g, at), parties());
      release_->add_to_input(2 * g + 1, as_summand(static_cast<crypto::i128>(counts[g])));
    }
    send_sealed_sums(counts, at, out);
  } else if (is_counter() && params_.pairs) {
    std::vector<const std::vector<Element>*> sets;
    for (const auto& f : full_) sets.push_back(&*f);
    const std::vector<std::uint64_t> counts = private_set::pair_overlaps(sets, [this] { poll(); });
    for (std::size_t p = 0; p < counts.size(); ++p) {
      release_->add_to_input(p, as_summand(static_cast<crypto::i128>(counts[p])));
    }
  } else if (is_counter()) {
    for (std::size_t g = 0; g < segments(); ++g) {
      if (g % 256 == 0) poll();
      const std::uint64_t count =
          private_set::count_held_by_at_least(run_sets(g, at), params_.at_least);
      release_->add_to_input(g, as_summand(static_cast<crypto::i128>(count)));
    }
  }
  if (params_.sum) open_own_sum();
  full_.clear();
  full_sizes_.clear();
  full_keys_.clear();
  full_sealed_.clear();
  scalar_.reset();
  release_->bind_context(shapes_digest());
  std::vector<Outgoing> first = release_->start();
  for (Outgoing& o : first) out.push_back(std::move(o));
  std::vector<Message> held;
  held.swap(held_);
  for (Message& m : held) {
    std::vector<Outgoing> more = release_->receive(std::move(m));
    for (Outgoing& o : more) out.push_back(std::move(o));
  }
}

bool SetJob::timeout(std::vector<Outgoing>& out) { return ring_done_ && release_->timeout(out); }

bool SetJob::unreachable(std::uint16_t party, const std::string& reason) {
  return ring_done_ && release_->unreachable(party, reason);
}

int SetJob::round() const {
  if (!started_) return 0;
  // Each set re-blinded here is a round of its own: a deadline per hop.
  return ring_done_ ? static_cast<int>(parties()) + release_->round()
                    : 1 + static_cast<int>(hops_taken_);
}

MessageType SetJob::current_round() const {
  return ring_done_ ? release_->current_round() : MessageType::kBlinded;
}

std::string SetJob::round_name(MessageType t) const {
  if (t == MessageType::kBlinded) return "the ring (blinded sets)";
  if (t == MessageType::kSealedSum) return "the sealed sum";
  return "release " + release_->round_name(t);
}

std::vector<std::uint16_t> SetJob::missing() const {
  if (ring_done_) return release_->missing();
  std::vector<std::uint16_t> out;
  if (!started_) return out;
  const std::size_t n = parties();
  if (hops_taken_ < n - 1) out.push_back(previous());
  if (params_.sum && !is_counter() && hops_taken_ == n - 1 && !own_sum_) out.push_back(kCounter);
  if (is_counter()) {
    for (std::size_t o = 0; o < n; ++o) {
      const auto last = static_cast<std::uint16_t>((o + n - 1) % n);
      if (!full_[o] && last != params_.job.self &&
          std::find(out.begin(), out.end(), last) == out.end()) {
        out.push_back(last);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SetJob::describe_missing() const {
  if (ring_done_) return "release " + release_->describe_missing();
  std::string out = "the ring (blinded sets) from ";
  bool first = true;
  for (std::uint16_t p : missing()) {
    out += (first ? "" : ", ") + party_name(params_.job.federation, p);
    first = false;
  }
  return out;
}

void SetJob::set_fault(Fault fault) {
  fault_ = fault;
  release_->set_fault(fault == Fault::kRepeatBlinded || fault == Fault::kDropBlinded ? Fault::kNone
                                                                                     : fault);
}

}  // namespace smpc::protocol
