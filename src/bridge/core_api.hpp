// The face of the C++ core (crypto, protocol) that PostgreSQL glue calls.
//
// Every function here is noexcept: exceptions are caught inside and turned
// into an SmpcStatus with fixed-size text, so no C++ exception ever reaches a
// PostgreSQL frame and the caller can ereport() after the call has returned,
// with no C++ frame alive (the longjmp of ereport would skip destructors).
// Nothing here allocates with palloc or calls PostgreSQL; no PostgreSQL
// header is included.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// Status kinds; values above SMPC_OK mirror protocol::ErrorKind.
enum SmpcStatusKind {
  SMPC_OK = 0,
  SMPC_MALFORMED,
  SMPC_INVALID_ARGUMENT,
  SMPC_FEDERATION_MISMATCH,
  SMPC_JOB_MISMATCH,
  SMPC_INCONSISTENT,
  SMPC_ABORTED,
  SMPC_RANGE,
  SMPC_REFUSED,
  SMPC_POLICY_MISMATCH,
  SMPC_TOO_FEW_PARTIES,
  SMPC_OUT_OF_MEMORY,
  SMPC_INTERNAL,
};

struct SmpcStatus {
  int kind;
  char message[512];
  char detail[2048];
  char hint[512];
};

// A federation as the glue reads it from smpc.federations. Role lists are
// party indexes, ascending; empty (n 0) means every party.
struct SmpcFederation {
  const char* name;
  const char* const* parties;
  int nparties;
  int scale;
  int self;       // index of this party in parties
  int threshold;  // 0: additive n-of-n; t >= 2: Shamir t-of-n over the compute parties
  const int* compute;
  int ncompute;
  const int* inputs;
  int ninputs;
  const int* outputs;
  int noutputs;
};

// The release policy this party applies to a job (protocol/release_policy.hpp).
// Bounds are fixed point with `scale` fractional digits.
struct SmpcPolicy {
  int min_parties;
  std::uint64_t min_rows;
  bool has_bounds;
  bool reject;
  int scale;
  __int128 lo;
  __int128 hi;
};

struct SmpcMessageInfo {
  int type;  // 1 share, 2 partial, 3 confirm, 4 abort, 5 count, 6 roster, 7 agree, 8 vouch,
             // 9 request, 10 key
  int sender;
  int receiver;
  char federation[64];
  std::uint8_t job_key[32];  // smpc_job_key(federation, job id)
  std::uint8_t nonce[16];
  std::uint8_t fingerprint[32];  // of the sender's federation definition
  std::size_t job_id_offset;  // the job id's bytes are data[offset .. offset+len)
  std::size_t job_id_len;
};

// Message types (protocol/message.hpp), as SmpcMessageInfo.type holds them.
enum SmpcMessageType {
  SMPC_MSG_SHARE = 1,
  SMPC_MSG_PARTIAL = 2,
  SMPC_MSG_CONFIRM = 3,
  SMPC_MSG_ABORT = 4,
  SMPC_MSG_COUNT = 5,
  SMPC_MSG_ROSTER = 6,
  SMPC_MSG_AGREE = 7,
  SMPC_MSG_VOUCH = 8,
  SMPC_MSG_REQUEST = 9,
  SMPC_MSG_KEY = 10,
};
// "share", "partial", ... of a message type; "unknown" for any other number.
const char* smpc_message_type_name(int type) noexcept;
// The message type named `name`, or 0.
int smpc_message_type_of(const char* name) noexcept;

typedef struct SmpcJob SmpcJob;

// Key under which a job's messages are filed: SHA-256 over the federation
// name and job id (length-prefixed).
bool smpc_job_key(const char* federation, const char* job_id, std::size_t job_id_len,
                  std::uint8_t out[32], SmpcStatus* st) noexcept;

// Checks a federation definition and writes its fingerprint as 64 hex digits
// plus NUL.
bool smpc_federation_check(const SmpcFederation* fed, char hex_out[65], SmpcStatus* st) noexcept;

// SHA-256 of data as 64 hex digits plus NUL (e.g. the audit trail's hash of
// a query's text).
void smpc_sha256_hex(const void* data, std::size_t len, char hex_out[65]) noexcept;

// Decodes a received message far enough to file it: header fields, job key.
bool smpc_message_inspect(const std::uint8_t* data, std::size_t len, SmpcMessageInfo* info,
                          SmpcStatus* st) noexcept;
