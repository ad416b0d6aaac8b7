/*
 * Released jobs: the rows of smpc.jobs, and the rule that a job id runs once.
 *
 * Why the row is written late: an smpc aggregate's final function may run
 * while a parallel plan is active (the local phase runs in workers), and in
 * parallel mode a backend may read but not write. So the final function
 * only reads (has this job been released before?), the released job is kept
 * in a per-transaction list, and its row is inserted by an ExecutorFinish
 * hook, after the executor has left parallel mode, or at the latest before
 * commit. Until the transaction ends the job stays claimed in shared memory
 * (inbox.cpp), so no other session here can run it meanwhile; at commit or
 * abort the claim is released.
 *
 * The row is written in the caller's transaction: rolling it back removes
 * this party's record (docs/analyst.md, "Job ids").
 *
 * A stored result goes back only to the same job (SmpcJobIdentity, jobs.h):
 * the same descriptor and, at this party, the same input (the base columns
 * the value read and the bounds it was clipped to). The descriptor is what
 * the parties compare, and names no column (each party's column may have
 * its own name); without the input, smpc_sum(weight, id) under the id of a
 * released smpc_sum(horsepower, id) would get the horsepower sum back.
 *
 * A job id is used once per party, across all its federations: two
 * federations that share parties could otherwise run one job id over two
 * sets of inputs and the shared parties would learn the difference, e.g.
 * the input of the one party in only one of them. So an id released (or
 * released by this transaction) in one federation is refused in every
 * other, and so is an id running in another federation here: the claim
 * (inbox.cpp) takes the job key and the key of the id alone.
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

typedef struct SmpcPendingJob
{
	char	   *federation;
	char	   *job_id;
	char	   *descriptor;
	char	   *input;		/* SmpcJobIdentity.input */
	char	   *result;		/* "v1,v2": joint values in fixed point; NULL: contributed */
	char	   *covers;		/* "a,b,c": input parties covered, or NULL */
	char	   *started_by; /* role that ran the job (row-level security) */
	uint8		key[32];
	TimestampTz started;
	TimestampTz finished;
	bool		verified; /* the released result was verified */
	bool		written;
} SmpcPendingJob;

/* Jobs released by this transaction (in TopTransactionContext). */
static List *smpc_pending = NIL;
/* Set while writing: our own INSERT's ExecutorFinish must not write again. */
static bool						smpc_writing = false;
static ExecutorFinish_hook_type smpc_prev_executor_finish = NULL;

/*
 * "v1,v2,-" from outputs; "-" marks a suppressed value. Values that fit 64
 * bits (nearly all) are written in place by pg_lltoa: through the general
 * 128-bit formatter, a 100,000-group job spent 3 % of its CPU here.
 */
static char *
smpc_result_text(const __int128 *outputs, int width, const bool *suppressed)
{
	StringInfoData buf;

	initStringInfo(&buf);
	enlargeStringInfo(&buf, Min((Size) width * 8, MaxAllocSize / 2));
	for (int i = 0; i < width; i++)
	{
		char num[64];

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (suppressed && suppressed[i])
			appendStringInfoChar(&buf, '-');
		else if (outputs[i] >= PG_INT64_MIN && outputs[i] <= PG_INT64_MAX)
		{
			enlargeStringInfo(&buf, MAXINT8LEN + 1);
			buf.len += pg_lltoa((int64) outputs[i], buf.data + buf.len);
		}
		else
		{
			smpc_format_scaled(outputs[i], 0, num, sizeof num);
			appendStringInfoString(&buf, num);
		}
	}
	return buf.data;
}

/*
 * The released result as the audit log shows it: "sum 45000, count 3" for
 * the scalar aggregates; for any other job its values in fixed point (as
 * smpc.jobs stores them), "-" for suppressed ones, or for more than
 * SMPC_AUDIT_MAX_VALUES values their number and SHA-256.
 */
#define SMPC_AUDIT_MAX_VALUES 64

/* The job's values as smpc.jobs keeps them, or for long vectors their digest. */
static const char *
smpc_audit_values(const SmpcJobSpec *req, const __int128 *outputs, const SmpcJobResult *res)
{
	/* As smpc.jobs keeps them (formatted once, when the job was recorded). */
	const char *values = res->result_text ? res->result_text
										  : smpc_result_text(outputs, req->width, res->suppressed);

	/* Long vectors: their digest (smpc.jobs keeps the values). */
	if (req->width > SMPC_AUDIT_MAX_VALUES)
	{
		char hash[65];

		smpc_sha256_hex(values, strlen(values), hash);
		return psprintf("%d values, sha256 %s (in smpc.jobs)", req->width, hash);
	}
	return values;
}

