/*
 * smpc_run(federation, dataset, aggregate, column_name, job_id): one call
 * at the analyst's database runs a job on a published dataset at every
 * party. This party computes its side from its own publication of the
 * dataset, as the analyst (so with the analyst's rights on its tables);
 * every partner is asked to take part (requests.cpp) and computes its side
 * by itself, within its own publication and policy.
 *
 * Job ids begin with this party's name and a colon (jobs/job_namespace.cpp):
 * "a:" is put in front of one that does not. Without a job id, a new one is
 * made up: a:dataset/aggregate/column/16 hex digits. With one, a second call
 * returns the stored result, as for any job, without asking the partners
 * again.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"

PGDLLEXPORT Datum smpc_run(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_run);
}

/* A new job id: dataset/aggregate/column/<16 random hex digits>. */
static char *
smpc_run_new_job_id(const char *dataset, const char *aggregate, const char *column)
{
	uint8 r[8];
	char  hex[17];

	if (!pg_strong_random(r, sizeof r))
		ereport(ERROR, errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate a random job id"));
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return psprintf("%s/%s/%s/%s", dataset, aggregate, column, hex);
}

/* The input parties the result of the job covers, as text[]; NULL if unknown. */
static Datum
smpc_run_covers(const SmpcFederationRow *fed, const char *job_id, bool *isnull)
{
	char	 *covers = smpc_job_stored_covers(fed, job_id);
	List	 *names = NIL;
	Datum	 *elems;
	int		  n = 0;
	ListCell *lc;

	*isnull = covers == NULL;
	if (covers == NULL)
		return (Datum) 0;
	for (char *save = NULL, *tok = strtok_r(covers, ",", &save); tok;
		 tok = strtok_r(NULL, ",", &save))
		names = lappend(names, tok);
	elems = (Datum *) palloc(sizeof(Datum) * Max(list_length(names), 1));
	foreach (lc, names)
		elems[n++] = CStringGetTextDatum((const char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum
smpc_run(PG_FUNCTION_ARGS)
{
	ReturnSetInfo	  *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SmpcFederationRow *fed;
	SmpcDataset		  *ds;
	char			  *dataset;
	char			  *aggregate;
	char			  *column;
	char			  *job_id;
	const char		  *value_class;
	SmpcRequestRun	   run;
	uint8			   nonce[16];
	SmpcJobContext	  *jctx = smpc_job_context();
	Datum			   values[3];
	bool			   nulls[3] = {false, false, false};
	MemoryContext	   cxt = CurrentMemoryContext;
	ResourceOwner	   owner = CurrentResourceOwner;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(
				ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("federation, dataset, aggregate and column of smpc_run must not be NULL"));
	smpc_inbox_require();
	fed = smpc_load_federation(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	dataset = text_to_cstring(PG_GETARG_TEXT_PP(1));
	aggregate = text_to_cstring(PG_GETARG_TEXT_PP(2));
	column = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (smpc_dataset_aggregate(aggregate) == SMPC_AGG_NONE)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("smpc_run computes sum, count or avg, not \"%s\"", aggregate));
	/*
	 * The job runs in this party's namespace ("a:..."): a job started here
	 * at every party can never take the id of another job, such as a
	 * scheduled report's (jobs/job_namespace.cpp).
	 */
	job_id =
		smpc_job_id_for_run(fed, PG_ARGISNULL(4) ? smpc_run_new_job_id(dataset, aggregate, column)
												 : text_to_cstring(PG_GETARG_TEXT_PP(4)));
	if (!smpc_party_is_input(fed, fed->self))
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("smpc_run starts jobs at a party that supplies an input, and party \"%s\" "
					   "supplies none in federation \"%s\"",
					   fed->self_name, fed->name),
				errhint("Start the job at a data owner of the federation."));
	ds = smpc_dataset_load(fed, dataset);
	if (ds == NULL)
		ereport(
			ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
			errmsg("dataset \"%s\" is not published to federation \"%s\" here", dataset, fed->name),
			errhint("An smpc_admin publishes it at every party with smpc.publish('%s', '%s', "
					"query, columns).",
					fed->name, dataset));
	smpc_dataset_admit(fed, ds, aggregate, column, NULL);
	value_class = smpc_dataset_value_class(ds, column, aggregate, InvalidOid);
	if (value_class == NULL)
		ereport(ERROR, errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("dataset \"%s\" has no query here", dataset),
				errhint("Publish it again with its query: party \"%s\" supplies an input in "
						"federation \"%s\".",
						fed->self_name, fed->name));
	smpc_check_result_grant(fed);

	InitMaterializedSRF(fcinfo, 0);
	memset(&run, 0, sizeof run);
	run.fed = fed;
	run.job_id = job_id;
	run.launched = (bool *) palloc0(sizeof(bool) * fed->nparties);
	snprintf(run.request.descriptor, sizeof run.request.descriptor, "%s(%s)", aggregate,
			 value_class);
	strlcpy(run.request.dataset, dataset, sizeof run.request.dataset);
	strlcpy(run.request.column, column, sizeof run.request.column);
	if (!pg_strong_random(nonce, sizeof nonce))
		ereport(ERROR, errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate a random nonce"));
	memcpy(run.request.nonce, nonce, sizeof nonce);

	/*
	 * A released job comes back from smpc.jobs; the partners are not asked
	 * again. A partner's refusal (or one that cannot be reached) ends the
	 * attempt before this party's side starts: it is recorded here as well,
	 * as the partners record theirs, so every attempt has its audit row.
	 */
	if (!smpc_job_is_released(fed, job_id))
	{
		PG_TRY();
		{
			smpc_request_launch_all(&run);
		}
		PG_CATCH();
		{
			ErrorData *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			smpc_request_audit_failure(
				fed, job_id, psprintf("%s on %s.%s", run.request.descriptor, dataset, column), NULL,
				NULL, edata);
			smpc_request_call_ended(&run);
			ReThrowError(edata);
		}
		PG_END_TRY();
	}
	/* Partners' failure reports for this call end the job here (the exchange loop). */
	jctx->request_nonce = nonce;
	jctx->read_report = smpc_request_take_report;
	jctx->entered = false;
	jctx->exchanged = false;

	/*
	 * This party's side, in a subtransaction: if it fails, its state (user,
	 * settings, SPI, locks) is rolled back before the partners are told.
	 */
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		values[1] = smpc_dataset_run(ds, aggregate, column, value_class, job_id, &nulls[1]);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData *edata;

		jctx->request_nonce = NULL;
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		/* Once this party's round-1 messages went out, its abort reached the partners. */
		if (!jctx->exchanged)
			smpc_request_withdraw_all(&run);
		smpc_request_call_ended(&run);
		ReThrowError(edata);
	}
	PG_END_TRY();
	jctx->request_nonce = NULL;
	smpc_request_call_ended(&run);
	values[0] = CStringGetTextDatum(job_id);
	values[2] = smpc_run_covers(fed, job_id, &nulls[2]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
