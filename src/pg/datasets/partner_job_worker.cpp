/*
 * The background worker that runs this party's side of a job a partner
 * started (requests.cpp launches it from the partner's deliver call).
 *
 * It logs in as the dataset's run_as role, checks the publication once more
 * (it may have been unpublished since the partner asked), and runs the
 * aggregate over the published column of the published query, exactly like
 * a session here would: the same release policy, the same audit record
 * (initiated_by names the partner), the same job status. smpc.cancel_job
 * and a withdrawal by the initiator cancel it with SIGINT, like
 * pg_cancel_backend. If it fails before its messages went out, it tells the
 * initiator why, so that the initiator's job need not wait for it.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void smpc_partner_job_main(Datum main_arg);
}

static int	  smpc_worker_slot = -1;
static uint64 smpc_worker_generation = 0;

static void
smpc_worker_release(int code, Datum arg)
{
	smpc_partner_job_release(smpc_worker_slot, smpc_worker_generation);
}

/* The checks of the request, again, and the job itself. */
static void
smpc_worker_run(const SmpcFederationRow *fed, const SmpcPartnerJob *job)
{
	char		 aggregate[16];
	char		 value_class[16];
	SmpcDataset *ds;
	SmpcDataset *loaded;
	bool		 isnull;

	if (!smpc_request_parse_descriptor(job->descriptor, aggregate, value_class))
		elog(ERROR, "invalid smpc job descriptor \"%s\"", job->descriptor);
	/* The query itself, in this session; the request was checked against the publication. */
	ds = smpc_dataset_for_partner(fed, job->dataset, aggregate, job->column, value_class,
								  job->initiator, true, &loaded);
	if (ds->run_as != GetUserId())
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("dataset \"%s\" at party \"%s\" was published again to run as another role",
					   job->dataset, fed->self_name));
	if (smpc_partner_job_withdrawn(smpc_worker_slot, smpc_worker_generation))
		ereport(ERROR, errcode(ERRCODE_QUERY_CANCELED),
				errmsg("party \"%s\" withdrew job \"%s\"", job->initiator, job->job_id));
	smpc_job_context()->initiator = job->initiator;
	(void) smpc_dataset_run(ds, aggregate, job->column, value_class, job->job_id, &isnull);
}

/*
 * After a failure: the transaction is rolled back, and in a new one the
 * attempt is recorded (unless the job recorded it) and the initiator told
 * why (unless the job's own abort told it). Then the error is logged.
 */
static void
smpc_worker_after_failure(const SmpcPartnerJob *job, ErrorData *edata)
{
	AbortCurrentTransaction();
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		SmpcFederationRow *fed = smpc_load_federation(job->federation, true);

		if (fed != NULL && !smpc_job_context()->entered)
			smpc_request_audit_failure(fed, job->job_id, job->descriptor, job->initiator, NULL,
									   edata);
		if (fed != NULL && !smpc_job_context()->exchanged)
			smpc_request_report_failure(fed, job, edata);
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		return;
	}
	PG_END_TRY();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

void
smpc_partner_job_main(Datum main_arg)
{
	SmpcPartnerJob job;

	smpc_worker_slot = DatumGetInt32(main_arg);
	memcpy(&smpc_worker_generation, MyBgworkerEntry->bgw_extra, sizeof smpc_worker_generation);
	/*
	 * SIGINT (smpc.cancel_job, withdrawals) cancels the job like
	 * pg_cancel_backend, but only once errors are caught below; a withdrawal
	 * before that is seen by its mark in the slot.
	 */
	pqsignal(SIGINT, SIG_IGN);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (!smpc_partner_job_get(smpc_worker_slot, smpc_worker_generation, &job))
		proc_exit(0);
	before_shmem_exit(smpc_worker_release, 0);
	BackgroundWorkerInitializeConnectionByOid(job.dbid, job.roleid, 0);
	pgstat_report_appname("smpc partner job");

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, psprintf("smpc job \"%s\" on dataset \"%s\" for party %s",
												   job.job_id, job.dataset, job.initiator));
	PG_TRY();
	{
		SmpcFederationRow *fed;

		pqsignal(SIGINT, StatementCancelHandler);
		fed = smpc_load_federation(job.federation, false);

		smpc_worker_run(fed, &job);
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		HOLD_INTERRUPTS();
		smpc_worker_after_failure(&job, edata);
		RESUME_INTERRUPTS();
		ReThrowError(edata);
	}
	PG_END_TRY();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
