// Encoding and strict decoding of the wire format documented in message.hpp.
// decode() is a fuzzing target: every length is checked before it is used,
// and errors name the field at fault but never echo bytes or values.
#include "protocol/message.hpp"

#include <cstring>

#include "protocol/federation.hpp"
#include "protocol/protocol_error.hpp"

namespace smpc::protocol {

namespace {

constexpr std::uint8_t kMagic[4] = {'S', 'M', 'P', 'C'};
// Raised with each release that changes the format: parties of different
// releases then refuse each other's messages with an error naming both.
// 2: smpc 0.1.0; 3: smpc 0.2.0; 4: smpc 0.3.0.
constexpr std::uint8_t kVersion = 4;
// The forms of a share's body.
constexpr std::uint8_t kExplicitShare = 0;
constexpr std::uint8_t kSeededShare = 1;

// Appends little-endian integers and byte strings to a buffer.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v));
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void bytes(const void* data, std::size_t len) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + len);
  }
  // A string with a u8 or u16 length prefix, bounded by [min, max].
  void string8(const std::string& s, std::size_t min, std::size_t max, const char* what) {
    check(s, min, max, what);
    u8(static_cast<std::uint8_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void string16(const std::string& s, std::size_t min, std::size_t max, const char* what) {
    check(s, min, max, what);
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void values(const std::vector<crypto::Fp>& values) {
    if (values.empty() || values.size() > kMaxValues) {
      throw ProtocolError(
          ErrorKind::kInvalidArgument,
          "cannot encode a message with " + std::to_string(values.size()) + " values");
    }
    u32(static_cast<std::uint32_t>(values.size()));
    // An element's bytes are its wire form (Fp::to_bytes is a copy of its
    // value), so the vector is appended as one block: neither zero-filled
    // first nor written element by element.
    static_assert(sizeof(crypto::Fp) == crypto::Fp::kBytes, "an element is its 16 bytes");
    const auto* p = reinterpret_cast<const std::uint8_t*>(values.data());
    out_.insert(out_.end(), p, p + values.size() * crypto::Fp::kBytes);
  }

 private:
  static void check(const std::string& s, std::size_t min, std::size_t max, const char* what) {
    if (s.size() < min || s.size() > max) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          std::string("cannot encode a message: ") + what + " has " +
                              std::to_string(s.size()) + " bytes, allowed are " +
                              std::to_string(min) + " to " + std::to_string(max));
    }
  }

  std::vector<std::uint8_t>& out_;
};

// Reads the wire format front to back; every read checks the remaining length
// first and names the field in its error.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t len) : p_(data), left_(len) {}

  const std::uint8_t* take(std::size_t n, const char* what) {
    if (n > left_) {
      throw ProtocolError(ErrorKind::kMalformed, std::string("message truncated in ") + what);
    }
    const std::uint8_t* at = p_;
    p_ += n;
    left_ -= n;
    return at;
  }
  std::uint8_t u8(const char* what) { return *take(1, what); }
  std::uint16_t u16(const char* what) {
    const std::uint8_t* b = take(2, what);
    return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
  }
  std::uint32_t u32(const char* what) {
    const std::uint8_t* b = take(4, what);
    return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
           (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  }
  std::uint64_t u64(const char* what) {
    const std::uint8_t* b = take(8, what);
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  // A length-prefixed string; the length must lie in [min, max].
  std::string string(std::size_t length, std::size_t min, std::size_t max, const char* what) {
    if (length < min || length > max) {
      throw ProtocolError(ErrorKind::kMalformed,
                          std::string("message has an invalid length for ") + what);
    }
    const std::uint8_t* b = take(length, what);
    return std::string(reinterpret_cast<const char*>(b), length);
  }
  std::string string8(std::size_t min, std::size_t max, const char* what) {
    return string(u8(what), min, max, what);
  }
  std::string string16(std::size_t min, std::size_t max, const char* what) {
    return string(u16(what), min, max, what);
  }
  template <std::size_t N>
  void array(std::array<std::uint8_t, N>& out, const char* what) {
    std::memcpy(out.data(), take(N, what), N);
  }
  std::vector<crypto::Fp> values(Values what) {
    std::uint32_t count = u32("value count");
    if (count == 0 || count > kMaxValues) {
      throw ProtocolError(ErrorKind::kMalformed, "message has an invalid value count");
    }
    // Check the whole length before allocating anything.
    const std::uint8_t* b = take(static_cast<std::size_t>(count) * crypto::Fp::kBytes, "values");
    std::vector<crypto::Fp> out;
    try {
      if (what == Values::kCheck) {
        for (std::uint32_t i = 0; i < count; ++i) {
          (void)crypto::Fp::from_bytes(b + static_cast<std::size_t>(i) * crypto::Fp::kBytes);
        }
        return out;
      }
      out.reserve(count);
      for (std::uint32_t i = 0; i < count; ++i) {
        out.push_back(crypto::Fp::from_bytes(b + static_cast<std::size_t>(i) * crypto::Fp::kBytes));
      }
    } catch (const crypto::RangeError&) {
      throw ProtocolError(ErrorKind::kMalformed, "message holds a value outside the field");
    }
    return out;
  }
  std::size_t left() const { return left_; }

 private:
  const std::uint8_t* p_;
  std::size_t left_;
};

}  // namespace

