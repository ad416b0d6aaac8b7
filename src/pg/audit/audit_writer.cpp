/*
 * The audit writer: a background worker, one per database with queued audit
 * records, that inserts them into smpc.audit_log in transactions of its own
 * (audit_queue.cpp explains why).
 *
 * It is started on demand by the backend that queues a record, connects to
 * that database as the bootstrap superuser, and exits after
 * SMPC_AUDIT_IDLE_MS without records. A record is marked written only after
 * its transaction committed; if the writer dies in between, the next one
 * inserts it again, and the event id (primary key, ON CONFLICT DO NOTHING)
 * makes that harmless. A record that cannot be inserted even on its own is
 * written to the server log in full and dropped, so it can neither be lost
 * silently nor block the queue.
 *
 * At its start it also stores the records of attempts that a server stop or
 * crash cut short, which are on disk (audit_files.cpp).
 */
#include "pg/audit/audit.h"

extern "C" {
#include "utils/guc.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void smpc_audit_writer_main(Datum main_arg);
}

#define SMPC_AUDIT_IDLE_MS 30000
#define SMPC_AUDIT_BATCH   64
/*
 * After writing, the writer gathers records this long before its next
 * transaction, so that a busy server commits one batch per interval instead
 * of one transaction (and one wakeup) per job. Urgent records (privacy
 * charges, which a job waits for) cut the wait short.
 */
#define SMPC_AUDIT_GATHER_MS 20

static const char smpc_audit_insert[] =
	"INSERT INTO smpc.audit_log (event_id, federation, job_id, aggregate, requested_by, "
	"login_role, query_sha256, partners, outcome, sqlstate, reason, result, policy, covers, "
	"dropouts, initiated_by, epsilon, budget_dataset, verified, started_at, finished_at, "
	"outside_bounds, backend_pid) "
	"VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, pg_catalog.string_to_array($8, ','), $9, $10, "
	"$11, $12, $13, pg_catalog.string_to_array($14, ','), $15, $16, $17::float8, $18, "
	"$19::boolean, $20, $21, $22, $23) "
	"ON CONFLICT (event_id) DO NOTHING";

#define SMPC_AUDIT_NARGS (SMPC_AUDIT_NTEXT + 4)

/*
 * The INSERT, planned once for the writer's life (SPI connected; kept with
 * SPI_keepplan, replanned by the plan cache if the table is recreated).
 */
static SPIPlanPtr smpc_audit_plan = NULL;

static SPIPlanPtr
smpc_audit_prepare_insert(void)
{
	Oid		   types[SMPC_AUDIT_NARGS];
	SPIPlanPtr plan;

	if (smpc_audit_plan != NULL)
		return smpc_audit_plan;

	for (int i = 0; i < SMPC_AUDIT_NTEXT; i++)
		types[i] = TEXTOID;
	types[SMPC_AUDIT_NTEXT] = TIMESTAMPTZOID;
	types[SMPC_AUDIT_NTEXT + 1] = TIMESTAMPTZOID;
	types[SMPC_AUDIT_NTEXT + 2] = INT8OID;
	types[SMPC_AUDIT_NTEXT + 3] = INT4OID;
	plan = SPI_prepare(smpc_audit_insert, SMPC_AUDIT_NARGS, types);
	if (plan == NULL)
		elog(ERROR, "smpc audit insert could not be planned: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "smpc audit insert could not be kept");
	smpc_audit_plan = plan;
	return plan;
}

/* Inserts one decoded record with the batch's plan. */
static void
smpc_audit_insert_record(SPIPlanPtr plan, const SmpcAuditRecord *r)
{
	Datum values[SMPC_AUDIT_NARGS];
	char  nulls[SMPC_AUDIT_NARGS];

	for (int i = 0; i < SMPC_AUDIT_NTEXT; i++)
	{
		nulls[i] = r->text[i] ? ' ' : 'n';
		values[i] = r->text[i] ? CStringGetTextDatum(r->text[i]) : (Datum) 0;
	}
	values[SMPC_AUDIT_NTEXT] = TimestampTzGetDatum(r->started);
	values[SMPC_AUDIT_NTEXT + 1] = TimestampTzGetDatum(r->finished);
	values[SMPC_AUDIT_NTEXT + 2] = Int64GetDatum(r->outside);
	values[SMPC_AUDIT_NTEXT + 3] = Int32GetDatum(r->backend_pid);
	for (int i = SMPC_AUDIT_NTEXT; i < SMPC_AUDIT_NARGS; i++)
		nulls[i] = ' ';
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "smpc audit insert failed");
}

