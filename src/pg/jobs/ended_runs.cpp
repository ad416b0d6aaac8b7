/*
 * Ended runs: the partners' runs a failed run of a job knew of, kept in
 * shared memory for the next run of the same job id at this party, which
 * ignores their messages (protocol/aggregation_job.hpp, "Bound to their
 * run"). Without this, a message of a failed run that arrives again later
 * (a share captured and replayed with the sender's peer credentials, or a
 * delivery that lingered) would be taken for the sender's new run: it would
 * make the new run fail with a false mismatch, or feed it an old input.
 *
 * It also keeps the request nonces of the smpc_run calls that ended here
 * (an entry with SMPC_ENDED_CALL for partner): a partner's report about such
 * a call is not filed, as no job here would read it.
 *
 * And it marks the job ids that failed here, or that this party refused to
 * run for a partner (an entry with no partner): the inbox's messages for
 * such a job that no job here claims are dead (messaging/inbox_file.cpp,
 * smpc_inbox_evict_dead), even of partners' runs no job here saw, such as
 * a share or an abort that came after the job here had failed.
 *
 * Layout: a ring of SMPC_ENDED_RUNS entries (database, job key, partner or
 * -1, run nonce); the oldest entry is overwritten first. A run that ends is
 * recorded in PG_CATCH, so nothing here raises: one LWLock, held only for
 * scans and memcpy. Lost at a server restart, like the inbox whose messages
 * it is about.
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

/* Runs kept: a few hundred failed jobs with a handful of partners each. */
#define SMPC_ENDED_RUNS 2048
/* Runs of one partner a job hands on (the core keeps as many per partner). */
#define SMPC_RUNS_PER_PARTNER 16
/* The "partner" of an entry for an smpc_run call of this party. */
#define SMPC_ENDED_CALL (-2)

typedef struct SmpcEndedRun
{
	bool  used;
	Oid	  dbid;
	int16 sender;
	uint8 key[32];
	uint8 nonce[16];
} SmpcEndedRun;

/*
 * The ring fills from entry 0, so the entries written so far are
 * runs[0..nused). Scans stop there: with no failed jobs, the check of every
 * filed message costs nothing.
 */
typedef struct SmpcEndedRuns
{
	LWLock		*lock;
	uint32		 next;	/* the entry written next */
	uint32		 nused; /* entries written so far, at most SMPC_ENDED_RUNS */
	SmpcEndedRun runs[SMPC_ENDED_RUNS];
} SmpcEndedRuns;

static SmpcEndedRuns *smpc_ended = NULL;

void
smpc_ended_runs_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(SmpcEndedRuns)));
	RequestNamedLWLockTranche("smpc ended runs", 1);
}

