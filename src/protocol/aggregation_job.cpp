// The sans-IO aggregation protocol; see aggregation_job.hpp for the rounds
// and roles. Invariants kept here:
//   - a received message is checked completely before any state changes, so
//     a rejected message leaves the job as it was;
//   - per sender and round at most one message is kept; an identical repeat
//     is ignored, a different one is equivocation;
//   - nothing but the row count is opened before the row count passed the
//     release policy, and a refused job keeps no opened value; in a grouped
//     job, nothing of a cell whose count is below the minimum is opened;
//   - nothing is opened before every compute party this one heard from in
//     the agree round named the same set S of inputs; every value is opened
//     over that S, carried in every count and partial message, and from at
//     least t compute parties;
//   - shares that arrive after this party's roster went out are never used;
//   - the result is only exposed after every partner that answered confirmed
//     (or vouched for) the same digest, and after at least a quorum of
//     compute parties did; a Shamir result only from more than t values, a
//     result with MAC tags only after every group matched its tag;
//   - committed() is true before the first message that opens anything (or
//     lets partners open it) is handed to the caller;
//   - a compute party that learns no result never holds the salt (it is
//     opened in the partial round, to outputs only), nor alpha.
#include "protocol/aggregation_job.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "crypto/hash.hpp"
#include "crypto/noise.hpp"
#include "crypto/sharing.hpp"
#include "crypto/wipe.hpp"
#include "protocol/noise_plan.hpp"

namespace smpc::protocol {

namespace {

constexpr std::string_view kTranscriptDomain = "smpc-transcript-v4";
constexpr std::string_view kMacKeyDomain = "smpc-mac-key-v1";
constexpr std::size_t kMaxEarlyMessages = 16;

// Cuts a reason to kMaxReasonBytes without splitting a UTF-8 sequence.
std::string truncate_reason(const std::string& reason) {
  if (reason.size() <= kMaxReasonBytes) return reason;
  std::size_t end = kMaxReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

// The elements of `v` at `indexes`, in that order.
std::vector<crypto::Fp> pick(const std::vector<crypto::Fp>& v,
                             const std::vector<std::size_t>& indexes) {
  std::vector<crypto::Fp> out;
  out.reserve(indexes.size());
  for (std::size_t i : indexes) out.push_back(v[i]);
  return out;
}

std::uint64_t bit(std::size_t i) { return std::uint64_t{1} << i; }

// Zeroes what a message holds of shares (values, seed) before it goes.
void wipe_secrets(Message& m) {
  crypto::wipe(m.values);
  crypto::wipe(m.seed.data(), m.seed.size());
}

}  // namespace

AggregationJob::AggregationJob(JobParams params, std::vector<crypto::Fp> input,
                               crypto::RandomSource& rng)
    : params_(std::move(params)), input_(std::move(input)), rng_(rng) {
  validate(params_.federation);
  validate(params_.policy);
  const FederationDef& fed = params_.federation;
  const std::size_t n = fed.parties.size();
  if (params_.self >= n) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "party index " + std::to_string(params_.self) +
                                                         " is outside the federation of " +
                                                         std::to_string(n) + " parties");
  }
  if (params_.job_id.empty() || params_.job_id.size() > kMaxJobIdBytes) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job id must have 1 to " + std::to_string(kMaxJobIdBytes) + " bytes");
  }
  if (params_.descriptor.empty() || params_.descriptor.size() > kMaxDescriptorBytes) {
    throw ProtocolError(
        ErrorKind::kInvalidArgument,
        "job descriptor must have 1 to " + std::to_string(kMaxDescriptorBytes) + " bytes");
  }

  compute_ = compute_parties(fed);
  compute_pos_.assign(n, -1);
  for (std::size_t k = 0; k < compute_.size(); ++k) compute_pos_[compute_[k]] = static_cast<int>(k);
  input_role_.assign(n, false);
  output_role_.assign(n, false);
  const std::vector<PartyIndex> inputs = input_parties(fed);
  for (PartyIndex i : inputs) input_role_[i] = true;
  for (PartyIndex i : output_parties(fed)) output_role_[i] = true;
  is_input_ = input_role_[params_.self];
  is_output_ = output_role_[params_.self];
  threshold_ = reconstruction_threshold(fed);
  shamir_ = fed.threshold != 0;
  bool inputs_compute = true;
  for (PartyIndex i : inputs) {
    inputs_compute = inputs_compute && compute_pos_[i] >= 0;
    input_mask_ |= bit(i);
  }
  tolerant_ = shamir_ || !inputs_compute;
  // A Byzantine quorum (aggregation_job.hpp, "Dropouts"): any two share t
  // compute parties. Additive sharing needs all of them (t = n_c).
  quorum_ = tolerant_ ? (compute_.size() + threshold_ + 1) / 2 : compute_.size();
  bool blind_compute = false;  // a compute party that neither supplies an input nor learns the result
  for (std::size_t j = 0; j < n; ++j) {
    vouching_ = vouching_ || ((compute_pos_[j] >= 0) != output_role_[j]);
    blind_compute = blind_compute || (compute_pos_[j] >= 0 && !input_role_[j] && !output_role_[j]);
  }
  mac_ = !shamir_ && blind_compute;

  width_ = params_.width != 0 ? params_.width : input_.size();
  if (width_ == 0 || width_ > kMaxValues) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job input must have 1 to " + std::to_string(kMaxValues) + " values");
  }
  if (is_input_ && input_.size() != width_) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "an input party's input must have " +
                                                         std::to_string(width_) + " values");
  }
  if (!is_input_ && !input_.empty()) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "party \"" + fed.parties[params_.self] + "\" supplies no input in federation \"" +
                            fed.name + "\"");
  }
  if (params_.count_index && *params_.count_index >= width_) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "the row count index is outside the input");
  }
  if (params_.cells != 0) {
    if (params_.count_index || params_.cell_width == 0 ||
        params_.cell_count >= params_.cell_width || params_.cells * params_.cell_width != width_) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the cells of a grouped job must fill its input, each with a row count");
    }
  } else if (params_.policy.min_rows > 0 && !params_.count_index) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a minimum row count needs the row count in the job input");
  }
  check_admits(fed, params_.policy);
  if (!params_.noise_exponent.empty()) {
    if (params_.noise_exponent.size() != width_) {
      throw ProtocolError(ErrorKind::kInvalidArgument, "the noise must name one parameter per value");
    }
    const std::uint32_t parts = noise_parts(fed, params_.policy);
    for (std::size_t k = 0; is_input_ && k < width_; ++k) {
      if (params_.noise_exponent[k] > 0) {
        input_[k] = add_noise_share(
            input_[k], crypto::laplace_noise_share(rng_, params_.noise_exponent[k], parts), fed);
      }
    }
  }

  fingerprint_ = fingerprint(fed);
  policy_fingerprint_ = fingerprint(params_.policy);
  for (std::size_t k = 0; k < width_; ++k) {
    const bool count = params_.cells != 0 ? k % params_.cell_width == params_.cell_count
                                          : params_.count_index && k == *params_.count_index;
    if (params_.policy.min_rows > 0 && count) {
      gated_.push_back(k);
    } else {
      rest_.push_back(k);
    }
  }
  // The salt and the MAC tags follow the caller's values; all are opened
  // in the partial round, to output parties only.
  wide_ = width_;
  if (vouching_) rest_.push_back(wide_++);
  if (mac_) {
    mac_per_cell_ = params_.cells != 0 && params_.policy.min_rows > 0;
    mac_groups_ = (gated_.empty() ? 0 : 1) + (mac_per_cell_ ? params_.cells : 1);
    first_tag_ = wide_;
    for (std::size_t g = 0; g < mac_groups_; ++g) rest_.push_back(wide_++);
    if (wide_ > kMaxValues) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the job's values with their integrity checks (" + std::to_string(wide_) +
                              ") exceed the limit of " + std::to_string(kMaxValues));
    }
    if (is_compute(params_.self)) key_part_ = crypto::random_element(rng_);
  }
  if (mac_) phases_.push_back(MessageType::kKey);
  phases_.push_back(MessageType::kShare);
  if (tolerant_) {
    phases_.push_back(MessageType::kRoster);
    phases_.push_back(MessageType::kAgree);
  }
  if (!gated_.empty()) phases_.push_back(MessageType::kCount);
  if (!rest_.empty()) phases_.push_back(MessageType::kPartial);
  phases_.push_back(MessageType::kConfirm);
  if (vouching_) phases_.push_back(MessageType::kVouch);

  keys_.resize(n);
  shares_.resize(n);
  rosters_.resize(n);
  agrees_.resize(n);
  counts_.resize(n);
  partials_.resize(n);
  confirms_.resize(n);
  vouches_.resize(n);
  nonces_.resize(n);
  dropped_.assign(n, false);
  unreachable_.assign(n, false);
  drop_reason_.resize(n);
  early_.resize(n);
  dead_.resize(n);
  dead_reason_.resize(n);
  acked_.assign(n, false);
  rng_.fill(nonce_.data(), nonce_.size());
}