char *
smpc_audit_result_text(const SmpcJobSpec *req, const __int128 *outputs, const SmpcJobResult *res)
{
	char a[64];
	char b[64];

	if (req->set_sum && req->set_groups > 0)
		/* Each group's sum and count, in the domain's order. */
		return psprintf("sums and counts %s; keys here: %lld distinct, %lld repeated, %lld NULL, "
						"%s",
						smpc_audit_values(req, outputs, res), (long long) req->set_nkeys,
						(long long) req->set_repeats, (long long) req->set_nulls,
						req->set_values ? "with values" : "no values");
	if (req->set_at_least > 0 && (req->set_groups > 0 || req->set_pairs))
		return psprintf("%s %s; keys here: %lld distinct, %lld repeated, %lld NULL",
						/* Pairs in the federation's order: (1, 2), (1, 3), ..., (2, 3), ... */
						req->set_pairs ? "pair counts" : "counts",
						smpc_audit_values(req, outputs, res), (long long) req->set_nkeys,
						(long long) req->set_repeats, (long long) req->set_nulls);
	if (req->set_sum)
	{
		smpc_format_scaled(outputs[0], 0, a, sizeof a);
		smpc_format_scaled(outputs[1], 0, b, sizeof b);
		return psprintf("sum %s over %s keys; keys here: %lld distinct, %lld repeated, %lld NULL, "
						"%s",
						a, b, (long long) req->set_nkeys, (long long) req->set_repeats,
						(long long) req->set_nulls, req->set_values ? "with values" : "no values");
	}
	if (req->set_at_least > 0)
	{
		smpc_format_scaled(outputs[0], 0, a, sizeof a);
		return psprintf("count %s; keys here: %lld distinct, %lld repeated, %lld NULL", a,
						(long long) req->set_nkeys, (long long) req->set_repeats,
						(long long) req->set_nulls);
	}
	if (req->aggregate == SMPC_AGG_COUNT && req->shape == NULL)
	{
		smpc_format_scaled(outputs[0], 0, a, sizeof a);
		return psprintf("count %s", a);
	}
	if ((req->aggregate == SMPC_AGG_SUM || req->aggregate == SMPC_AGG_AVG) && req->shape == NULL)
	{
		smpc_format_scaled(outputs[0], req->scale, a, sizeof a);
		if (req->width < 2)
			return psprintf("sum %s", a);
		smpc_format_scaled(outputs[1], 0, b, sizeof b);
		return psprintf("sum %s, count %s", a, b);
	}
	return pstrdup(smpc_audit_values(req, outputs, res));
}

/*
 * Decodes a stored result ("v1,v2,-") into outputs and res->suppressed. A
 * sum stores its row count as a second value only when the policy had a row
 * minimum, so values the text lacks are 0 and values beyond width are
 * ignored.
 */
static void
smpc_parse_result(const char *text, __int128 *outputs, int width, SmpcJobResult *res)
{
	char *copy = pstrdup(text);
	char *save = NULL;
	char *tok = strtok_r(copy, ",", &save);

	res->suppressed = NULL;
	for (int i = 0; i < width; i++)
	{
		if (tok != NULL && strcmp(tok, "-") == 0)
		{
			if (res->suppressed == NULL)
				res->suppressed = (bool *) palloc0(sizeof(bool) * width);
			res->suppressed[i] = true;
			outputs[i] = 0;
		}
		else if (tok == NULL && i > 0)
			outputs[i] = 0;
		else if (tok == NULL || !smpc_parse_scaled(tok, 0, &outputs[i]))
			elog(ERROR, "corrupt stored smpc result \"%s\"", text);
		tok = tok ? strtok_r(NULL, ",", &save) : NULL;
	}
}

/* "sum(integer) reading weight clipped to [0, 10000]": a job as messages name it. */
static char *
smpc_job_identity_text(const char *descriptor, const char *input)
{
	if (input == NULL)
		return psprintf("%s (recorded before smpc 0.3.0, which did not keep what it read)",
						descriptor);
	return psprintf("%s %s", descriptor, input);
}

/* Whether a job released as (descriptor, input) is the job id describes. */
static bool
smpc_job_same(const char *descriptor, const char *input, const SmpcJobIdentity *id)
{
	return strcmp(descriptor, id->descriptor) == 0 && input != NULL &&
		   strcmp(input, id->input) == 0;
}