void
smpc_ended_runs_shmem_startup(void)
{
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	smpc_ended =
		(SmpcEndedRuns *) ShmemInitStruct("smpc ended runs", sizeof(SmpcEndedRuns), &found);
	if (!found)
	{
		memset(smpc_ended, 0, sizeof(SmpcEndedRuns));
		smpc_ended->lock = &(GetNamedLWLockTranche("smpc ended runs"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Whether entry e is partner `sender`'s run `nonce` of this database's job `key`. */
static bool
smpc_ended_matches(const SmpcEndedRun *e, const uint8 *key, int sender, const uint8 *nonce)
{
	return e->used && e->dbid == MyDatabaseId && e->sender == sender &&
		   memcmp(e->key, key, 32) == 0 && memcmp(e->nonce, nonce, 16) == 0;
}

/* Adds an entry unless it is there (lock held exclusively). */
static void
smpc_ended_add(const uint8 *key, int sender, const uint8 *nonce)
{
	SmpcEndedRun *e;

	for (uint32 i = 0; i < smpc_ended->nused; i++)
		if (smpc_ended_matches(&smpc_ended->runs[i], key, sender, nonce))
			return;
	e = &smpc_ended->runs[smpc_ended->next];
	smpc_ended->nused = Max(smpc_ended->nused, smpc_ended->next + 1);
	smpc_ended->next = (smpc_ended->next + 1) % SMPC_ENDED_RUNS;
	e->used = true;
	e->dbid = MyDatabaseId;
	e->sender = (int16) sender;
	memcpy(e->key, key, 32);
	memcpy(e->nonce, nonce, 16);
}

/*
 * Marks the job `key` as failed here (or refused for a partner), whatever
 * runs it knew of. Never raises.
 */
void
smpc_ended_job_record(const uint8 *key)
{
	static const uint8 none[16] = {0};

	if (smpc_ended == NULL || key == NULL)
		return;
	LWLockAcquire(smpc_ended->lock, LW_EXCLUSIVE);
	smpc_ended_add(key, -1, none);
	LWLockRelease(smpc_ended->lock);
}

/* Keeps the request nonce of an smpc_run call of the job `key` that ended here. Never raises. */
void
smpc_ended_call_record(const uint8 *key, const uint8 *nonce)
{
	if (smpc_ended == NULL || key == NULL || nonce == NULL)
		return;
	LWLockAcquire(smpc_ended->lock, LW_EXCLUSIVE);
	smpc_ended_add(key, SMPC_ENDED_CALL, nonce);
	LWLockRelease(smpc_ended->lock);
}

/* Whether the smpc_run call of the job `key` with request nonce `nonce` ended here. */
bool
smpc_ended_call_known(const uint8 *key, const uint8 *nonce)
{
	return smpc_ended_run_known(key, SMPC_ENDED_CALL, nonce);
}

/*
 * Keeps the partners' runs that job (a run of the job `key` that failed
 * here) knew of. Never raises.
 */
void
smpc_ended_runs_record(const SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key)
{
	uint8 nonces[SMPC_RUNS_PER_PARTNER][16];

	if (smpc_ended == NULL || job == NULL || key == NULL)
		return;
	for (int p = 0; p < fed->nparties; p++)
	{
		int n;

		if (p == fed->self)
			continue;
		n = Min(smpc_job_runs_of(job, p, nonces, SMPC_RUNS_PER_PARTNER), SMPC_RUNS_PER_PARTNER);
		LWLockAcquire(smpc_ended->lock, LW_EXCLUSIVE);
		for (int k = 0; k < n; k++)
			smpc_ended_add(key, p, nonces[k]);
		LWLockRelease(smpc_ended->lock);
	}
}

/*
 * Whether a failed run of this database's job `key` here knew partner
 * `sender`'s run `nonce` (the inbox's smpc_inbox_run_ended); with sender < 0,
 * whether a run of the job failed (or was refused) here at all. Never raises.
 */
bool
smpc_ended_run_known(const uint8 *key, int sender, const uint8 *nonce)
{
	bool known = false;

	if (smpc_ended == NULL)
		return false;
	LWLockAcquire(smpc_ended->lock, LW_SHARED);
	for (uint32 i = 0; i < smpc_ended->nused && !known; i++)
	{
		const SmpcEndedRun *e = &smpc_ended->runs[i];

		known = sender < 0 ? e->used && e->dbid == MyDatabaseId && memcmp(e->key, key, 32) == 0
						   : smpc_ended_matches(e, key, sender, nonce);
	}
	LWLockRelease(smpc_ended->lock);
	return known;
}

/*
 * The job keys of this database's runs that failed (or were refused) here,
 * in *keys (palloc'd, 32 bytes each, in the ring's order, a key once per
 * run; NULL when no run failed here); returns their number. For a scan that
 * asks it of many messages at once (the inbox's smpc_inbox_evict_dead, which
 * sorts them): one pass over the ring under one lock, where
 * smpc_ended_run_known per message made a scan of a partner's quarter of a
 * large inbox cost its size times the ring's.
 */
int
smpc_ended_job_keys(uint8 **keys)
{
	uint8 *out;
	int	   n = 0;

	*keys = NULL;
	/* Read unlocked (one word, it only grows): with no failed run, nothing to copy. */
	if (smpc_ended == NULL || smpc_ended->nused == 0)
		return 0;
	out = (uint8 *) palloc(32 * SMPC_ENDED_RUNS);
	*keys = out;
	LWLockAcquire(smpc_ended->lock, LW_SHARED);
	for (uint32 i = 0; i < smpc_ended->nused; i++)
		if (smpc_ended->runs[i].used && smpc_ended->runs[i].dbid == MyDatabaseId)
			memcpy(out + 32 * n++, smpc_ended->runs[i].key, 32);
	LWLockRelease(smpc_ended->lock);
	return n;
}

/*
 * Before the job starts: the partners' runs that ended here in earlier runs
 * of the job `key` are dead to it.
 */
void
smpc_ended_runs_apply(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key)
{
	SmpcEndedRun *found;
	int			  nfound = 0;
	SmpcStatus	  st;

	/*
	 * Read unlocked (one word): an earlier run of this job recorded its
	 * entries before it gave up its claim on the job, which this run holds.
	 */
	if (smpc_ended == NULL || smpc_ended->nused == 0)
		return;
	found = (SmpcEndedRun *) palloc(sizeof(SmpcEndedRun) * SMPC_ENDED_RUNS);
	LWLockAcquire(smpc_ended->lock, LW_SHARED);
	for (uint32 i = 0; i < smpc_ended->nused; i++)
	{
		const SmpcEndedRun *e = &smpc_ended->runs[i];

		if (e->used && e->dbid == MyDatabaseId && memcmp(e->key, key, 32) == 0)
			found[nfound++] = *e;
	}
	LWLockRelease(smpc_ended->lock);
	for (int i = 0; i < nfound; i++)
		if (found[i].sender >= 0 && found[i].sender < fed->nparties &&
			found[i].sender != fed->self &&
			!smpc_job_forget_run(job, found[i].sender, found[i].nonce, &st))
			smpc_raise_status(&st);
	pfree(found);
}