// Nothing of the input, the shares, the sums or the key stays behind in
// freed memory.
AggregationJob::~AggregationJob() {
  crypto::wipe(input_);
  crypto::wipe(own_share_);
  crypto::wipe(held_);
  crypto::wipe(result_);
  crypto::wipe(gated_open_);
  crypto::wipe(&key_part_, sizeof key_part_);
  crypto::wipe(&key_, sizeof key_);
  for (Slots* s : {&shares_, &counts_, &partials_}) {
    for (std::optional<Message>& m : *s) {
      if (m) wipe_secrets(*m);
    }
  }
  for (std::vector<Message>& held : early_) {
    for (Message& m : held) wipe_secrets(m);
  }
}

// The fields every message of this job carries.
Message AggregationJob::header(MessageType type, std::uint16_t to) const {
  Message m;
  m.type = type;
  m.federation = params_.federation.name;
  m.job_id = params_.job_id;
  m.sender = params_.self;
  m.receiver = to;
  m.nonce = nonce_;
  m.fingerprint = fingerprint_;
  m.policy = policy_fingerprint_;
  m.descriptor = params_.descriptor;
  return m;
}

AggregationJob::Slots& AggregationJob::slots(MessageType type) {
  return const_cast<Slots&>(static_cast<const AggregationJob*>(this)->slots(type));
}

const AggregationJob::Slots& AggregationJob::slots(MessageType type) const {
  switch (type) {
    case MessageType::kKey:
      return keys_;
    case MessageType::kShare:
      return shares_;
    case MessageType::kRoster:
      return rosters_;
    case MessageType::kAgree:
      return agrees_;
    case MessageType::kCount:
      return counts_;
    case MessageType::kPartial:
      return partials_;
    case MessageType::kConfirm:
      return confirms_;
    case MessageType::kVouch:
      return vouches_;
    case MessageType::kAbort:
    case MessageType::kRequest:
      break;
  }
  throw std::logic_error("no slots for abort messages");
}

MessageType AggregationJob::current() const {
  return phases_[static_cast<std::size_t>(phase_ == 0 ? 0 : phase_ - 1)];
}

// Number of values a message of `type` carries in this job.
std::size_t AggregationJob::expected_width(MessageType type) const {
  switch (type) {
    case MessageType::kKey:
      return 1;
    case MessageType::kShare:
      return wide_;
    case MessageType::kCount:
      return gated_.size();
    case MessageType::kPartial:
      return rest_.size();
    default:
      return 0;
  }
}

std::vector<std::uint16_t> AggregationJob::expected(MessageType type) const {
  std::vector<std::uint16_t> out;
  for (std::size_t j = 0; j < params_.federation.parties.size(); ++j) {
    const auto sender = static_cast<std::uint16_t>(j);
    if (j != params_.self && !dropped_[j] && sends_to_me(sender, type)) out.push_back(sender);
  }
  return out;
}

// Who sends what to whom; see the rounds in aggregation_job.hpp.
bool AggregationJob::sends_to_me(std::uint16_t sender, MessageType type) const {
  const std::uint16_t self = params_.self;
  switch (type) {
    case MessageType::kKey:
      return is_compute(sender) && (is_input_ || is_output_);
    case MessageType::kShare:
      return input_role_[sender] && is_compute(self);
    case MessageType::kRoster:
    case MessageType::kAgree:
      return is_compute(sender) && is_compute(self);
    case MessageType::kCount:
      return is_compute(sender) && (is_compute(self) || is_output_);
    case MessageType::kPartial:
      return is_compute(sender) && is_output_;
    case MessageType::kConfirm:
      return vouching_ ? output_role_[sender] && is_compute(self)
                       : is_compute(sender) && is_compute(self);
    case MessageType::kVouch:
      return is_compute(sender) && is_output_;
    case MessageType::kAbort:
    case MessageType::kRequest:
      break;
  }
  return false;
}

bool AggregationJob::sends_to(std::uint16_t to, MessageType type) const {
  const std::uint16_t self = params_.self;
  switch (type) {
    case MessageType::kKey:
      return is_compute(self) && (input_role_[to] || output_role_[to]);
    case MessageType::kShare:
      return is_input_ && is_compute(to);
    case MessageType::kRoster:
    case MessageType::kAgree:
      return is_compute(self) && is_compute(to);
    case MessageType::kCount:
      return is_compute(self) && (is_compute(to) || output_role_[to]);
    case MessageType::kPartial:
      return is_compute(self) && output_role_[to];
    case MessageType::kConfirm:
      return vouching_ ? is_output_ && is_compute(to) : is_compute(self) && is_compute(to);
    case MessageType::kVouch:
      return is_compute(self) && output_role_[to];
    case MessageType::kAbort:
    case MessageType::kRequest:
      break;
  }
  return false;
}