/* The error for a job id reused for another computation: names both. */
static void
smpc_job_conflict(const char *fedname, const char *job_id, const char *descriptor,
				  const char *input, const SmpcJobIdentity *id)
{
	ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
			errmsg("job id \"%s\" was already used in federation \"%s\" for %s", job_id, fedname,
				   smpc_job_identity_text(descriptor, input)),
			errdetail("This call computes %s. A job id is run once; its result is kept, and "
					  "returned only to the same job.",
					  smpc_job_identity_text(id->descriptor, id->input)),
			errhint("Choose a new job id."));
}

/* The error for a job id used in another federation. */
static void
smpc_job_other_federation(const char *job_id, const char *other, bool running)
{
	ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
			running ? errmsg("job id \"%s\" is running in federation \"%s\" at this party", job_id,
							 other)
					: errmsg("job id \"%s\" was already used in federation \"%s\"", job_id, other),
			errdetail("A job id is used once across all federations of a party: the same job over "
					  "other parties would reveal the difference of the two results."),
			errhint("Choose a new job id, e.g. one that names the federation."));
}

/* A job this transaction released already: its result. */
bool
smpc_job_lookup_pending(const SmpcFederationRow *fed, const char *job_id, const SmpcJobIdentity *id,
						__int128 *outputs, int width, SmpcJobResult *res)
{
	ListCell *lc;

	foreach (lc, smpc_pending)
	{
		SmpcPendingJob *p = (SmpcPendingJob *) lfirst(lc);

		if (strcmp(p->job_id, job_id) != 0)
			continue;
		if (strcmp(p->federation, fed->name) != 0)
			smpc_job_other_federation(job_id, p->federation, false);
		if (!smpc_job_same(p->descriptor, p->input, id))
			smpc_job_conflict(fed->name, job_id, p->descriptor, p->input, id);
		res->has_result = p->result != NULL;
		res->covers = p->covers ? pstrdup(p->covers) : NULL;
		res->result_text = p->result;
		res->verified = p->verified;
		if (p->result)
			smpc_parse_result(p->result, outputs, width, res);
		return true;
	}
	return false;
}

/*
 * The input parties ("a,b,c") the result of a job released here covers,
 * whether this transaction released it or an earlier one; NULL if unknown.
 */
char *
smpc_job_stored_covers(const SmpcFederationRow *fed, const char *job_id)
{
	ListCell		*lc;
	Datum			 args[2];
	SmpcOwnerContext owner;
	char			*covers = NULL;
	MemoryContext	 callercxt = CurrentMemoryContext;

	foreach (lc, smpc_pending)
	{
		SmpcPendingJob *p = (SmpcPendingJob *) lfirst(lc);

		if (strcmp(p->federation, fed->name) == 0 && strcmp(p->job_id, job_id) == 0)
			return p->covers ? pstrdup(p->covers) : NULL;
	}
	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(job_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {"SELECT pg_catalog.array_to_string(covers, ',') FROM smpc.jobs "
									"WHERE federation = $1 AND job_id = $2",
									2,
									{TEXTOID, TEXTOID},
									NULL};

		smpc_spi_execute(&q, args, NULL, true, 1);
	}
	if (SPI_processed == 1)
	{
		char *text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		covers = text ? MemoryContextStrdup(callercxt, text) : NULL;
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return covers;
}

/*
 * A job released before (a committed row): its stored result, with a
 * NOTICE; an id released in another federation is refused. Read-only, so
 * it works in parallel mode.
 */
bool
smpc_job_lookup_stored(const SmpcFederationRow *fed, const char *job_id, const SmpcJobIdentity *id,
					   __int128 *outputs, int width, SmpcJobResult *res)
{
	Datum			 args[2];
	SmpcOwnerContext owner;
	char			*used_for = NULL;
	char			*used_input = NULL;
	char			*result = NULL;
	char			*started_by = NULL;
	char			*covers = NULL;
	bool			 verified = false;
	char			*federation = NULL;
	MemoryContext	 callercxt = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(job_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		/* This federation's row, else another's. */
		static SmpcCachedQuery q = {
			"SELECT descriptor, result, started_by, "
			"pg_catalog.array_to_string(covers, ','), federation, coalesce(verified, false), "
			"input FROM smpc.jobs WHERE job_id = $2 ORDER BY federation <> $1 LIMIT 1",
			2,
			{TEXTOID, TEXTOID},
			NULL};

		smpc_spi_execute(&q, args, NULL, true, 1);
	}
	if (SPI_processed == 1)
	{
		HeapTuple tup = SPI_tuptable->vals[0];
		TupleDesc desc = SPI_tuptable->tupdesc;
		char	 *text;

		used_for = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 1));
		text = SPI_getvalue(tup, desc, 2);
		result = text ? MemoryContextStrdup(callercxt, text) : NULL;
		started_by = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 3));
		text = SPI_getvalue(tup, desc, 4);
		covers = text ? MemoryContextStrdup(callercxt, text) : NULL;
		federation = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 5));
		{
			bool isnull;

			verified = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		}
		text = SPI_getvalue(tup, desc, 7);
		used_input = text ? MemoryContextStrdup(callercxt, text) : NULL;
	}
	SPI_finish();
	smpc_end_as_owner(&owner);

	if (used_for == NULL)
		return false;
	if (strcmp(federation, fed->name) != 0)
		smpc_job_other_federation(job_id, federation, false);
	/* A stored result goes back only to the role that ran the job, or an admin. */
	if (strcmp(started_by, GetUserNameFromId(GetUserId(), false)) != 0 && !superuser() &&
		!has_privs_of_role(GetUserId(), get_role_oid("smpc_admin", false)))
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("job \"%s\" of federation \"%s\" was released to another role", job_id,
					   fed->name),
				errhint("Only the role that ran a job, or smpc_admin, may read its result; choose "
						"a new job id."));
	if (!smpc_job_same(used_for, used_input, id))
		smpc_job_conflict(fed->name, job_id, used_for, used_input, id);
	res->has_result = result != NULL;
	res->covers = covers;
	res->result_text = result;
	res->verified = verified;
	if (result == NULL)
	{
		ereport(
			NOTICE,
			errmsg("this party already contributed its input to job \"%s\"; it learns no result",
				   job_id));
		return true;
	}
	smpc_parse_result(result, outputs, width, res);
	ereport(NOTICE, errmsg("job \"%s\" was already released; returning the stored result of %s",
						   job_id, smpc_job_identity_text(used_for, used_input)));
	return true;
}

