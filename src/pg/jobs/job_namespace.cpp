/*
 * Whose job ids are whose: the ids of jobs that smpc_run starts on a
 * published dataset begin with the starting party's name and a colon
 * ("a:hc-2026"); no other job may take such an id.
 *
 * Why: a job id runs once per party, and every party records it. A partner
 * that could start a job at every party under any id could take the id of a
 * job the parties have not run yet, e.g. next month's smpc.report_job_id,
 * and that report would then fail with SM005 at every party, for good. With
 * the prefix, what a partner starts lands in its own namespace: the parties
 * refuse its request for an id outside "<partner>:", and refuse local jobs
 * (aggregates, smpc_join, scheduled reports) an id inside any party's
 * namespace, in any federation here (job ids are this party's, across its
 * federations: job_records.cpp).
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

/* Whether job_id begins with "<party>:". */
static bool
smpc_id_in_namespace(const char *job_id, const char *party)
{
	size_t n = strlen(party);

	return n > 0 && strncmp(job_id, party, n) == 0 && job_id[n] == ':';
}

/* The id smpc_run at this party runs job_id under: "<self>:job_id", unless it is that already. */
char *
smpc_job_id_for_run(const SmpcFederationRow *fed, const char *job_id)
{
	if (smpc_id_in_namespace(job_id, fed->self_name))
		return pstrdup(job_id);
	return psprintf("%s:%s", fed->self_name, job_id);
}

/*
 * The party of any federation here whose namespace job_id is in, or NULL.
 * The federation being run first (no query needed), then every other.
 */
static char *
smpc_namespace_owner(const SmpcFederationRow *fed, const char *job_id)
{
	static SmpcCachedQuery q = {"SELECT p FROM smpc.federations, pg_catalog.unnest(parties) AS p "
								"WHERE pg_catalog.starts_with($1, p || ':') LIMIT 1",
								1,
								{TEXTOID},
								NULL};
	Datum				   args[1];
	SmpcOwnerContext	   owner;
	MemoryContext		   callercxt = CurrentMemoryContext;
	char				  *found = NULL;

	for (int i = 0; i < fed->nparties; i++)
		if (smpc_id_in_namespace(job_id, fed->parties[i]))
			return pstrdup(fed->parties[i]);
	if (strchr(job_id, ':') == NULL)
		return NULL;
	args[0] = CStringGetTextDatum(job_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	smpc_spi_execute(&q, args, NULL, true, 1);
	if (SPI_processed == 1)
		found = MemoryContextStrdup(callercxt,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	smpc_end_as_owner(&owner);
	return found;
}

/*
 * Raises SM005 unless job_id may name this job: one that party `starter`
 * started with smpc_run (starter non-NULL) must be in its namespace; any
 * other job must be in none.
 */
void
smpc_job_id_check_namespace(const SmpcFederationRow *fed, const char *job_id, const char *starter)
{
	char *owner;

	if (starter != NULL)
	{
		if (!smpc_id_in_namespace(job_id, starter))
			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
					errmsg("job id \"%s\" of a job that party \"%s\" started is not in its "
						   "namespace \"%s:\"",
						   job_id, starter, starter),
					errdetail("Jobs started with smpc_run on a published dataset have ids that "
							  "begin with the starting party's name and a colon, so that they can "
							  "never take the id of another job (a scheduled report's, say)."),
					errhint("Party \"%s\" runs a version of smpc older than 0.3.0, or its request "
							"was not made by smpc_run.",
							starter));
		return;
	}
	owner = smpc_namespace_owner(fed, job_id);
	if (owner != NULL)
		ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
				errmsg("job id \"%s\" is in the namespace of party \"%s\"", job_id, owner),
				errdetail("Ids that begin with a party's name and a colon are those of the jobs "
						  "that party starts with smpc_run on a published dataset; no other job "
						  "may take one, so that a partner can never take the id of a job of "
						  "yours."),
				errhint("Choose a job id that does not begin with \"%s:\".", owner));
}