bool AggregationJob::complete(MessageType type) const {
  const Slots& s = slots(type);
  for (std::uint16_t j : expected(type)) {
    if (!s[j]) return false;
  }
  return true;
}

std::size_t AggregationJob::live_compute() const {
  std::size_t live = 0;
  for (std::uint16_t c : compute_) live += dropped_[c] ? 0 : 1;
  return live;
}

std::vector<std::uint16_t> AggregationJob::partners() const {
  std::vector<std::uint16_t> out;
  for (std::size_t j = 0; j < params_.federation.parties.size(); ++j) {
    if (j != params_.self) out.push_back(static_cast<std::uint16_t>(j));
  }
  return out;
}

void AggregationJob::discard_run(const Message& abort) {
  if (phase_ != 0) throw std::logic_error("AggregationJob::discard_run() after start()");
  const FederationDef& fed = params_.federation;
  if (abort.type != MessageType::kAbort || abort.federation != fed.name ||
      abort.job_id != params_.job_id || abort.receiver != params_.self ||
      abort.sender >= fed.parties.size() || abort.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "not an abort of this job from a partner");
  }
  std::vector<Nonce>& dead = dead_[abort.sender];
  // Bounded like early messages: a partner's aborted attempts are few.
  if (std::find(dead.begin(), dead.end(), abort.nonce) == dead.end() &&
      dead.size() < kMaxEarlyMessages) {
    dead.push_back(abort.nonce);
  }
  dead_reason_[abort.sender] = abort.reason.empty() ? "no reason was given" : abort.reason;
}

std::string AggregationJob::dead_runs() const {
  std::string out;
  for (std::size_t j = 0; j < dead_.size(); ++j) {
    if (dead_[j].empty()) continue;
    if (!out.empty()) out += " ";
    out += "Party " + params_.federation.parties[j] +
           " aborted the job before this party started it: " + dead_reason_[j] + ".";
  }
  return out;
}

std::vector<Outgoing> AggregationJob::start() {
  if (phase_ != 0) throw std::logic_error("AggregationJob::start() called twice");
  std::vector<Outgoing> out;
  phase_ = 1;
  send_round(current(), out);
  // Messages that arrived before start() may already complete rounds.
  std::vector<Outgoing> more = advance();
  for (Outgoing& o : more) out.push_back(std::move(o));
  return out;
}

// input_ (its noise share added), the salt, the MAC tags.
std::vector<crypto::Fp> AggregationJob::extended_input() const {
  std::vector<crypto::Fp> x = input_;
  x.reserve(wide_);
  if (vouching_) x.push_back(crypto::random_element(rng_));
  if (mac_) {
    const std::vector<crypto::Fp> tags = mac_sums(x);
    x.insert(x.end(), tags.begin(), tags.end());
  }
  return x;
}

void AggregationJob::share_input(std::vector<Outgoing>& out) {
  const std::size_t nc = compute_.size();
  std::vector<crypto::Fp> x = extended_input();
  // by_compute[c][k]: compute party c's share of input element k (Shamir:
  // the point at x = c + 1). Additive: every share but one is sent as a
  // seed; the one in full is this party's own (or, at an input party that
  // does not compute, the last compute party's).
  std::vector<std::vector<crypto::Fp>> by_compute;
  crypto::SeededSplit seeded;
  std::size_t full = nc - 1;
  if (shamir_) {
    by_compute = crypto::shamir_split(x, nc, threshold_, rng_);
  } else {
    if (compute_pos_[params_.self] >= 0) full = static_cast<std::size_t>(compute_pos_[params_.self]);
    seeded = crypto::additive_split_seeded(x, nc, full, rng_);
  }
  const std::string definition = canonical_text(params_.federation);
  const std::string policy = canonical_text(params_.policy);
  const std::size_t first = out.size();
  for (std::size_t c = 0; c < nc; ++c) {
    const std::uint16_t to = compute_[c];
    std::vector<crypto::Fp> share =
        shamir_ ? std::move(by_compute[c]) : c == full ? std::move(seeded.full) : std::vector<crypto::Fp>{};
    if (to == params_.self) {
      own_share_ = std::move(share);
      continue;
    }
    Message m = header(MessageType::kShare, to);
    m.definition = definition;
    m.policy_text = policy;
    if (mac_) m.digest = key_digest_;
    if (!shamir_ && c != full) {
      m.seeded = static_cast<std::uint32_t>(wide_);
      m.seed = seeded.seeds[c];
    } else {
      m.values = std::move(share);
    }
    if (out.size() == first && fault_ == Fault::kEquivocateShare) {
      Message other = m;
      if (other.seeded != 0) {
        other.seed[0] ^= 0x01;
      } else {
        other.values[0] += crypto::Fp::from_signed(1);
      }
      out.push_back(Outgoing{to, std::move(other)});
    }
    out.push_back(Outgoing{to, std::move(m)});
  }
  crypto::wipe(x);
  for (crypto::Seed& seed : seeded.seeds) crypto::wipe(seed.data(), seed.size());
}

