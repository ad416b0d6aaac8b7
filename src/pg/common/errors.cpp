/*
 * Turning a status from the C++ core into a PostgreSQL error, and running
 * best-effort work (notices to partners) that must never raise.
 */
#include "pg/common/common.h"

extern "C" {
#include "miscadmin.h"
}

/* SQLSTATE for each core status kind. */
static int
smpc_sqlstate_of(int kind)
{
	switch (kind)
	{
		case SMPC_MALFORMED:
			return ERRCODE_SMPC_PROTOCOL_VIOLATION;
		case SMPC_INVALID_ARGUMENT:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case SMPC_FEDERATION_MISMATCH:
			return ERRCODE_SMPC_FEDERATION_MISMATCH;
		case SMPC_JOB_MISMATCH:
			return ERRCODE_SMPC_JOB_CONFLICT;
		case SMPC_INCONSISTENT:
			return ERRCODE_SMPC_PROTOCOL_VIOLATION;
		case SMPC_ABORTED:
			return ERRCODE_SMPC_PARTNER_ABORTED;
		case SMPC_RANGE:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case SMPC_REFUSED:
			return ERRCODE_SMPC_POLICY_REFUSED;
		case SMPC_POLICY_MISMATCH:
			return ERRCODE_SMPC_POLICY_MISMATCH;
		case SMPC_TOO_FEW_PARTIES:
			return ERRCODE_SMPC_PARTNER_TIMEOUT;
		case SMPC_OUT_OF_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		default:
			return ERRCODE_INTERNAL_ERROR;
	}
}

void
smpc_raise_status(const SmpcStatus *st)
{
	/*
	 * A long step of the core stopped for a pending cancel or termination
	 * (statement_timeout, smpc.cancel_job, a shutdown): that interrupt is
	 * the error. Held off here, it still ends the job.
	 */
	if (st->kind == SMPC_INTERRUPTED)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling the smpc job"),
				errdetail("An interrupt came while the job blinded or re-blinded a set."));
	}
	ereport(ERROR, errcode(smpc_sqlstate_of(st->kind)), errmsg("%s", st->message),
			st->detail[0] ? errdetail("%s", st->detail) : 0,
			st->hint[0] ? errhint("%s", st->hint) : 0);
	pg_unreachable();
}

/*
 * Calls fn(arg) with interrupts held and swallows any error it raises: for
 * notices to partners on error paths, after the caller's own error was
 * copied and flushed. An error resets the interrupt holdoff count, so ours
 * is restored before going on.
 */
void
smpc_never_raise(void (*fn)(void *), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	uint32		  holdoff;

	HOLD_INTERRUPTS();
	holdoff = InterruptHoldoffCount;
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		InterruptHoldoffCount = holdoff;
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
}