/* What writing a batch came to. */
typedef enum SmpcBatchOutcome
{
	SMPC_BATCH_WRITTEN,
	SMPC_BATCH_FAILED,	/* rolled back, the error logged */
	SMPC_BATCH_NO_TABLE /* smpc.audit_log does not exist (extension dropped) */
} SmpcBatchOutcome;

/* Inserts the records not marked skip in one transaction. */
static SmpcBatchOutcome
smpc_audit_write_batch(const SmpcAuditRecord *records, int n, const bool *skip)
{
	MemoryContext			  cxt = CurrentMemoryContext;
	volatile SmpcBatchOutcome outcome = SMPC_BATCH_WRITTEN;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		if (!OidIsValid(RangeVarGetRelid(makeRangeVar((char *) "smpc", (char *) "audit_log", -1),
										 NoLock, true)))
			outcome = SMPC_BATCH_NO_TABLE;
		else
		{
			SPIPlanPtr plan;

			SPI_connect();
			plan = smpc_audit_prepare_insert();
			for (int i = 0; i < n; i++)
				if (!skip[i])
					smpc_audit_insert_record(plan, &records[i]);
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		outcome = SMPC_BATCH_FAILED;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	return outcome;
}

/*
 * Inserts decoded records (those not marked skip) in one transaction, else
 * one at a time; a record that cannot be inserted even alone, or has no
 * table to go to, is written to the server log. Afterwards each record is
 * in the table or the server log, and the caller deletes the files of the
 * attempts they end.
 */
static void
smpc_audit_write_records(const SmpcAuditRecord *records, int n, const bool *skip)
{
	SmpcBatchOutcome outcome =
		n > 0 ? smpc_audit_write_batch(records, n, skip) : SMPC_BATCH_WRITTEN;

	if (outcome == SMPC_BATCH_NO_TABLE)
	{
		for (int i = 0; i < n; i++)
			if (!skip[i])
				smpc_audit_log_record(&records[i],
									  "smpc.audit_log does not exist in this database");
	}
	else if (outcome == SMPC_BATCH_FAILED)
	{
		/* One at a time: only the records that fail on their own are dropped. */
		for (int i = 0; i < n; i++)
		{
			bool one[SMPC_AUDIT_BATCH];

			if (skip[i])
				continue;
			for (int j = 0; j < n; j++)
				one[j] = j != i;
			if (smpc_audit_write_batch(records, n, one) != SMPC_BATCH_WRITTEN)
				smpc_audit_log_record(&records[i], "it could not be inserted");
		}
	}
}

/*
 * Writes what is queued for this database. Returns the number of records
 * handled (written, or logged and dropped).
 */
static int
smpc_audit_drain(MemoryContext batchcxt)
{
	char		   *payloads[SMPC_AUDIT_BATCH];
	Size			lens[SMPC_AUDIT_BATCH];
	uint64			positions[SMPC_AUDIT_BATCH];
	SmpcAuditRecord records[SMPC_AUDIT_BATCH];
	bool			skip[SMPC_AUDIT_BATCH] = {false};
	MemoryContext	old = MemoryContextSwitchTo(batchcxt);
	int				n = smpc_audit_peek(SMPC_AUDIT_BATCH, payloads, lens, positions);

	for (int i = 0; i < n; i++)
	{
		skip[i] = !smpc_audit_record_decode(payloads[i], lens[i], &records[i]);
		if (skip[i])
			smpc_audit_log_payload(lens[i], "it could not be decoded");
	}
	smpc_audit_write_records(records, n, skip);
	/* The files of the attempts these records end, named with this life (audit_files.cpp). */
	for (int i = 0; i < n; i++)
		if (!skip[i])
			smpc_audit_file_forget(records[i].text[SMPC_AUDIT_EVENT_ID]);
	if (n > 0)
		smpc_audit_mark_taken(positions, n);
	MemoryContextSwitchTo(old);
	MemoryContextReset(batchcxt);
	return n;
}

/*
 * Stores the records of this database's attempts that an earlier life of
 * the server left on disk unended (audit_files.cpp): 'interrupted', finished
 * now. An attempt whose final record did reach the table keeps that one
 * (same event id). Their files are deleted once stored.
 */
static void
smpc_audit_replay(MemoryContext batchcxt)
{
	int n;
	int removed;

	do
	{
		char		   *payloads[SMPC_AUDIT_BATCH];
		Size			lens[SMPC_AUDIT_BATCH];
		char		   *ids[SMPC_AUDIT_BATCH];
		char		   *names[SMPC_AUDIT_BATCH];
		SmpcAuditRecord records[SMPC_AUDIT_BATCH];
		bool			skip[SMPC_AUDIT_BATCH] = {false};
		MemoryContext	old = MemoryContextSwitchTo(batchcxt);

		int stored = 0;

		n = smpc_audit_file_leftovers(SMPC_AUDIT_BATCH, payloads, lens, ids, names);
		for (int i = 0; i < n; i++)
		{
			skip[i] = !smpc_audit_record_decode(payloads[i], lens[i], &records[i]) ||
					  records[i].text[SMPC_AUDIT_EVENT_ID] == NULL ||
					  strcmp(records[i].text[SMPC_AUDIT_EVENT_ID], ids[i]) != 0;
			if (skip[i])
			{
				/*
				 * Its CRC matched, yet it is no record of this version, or
				 * of another attempt than its name says.
				 */
				smpc_audit_log_payload(lens[i],
									   psprintf("the file \"%s\" of an interrupted attempt could "
												"not be decoded",
												names[i]));
			}
			else
			{
				records[i].finished = GetCurrentTimestamp();
				stored++;
			}
		}
		smpc_audit_write_records(records, n, skip);
		/* Committed, or in the server log (a file that did not decode: its size and name). */
		removed = 0;
		for (int i = 0; i < n; i++)
			removed += smpc_audit_file_remove(names[i]) ? 1 : 0;
		if (stored > 0)
			ereport(LOG, errmsg("smpc audit writer stored %d interrupted job attempt(s)", stored));
		MemoryContextSwitchTo(old);
		MemoryContextReset(batchcxt);
	} while (n == SMPC_AUDIT_BATCH && removed > 0); /* (not again over files it cannot delete) */
}

/* However the writer ends (FATAL included), it leaves its registry slot. */
static void
smpc_audit_writer_on_exit(int code, Datum arg)
{
	(void) smpc_audit_writer_detach(true);
}

void
smpc_audit_writer_main(Datum main_arg)
{
	Oid			  dbid = DatumGetObjectId(main_arg);
	MemoryContext batchcxt;
	TimestampTz	  last_work = GetCurrentTimestamp();

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);
	pgstat_report_appname("smpc audit writer");
	/*
	 * Privacy charges and spent job ids (spent_ids.cpp) must be on disk
	 * before the job goes on: whatever the server's setting, this writer's
	 * commits wait for the WAL flush.
	 */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);

	if (!smpc_audit_queue_ready() || !smpc_audit_writer_attach())
		proc_exit(0);
	before_shmem_exit(smpc_audit_writer_on_exit, 0);
	batchcxt = AllocSetContextCreate(TopMemoryContext, "smpc audit batch", ALLOCSET_DEFAULT_SIZES);
	ereport(DEBUG1, errmsg("smpc audit writer: the files of this life of the server end in "
						   "\".%016" INT64_MODIFIER "x\"",
						   smpc_audit_life()));
	smpc_audit_replay(batchcxt);
	for (;;)
	{
		int written;

		ResetLatch(MyLatch);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		written = smpc_audit_drain(batchcxt);
		/*
		 * Report the inserts to the statistics system, as a backend does
		 * between statements (at most once a second; forced before this
		 * writer sleeps). Without it autovacuum never analyzes or vacuums
		 * smpc.audit_log, and the lookups of every job in it (spent job
		 * ids, privacy charges) scan the whole table.
		 */
		(void) pgstat_report_stat(written == 0);
		if (written > 0)
			last_work = GetCurrentTimestamp();
		if (written == SMPC_AUDIT_BATCH)
			continue; /* more may be queued */
		if (written > 0)
		{
			if (!ShutdownRequestPending)
			{
				smpc_audit_writer_batching(true);
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 SMPC_AUDIT_GATHER_MS, PG_WAIT_EXTENSION);
				smpc_audit_writer_batching(false);
			}
			continue;
		}
		if (ShutdownRequestPending)
			break;
		if (TimestampDifferenceExceeds(last_work, GetCurrentTimestamp(), SMPC_AUDIT_IDLE_MS))
		{
			if (smpc_audit_writer_detach(false))
				break;
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 SMPC_AUDIT_IDLE_MS, PG_WAIT_EXTENSION);
	}
	proc_exit(0);
}