std::vector<Outgoing> AggregationJob::receive(Message m) {
  const FederationDef& fed = params_.federation;
  const std::size_t n = fed.parties.size();
  // A job that ended here (released or refused) has nothing left to learn.
  if (finished_) return {};
  if (m.federation != fed.name || m.job_id != params_.job_id) {
    throw ProtocolError(ErrorKind::kMalformed, "message belongs to a different job");
  }
  if (m.receiver != params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message is addressed to a different party");
  }
  if (m.sender >= n) {
    throw ProtocolError(ErrorKind::kMalformed, "message comes from an unknown party index");
  }
  if (m.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message claims to come from this party");
  }
  if (m.type == MessageType::kRequest) {
    throw ProtocolError(ErrorKind::kMalformed, "a request is not a message of a running job");
  }
  const std::string party = "party " + fed.parties[m.sender];
  // Values a share, count or partial message carries (a seeded share: the
  // values its seed stands for); whether that is this job's width.
  const bool vector = m.type == MessageType::kShare || m.type == MessageType::kCount ||
                      m.type == MessageType::kPartial || m.type == MessageType::kKey;
  const std::size_t sent = m.seeded != 0 ? m.seeded : m.values.size();
  const bool width_ok = !vector || (sent == expected_width(m.type) &&
                                    (m.seeded == 0 || m.type == MessageType::kShare));

  // Messages of a run that died before this one started are ignored.
  const std::vector<Nonce>& dead = dead_[m.sender];
  if (std::find(dead.begin(), dead.end(), m.nonce) != dead.end()) return {};

  // A sender's run of the job is fixed by its first message of its first
  // round (its share, for an input party). Messages of another run (a failed
  // earlier attempt whose abort or partial arrived late) are ignored;
  // messages that arrive before it are held back until it shows which run is
  // current.
  const MessageType first = first_type_from(m.sender);
  const std::optional<Nonce>& known = nonces_[m.sender];
  if (m.type != first) {
    if (!known) {
      // A tolerant job does not wait for a partner that left before it sent
      // anything here (a non-fatal abort); a fatal one may be stale.
      if (m.type == MessageType::kAbort && !m.fatal && tolerant_ && phase_ > 0) {
        std::vector<Outgoing> out;
        (void)leave(m.sender, "aborted: " + (m.reason.empty() ? std::string("no reason was given")
                                                             : m.reason),
                    out);
        return out;
      }
      // Bounded: a sender has at most one message per round and an abort
      // per run; more are junk from a misbehaving sender and are dropped,
      // as are vectors that are not this job's (up to 32 MB each; the
      // sender's first message will say what it computes instead).
      if (early_[m.sender].size() < kMaxEarlyMessages && width_ok &&
          m.descriptor == params_.descriptor) {
        early_[m.sender].push_back(std::move(m));
      }
      return {};
    }
    if (*known != m.nonce) return {};
  }

  if (m.type == MessageType::kAbort) {
    // A compute partner that opened the row count and found it too low: this
    // party opens the same count (its own count round may just not be
    // complete yet), so it reports the same refusal. A party that opened
    // the count itself (and went on) trusts its own count, not the partner.
    const auto count_phase = std::find(phases_.begin(), phases_.end(), MessageType::kCount);
    const int count_round = static_cast<int>(count_phase - phases_.begin()) + 1;
    const bool counting = count_phase != phases_.end() && phase_ == count_round;
    if (m.refused && counting && is_compute(m.sender)) {
      refusal_ = row_count_refusal();
      result_.assign(wide_, crypto::Fp());
      finished_ = true;
      return {};
    }
    std::vector<Outgoing> out;
    const std::string why = m.reason.empty() ? std::string("no reason was given") : m.reason;
    // A partner that leaves for its own reasons is a dropout to a job that
    // tolerates them; one that saw an inconsistency stops the job everywhere.
    if (!m.fatal && !dropped_[m.sender] && leave(m.sender, "aborted: " + why, out)) return out;
    if (dropped_[m.sender] && !m.fatal) return {};
    throw ProtocolError(ErrorKind::kAborted, party + " aborted the job", why);
  }

  if (m.fingerprint != fingerprint_) {
    const std::string message = "federation \"" + fed.name + "\" differs at " + party;
    const std::string hint =
        "Register the same federation definition (name, parties in order, scale, threshold and "
        "roles) at every party.";
    std::string difference;
    if (m.type == MessageType::kShare) {
      try {
        difference = describe_difference(fed, parse_canonical(m.definition));
      } catch (const ProtocolError&) {
        // An unreadable definition: report the generic mismatch below.
      }
    }
    if (difference.empty()) difference = "The federation fingerprints differ.";
    throw ProtocolError(ErrorKind::kFederationMismatch, message, difference, hint);
  }

  if (m.descriptor != params_.descriptor) {
    // Grouped jobs name their key domain ("... by 5 keys <fingerprint>").
    const bool grouped = m.descriptor.find(" keys ") != std::string::npos &&
                         params_.descriptor.find(" keys ") != std::string::npos;
    throw ProtocolError(
        ErrorKind::kJobMismatch,
        party + " computes " + m.descriptor + " under this job id, this party " + "computes " +
            params_.descriptor,
        grouped ? "The parties declared different key domains (the number of keys and a "
                  "fingerprint of them are part of the job)."
                : "",
        grouped ? "Declare the same keys at every party; their order does not matter."
                : "Use a distinct job id for each computation.");
  }

  if (m.policy != policy_fingerprint_) {
    std::string difference;
    if (m.type == MessageType::kShare) {
      try {
        difference = describe_difference(params_.policy, parse_policy(m.policy_text));
      } catch (const ProtocolError&) {
        // An unreadable policy: report the generic mismatch below.
      }
    }
    if (difference.empty()) difference = "The release policy fingerprints differ.";
    throw ProtocolError(ErrorKind::kPolicyMismatch,
                        "the release policy of job \"" + params_.job_id + "\" differs at " + party,
                        difference,
                        "Every party must apply the same release policy to a job: the same "
                        "min_parties and min_rows, and the same bounds for the aggregated column.");
  }

  if (known && *known != m.nonce) {
    // The sender started the job again (it restarted): its run with us is
    // gone, which a tolerant job survives like any dropout.
    std::vector<Outgoing> out;
    if (dropped_[m.sender]) return {};
    if (leave(m.sender, "restarted the job while it was running", out)) return out;
    throw ProtocolError(ErrorKind::kInconsistent, party + " restarted the job while it was running",
                        "A message arrived with a different run nonce than earlier messages "
                        "from this party.");
  }

  if (std::find(phases_.begin(), phases_.end(), m.type) == phases_.end()) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent a " + type_name(m.type) +
                                                   " message, which this job has no round for");
  }
  // Only the roles that send a round may send its messages, and only the
  // parties that take part as inputs may be included.
  if (!sends_to_me(m.sender, m.type)) {
    throw ProtocolError(ErrorKind::kMalformed,
                        party + " sent a " + std::string(type_name(m.type)) +
                            " message, which its role in federation \"" + fed.name +
                            "\" does not send to this party");
  }
  if ((m.included & ~input_mask_) != 0) {
    throw ProtocolError(ErrorKind::kMalformed,
                        party + " included parties that supply no input");
  }
  if (!width_ok) {
    throw ProtocolError(ErrorKind::kMalformed, party + " sent " + std::to_string(sent) +
                                                   " values, this party expects " +
                                                   std::to_string(expected_width(m.type)));
  }
  std::optional<Message>& slot = slots(m.type)[m.sender];
  if (slot.has_value()) {
    // A harmless duplicate delivery is the same bytes again: a seeded share
    // the same seed (compared without expanding it: a resent seed costs
    // nothing), values the same values. Anything else, the same share in
    // the other form included, is a second message.
    bool same = false;
    if (m.seeded != 0 && slot->seeded == m.seeded) {
      std::vector<crypto::Fp> expanded = std::move(slot->values);
      slot->values.clear();
      same = *slot == m;
      slot->values = std::move(expanded);
    } else if (m.seeded == 0 && slot->seeded == 0) {
      same = *slot == m;
    }
    if (same) return {};
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different " + type_name(m.type) + " messages",
                        "A party that sends different messages for the same round is "
                        "equivocating; the job cannot be trusted.");
  }
  // A seeded share is expanded into the share it stands for (its seed kept
  // for duplicates); kept without a copy: a grouped job's vector is up to
  // 32 MB.
  if (m.seeded != 0) {
    m.values.resize(m.seeded);
    crypto::expand_seed(m.seed, m.values.data(), m.values.size());
  }
  const std::uint16_t sender = m.sender;
  const MessageType type = m.type;
  nonces_[sender] = m.nonce;
  slot = std::move(m);
  std::vector<Outgoing> out = phase_ > 0 ? advance() : std::vector<Outgoing>{};
  if (type == first && !early_[sender].empty()) {
    // Replay what this sender sent before its run was known.
    std::vector<Message> held = std::move(early_[sender]);
    early_[sender].clear();
    for (Message& e : held) {
      for (Outgoing& o : receive(std::move(e))) out.push_back(std::move(o));
    }
  }
  return out;
}

