/*
 * Spent job ids: a job id runs again only while no earlier attempt of it
 * opened anything here.
 *
 * Why: a run that fails after values were opened (a partner aborts once it
 * holds the partial sums, say) must not be retried under the same id. The
 * retry could open over other inputs (a partner leaves one out of its
 * roster, or late rows changed the data), and whoever saw both runs'
 * values learns the difference: an input. So once this party hands out a
 * message that opens values or lets partners open them
 * (protocol/aggregation_job.hpp, "Spent job ids"), it first records that
 * durably: an 'opened' record in smpc.audit_log, committed by the audit
 * writer in its own transaction, exactly as privacy charges are
 * (privacy.cpp). Every later run of the job id is refused, naming that
 * attempt. A run that failed before anything was opened (a partner down in
 * the share round, a mismatch) leaves no such record and can be retried.
 *
 * With the protocol's quorum, the honest compute parties that committed in a
 * run that opened something are enough to stop any later run from reaching
 * a quorum, even if some partners lie about having committed.
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

/* How long a job waits for its 'opened' record to be on disk. */
#define SMPC_SPENT_RECORD_TIMEOUT_MS 10000

/*
 * Raises SM005 when an earlier attempt of the job id, in any federation of
 * this party, opened something here (and no release of it is stored in
 * this federation: the caller returns stored results first).
 */
void
smpc_spent_check(const SmpcFederationRow *fed, const char *job_id)
{
	/* Job ids are this party's, across its federations (job_records.cpp). */
	static SmpcCachedQuery q = {"SELECT started_at::text, event_id::text, federation "
								"FROM smpc.audit_log WHERE job_id = $1 AND outcome = 'opened' "
								"ORDER BY started_at LIMIT 1",
								1,
								{TEXTOID},
								NULL};
	Datum				   args[1];
	SmpcOwnerContext	   owner;
	MemoryContext		   callercxt = CurrentMemoryContext;
	char				  *started = NULL;
	char				  *event = NULL;
	char				  *where = NULL;

	args[0] = CStringGetTextDatum(job_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	/* Records committed up to now, not as of the caller's snapshot. */
	smpc_spi_execute_now(&q, args, NULL, 1);
	if (SPI_processed == 1)
	{
		started = MemoryContextStrdup(
			callercxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		event = MemoryContextStrdup(callercxt,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		where = MemoryContextStrdup(callercxt,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	if (started != NULL)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
			errmsg("job id \"%s\" of federation \"%s\" was spent by an earlier attempt that "
				   "released nothing here",
				   job_id, fed->name),
			errdetail("The attempt started at %s%s%s%s (smpc.audit_log event %s) sent values that "
					  "open the result before it failed. Running the job again could open it over "
					  "other inputs, and the two results would give away the difference.",
					  started, strcmp(where, fed->name) != 0 ? " in federation \"" : "",
					  strcmp(where, fed->name) != 0 ? where : "",
					  strcmp(where, fed->name) != 0 ? "\"" : "", event),
			errhint("Run the job with a new job id at every party."));
}

/*
 * Records durably that this party is about to send a message that opens
 * values of the job; raises (before anything is sent) when it cannot.
 */
void
smpc_spent_record(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
				  const char *initiator)
{
	SmpcAuditRecord rec;
	bool			written;

	smpc_audit_begin(&rec, fed, job_id, descriptor, 0, initiator);
	rec.text[SMPC_AUDIT_OUTCOME] = "opened";
	written = smpc_audit_emit_durably(&rec, SMPC_SPENT_RECORD_TIMEOUT_MS) &&
			  smpc_audit_recorded(rec.text[SMPC_AUDIT_EVENT_ID]);
	if (!written)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("could not record in smpc.audit_log that job \"%s\" opens its result", job_id),
			errdetail("A job sends values that open its result only once that is on disk, so that "
					  "the job id is never run again over other inputs. Nothing was opened."),
			errhint("Check the server log for errors of the smpc audit writer, and "
					"smpc.audit_queue_size."));
}
