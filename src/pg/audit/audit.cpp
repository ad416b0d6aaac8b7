/*
 * The audit trail of jobs: one record per attempt to run a job at this
 * party, whatever its outcome (released, returned from storage, refused by
 * a policy or permission, failed), kept whatever the caller's transaction
 * does afterwards. Records go through the audit queue (audit_queue.cpp) to
 * smpc.audit_log; with smpc.audit_server_log they are also written to the
 * server log at once, for log shippers and SIEMs.
 *
 * What a record holds: who asked (current and login role), what (federation,
 * job id, aggregate, a SHA-256 of the query text rather than the text), with
 * whom (the partners), under which release policy, when, the outcome with
 * its SQLSTATE and message, and what was opened (the joint values). Never a
 * share, an input or a password: error messages of smpc never contain them.
 */
#include "pg/audit/audit.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

/* Column names, in payload order (the writer's INSERT uses the same order). */
static const char *const smpc_audit_names[SMPC_AUDIT_NTEXT] = {
	"event_id",		"federation",	"job_id",		  "aggregate", "requested_by",
	"login_role",	"query_sha256", "partners",		  "outcome",   "sqlstate",
	"reason",		"result",		"policy",		  "covers",	   "dropouts",
	"initiated_by", "epsilon",		"budget_dataset", "verified"};

/* Fixed-size part of a payload; the text fields follow. */
typedef struct SmpcAuditFixed
{
	TimestampTz started;
	TimestampTz finished;
	int64		outside;
	int32		backend_pid;
} SmpcAuditFixed;

#define SMPC_AUDIT_NULL_LEN 0xFFFFFFFFu

/* The payload of a record: the fixed part, then each text as u32 length + bytes. */
static void
smpc_audit_record_encode(const SmpcAuditRecord *r, StringInfo out)
{
	SmpcAuditFixed f;

	memset(&f, 0, sizeof f);
	f.started = r->started;
	f.finished = r->finished;
	f.outside = r->outside;
	f.backend_pid = r->backend_pid;
	appendBinaryStringInfo(out, (const char *) &f, sizeof f);
	for (int i = 0; i < SMPC_AUDIT_NTEXT; i++)
	{
		uint32 len = r->text[i] ? (uint32) strlen(r->text[i]) : SMPC_AUDIT_NULL_LEN;

		appendBinaryStringInfo(out, (const char *) &len, sizeof len);
		if (r->text[i])
			appendBinaryStringInfo(out, r->text[i], len);
	}
}

/*
 * Decodes a payload; the texts point into a palloc'd copy. False when it is
 * not a well-formed record.
 */
bool
smpc_audit_record_decode(const char *payload, Size len, SmpcAuditRecord *r)
{
	SmpcAuditFixed f;
	Size		   at = sizeof f;

	memset(r, 0, sizeof *r);
	if (len < sizeof f)
		return false;
	memcpy(&f, payload, sizeof f);
	r->started = f.started;
	r->finished = f.finished;
	r->outside = f.outside;
	r->backend_pid = f.backend_pid;
	for (int i = 0; i < SMPC_AUDIT_NTEXT; i++)
	{
		uint32 n;

		if (len - at < sizeof n)
			return false;
		memcpy(&n, payload + at, sizeof n);
		at += sizeof n;
		if (n == SMPC_AUDIT_NULL_LEN)
			continue;
		if (len - at < n)
			return false;
		r->text[i] = pnstrdup(payload + at, n);
		at += n;
	}
	return at == len;
}

/* "name=value name='quoted value' ..." of a record, for the server log. */
static char *
smpc_audit_record_text(const SmpcAuditRecord *r)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < SMPC_AUDIT_NTEXT; i++)
		if (r->text[i])
			appendStringInfo(&buf, "%s%s=%s", i ? " " : "", smpc_audit_names[i],
							 quote_literal_cstr(r->text[i]));
	appendStringInfo(&buf, " started_at=%s", quote_literal_cstr(timestamptz_to_str(r->started)));
	appendStringInfo(&buf, " finished_at=%s", quote_literal_cstr(timestamptz_to_str(r->finished)));
	appendStringInfo(&buf, " outside_bounds=" INT64_FORMAT " backend_pid=%d", r->outside,
					 r->backend_pid);
	return buf.data;
}

