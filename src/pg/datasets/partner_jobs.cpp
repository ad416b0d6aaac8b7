/*
 * The jobs this party runs because a partner asked (requests.cpp): one
 * shared-memory slot each, from the deliver call that launches the
 * background worker until that worker exits. smpc.max_partner_jobs slots;
 * a request that finds none free is refused, so partners can never make
 * this server start more workers than its DBA allowed.
 *
 * A slot holds what the worker needs (a background worker's own argument
 * holds only a few bytes) and lets a later request of the same initiator
 * withdraw the job. Each claim gets a new generation number, so a worker or
 * a withdrawal never acts on a slot that was reused in between.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

int smpc_max_partner_jobs = 8;

typedef struct SmpcPartnerSlot
{
	bool		   used;
	uint64		   generation;
	SmpcPartnerJob job;
} SmpcPartnerSlot;

typedef struct SmpcPartnerJobs
{
	LWLock		   *lock;
	int				nslots;
	uint64			next_generation;
	SmpcPartnerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} SmpcPartnerJobs;

static SmpcPartnerJobs *smpc_partner_jobs = NULL;

static Size
smpc_partner_jobs_size(void)
{
	return add_size(offsetof(SmpcPartnerJobs, slots),
					mul_size(sizeof(SmpcPartnerSlot), Max(smpc_max_partner_jobs, 1)));
}

void
smpc_partner_jobs_shmem_request(void)
{
	RequestAddinShmemSpace(smpc_partner_jobs_size());
	RequestNamedLWLockTranche("smpc partner jobs", 1);
}

void
smpc_partner_jobs_shmem_startup(void)
{
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	smpc_partner_jobs =
		(SmpcPartnerJobs *) ShmemInitStruct("smpc partner jobs", smpc_partner_jobs_size(), &found);
	if (!found)
	{
		memset(smpc_partner_jobs, 0, smpc_partner_jobs_size());
		smpc_partner_jobs->lock = &(GetNamedLWLockTranche("smpc partner jobs"))->lock;
		smpc_partner_jobs->nslots = smpc_max_partner_jobs;
		smpc_partner_jobs->next_generation = 1;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Claims a slot for job. Returns its index and sets *generation; -1 when
 * every slot is taken, -2 when a slot of this database already holds the
 * same job.
 */
int
smpc_partner_job_claim(const SmpcPartnerJob *job, uint64 *generation)
{
	int found = -1;

	if (smpc_partner_jobs == NULL)
		return -1;
	LWLockAcquire(smpc_partner_jobs->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_partner_jobs->nslots; i++)
	{
		SmpcPartnerSlot *s = &smpc_partner_jobs->slots[i];

		if (s->used && s->job.dbid == job->dbid && memcmp(s->job.key, job->key, 32) == 0)
		{
			found = -2;
			break;
		}
		if (!s->used && found == -1)
			found = i;
	}
	if (found >= 0)
	{
		SmpcPartnerSlot *s = &smpc_partner_jobs->slots[found];

		s->used = true;
		s->generation = smpc_partner_jobs->next_generation++;
		s->job = *job;
		s->job.pid = 0;
		s->job.withdrawn = false;
		*generation = s->generation;
	}
	LWLockRelease(smpc_partner_jobs->lock);
	return found;
}

/* Copies slot `slot` of that generation into *out; false when it is gone. */
bool
smpc_partner_job_get(int slot, uint64 generation, SmpcPartnerJob *out)
{
	bool ok = false;

	if (smpc_partner_jobs == NULL || slot < 0 || slot >= smpc_partner_jobs->nslots)
		return false;
	LWLockAcquire(smpc_partner_jobs->lock, LW_SHARED);
	if (smpc_partner_jobs->slots[slot].used &&
		smpc_partner_jobs->slots[slot].generation == generation)
	{
		*out = smpc_partner_jobs->slots[slot].job;
		ok = true;
	}
	LWLockRelease(smpc_partner_jobs->lock);
	return ok;
}

/* Records the worker's process id (for withdrawals). */
void
smpc_partner_job_started(int slot, uint64 generation, int pid)
{
	LWLockAcquire(smpc_partner_jobs->lock, LW_EXCLUSIVE);
	if (smpc_partner_jobs->slots[slot].used &&
		smpc_partner_jobs->slots[slot].generation == generation)
		smpc_partner_jobs->slots[slot].job.pid = pid;
	LWLockRelease(smpc_partner_jobs->lock);
}

void
smpc_partner_job_release(int slot, uint64 generation)
{
	if (smpc_partner_jobs == NULL)
		return;
	LWLockAcquire(smpc_partner_jobs->lock, LW_EXCLUSIVE);
	if (smpc_partner_jobs->slots[slot].used &&
		smpc_partner_jobs->slots[slot].generation == generation)
		smpc_partner_jobs->slots[slot].used = false;
	LWLockRelease(smpc_partner_jobs->lock);
}

/*
 * Marks the job `key` of this database withdrawn, if party `initiator`
 * started it with the call `nonce`. Returns the worker's process id (0 when
 * there is no such job, or its worker has not reported yet: it checks the
 * mark before it starts the job).
 */
int
smpc_partner_job_withdraw(const uint8 *key, const char *initiator, const uint8 *nonce)
{
	int pid = 0;

	if (smpc_partner_jobs == NULL)
		return 0;
	LWLockAcquire(smpc_partner_jobs->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_partner_jobs->nslots; i++)
	{
		SmpcPartnerSlot *s = &smpc_partner_jobs->slots[i];

		if (!s->used || s->job.dbid != MyDatabaseId || memcmp(s->job.key, key, 32) != 0 ||
			strcmp(s->job.initiator, initiator) != 0 || memcmp(s->job.nonce, nonce, 16) != 0)
			continue;
		s->job.withdrawn = true;
		pid = s->job.pid;
		break;
	}
	LWLockRelease(smpc_partner_jobs->lock);
	return pid;
}

/* Whether the job in slot `slot` of that generation was withdrawn (or is gone). */
bool
smpc_partner_job_withdrawn(int slot, uint64 generation)
{
	SmpcPartnerJob job;

	return !smpc_partner_job_get(slot, generation, &job) || job.withdrawn;
}