// Compares the federation fingerprint of an inspected message (info) with
// the local definition; on mismatch fills st with SMPC_FEDERATION_MISMATCH
// and, for share messages, a detail naming what differs (decoding the
// message again only then).
bool smpc_message_check_federation(const std::uint8_t* data, std::size_t len,
                                   const SmpcMessageInfo* info, const SmpcFederation* local,
                                   SmpcStatus* st) noexcept;
// A valid message of the given type (1 share, 2 partial, 3 confirm, 4 abort,
// 5 count) under the default release policy,
// with zero values, for tests of the deliver endpoint. *out is malloc'd;
// free it with smpc_free_bytes.
bool smpc_test_message(const SmpcFederation* fed, const char* job_id, int sender, int receiver,
                       int type, std::uint8_t** out, std::size_t* out_len,
                       SmpcStatus* st) noexcept;
void smpc_free_bytes(std::uint8_t* p) noexcept;

// A request (message type 9): that the receiver run job job_id on its
// published dataset, aggregating column; or, back to the initiator, that it
// could not (stage 4, with the reason).
enum SmpcRequestStage {
  SMPC_REQUEST_CHECK = 1,
  SMPC_REQUEST_LAUNCH = 2,
  SMPC_REQUEST_WITHDRAW = 3,
  SMPC_REQUEST_FAILED = 4,
};
struct SmpcRequest {
  char descriptor[64];  // the job, e.g. "avg(integer)"
  char dataset[64];
  char column[64];
  int stage;                 // SmpcRequestStage
  std::uint8_t nonce[16];    // the initiator's call
  bool refused;              // stage 4: a refusal (policy, permissions)
  char reason[1025];         // stage 4
};
// Encodes this party's request to party `receiver`; *out as smpc_test_message.
bool smpc_request_message(const SmpcFederation* fed, const char* job_id, int receiver,
                          const SmpcRequest* req, std::uint8_t** out, std::size_t* out_len,
                          SmpcStatus* st) noexcept;
// Reads the request of a message whose type is 9 (fails for any other type).
bool smpc_request_read(const std::uint8_t* data, std::size_t len, SmpcRequest* out,
                       SmpcStatus* st) noexcept;

// Checks a policy and writes its description ("at least 3 parties, ...")
// into buf.
bool smpc_policy_describe(const SmpcPolicy* policy, char* buf, std::size_t len,
                          SmpcStatus* st) noexcept;

// The layout of a job's vector (protocol::JobParams).
struct SmpcJobShape {
  int width;        // values per input
  int count_index;  // the slot holding the row count, or -1
  // Grouped jobs: `cells` cells of cell_width values, the count at offset
  // cell_count of each; a cell below min_rows is suppressed. cells 0: none.
  int cells;
  int cell_width;
  int cell_count;
  // Differential privacy: per value, the exponent epsilon / sensitivity of
  // its noise (0: none), width of them; NULL: no noise (protocol::JobParams).
  const double* noise_exponent;
};
// The number of parties each party's noise share is a fraction of
// (protocol/noise_plan.hpp), for the job's policy; 0 when the federation is invalid.
int smpc_noise_parts(const SmpcFederation* fed, const SmpcPolicy* policy) noexcept;

// Jobs. inputs are signed, already scaled integers (shape->width of them;
// they may be only 8-byte aligned), or NULL at a party that supplies no
// input. Fails with SMPC_REFUSED when the policy refuses the job before it
// starts.
SmpcJob* smpc_job_new(const SmpcFederation* fed, const char* job_id, std::size_t job_id_len,
                      const char* descriptor, const SmpcPolicy* policy, const SmpcJobShape* shape,
                      const void* inputs, SmpcStatus* st) noexcept;
// Roles of party `party` in the federation (for checks before a job).
bool smpc_federation_roles(const SmpcFederation* fed, int party, bool* is_input, bool* is_compute,
                           bool* is_output, SmpcStatus* st) noexcept;