/* Writes a record that is not going to smpc.audit_log to the server log. */
void
smpc_audit_log_record(const SmpcAuditRecord *r, const char *why)
{
	ereport(WARNING, errmsg("smpc audit record written to the server log only, because %s", why),
			errdetail_internal("%s", smpc_audit_record_text(r)), errhidestmt(true));
}

void
smpc_audit_log_payload(Size len, const char *why)
{
	ereport(WARNING, errmsg("smpc audit record of %zu bytes dropped, because %s", len, why),
			errhidestmt(true));
}

/* A random event id in the text form of a uuid. */
static char *
smpc_audit_event_id(void)
{
	uint8 b[16];

	if (!pg_strong_random(b, sizeof b))
		ereport(ERROR, errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate a random audit event id"));
	b[6] = (uint8) ((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (uint8) ((b[8] & 0x3F) | 0x80); /* variant 1 */
	return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
					b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
					b[13], b[14], b[15]);
}

/*
 * Starts the record of a job attempt: everything known before it runs.
 * May raise (it allocates and looks up roles), so it is called before the
 * job's error handling begins.
 */
void
smpc_audit_begin(SmpcAuditRecord *r, const SmpcFederationRow *fed, const char *job_id,
				 const char *descriptor, int64 outside, const char *initiator)
{
	char	   *partners;
	uint64		all;
	char		hash[65];
	const char *query = debug_query_string ? debug_query_string : "";

	memset(r, 0, sizeof *r);
	r->text[SMPC_AUDIT_EVENT_ID] = smpc_audit_event_id();
	r->text[SMPC_AUDIT_FEDERATION] = pstrdup(fed->name);
	r->text[SMPC_AUDIT_JOB_ID] = pstrdup(job_id);
	r->text[SMPC_AUDIT_AGGREGATE] = pstrdup(descriptor);
	r->text[SMPC_AUDIT_REQUESTED_BY] = pstrdup(GetUserNameFromId(GetUserId(), false));
	r->text[SMPC_AUDIT_LOGIN_ROLE] = pstrdup(GetUserNameFromId(GetSessionUserId(), false));
	smpc_sha256_hex(query, strlen(query), hash);
	r->text[SMPC_AUDIT_QUERY_SHA256] = pstrdup(hash);
	all = fed->nparties >= 64 ? ~UINT64CONST(0) : (UINT64CONST(1) << fed->nparties) - 1;
	partners = smpc_party_list(fed, all & ~(UINT64CONST(1) << fed->self), ",");
	r->text[SMPC_AUDIT_PARTNERS] = partners ? partners : "";
	r->text[SMPC_AUDIT_INITIATED_BY] = initiator ? pstrdup(initiator) : NULL;
	r->started = GetCurrentTimestamp();
	r->outside = outside;
	r->backend_pid = MyProcPid;
}

/* Stamps the end of a record, copies it to the server log if asked, encodes it. */
static void
smpc_audit_finish(SmpcAuditRecord *r, StringInfo payload)
{
	r->finished = GetCurrentTimestamp();
	if (smpc_audit_server_log)
		ereport(LOG, errmsg("smpc audit: %s", smpc_audit_record_text(r)), errhidestmt(true));
	initStringInfo(payload);
	smpc_audit_record_encode(r, payload);
}

/*
 * Emits a record and waits until the writer has handled it (inserted it,
 * or failed to and logged it): for privacy charges, which must be on disk
 * before a job may start. False when it could not be queued or the writer
 * did not get to it within timeout_ms; the caller checks the table.
 */
bool
smpc_audit_emit_durably(SmpcAuditRecord *r, int timeout_ms)
{
	StringInfoData payload;
	uint64		   position;
	bool		   queued;
	TimestampTz	   until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);

	smpc_audit_finish(r, &payload);
	queued = smpc_audit_enqueue_at(payload.data, payload.len, &position, true);
	pfree(payload.data);
	if (!queued)
		return false;
	/*
	 * The writer sets our latch once the record is committed (so do
	 * partners' deliveries: the caller takes its inbox afresh after this).
	 */
	while (!smpc_audit_handled(position))
	{
		long left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		if (left <= 0)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, Min(left, 100),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/* Appends r's record to out as it reads if its attempt never ends, for the reason given. */
static void
smpc_audit_encode_interrupted(const SmpcAuditRecord *r, const char *reason, StringInfo out)
{
	SmpcAuditRecord interrupted = *r;

	interrupted.text[SMPC_AUDIT_OUTCOME] = "interrupted";
	interrupted.text[SMPC_AUDIT_REASON] = reason;
	smpc_audit_record_encode(&interrupted, out);
}

/*
 * The attempt of this backend whose final record is not queued yet, as its
 * record reads if the backend ends first: a FATAL error or
 * pg_terminate_backend ends the process without the job's error handling
 * (PG_CATCH), and the server stays up, so no restart would store the
 * attempt's file. smpc_audit_on_exit queues it. Kept in TopMemoryContext;
 * event id "" when none. One attempt at a time: a backend runs its jobs one
 * after another, each ending (its final record emitted) before the next
 * pledges.
 */
static StringInfoData smpc_audit_unended = {NULL, 0, 0, 0};
static char			  smpc_audit_unended_id[64] = "";
static bool			  smpc_audit_exit_hooked = false;

/*
 * Queues the record of an attempt this backend began and did not end. The
 * writer stores it and deletes the attempt's file; if the record cannot be
 * queued, the file stays, and the server's next life stores it.
 */
static void
smpc_audit_on_exit(int code, Datum arg)
{
	TimestampTz now = GetCurrentTimestamp();

	if (smpc_audit_unended_id[0] == '\0')
		return;
	smpc_audit_unended_id[0] = '\0';
	memcpy(smpc_audit_unended.data + offsetof(SmpcAuditFixed, finished), &now, sizeof now);
	if (smpc_audit_server_log)
	{
		SmpcAuditRecord r;

		if (smpc_audit_record_decode(smpc_audit_unended.data, smpc_audit_unended.len, &r))
			ereport(LOG, errmsg("smpc audit: %s", smpc_audit_record_text(&r)), errhidestmt(true));
	}
	if (!smpc_audit_enqueue(smpc_audit_unended.data, smpc_audit_unended.len))
		ereport(LOG,
				errmsg("smpc audit record of an unended job attempt stays on disk until the "
					   "server's next start"),
				errdetail("Its backend ended, and the audit queue could not take the record."),
				errhidestmt(true));
}

/* The attempt of event_id has its final record queued (or logged): not unended. */
static void
smpc_audit_ended(const char *event_id)
{
	if (event_id != NULL && strcmp(event_id, smpc_audit_unended_id) == 0)
		smpc_audit_unended_id[0] = '\0';
}

/* Keeps r's record as it reads if this backend ends before the attempt does. */
static void
smpc_audit_keep_unended(const SmpcAuditRecord *r)
{
	const char *id = r->text[SMPC_AUDIT_EVENT_ID];

	if (smpc_audit_unended.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&smpc_audit_unended);
		MemoryContextSwitchTo(old);
	}
	if (!smpc_audit_exit_hooked)
	{
		before_shmem_exit(smpc_audit_on_exit, 0);
		smpc_audit_exit_hooked = true;
	}
	smpc_audit_unended_id[0] = '\0'; /* (until the record below is whole) */
	resetStringInfo(&smpc_audit_unended);
	smpc_audit_encode_interrupted(
		r,
		"the job's backend ended while the job ran here: it was terminated (pg_terminate_backend, "
		"or as the server stopped) or hit a fatal error; this record was queued as it ended",
		&smpc_audit_unended);
	strlcpy(smpc_audit_unended_id, id, sizeof smpc_audit_unended_id);
}

/*
 * Puts the record of an attempt that has begun on disk (audit_files.cpp)
 * before anything of it leaves this party, as it reads if the attempt never
 * ends: outcome 'interrupted'. Once its final record (same event id) is
 * written, the audit writer deletes it. If this backend ends first, it
 * queues that record itself (smpc_audit_on_exit).
 * Raises when it cannot be made durable.
 */
void
smpc_audit_pledge(const SmpcAuditRecord *r)
{
	StringInfoData payload;

	initStringInfo(&payload);
	smpc_audit_encode_interrupted(
		r,
		"the server stopped or crashed while the job ran here; this record was on disk before "
		"the job's first message left, and the restarted server stored it (finished_at: then)",
		&payload);
	smpc_audit_file_write(r->text[SMPC_AUDIT_EVENT_ID], payload.data, payload.len);
	pfree(payload.data);
	smpc_audit_keep_unended(r);
}

/* When the attempt of a record's payload started; false if it is too short. */
bool
smpc_audit_payload_started(const char *payload, Size len, TimestampTz *started)
{
	SmpcAuditFixed f;

	if (len < sizeof f)
		return false;
	memcpy(&f, payload, sizeof f);
	*started = f.started;
	return true;
}

/* Whether the audit record event_id is in smpc.audit_log (committed now). */
bool
smpc_audit_recorded(const char *event_id)
{
	static SmpcCachedQuery q = {
		"SELECT 1 FROM smpc.audit_log WHERE event_id = $1::uuid", 1, {TEXTOID}, NULL};
	Datum			 args[1];
	SmpcOwnerContext owner;
	bool			 found;

	args[0] = CStringGetTextDatum(event_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	smpc_spi_execute_now(&q, args, NULL, 1);
	found = SPI_processed == 1;
	SPI_finish();
	smpc_end_as_owner(&owner);
	return found;
}

/* Finishes the record of a job that gave its caller a result, and emits it. */
void
smpc_audit_released(SmpcAuditRecord *r, const char *outcome, const char *result)
{
	r->text[SMPC_AUDIT_OUTCOME] = outcome;
	r->text[SMPC_AUDIT_RESULT] = result;
	smpc_audit_emit(r);
}

/*
 * Finishes the record of a job that ended with an error, and emits it.
 * Refusals are this party's own rules saying no: release policies, missing
 * permissions, a job id that may not run again.
 */
void
smpc_audit_failed(SmpcAuditRecord *r, const ErrorData *edata)
{
	int	 code = edata->sqlerrcode;
	bool refused = code == ERRCODE_SMPC_POLICY_REFUSED || code == ERRCODE_INSUFFICIENT_PRIVILEGE ||
				   code == ERRCODE_SMPC_JOB_CONFLICT;

	r->text[SMPC_AUDIT_OUTCOME] = refused ? "refused" : "failed";
	r->text[SMPC_AUDIT_SQLSTATE] = pstrdup(unpack_sql_state(code));
	r->text[SMPC_AUDIT_REASON] = pstrdup(edata->message ? edata->message : "");
	smpc_audit_emit(r);
}

/*
 * Queues the record for smpc.audit_log (and copies it to the server log when
 * smpc.audit_server_log is on). If the queue cannot take it, the record goes
 * to the server log instead: never lost silently.
 */
void
smpc_audit_emit(SmpcAuditRecord *r)
{
	StringInfoData payload;

	smpc_audit_finish(r, &payload);
	if (!smpc_audit_enqueue(payload.data, payload.len))
	{
		smpc_audit_log_record(r, smpc_audit_queue_ready()
									 ? "the audit queue is full (raise smpc.audit_queue_size)"
									 : "smpc is not in shared_preload_libraries");
		/* The attempt ended, and its record is in the server log. */
		smpc_audit_file_forget(r->text[SMPC_AUDIT_EVENT_ID]);
	}
	/*
	 * (Were this backend to end before this line, its exit would queue the
	 * 'interrupted' record too; the event id keeps whichever comes first.)
	 */
	smpc_audit_ended(r->text[SMPC_AUDIT_EVENT_ID]);
	pfree(payload.data);
}