bool Message::operator==(const Message& o) const {
  return type == o.type && federation == o.federation && job_id == o.job_id && sender == o.sender &&
         receiver == o.receiver && nonce == o.nonce && fingerprint == o.fingerprint &&
         policy == o.policy && descriptor == o.descriptor && definition == o.definition &&
         policy_text == o.policy_text && values == o.values && seeded == o.seeded &&
         (seeded == 0 || seed == o.seed) && digest == o.digest && reason == o.reason &&
         refused == o.refused && fatal == o.fatal && withdrawn == o.withdrawn &&
         included == o.included && dataset == o.dataset && column == o.column && stage == o.stage &&
         origin == o.origin && hops == o.hops && blinded == o.blinded && segments == o.segments &&
         value_key == o.value_key && sealed == o.sealed;
}

std::vector<std::uint8_t> encode(const Message& m) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  w.bytes(kMagic, sizeof kMagic);
  w.u8(kVersion);
  w.u8(static_cast<std::uint8_t>(m.type));
  w.string8(m.federation, 1, kMaxNameBytes, "federation name");
  w.string16(m.job_id, 1, kMaxJobIdBytes, "job id");
  w.u16(m.sender);
  w.u16(m.receiver);
  w.bytes(m.nonce.data(), m.nonce.size());
  w.bytes(m.fingerprint.data(), m.fingerprint.size());
  w.bytes(m.policy.data(), m.policy.size());
  w.string8(m.descriptor, 0, kMaxDescriptorBytes, "descriptor");
  switch (m.type) {
    case MessageType::kShare:
      w.string16(m.definition, 0, kMaxDefinitionBytes, "definition");
      w.string16(m.policy_text, 0, kMaxPolicyBytes, "policy");
      w.bytes(m.digest.data(), m.digest.size());
      if (m.seeded != 0) {
        if (m.seeded > kMaxValues || !m.values.empty()) {
          throw ProtocolError(ErrorKind::kInvalidArgument,
                              "cannot encode a seeded share of " + std::to_string(m.seeded) +
                                  " values" + (m.values.empty() ? "" : " that also has values"));
        }
        w.u8(kSeededShare);
        w.u32(m.seeded);
        w.bytes(m.seed.data(), m.seed.size());
      } else {
        w.u8(kExplicitShare);
        w.values(m.values);
      }
      break;
    case MessageType::kRoster:
    case MessageType::kAgree:
      w.u64(m.included);
      break;
    case MessageType::kCount:
      w.u64(m.included);
      w.values(m.values);
      break;
    case MessageType::kPartial:
      w.u64(m.included);
      w.bytes(m.digest.data(), m.digest.size());
      w.values(m.values);
      break;
    case MessageType::kKey:
      if (m.values.size() != 1) {
        throw ProtocolError(ErrorKind::kInvalidArgument, "a key message holds one value");
      }
      w.values(m.values);
      break;
    case MessageType::kConfirm:
    case MessageType::kVouch:
      w.bytes(m.digest.data(), m.digest.size());
      break;
    case MessageType::kAbort:
      w.u8(static_cast<std::uint8_t>((m.refused ? 1 : 0) | (m.fatal ? 2 : 0) |
                                     (m.withdrawn ? 4 : 0)));
      w.string16(m.reason, 0, kMaxReasonBytes, "abort reason");
      break;
    case MessageType::kRequest: {
      const bool failed = m.stage == RequestStage::kFailed;
      if (!failed && (m.refused || !m.reason.empty())) {
        throw ProtocolError(ErrorKind::kInvalidArgument,
                            "cannot encode a message: only a failed request has a reason");
      }
      w.string8(m.dataset, 1, kMaxNameBytes, "dataset name");
      w.string8(m.column, 1, kMaxNameBytes, "column name");
      w.u8(static_cast<std::uint8_t>(m.stage));
      w.u8(m.refused ? 1 : 0);
      w.string16(m.reason, 0, kMaxReasonBytes, "request reason");
      break;
    }
    case MessageType::kBlinded: {
      const std::size_t count = m.blinded.size() / kSetElementBytes;
      if (m.blinded.size() % kSetElementBytes != 0 || count > kMaxSetElements || m.hops == 0) {
        throw ProtocolError(ErrorKind::kInvalidArgument,
                            "cannot encode a blinded set of " + std::to_string(m.blinded.size()) +
                                " bytes after " + std::to_string(m.hops) + " hops");
      }
      std::uint64_t in_segments = 0;
      for (std::uint32_t n : m.segments) in_segments += n;
      if (m.segments.size() > kMaxSetSegments || (!m.segments.empty() && in_segments != count)) {
        throw ProtocolError(ErrorKind::kInvalidArgument,
                            "cannot encode a blinded set whose groups do not hold its elements");
      }
      w.u16(m.origin);
      w.u8(m.hops);
      w.u32(static_cast<std::uint32_t>(m.segments.size()));
      for (std::uint32_t n : m.segments) w.u32(n);
      w.u32(static_cast<std::uint32_t>(count));
      w.bytes(m.blinded.data(), m.blinded.size());
      const bool valued = !m.value_key.empty();
      if (valued && (m.value_key.size() != kValueKeyBytes || count > kMaxSealedElements ||
                     m.sealed.size() != count * kSealedBytes)) {
        throw ProtocolError(ErrorKind::kInvalidArgument,
                            "cannot encode a blinded set whose values do not match its elements");
      }
      if (!valued && !m.sealed.empty()) {
        throw ProtocolError(ErrorKind::kInvalidArgument,
                            "cannot encode sealed values without their key");
      }
      w.u8(valued ? 1 : 0);
      if (valued) {
        w.bytes(m.value_key.data(), m.value_key.size());
        w.bytes(m.sealed.data(), m.sealed.size());
      }
      break;
    }
    case MessageType::kSealedSum:
      if (m.sealed.empty() || m.sealed.size() % kSealedBytes != 0 ||
          m.sealed.size() / kSealedBytes > kMaxSetSegments) {
        throw ProtocolError(
            ErrorKind::kInvalidArgument,
            "cannot encode a sealed sum of " + std::to_string(m.sealed.size()) + " bytes");
      }
      w.u32(static_cast<std::uint32_t>(m.sealed.size() / kSealedBytes));
      w.bytes(m.sealed.data(), m.sealed.size());
      break;
    default:
      throw ProtocolError(ErrorKind::kInvalidArgument, "cannot encode a message of unknown type");
  }
  return out;
}