// The type of the first message `sender` sends this party in a run (its
// share, for an input party); an abort from a party that sends this one
// nothing else.
MessageType AggregationJob::first_type_from(std::uint16_t sender) const {
  for (MessageType t : phases_) {
    if (sends_to_me(sender, t)) return t;
  }
  return MessageType::kAbort;
}

bool AggregationJob::can_drop(std::uint16_t party) const {
  if (!tolerant_ || finished_) return false;
  // Not a compute party the job needs: below the quorum, or any in n-of-n.
  if (is_compute(party) && live_compute() - 1 < quorum_) return false;
  // An input after S was fixed is already in or out; before, it leaves S.
  return true;
}

void AggregationJob::mark_dropped(std::uint16_t party, const std::string& reason) {
  dropped_[party] = true;
  drop_reason_[party] = reason;
}

bool AggregationJob::leave(std::uint16_t party, const std::string& reason,
                           std::vector<Outgoing>& out) {
  if (party >= dropped_.size() || party == params_.self) return false;
  if (dropped_[party]) return true;
  if (!can_drop(party)) return false;
  mark_dropped(party, reason);
  if (phase_ > 0) {
    for (Outgoing& o : advance()) out.push_back(std::move(o));
  }
  return true;
}

// Not being able to send to a party says nothing about what it sends: its
// messages are still awaited (a deadline drops it if they do not come), so
// every compute party still includes the same inputs. It only gets nothing
// more from this party.
bool AggregationJob::unreachable(std::uint16_t party, const std::string& reason) {
  if (party >= unreachable_.size() || party == params_.self) return false;
  // A job that has ended here needs nothing more from anyone.
  if (finished_) return true;
  if (!tolerant_) return false;
  if (!unreachable_[party]) {
    unreachable_[party] = true;
    if (drop_reason_[party].empty()) drop_reason_[party] = reason;
  }
  return true;
}

bool AggregationJob::timeout(std::vector<Outgoing>& out) {
  if (finished_ || phase_ == 0) return false;
  const std::vector<std::uint16_t> late = missing();
  if (late.empty()) return false;
  // All or nothing: a round goes on only if it can go on without every one
  // of the parties it waits for.
  std::size_t compute_late = 0;
  for (std::uint16_t j : late) compute_late += is_compute(j) ? 1 : 0;
  if (!tolerant_ || live_compute() - compute_late < quorum_) return false;
  const std::string why = "did not answer in " + round_name(current());
  for (std::uint16_t j : late) mark_dropped(j, why);
  for (Outgoing& o : advance()) out.push_back(std::move(o));
  return true;
}

// This party's messages of round `type` to every party that expects them.
void AggregationJob::send_round(MessageType type, std::vector<Outgoing>& out) {
  if (type == MessageType::kShare) {
    if (is_input_) share_input(out);
    return;
  }
  // A compute party that shifts the result for everyone, itself included
  // (tests only): outputs can only notice through the checks.
  if (fault_ == Fault::kWrongPartial && type == MessageType::kPartial && !rest_.empty()) {
    held_[rest_[0]] += crypto::Fp::from_signed(1);
  }
  const std::size_t n = params_.federation.parties.size();
  bool first = true;
  for (std::size_t j = 0; j < n; ++j) {
    // A party this one stopped waiting for may still wait for this one.
    if (j == params_.self || unreachable_[j]) continue;
    auto to = static_cast<std::uint16_t>(j);
    if (!sends_to(to, type)) continue;
    Message m = header(type, to);
    if (type == MessageType::kRoster || type == MessageType::kAgree ||
        type == MessageType::kCount || type == MessageType::kPartial) {
      m.included = included_;
    }
    if (type == MessageType::kKey) m.values = {key_part_};
    if (type == MessageType::kCount) m.values = pick(held_, gated_);
    if (type == MessageType::kPartial) {
      m.values = pick(held_, rest_);
      if (mac_ && shares_key_digest_) m.digest = *shares_key_digest_;
    }
    if (type == MessageType::kConfirm) m.digest = digest_;
    if (type == MessageType::kVouch) m.digest = vouched_;
    if ((fault_ == Fault::kEquivocateCount && type == MessageType::kCount && first) ||
        (fault_ == Fault::kEquivocatePartial && type == MessageType::kPartial && first)) {
      m.values[0] += crypto::Fp::from_signed(1);
    }
    if (fault_ == Fault::kWrongConfirm && type == MessageType::kConfirm && first) m.digest[0] ^= 0x01;
    if (fault_ == Fault::kEquivocateKey && type == MessageType::kKey && first) {
      m.values[0] += crypto::Fp::from_signed(1);
    }
    first = false;
    committed_ = committed_ || (type != MessageType::kRoster && type != MessageType::kKey);
    out.push_back(Outgoing{to, std::move(m)});
  }
}

// held_ = sum over the inputs in S of the shares this party holds.
void AggregationJob::sum_held_shares() {
  held_.assign(wide_, crypto::Fp());
  if (mac_ && (is_input_ || is_output_)) shares_key_digest_ = key_digest_;
  for (std::size_t i = 0; i < shares_.size(); ++i) {
    if ((included_ & bit(i)) == 0) continue;
    if (mac_ && i != params_.self) check_share_key(*shares_[i]);
    const std::vector<crypto::Fp>& share = i == params_.self ? own_share_ : shares_[i]->values;
    for (std::size_t k = 0; k < wide_; ++k) held_[k] += share[k];
  }
}

// S: this party's roster (the inputs whose shares it held when it sent it),
// narrowed by every other compute party's roster; at least min_parties.
void AggregationJob::fix_included() {
  // Peer to peer n-of-n (no roster round): every input, all shares are here.
  std::uint64_t s = tolerant_ ? included_ : input_mask_;
  for (std::uint16_t c : compute_) {
    if (c != params_.self && rosters_[c]) s &= rosters_[c]->included;
  }
  included_ = s;
  included_fixed_ = true;
  check_min_parties();
}