void smpc_job_free(SmpcJob* job) noexcept;
// Before smpc_job_start only: an abort that was waiting here before this run
// started ends a partner's run that never involved this one; its messages are
// ignored and the job waits for the partner's retry. Fails for anything that
// is not an abort of this job.
bool smpc_job_discard_run(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                          SmpcStatus* st) noexcept;
// "Party b aborted the job before this party started it: <reason>." for each
// discarded run (empty when none), for the timeout error.
void smpc_job_dead_runs(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// Fills the outbox with the round-1 messages.
bool smpc_job_start(SmpcJob* job, SmpcStatus* st) noexcept;
// Feeds one received message; may add messages to the outbox.
bool smpc_job_receive(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                      SmpcStatus* st) noexcept;
// The current round's deadline passed: true when the job goes on without
// the parties it waited for (new messages may be in the outbox), false when
// it cannot (the caller reports the timeout).
bool smpc_job_timeout(SmpcJob* job, SmpcStatus* st, bool* went_on) noexcept;
// Messages to party `party` could not be delivered: *went_on tells whether
// the job goes on (sending it nothing more, still awaiting its messages).
bool smpc_job_unreachable(SmpcJob* job, int party, const char* reason, bool* went_on,
                          SmpcStatus* st) noexcept;
// Test builds: 0 none, 1 equivocate in the partial round, 2 wrong digest in
// the confirm round, 3 equivocate in the share round, 4 equivocate in the
// count round, 5 the same wrong partial to every partner, 8 abort as soon as
// the result is opened here, 9 equivocate in the key round (other values:
// none; the glue handles its own test faults).
void smpc_job_set_fault(SmpcJob* job, int fault) noexcept;
// Whether this party has handed out a message that opens values (or lets
// partners open them): from then on the job id is spent here, and the
// caller must have recorded that durably before the outbox is sent.
bool smpc_job_committed(const SmpcJob* job) noexcept;
// This party's share reached compute party `party` (its server accepted it).
void smpc_job_acknowledged(SmpcJob* job, int party) noexcept;
// Whether the released result was checked against a compute party that
// changed a value (protocol/aggregation_job.hpp, "Verified results").
bool smpc_job_verified(const SmpcJob* job) noexcept;
// Replaces the outbox with an abort message to every partner. fatal: the
// job must stop everywhere (an inconsistency), not only without this party.
bool smpc_job_abort(SmpcJob* job, const char* reason, bool fatal, SmpcStatus* st) noexcept;

int smpc_job_outbox_size(const SmpcJob* job) noexcept;
void smpc_job_outbox_item(const SmpcJob* job, int i, int* to, const std::uint8_t** data,
                          std::size_t* len) noexcept;
void smpc_job_outbox_clear(SmpcJob* job) noexcept;

bool smpc_job_finished(const SmpcJob* job) noexcept;
// True when the finished job was refused by the release policy after the
// count round; fills st with the refusal (SMPC_REFUSED). An abort made
// afterwards (smpc_job_abort) tells partners that it was a refusal.
bool smpc_job_refused(const SmpcJob* job, SmpcStatus* st) noexcept;
int smpc_job_round(const SmpcJob* job) noexcept;
// Message type of the current round (1 share, 6 roster, 5 count, 2 partial,
// 3 confirm); 0 when finished.
int smpc_job_round_type(const SmpcJob* job) noexcept;
// "round 2 (count)": the round of this job in which messages of `type` go.
void smpc_job_round_name(const SmpcJob* job, int type, char* buf, std::size_t len) noexcept;
// Whether the finished job gave this party the result (an input-only party
// gets none).
bool smpc_job_has_result(const SmpcJob* job) noexcept;
// Signed joint result for slot i (only when smpc_job_has_result; 0 otherwise).
__int128 smpc_job_result(const SmpcJob* job, int i) noexcept;
// Grouped jobs: whether cell c was suppressed (below min_rows).
bool smpc_job_suppressed(const SmpcJob* job, int cell) noexcept;
// Bit mask of the input parties the result covers (bit i = party i).
std::uint64_t smpc_job_covered(const SmpcJob* job) noexcept;
// "party c: did not answer in round 1 (share); ..." for the parties the job
// went on without; empty when none.
void smpc_job_dropouts(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// Which parties the job still waits for, and in which round.
void smpc_job_describe_missing(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// Bitmask of the parties the job still waits for (bit i = party i).
std::uint64_t smpc_job_missing_mask(const SmpcJob* job) noexcept;

// Text shares (SQL smpc_share / smpc_reconstruct). share_value writes n
// NUL-terminated strings into a malloc'd array (free with smpc_free_strings).
bool smpc_share_value(__int128 scaled, int scale, int n, int threshold, char*** out,
                      SmpcStatus* st) noexcept;
void smpc_free_strings(char** strings, int n) noexcept;
bool smpc_reconstruct_value(const char* const* shares, int n, __int128* out, int* scale,
                            SmpcStatus* st) noexcept;

// Decimal text <-> scaled integers (crypto/int128_text.hpp), exception-free.
bool smpc_parse_scaled(const char* text, int scale, __int128* out) noexcept;
// Writes v / 10^scale as decimal text; buf needs 64 bytes.
void smpc_format_scaled(__int128 v, int scale, char* buf, std::size_t len) noexcept;
}