namespace {

// Magic, version and type: the part of the header every message shares.
MessageType read_header(Reader& r) {
  if (std::memcmp(r.take(sizeof kMagic, "magic"), kMagic, sizeof kMagic) != 0) {
    throw ProtocolError(ErrorKind::kMalformed, "message does not start with the smpc magic");
  }
  if (std::uint8_t version = r.u8("version"); version != kVersion) {
    throw ProtocolError(ErrorKind::kMalformed,
                        "message is in wire format version " + std::to_string(version) +
                            ", this party speaks version " + std::to_string(kVersion) +
                            " (every party must run an smpc release with the same wire format)");
  }
  std::uint8_t type = r.u8("type");
  if (type < static_cast<std::uint8_t>(kFirstMessageType) ||
      type > static_cast<std::uint8_t>(kLastMessageType)) {
    throw ProtocolError(ErrorKind::kMalformed, "message has an unknown type");
  }
  return static_cast<MessageType>(type);
}

}  // namespace

MessageType peek_type(const std::uint8_t* data, std::size_t len) {
  Reader r(data, len);
  return read_header(r);
}

Message decode(const std::uint8_t* data, std::size_t len, Values values) {
  if (len > kMaxMessageBytes) {
    throw ProtocolError(ErrorKind::kMalformed, "message is too long");
  }
  Reader r(data, len);
  Message m;
  m.type = read_header(r);
  m.federation = r.string8(1, kMaxNameBytes, "federation name");
  m.job_id = r.string16(1, kMaxJobIdBytes, "job id");
  m.sender = r.u16("sender");
  m.receiver = r.u16("receiver");
  r.array(m.nonce, "nonce");
  r.array(m.fingerprint, "fingerprint");
  r.array(m.policy, "policy fingerprint");
  m.descriptor = r.string8(0, kMaxDescriptorBytes, "descriptor");
  switch (m.type) {
    case MessageType::kShare:
      m.definition = r.string16(0, kMaxDefinitionBytes, "definition");
      m.policy_text = r.string16(0, kMaxPolicyBytes, "policy");
      r.array(m.digest, "key digest");
      switch (r.u8("share form")) {
        case kExplicitShare:
          m.values = r.values(values);
          break;
        case kSeededShare:
          m.seeded = r.u32("value count");
          if (m.seeded == 0 || m.seeded > kMaxValues) {
            throw ProtocolError(ErrorKind::kMalformed, "message has an invalid value count");
          }
          r.array(m.seed, "seed");
          break;
        default:
          throw ProtocolError(ErrorKind::kMalformed, "message has an unknown share form");
      }
      break;
    case MessageType::kRoster:
    case MessageType::kAgree:
      m.included = r.u64("included parties");
      break;
    case MessageType::kCount:
      m.included = r.u64("included parties");
      m.values = r.values(values);
      break;
    case MessageType::kPartial:
      m.included = r.u64("included parties");
      r.array(m.digest, "key digest");
      m.values = r.values(values);
      break;
    case MessageType::kKey:
      // One value, checked and kept whatever `values` says: it is small.
      if (r.u32("value count") != 1) {
        throw ProtocolError(ErrorKind::kMalformed, "a key message holds one value");
      }
      try {
        m.values.push_back(crypto::Fp::from_bytes(r.take(crypto::Fp::kBytes, "values")));
      } catch (const crypto::RangeError&) {
        throw ProtocolError(ErrorKind::kMalformed, "message holds a value outside the field");
      }
      break;
    case MessageType::kConfirm:
    case MessageType::kVouch:
      r.array(m.digest, "digest");
      break;
    case MessageType::kAbort: {
      const std::uint8_t flags = r.u8("abort flags");
      if (flags > 7) throw ProtocolError(ErrorKind::kMalformed, "message has invalid abort flags");
      m.refused = (flags & 1) != 0;
      m.fatal = (flags & 2) != 0;
      m.withdrawn = (flags & 4) != 0;
      m.reason = r.string16(0, kMaxReasonBytes, "abort reason");
      break;
    }
    case MessageType::kRequest: {
      m.dataset = r.string8(1, kMaxNameBytes, "dataset name");
      m.column = r.string8(1, kMaxNameBytes, "column name");
      const std::uint8_t stage = r.u8("request stage");
      if (stage < 1 || stage > 4) {
        throw ProtocolError(ErrorKind::kMalformed, "message has an invalid request stage");
      }
      m.stage = static_cast<RequestStage>(stage);
      const bool failed = m.stage == RequestStage::kFailed;
      const std::uint8_t flags = r.u8("request flags");
      if (flags > (failed ? 1 : 0)) {
        throw ProtocolError(ErrorKind::kMalformed, "message has invalid request flags");
      }
      m.refused = flags != 0;
      m.reason = r.string16(0, failed ? kMaxReasonBytes : 0, "request reason");
      break;
    }
    case MessageType::kBlinded: {
      m.origin = r.u16("origin");
      m.hops = r.u8("hops");
      if (m.hops == 0) throw ProtocolError(ErrorKind::kMalformed, "a blinded set has no hops");
      const std::uint32_t nseg = r.u32("group count");
      if (nseg > kMaxSetSegments) {
        throw ProtocolError(ErrorKind::kMalformed, "message has an invalid group count");
      }
      // Check the whole length before allocating anything.
      const std::uint8_t* sizes = r.take(static_cast<std::size_t>(nseg) * 4, "group sizes");
      std::uint64_t in_segments = 0;
      m.segments.resize(nseg);
      for (std::uint32_t g = 0; g < nseg; ++g) {
        const std::uint8_t* b4 = sizes + 4 * static_cast<std::size_t>(g);
        m.segments[g] =
            static_cast<std::uint32_t>(b4[0]) | (static_cast<std::uint32_t>(b4[1]) << 8) |
            (static_cast<std::uint32_t>(b4[2]) << 16) | (static_cast<std::uint32_t>(b4[3]) << 24);
        in_segments += m.segments[g];
      }
      const std::uint32_t count = r.u32("element count");
      if (count > kMaxSetElements || (nseg != 0 && in_segments != count)) {
        throw ProtocolError(ErrorKind::kMalformed, "message has an invalid element count");
      }
      const std::size_t bytes = static_cast<std::size_t>(count) * kSetElementBytes;
      const std::uint8_t* b = r.take(bytes, "elements");
      if (values == Values::kKeep) m.blinded.assign(b, b + bytes);
      const std::uint8_t valued = r.u8("values flag");
      if (valued > 1 || (valued == 1 && count > kMaxSealedElements)) {
        throw ProtocolError(ErrorKind::kMalformed, "message has an invalid values flag");
      }
      if (valued == 1) {
        const std::uint8_t* k = r.take(kValueKeyBytes, "value key");
        const std::size_t sealed = static_cast<std::size_t>(count) * kSealedBytes;
        const std::uint8_t* v = r.take(sealed, "sealed values");
        if (values == Values::kKeep) {
          m.value_key.assign(k, k + kValueKeyBytes);
          m.sealed.assign(v, v + sealed);
        }
      }
      break;
    }
    case MessageType::kSealedSum: {
      const std::uint32_t groups = r.u32("group count");
      if (groups == 0 || groups > kMaxSetSegments) {
        throw ProtocolError(ErrorKind::kMalformed,
                            "sealed sum of " + std::to_string(groups) + " groups");
      }
      const std::size_t bytes = static_cast<std::size_t>(groups) * kSealedBytes;
      const std::uint8_t* v = r.take(bytes, "sealed sum");
      if (values == Values::kKeep) m.sealed.assign(v, v + bytes);
      break;
    }
  }
  if (r.left() != 0) {
    throw ProtocolError(ErrorKind::kMalformed, "message has trailing bytes");
  }
  return m;
}

const char* type_name(MessageType t) {
  switch (t) {
    case MessageType::kShare:
      return "share";
    case MessageType::kCount:
      return "count";
    case MessageType::kRoster:
      return "roster";
    case MessageType::kAgree:
      return "agree";
    case MessageType::kVouch:
      return "vouch";
    case MessageType::kPartial:
      return "partial";
    case MessageType::kConfirm:
      return "confirm";
    case MessageType::kAbort:
      return "abort";
    case MessageType::kRequest:
      return "request";
    case MessageType::kKey:
      return "key";
    case MessageType::kBlinded:
      return "blinded";
    case MessageType::kSealedSum:
      return "sealed sum";
  }
  return "unknown";
}

}  // namespace smpc::protocol