// Refuses a set S of fewer than min_parties inputs (or one naming a party
// without an input role, from a misbehaving partner).
void AggregationJob::check_min_parties() const {
  if ((included_ & ~input_mask_) != 0) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "a compute party included parties that supply no input");
  }
  std::size_t count = 0;
  std::string left_out;
  for (std::size_t i = 0; i < input_role_.size(); ++i) {
    if (!input_role_[i]) continue;
    if ((included_ & bit(i)) != 0) {
      ++count;
    } else {
      left_out += (left_out.empty() ? "" : ", ") + params_.federation.parties[i];
    }
  }
  if (count < params_.policy.min_parties) {
    throw ProtocolError(ErrorKind::kTooFewParties,
                        "too few parties remain in job \"" + params_.job_id + "\": the inputs of " +
                            std::to_string(count) + " reached every compute party, the release " +
                            "policy requires at least " + std::to_string(params_.policy.min_parties),
                        "Missing: " + left_out + ". No result was released.",
                        "Run the job again when the missing parties are back.");
  }
}

// result_[indexes[k]] = the joint value of element indexes[k], reconstructed
// from the compute parties' messages of `type` over S (and this party's own
// values, for a compute party). With more than t of them, they are checked
// to lie on one polynomial, and a single value that does not is attributed.
void AggregationJob::open(MessageType type, const std::vector<std::size_t>& indexes) {
  const Slots& s = slots(type);
  const FederationDef& fed = params_.federation;
  // A party that computes no shares adopts S from the messages it receives:
  // the S that a quorum of compute parties opens over.
  if (!is_compute(params_.self) && !included_fixed_) {
    for (std::uint16_t c : compute_) {
      if (s[c]) {
        std::size_t agree = 0;
        for (std::uint16_t d : compute_) agree += s[d] && s[d]->included == s[c]->included ? 1 : 0;
        if (agree >= (tolerant_ ? quorum_ : threshold_)) {
          included_ = s[c]->included;
          included_fixed_ = true;
          check_min_parties();
          break;
        }
      }
    }
  }
  std::vector<std::uint16_t> senders;
  std::string disagree;
  for (std::uint16_t c : compute_) {
    if (c == params_.self) {
      senders.push_back(c);
    } else if (s[c] && included_fixed_ && s[c]->included == included_) {
      senders.push_back(c);
    } else if (s[c]) {
      disagree += (disagree.empty() ? "" : ", ") + fed.parties[c];
    }
  }
  // Shamir: more than t values, so that a wrong one cannot go unnoticed.
  const std::size_t needed = shamir_ ? threshold_ + 1 : threshold_;
  if (senders.size() < needed) {
    throw ProtocolError(
        ErrorKind::kTooFewParties,
        "too few compute parties agree on the inputs of job \"" + params_.job_id + "\": " +
            std::to_string(senders.size()) + " of the " + std::to_string(needed) + " needed",
        disagree.empty() ? "No result was released."
                         : "Included other inputs: " + disagree + ". No result was released.",
        "Run the job again.");
  }
  // The value of sender c for element index position k.
  auto value_of = [&](std::uint16_t c, std::size_t k) {
    return c == params_.self ? held_[indexes[k]] : s[c]->values[k];
  };
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    if (is_suppressed(indexes[k])) {
      result_[indexes[k]] = crypto::Fp();
      continue;
    }
    if (!shamir_) {
      crypto::Fp sum;
      for (std::uint16_t c : senders) sum += value_of(c, k);
      result_[indexes[k]] = sum;
      continue;
    }
    std::vector<crypto::ShamirShare> points;
    for (std::uint16_t c : senders) {
      points.push_back(crypto::ShamirShare{static_cast<std::uint32_t>(compute_pos_[c] + 1),
                                           value_of(c, k)});
    }
    if (!crypto::shamir_consistent(points, threshold_)) {
      // Which single sender, left out, makes the others consistent? Only
      // decidable with t + 2 values or more.
      const std::optional<std::size_t> culprit = crypto::shamir_culprit(points, threshold_);
      std::string names;
      for (std::uint16_t c : senders) names += (names.empty() ? "" : ", ") + fed.parties[c];
      if (culprit) {
        const std::string& who = fed.parties[senders[*culprit]];
        throw ProtocolError(
            ErrorKind::kInconsistent,
            "party " + who + " sent a " + type_name(type) + " value that does not fit the others (" +
                round_name(type) + ")",
            "The values of " + names + " must lie on one polynomial of degree " +
                std::to_string(threshold_ - 1) + "; without party " + who +
                "'s they do. No result was released.");
      }
      throw ProtocolError(ErrorKind::kInconsistent,
                          "the " + std::string(type_name(type)) + " values of " + names +
                              " do not lie on one polynomial (" + round_name(type) + ")",
                          "At least one of them is wrong; with " + std::to_string(points.size()) +
                              " values and threshold " + std::to_string(threshold_) +
                              " it cannot be told which. No result was released.");
    }
    std::vector<crypto::ShamirShare> base(points.begin(),
                                          points.begin() + static_cast<std::ptrdiff_t>(threshold_));
    result_[indexes[k]] = crypto::shamir_reconstruct(base);
  }
}

// The error for a joint row count below the release policy's minimum. Built
// from this party's own policy (which every party shares, by fingerprint),
// never from a partner's text.
ProtocolError AggregationJob::row_count_refusal() const {
  return ProtocolError(ErrorKind::kRefused,
                       "the joint row count is below the release policy's minimum of " +
                           std::to_string(params_.policy.min_rows) + " rows",
                       "Only the row count was opened; no other value was revealed.",
                       "Aggregate over more rows, or lower min_rows with smpc.set_policy() at "
                       "every party.");
}

// digest_ = H(domain, fingerprints, job id, descriptor, S, the opened values).
void AggregationJob::finish_transcript() { digest_ = transcript_digest(included_, result_); }

crypto::Digest AggregationJob::transcript_digest(std::uint64_t included,
                                                 const std::vector<crypto::Fp>& values) const {
  crypto::Sha256 h;
  h.update_field(kTranscriptDomain);
  h.update(fingerprint_.data(), fingerprint_.size());
  h.update(policy_fingerprint_.data(), policy_fingerprint_.size());
  h.update_field(params_.job_id);
  h.update_field(params_.descriptor);
  std::uint8_t bytes[crypto::Fp::kBytes];
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(included >> (8 * i));
  h.update(bytes, 8);
  for (const crypto::Fp& v : values) {
    v.to_bytes(bytes);
    h.update(bytes, sizeof bytes);
  }
  return h.finish();
}

void AggregationJob::acknowledged(std::uint16_t party) {
  if (party < acked_.size()) acked_[party] = true;
}

void AggregationJob::suppress_small_cells() {
  const auto min = static_cast<crypto::i128>(params_.policy.min_rows);
  suppressed_.assign(params_.cells, false);
  for (std::size_t c = 0; c < params_.cells; ++c) {
    const std::size_t base = c * params_.cell_width;
    if (result_[base + params_.cell_count].to_signed() >= min) continue;
    suppressed_[c] = true;
    // The cell is not released: its count (opened to the compute and output
    // parties to decide this) is dropped from the result, and what this
    // party holds of its other values never leaves (it sends zero instead).
    for (std::size_t k = base; k < base + params_.cell_width; ++k) {
      result_[k] = crypto::Fp();
      if (k < held_.size()) held_[k] = crypto::Fp();
    }
    // Its MAC tag, too: it would say something about the cell's values.
    if (mac_per_cell_) {
      const std::size_t tag = first_tag_ + static_cast<std::size_t>(mac_group_of(base));
      result_[tag] = crypto::Fp();
      if (tag < held_.size()) held_[tag] = crypto::Fp();
    }
  }
}