/*
 * Claims job job_id of federation fed (its key: smpc_job_key) for this
 * backend until the transaction ends, together with the id itself, or
 * raises SM005: the job runs in another session, or its id in another
 * federation.
 */
void
smpc_job_claim(const SmpcFederationRow *fed, const char *job_id, const uint8 *key)
{
	uint8	   id_key[32];
	char	   running_in[64];
	SmpcStatus st;

	/* No federation is named "": this key is the id's alone. */
	if (!smpc_job_key("", job_id, strlen(job_id), id_key, &st))
		smpc_raise_status(&st);
	switch (smpc_inbox_register(key, id_key, fed->name, running_in))
	{
		case SMPC_CLAIM_OK:
			return;
		case SMPC_CLAIM_RUNNING:
			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
					errmsg("job \"%s\" of federation \"%s\" is running in another session", job_id,
						   fed->name),
					errhint("Wait for it to finish, or choose another job id."));
			break;
		default:
			smpc_job_other_federation(job_id, running_in, true);
	}
}

/*
 * Whether the job has a committed row here; with covers, also the input
 * parties it covers as "a, b, c" (NULL when it has none).
 */
static bool
smpc_job_released_row(const SmpcFederationRow *fed, const char *job_id, char **covers)
{
	Datum			 args[2];
	SmpcOwnerContext owner;
	MemoryContext	 callercxt = CurrentMemoryContext;
	bool			 found;

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(job_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {"SELECT array_to_string(covers, ', ') FROM smpc.jobs "
									"WHERE federation = $1 AND job_id = $2",
									2,
									{TEXTOID, TEXTOID},
									NULL};

		smpc_spi_execute(&q, args, NULL, true, 1);
	}
	found = SPI_processed == 1;
	if (found && covers != NULL)
	{
		char *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		*covers = v != NULL ? MemoryContextStrdup(callercxt, v) : NULL;
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return found;
}

/* Whether the job has a committed row here (the deliver endpoint asks). */
bool
smpc_job_is_released(const SmpcFederationRow *fed, const char *job_id)
{
	return smpc_job_released_row(fed, job_id, NULL);
}

/*
 * The input parties a released job here covers, as "a, b, c" (the deliver
 * endpoint tells a partner that comes too late: it learns whether its input
 * is in the result), or NULL when the job has no row or no covers.
 */
char *
smpc_job_released_covers(const SmpcFederationRow *fed, const char *job_id)
{
	char *covers = NULL;

	(void) smpc_job_released_row(fed, job_id, &covers);
	return covers;
}

/* Inserts the rows of released jobs not written yet. */
static void
smpc_write_pending(void)
{
	ListCell *lc;

	bool pushed = false;

	if (smpc_pending == NIL || smpc_writing || IsInParallelMode())
		return;
	smpc_writing = true;
	/* A portal's cleanup and pre-commit run without an active snapshot. */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	foreach (lc, smpc_pending)
	{
		SmpcPendingJob	*p = (SmpcPendingJob *) lfirst(lc);
		Datum			 args[10];
		char			 nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
		SmpcOwnerContext owner;
		uint64			 inserted;

		if (p->written)
			continue;
		args[0] = CStringGetTextDatum(p->federation);
		args[1] = CStringGetTextDatum(p->job_id);
		args[2] = CStringGetTextDatum(p->descriptor);
		args[3] = p->result ? CStringGetTextDatum(p->result) : (Datum) 0;
		nulls[3] = p->result ? ' ' : 'n';
		args[4] = TimestampTzGetDatum(p->started);
		args[5] = TimestampTzGetDatum(p->finished);
		args[6] = CStringGetTextDatum(p->started_by);
		args[7] = p->covers ? CStringGetTextDatum(p->covers) : (Datum) 0;
		nulls[7] = p->covers ? ' ' : 'n';
		args[8] = BoolGetDatum(p->verified);
		nulls[8] = p->result ? ' ' : 'n';
		args[9] = CStringGetTextDatum(p->input);
		smpc_begin_as_owner(&owner);
		SPI_connect();
		{
			static SmpcCachedQuery q = {
				"INSERT INTO smpc.jobs (federation, job_id, descriptor, "
				"state, result, started_at, finished_at, started_by, covers, verified, input) "
				"VALUES ($1, $2, $3, CASE WHEN $4 IS NULL THEN 'contributed' "
				"ELSE 'released' END, $4, $5, $6, $7, pg_catalog.string_to_array($8, ','), $9, "
				"$10) ON CONFLICT DO NOTHING",
				10,
				{TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID,
				 TEXTOID, BOOLOID, TEXTOID},
				NULL};

			smpc_spi_execute(&q, args, nulls, false, 0);
		}
		inserted = SPI_processed;
		SPI_finish();
		smpc_end_as_owner(&owner);
		if (inserted != 1)
			ereport(
				ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
				errmsg("job \"%s\" of federation \"%s\" was recorded by another session meanwhile",
					   p->job_id, p->federation));
		p->written = true;
	}
	if (pushed)
		PopActiveSnapshot();
	smpc_writing = false;
}

/*
 * Keeps a released job for this transaction; its row is written when the
 * current query's executor finishes. The job key stays claimed until the
 * transaction ends.
 */
void
smpc_job_record(const SmpcFederationRow *fed, const char *job_id, const SmpcJobIdentity *id,
				const uint8 *key, const __int128 *outputs, int width, TimestampTz started,
				SmpcJobResult *res)
{
	MemoryContext	old = MemoryContextSwitchTo(TopTransactionContext);
	SmpcPendingJob *p = (SmpcPendingJob *) palloc0(sizeof(SmpcPendingJob));

	p->federation = pstrdup(fed->name);
	p->job_id = pstrdup(job_id);
	p->descriptor = pstrdup(id->descriptor);
	p->input = pstrdup(id->input);
	p->result = res->has_result ? smpc_result_text(outputs, width, res->suppressed) : NULL;
	p->covers = res->covers ? pstrdup(res->covers) : NULL;
	res->result_text = p->result;
	p->started_by = pstrdup(GetUserNameFromId(GetUserId(), false));
	memcpy(p->key, key, 32);
	p->started = started;
	p->finished = GetCurrentTimestamp();
	p->verified = res->verified;
	smpc_pending = lappend(smpc_pending, p);
	MemoryContextSwitchTo(old);
}

static void
smpc_executor_finish(QueryDesc *queryDesc)
{
	if (smpc_prev_executor_finish)
		smpc_prev_executor_finish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	smpc_write_pending();
}

/* Before commit: write what is left; at the end: release the claims. */
static void
smpc_records_xact_callback(XactEvent event, void *arg)
{
	ListCell *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			smpc_write_pending();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			foreach (lc, smpc_pending)
				smpc_inbox_unregister(((SmpcPendingJob *) lfirst(lc))->key, true);
			smpc_pending = NIL; /* memory goes with TopTransactionContext */
			smpc_writing = false;
			break;
		default:
			break;
	}
}

void
smpc_job_records_init(void)
{
	smpc_prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = smpc_executor_finish;
	RegisterXactCallback(smpc_records_xact_callback, NULL);
}
