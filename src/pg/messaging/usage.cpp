/*
 * smpc.shmem_usage(): what smpc's shared memory holds in this database now,
 * per area: job claims and inbox slots (inbox.cpp), job and pickup entries
 * of the handover (handover.cpp). Read-only; for the DBA and for the soak
 * test (test/t/034_soak_short.pl), which requires every area to be empty
 * once every job has ended, but the slots a partner filled with messages
 * for jobs that never started here.
 */
#include "pg/messaging/messaging.h"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PGDLLEXPORT Datum smpc_shmem_usage(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_shmem_usage);
}

/* Handover entries of this database in use: jobs, and pickups not free. */
static void
smpc_handover_usage(int *jobs, int *pickups, int *capacity)
{
	SmpcHandoverJob *j;
	SmpcPickup		*p;

	*jobs = *pickups = *capacity = 0;
	if (smpc_handover == NULL)
		return;
	j = smpc_handover_jobs();
	p = smpc_pickups();
	*capacity = smpc_handover->n;
	LWLockAcquire(smpc_handover->lock, LW_SHARED);
	for (int i = 0; i < smpc_handover->n; i++)
	{
		if (j[i].used && j[i].dbid == MyDatabaseId)
			(*jobs)++;
		if (p[i].state != SMPC_PICKUP_FREE && p[i].dbid == MyDatabaseId)
			(*pickups)++;
	}
	LWLockRelease(smpc_handover->lock);
}

/* One row: area, from_role (NULL: every role), in_use, unclaimed, capacity. */
static void
smpc_usage_row(ReturnSetInfo *rsinfo, const char *area, Oid role, bool has_role, int in_use,
			   int unclaimed, bool has_unclaimed, int capacity)
{
	Datum		values[5];
	bool		nulls[5] = {false, !has_role, false, !has_unclaimed, false};
	const char *name = has_role && OidIsValid(role) ? GetUserNameFromId(role, true) : NULL;

	values[0] = CStringGetTextDatum(area);
	nulls[1] = name == NULL;
	values[1] = name ? DirectFunctionCall1(namein, CStringGetDatum(name)) : (Datum) 0;
	values[2] = Int32GetDatum(in_use);
	values[3] = Int32GetDatum(unclaimed);
	values[4] = Int32GetDatum(capacity);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
smpc_shmem_usage(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SmpcInboxUsage u;
	int			   total_unclaimed = 0;
	int			   jobs, pickups, capacity;

	InitMaterializedSRF(fcinfo, 0);
	smpc_inbox_usage(&u);
	smpc_handover_usage(&jobs, &pickups, &capacity);
	for (int r = 0; r < u.nroles; r++)
		total_unclaimed += u.role_unclaimed[r];
	smpc_usage_row(rsinfo, "job claims", InvalidOid, false, u.claims, 0, false, u.claims_capacity);
	smpc_usage_row(rsinfo, "inbox slots", InvalidOid, false, u.slots, total_unclaimed, true,
				   u.slots_capacity);
	for (int r = 0; r < u.nroles; r++)
		smpc_usage_row(rsinfo, "inbox slots", u.role[r], true, u.role_slots[r], u.role_unclaimed[r],
					   true, u.slots_capacity);
	smpc_usage_row(rsinfo, "handover jobs", InvalidOid, false, jobs, 0, false, capacity);
	smpc_usage_row(rsinfo, "handover pickups", InvalidOid, false, pickups, 0, false, capacity);
	return (Datum) 0;
}