bool AggregationJob::is_suppressed(std::size_t element) const {
  if (suppressed_.empty()) return false;
  if (element < width_) return suppressed_[element / params_.cell_width];
  if (!mac_per_cell_ || element < first_tag_) return false;
  // A cell's tag: groups are [counts,] then one per cell.
  const std::size_t cells_from = first_tag_ + (gated_.empty() ? 0 : 1);
  return element >= cells_from && suppressed_[element - cells_from];
}

bool AggregationJob::is_count(std::size_t k) const {
  if (params_.policy.min_rows == 0 || k >= width_) return false;
  return params_.cells != 0 ? k % params_.cell_width == params_.cell_count
                            : params_.count_index && k == *params_.count_index;
}

int AggregationJob::mac_group_of(std::size_t k) const {
  if (!mac_ || k >= width_) return -1;
  const int counts = gated_.empty() ? 0 : 1;
  if (is_count(k)) return 0;
  return counts + (mac_per_cell_ ? static_cast<int>(k / params_.cell_width) : 0);
}

std::vector<crypto::Fp> AggregationJob::mac_sums(const std::vector<crypto::Fp>& v) const {
  std::vector<crypto::Fp> sums(mac_groups_);
  crypto::Fp power = key_;
  for (std::size_t k = 0; k < width_; ++k) {
    sums[static_cast<std::size_t>(mac_group_of(k))] += power * v[k];
    power *= key_;
  }
  return sums;
}

void AggregationJob::fix_key() {
  crypto::Sha256 h;
  h.update_field(kMacKeyDomain);
  key_ = crypto::Fp();
  std::uint8_t bytes[crypto::Fp::kBytes];
  for (std::uint16_t c : compute_) {
    const crypto::Fp part = c == params_.self ? key_part_ : keys_[c]->values[0];
    key_ += part;
    part.to_bytes(bytes);
    h.update(bytes, sizeof bytes);
  }
  key_digest_ = h.finish();
}

void AggregationJob::check_share_key(const Message& m) {
  if (fault_ == Fault::kEquivocateKey) return;  // the liar knows (tests only)
  const crypto::Digest want = is_input_ || is_output_ ? key_digest_
                              : shares_key_digest_     ? *shares_key_digest_
                                                       : m.digest;
  if (m.digest != want) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        "the input parties of job \"" + params_.job_id +
                            "\" received different MAC key parts",
                        "Party " + params_.federation.parties[m.sender] +
                            "'s share names other key parts than the others: a compute party sent "
                            "different parts to different parties. Nothing was opened.");
  }
  shares_key_digest_ = want;
}

// Outputs: each compute party summed shares made with this party's key,
// and each opened group of values matches its tag.
void AggregationJob::check_macs() const {
  const FederationDef& fed = params_.federation;
  for (std::uint16_t c : compute_) {
    const crypto::Digest* d = c == params_.self ? (shares_key_digest_ ? &*shares_key_digest_ : nullptr)
                              : partials_[c] ? &partials_[c]->digest
                                             : nullptr;
    if (d != nullptr && *d != key_digest_) {
      throw ProtocolError(ErrorKind::kInconsistent,
                          "party " + fed.parties[c] + " summed shares made with other MAC key parts",
                          "A compute party sent different key parts to different parties. No "
                          "result was released.");
    }
  }
  std::vector<crypto::Fp> values = result_;
  for (std::size_t i = 0; i < gated_.size(); ++i) values[gated_[i]] = gated_open_[i];
  const std::vector<crypto::Fp> sums = mac_sums(values);
  for (std::size_t g = 0; g < mac_groups_; ++g) {
    const std::size_t tag = first_tag_ + g;
    if (is_suppressed(tag)) continue;
    if (sums[g] != result_[tag]) {
      throw ProtocolError(
          ErrorKind::kInconsistent, "the result of job \"" + params_.job_id + "\" failed its integrity check",
          "An opened value does not match its MAC tag: a compute party changed a value it sent. "
          "No result was released.");
    }
  }
}

void AggregationJob::check_own_input_kept() const {
  if (!is_input_ || !is_compute(params_.self)) return;
  const FederationDef& fed = params_.federation;
  for (std::uint16_t c : compute_) {
    if (c == params_.self || !acked_[c] || !rosters_[c]) continue;
    if ((rosters_[c]->included & bit(params_.self)) != 0) continue;
    throw ProtocolError(ErrorKind::kInconsistent,
                        "party " + fed.parties[c] +
                            " left this party's input out although it accepted its share",
                        "Its server accepted this party's share in this run, but its roster names "
                        "other inputs. Nothing was opened.",
                        "Run the job again; if it happens again, ask party " + fed.parties[c] +
                            " why.");
  }
}

void AggregationJob::release() {
  finished_ = true;
  if (!is_output_) return;
  // Shamir: opened from more than t values (open()); MAC keys: checked.
  verified_ = shamir_ || mac_;
  result_.resize(width_);
}

