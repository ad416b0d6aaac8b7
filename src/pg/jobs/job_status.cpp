/*
 * The running side of smpc.job_status, and smpc.cancel_job().
 *
 * A running job's status (round, whom it waits for, who started it) lives
 * with its claim in shared memory (inbox.cpp); smpc._running_jobs() lists the
 * jobs of this database that the caller may see: all of them for a superuser
 * or an smpc_admin member, else those of roles the caller has the privileges
 * of. Finished jobs come from smpc.audit_log (the view joins both).
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include <signal.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PGDLLEXPORT Datum smpc_running_jobs(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_cancel_job(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_running_jobs);
PG_FUNCTION_INFO_V1(smpc_cancel_job);
}

/* Whether the current user may see (and cancel) every job: a superuser or an smpc_admin. */
static bool
smpc_sees_all(void)
{
	return superuser() || has_privs_of_role(GetUserId(), get_role_oid("smpc_admin", false));
}

/* Whether the current user may see (and cancel) jobs run by roleid. */
static bool
smpc_may_see(Oid roleid, bool sees_all)
{
	return sees_all || has_privs_of_role(GetUserId(), roleid);
}

Datum
smpc_running_jobs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SmpcJobStatus *rows;
	int			  *pids;
	int			   n;
	bool		   sees_all;

	InitMaterializedSRF(fcinfo, 0);
	sees_all = smpc_sees_all();
	n = smpc_inbox_statuses(&rows, &pids);
	for (int i = 0; i < n; i++)
	{
		Datum		values[9];
		bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
		const char *role;

		if (rows[i].state != SMPC_JOB_RUNNING || !smpc_may_see(rows[i].roleid, sees_all))
			continue;
		role = GetUserNameFromId(rows[i].roleid, true);
		values[0] = CStringGetTextDatum(rows[i].federation);
		values[1] = CStringGetTextDatum(rows[i].job_id);
		values[2] = CStringGetTextDatum(rows[i].aggregate);
		values[3] = CStringGetTextDatum(rows[i].round);
		values[4] = CStringGetTextDatum(rows[i].waiting_for);
		values[5] = TimestampTzGetDatum(rows[i].started);
		values[6] = role ? DirectFunctionCall1(namein, CStringGetDatum(role)) : (Datum) 0;
		nulls[6] = role == NULL;
		values[7] = CStringGetTextDatum(rows[i].initiated_by);
		values[8] = Int32GetDatum(pids[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * smpc.cancel_job(federation, job_id): cancels the job where it waits here,
 * like pg_cancel_backend on its backend; the partners are told. True when a
 * running job was signalled, false when none runs under that id.
 */
Datum
smpc_cancel_job(PG_FUNCTION_ARGS)
{
	char	  *federation = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	  *job_id = PG_GETARG_TEXT_PP(1);
	uint8	   key[32];
	SmpcStatus st;
	Oid		   roleid = InvalidOid;
	int		   pid;

	smpc_inbox_require();
	(void) smpc_load_federation(federation, false); /* errors when there is none */
	if (!smpc_job_key(federation, VARDATA_ANY(job_id), VARSIZE_ANY_EXHDR(job_id), key, &st))
		smpc_raise_status(&st);
	pid = smpc_inbox_pid_of(key, &roleid);
	if (pid == 0)
		PG_RETURN_BOOL(false);
	if (!smpc_may_see(roleid, smpc_sees_all()))
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to cancel job \"%s\" of federation \"%s\"",
					   text_to_cstring(job_id), federation),
				errdetail("Only the role that runs a job, an smpc_admin member or a superuser may "
						  "cancel it."));
	if (kill(pid, SIGINT) != 0)
		ereport(WARNING, errmsg("could not send a cancel request to process %d: %m", pid));
	PG_RETURN_BOOL(true);
}