// Moves through as many rounds as the stored messages allow, returning the
// messages each completed round produces.
std::vector<Outgoing> AggregationJob::advance() {
  const FederationDef& fed = params_.federation;
  std::vector<Outgoing> out;
  while (!finished_ && phase_ > 0) {
    const MessageType now = current();
    // Digests are checked as soon as each arrives, so a mismatch is reported
    // when it is known rather than after the last one.
    if (now == MessageType::kConfirm || now == MessageType::kVouch) {
      const Slots& s = slots(now);
      // What every digest of this round must be: this party's own result
      // digest, or, at a compute party that learns no result, the first
      // output's digest (all outputs must hold the same result).
      const crypto::Digest* want =
          now == MessageType::kVouch || !vouching_ || is_output_ ? &digest_ : nullptr;
      for (std::size_t j = 0; j < s.size(); ++j) {
        if (j == params_.self || !s[j]) continue;
        if (want == nullptr) {
          want = &s[j]->digest;
          continue;
        }
        if (s[j]->digest != *want) {
          throw ProtocolError(ErrorKind::kInconsistent,
                              "party " + fed.parties[j] +
                                  " holds a different result (transcript digest mismatch)",
                              "Some party received inconsistent values; no result is "
                              "released.");
        }
      }
    }
    if (now == MessageType::kRoster) check_own_input_kept();
    if (now == MessageType::kAgree) {
      for (std::uint16_t c : compute_) {
        if (c == params_.self || !agrees_[c] || agrees_[c]->included == included_) continue;
        throw ProtocolError(ErrorKind::kInconsistent,
                            "party " + fed.parties[c] + " includes other inputs than this party",
                            "Compute parties must open over the same inputs; nothing was opened.",
                            "Run the job again.");
      }
    }
    if (!complete(now)) break;
    if (now == MessageType::kKey) {
      if (is_input_ || is_output_) fix_key();
    } else if (now == MessageType::kShare) {
      if (!is_compute(params_.self) && !is_output_) {
        // An input party that neither computes nor learns the result is done
        // once its shares are out.
        finished_ = true;
        break;
      }
      if (!tolerant_ && is_compute(params_.self)) {
        fix_included();
        sum_held_shares();
      }
    } else if (now == MessageType::kRoster) {
      if (is_compute(params_.self)) fix_included();
    } else if (now == MessageType::kAgree) {
      if (is_compute(params_.self)) {
        // Everyone this party heard from agreed; enough of them to go on?
        std::size_t agreed = 1;
        for (std::uint16_t c : compute_) agreed += c != params_.self && agrees_[c] ? 1 : 0;
        if (agreed < quorum_) {
          throw ProtocolError(ErrorKind::kTooFewParties,
                              "too few compute parties agree on the inputs of job \"" +
                                  params_.job_id + "\": " + std::to_string(agreed) + " of the " +
                                  std::to_string(quorum_) + " needed",
                              "No result was released.");
        }
        sum_held_shares();
      }
    } else if (now == MessageType::kCount || now == MessageType::kPartial) {
      const bool opens = now == MessageType::kCount ? is_compute(params_.self) || is_output_
                                                    : is_output_;
      result_.resize(wide_);
      if (opens && now == MessageType::kCount) {
        open(MessageType::kCount, gated_);
        gated_open_ = pick(result_, gated_);
        if (params_.cells != 0) {
          suppress_small_cells();
        } else if (result_[*params_.count_index].to_signed() <
                   static_cast<crypto::i128>(params_.policy.min_rows)) {
          refusal_ = row_count_refusal();
          // Nothing but the count was opened; drop it with the other values.
          result_.assign(wide_, crypto::Fp());
          finished_ = true;
          break;
        }
      } else if (opens) {
        open(MessageType::kPartial, rest_);
        if (mac_) check_macs();
        if (fault_ == Fault::kAbortAfterOpen) {
          throw ProtocolError(ErrorKind::kInconsistent, "test fault: aborting after opening the result");
        }
      }
    } else if (now == MessageType::kConfirm) {
      if (!vouching_) {
        // Compute and output parties are the same: their digests agree.
        std::size_t confirmed = 1;
        for (std::uint16_t c : compute_) confirmed += c != params_.self && confirms_[c] ? 1 : 0;
        if (confirmed < quorum_) {
          throw ProtocolError(ErrorKind::kTooFewParties,
                              "too few compute parties confirmed the result of job \"" +
                                  params_.job_id + "\": " + std::to_string(confirmed) + " of the " +
                                  std::to_string(quorum_) + " needed",
                              "No result was released.");
        }
        release();
        break;
      }
      if (is_compute(params_.self)) {
        // Vouch for the outputs' common digest (every one seen is equal).
        bool any = is_output_;
        vouched_ = digest_;
        for (std::size_t j = 0; j < confirms_.size() && !any; ++j) {
          if (j != params_.self && confirms_[j]) {
            vouched_ = confirms_[j]->digest;
            any = true;
          }
        }
        if (!any) {
          throw ProtocolError(ErrorKind::kTooFewParties,
                              "no output party of job \"" + params_.job_id + "\" confirmed a result",
                              "No result was released.");
        }
      }
    } else if (now == MessageType::kVouch) {
      if (is_output_) {
        std::size_t vouched = is_compute(params_.self) ? 1 : 0;
        for (std::uint16_t c : compute_) vouched += c != params_.self && vouches_[c] ? 1 : 0;
        if (vouched < quorum_) {
          throw ProtocolError(ErrorKind::kTooFewParties,
                              "too few compute parties vouched for the result of job \"" +
                                  params_.job_id + "\": " + std::to_string(vouched) + " of the " +
                                  std::to_string(quorum_) + " needed",
                              "No result was released.");
        }
      }
      release();
      break;
    }
    ++phase_;
    const MessageType next = current();
    if (next == MessageType::kRoster && is_compute(params_.self)) {
      // The roster: the inputs whose shares this party holds now. Shares
      // that come later are not used.
      included_ = 0;
      for (std::size_t i = 0; i < input_role_.size(); ++i) {
        if (input_role_[i] && (i == params_.self || shares_[i])) included_ |= bit(i);
      }
    }
    if (next == MessageType::kConfirm && is_output_) finish_transcript();
    send_round(next, out);
  }
  return out;
}

const std::vector<crypto::Fp>& AggregationJob::result() const {
  if (!finished_) throw std::logic_error("AggregationJob::result() before the job finished");
  if (refusal_) throw *refusal_;
  if (!is_output_) throw std::logic_error("AggregationJob::result() at a party without output");
  return result_;
}

std::vector<std::uint16_t> AggregationJob::covered() const {
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < input_role_.size(); ++i) {
    if (included_ & bit(i)) out.push_back(static_cast<std::uint16_t>(i));
  }
  return out;
}

std::vector<std::string> AggregationJob::dropouts() const {
  std::vector<std::string> out;
  for (std::size_t j = 0; j < dropped_.size(); ++j) {
    if (dropped_[j] || unreachable_[j]) {
      out.push_back("party " + params_.federation.parties[j] + ": " + drop_reason_[j]);
    }
  }
  return out;
}

std::string AggregationJob::round_name(MessageType t) const {
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i] == t) {
      return "round " + std::to_string(i + 1) + " (" + type_name(t) + ")";
    }
  }
  return type_name(t);
}

std::vector<std::uint16_t> AggregationJob::missing() const {
  std::vector<std::uint16_t> out;
  if (finished_) return out;
  const MessageType now = current();
  const Slots& s = slots(now);
  for (std::uint16_t j : expected(now)) {
    if (!s[j]) out.push_back(j);
  }
  return out;
}

std::string AggregationJob::describe_missing() const {
  std::vector<std::uint16_t> parties = missing();
  if (parties.empty()) return {};
  std::string out = round_name(current()) + " from ";
  for (std::size_t i = 0; i < parties.size(); ++i) {
    if (i > 0) out += ", ";
    out += "party " + params_.federation.parties[parties[i]];
  }
  return out;
}

Message AggregationJob::abort_message(std::uint16_t to, const std::string& reason,
                                      bool fatal) const {
  Message m = header(MessageType::kAbort, to);
  m.reason = truncate_reason(reason);
  m.refused = refusal_.has_value();
  m.fatal = fatal && !m.refused;
  return m;
}

}  // namespace smpc::protocol
