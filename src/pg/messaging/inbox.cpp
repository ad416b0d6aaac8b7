/*
 * The inbox: messages from partners, held in shared memory until the local
 * backend running the job takes them.
 *
 * Why shared memory: the deliver endpoint runs in the partner's connection
 * (another backend) while the job waits in the analyst's backend, in the
 * middle of a query. A table would need a new snapshot and a commit per
 * message; shared memory plus the waiter's latch wakes the job within
 * microseconds, with no polling.
 *
 * Locking: one LWLock guards the whole inbox; it is held only for memcpy and
 * scans, never across anything that can raise an error. The latch of the
 * waiting backend is set after the lock is released.
 *
 * Layout: header, then MaxBackends waiter entries (one per running job, keyed
 * by database and job key) and as many job statuses, then smpc.max_messages
 * slot headers, then their payloads of 32 kB each. Headers lie apart from
 * what they describe so that the scans of every delivery and every wakeup
 * read a few kB, not one cache line per 32 kB. A larger message (a grouped
 * job's vector) takes as many slots as it needs, all filed at once with one
 * sequence number and a part number each; it is taken or evicted whole. The
 * inbox serves the whole cluster: every match compares the database too.
 * Filing a message, and the limits that keep one partner from taking the
 * inbox from the others, is inbox_file.cpp.
 *
 * Wiping: messages hold shares, so a slot's payload is zeroed whenever the
 * slot is freed (taken, replaced by a retry, evicted; smpc_slot_free): a
 * free slot holds only zeros.
 */
#include "pg/messaging/messaging.h"

extern "C" {
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#ifdef SMPC_TEST_BUILD
PGDLLEXPORT Datum smpc_test_shmem_residue(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_test_shmem_residue);
#endif
}

SmpcInbox  *smpc_inbox = NULL;
static bool smpc_inbox_exit_registered = false;

bool (*smpc_inbox_run_ended)(const uint8 *key, int sender, const uint8 *nonce) = NULL;
int (*smpc_inbox_ended_keys)(uint8 **keys) = NULL;

#define SMPC_MATCHES_ID(entry, id_key_) \
	((entry).used && (entry).dbid == MyDatabaseId && memcmp((entry).id_key, (id_key_), 32) == 0)

/* Frees slot i, zeroing what its payload held (lock held exclusively). */
void
smpc_slot_free(int i)
{
	SmpcSlot *slot = &smpc_slots()[i];

	explicit_bzero(smpc_slot_data(i), Min(slot->len, (uint32) SMPC_INBOX_SLOT_BYTES));
	slot->len = 0;
	slot->used = false;
	while (smpc_inbox->slots_hi > 0 && !smpc_slots()[smpc_inbox->slots_hi - 1].used)
		smpc_inbox->slots_hi--;
}

static Size
smpc_inbox_size(void)
{
	Size size = MAXALIGN(sizeof(SmpcInbox));

	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcWaiter), MaxBackends)));
	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcJobStatus), MaxBackends)));
	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcSlot), smpc_max_messages)));
	size = add_size(size, mul_size(SMPC_INBOX_SLOT_BYTES, smpc_max_messages));
	return size;
}

void
smpc_inbox_shmem_request(void)
{
	RequestAddinShmemSpace(smpc_inbox_size());
	RequestNamedLWLockTranche("smpc", 1);
}

void
smpc_inbox_shmem_startup(void)
{
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	smpc_inbox = (SmpcInbox *) ShmemInitStruct("smpc inbox", smpc_inbox_size(), &found);
	if (!found)
	{
		memset(smpc_inbox, 0, smpc_inbox_size());
		smpc_inbox->lock = &(GetNamedLWLockTranche("smpc"))->lock;
		smpc_inbox->nwaiters = MaxBackends;
		smpc_inbox->nslots = smpc_max_messages;
		smpc_inbox->next_seq = 1;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Errors out unless the library was preloaded (the inbox exists). */
void
smpc_inbox_require(void)
{
	if (smpc_inbox == NULL)
		ereport(
			ERROR, errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			errmsg("smpc must be loaded via shared_preload_libraries"),
			errdetail("Secure jobs exchange messages through shared memory that is set up at "
					  "server start."),
			errhint(
				"Add smpc to shared_preload_libraries in postgresql.conf and restart the server."));
}

/*
 * Whether a later run of a job may take a message of this type that came
 * before it ended here: a partner's retry begins with its share (or key),
 * may follow an abort, and a partner's report of a job it could not begin
 * (a request) is for the job's next run too.
 */
static bool
smpc_for_a_later_run(int type)
{
	return type == SMPC_MSG_SHARE || type == SMPC_MSG_KEY || type == SMPC_MSG_ABORT ||
		   type == SMPC_MSG_REQUEST;
}

/*
 * Evicts the messages filed under this database's job key that nobody will
 * take, and the refusals noted for it (lock held exclusively): all of them
 * when the job was released here (no later run can take any), else those a
 * later run cannot use (a retry's share may already be here) and those of
 * partners' runs this failed run knew of (smpc_inbox_run_ended): a later run
 * ignores them. What stays is for partners' runs this one never saw.
 */
static void
smpc_evict_key(const uint8 *key, bool released)
{
	SmpcSlot	*s = smpc_slots();
	SmpcRefusal *r = smpc_inbox->refusals;

	for (int i = 0; i < smpc_inbox->slots_hi; i++)
		if (SMPC_MATCHES(s[i], key) &&
			(released || !smpc_for_a_later_run(s[i].type) ||
			 (smpc_inbox_run_ended != NULL && smpc_inbox_run_ended(key, s[i].sender, s[i].nonce))))
			smpc_slot_free(i);
	for (int i = 0; i < SMPC_INBOX_REFUSALS; i++)
		if (SMPC_MATCHES(r[i], key))
			r[i].used = false;
}

/* On backend exit, drop the waiter entries this backend still holds, and their messages. */
static void
smpc_inbox_on_exit(int code, Datum arg)
{
	SmpcWaiter *w;

	if (smpc_inbox == NULL)
		return;
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (w[i].used && w[i].pid == MyProcPid)
		{
			w[i].used = false;
			smpc_evict_key(w[i].key, smpc_status_of(i)->state == SMPC_JOB_ENDED);
		}
	LWLockRelease(smpc_inbox->lock);
}

/*
 * Claims the job key, and the key of its id alone, for this backend:
 * SMPC_CLAIM_OK, or SMPC_CLAIM_RUNNING when another live backend is already
 * running the same job, or SMPC_CLAIM_OTHER_FEDERATION (with the federation
 * in running_in, 64 bytes) when one runs the same id in another federation.
 */
int
smpc_inbox_register(const uint8 *key, const uint8 *id_key, const char *federation, char *running_in)
{
	SmpcWaiter *w;
	int			free_index = -1;
	int			claim = SMPC_CLAIM_OK;

	smpc_inbox_require();
	if (!smpc_inbox_exit_registered)
	{
		before_shmem_exit(smpc_inbox_on_exit, 0);
		smpc_inbox_exit_registered = true;
	}
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
	{
		if (!w[i].used)
		{
			if (free_index < 0)
				free_index = i;
		}
		else if (SMPC_MATCHES(w[i], key))
			claim = SMPC_CLAIM_RUNNING;
		else if (claim == SMPC_CLAIM_OK && SMPC_MATCHES_ID(w[i], id_key))
		{
			claim = SMPC_CLAIM_OTHER_FEDERATION;
			strlcpy(running_in, w[i].federation, 64);
		}
	}
	if (claim == SMPC_CLAIM_OK && free_index >= 0)
	{
		w[free_index].used = true;
		w[free_index].dbid = MyDatabaseId;
		w[free_index].pid = MyProcPid;
		w[free_index].procno = MyProc->pgprocno;
		w[free_index].shares_closed = false;
		memcpy(w[free_index].key, key, 32);
		memcpy(w[free_index].id_key, id_key, 32);
		strlcpy(w[free_index].federation, federation, sizeof w[free_index].federation);
		memset(smpc_status_of(free_index), 0, sizeof(SmpcJobStatus));
	}
	LWLockRelease(smpc_inbox->lock);
	if (claim == SMPC_CLAIM_OK && free_index < 0)
		elog(ERROR, "smpc inbox has no free waiter entry");
	return claim;
}

/*
 * Releases the job key and evicts what was filed under it that nobody will
 * take (smpc_evict_key; released: the job was released here).
 */
void
smpc_inbox_unregister(const uint8 *key, bool released)
{
	SmpcWaiter *w;
	bool		held = false;

	if (smpc_inbox == NULL)
		return;
	smpc_handover_end(key, released);
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (SMPC_MATCHES(w[i], key) && w[i].pid == MyProcPid)
		{
			w[i].used = false;
			held = true;
		}
	if (held)
	{
		smpc_evict_key(key, released);
		if (!released)
			(void) smpc_inbox_evict_dead(InvalidOid);
	}
	LWLockRelease(smpc_inbox->lock);
}

/*
 * Sets the status of this backend's job `key`, as smpc.job_status shows it;
 * fields that are NULL (or state 0) keep their value.
 */
void
smpc_inbox_set_status(const uint8 *key, const SmpcJobStatus *status, bool identity)
{
	SmpcWaiter *w;

	if (smpc_inbox == NULL)
		return;
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
	{
		SmpcJobStatus *st;

		if (!SMPC_MATCHES(w[i], key) || w[i].pid != MyProcPid)
			continue;
		st = smpc_status_of(i);
		if (identity)
		{
			*st = *status;
			break;
		}
		st->state = status->state;
		memcpy(st->round, status->round, sizeof st->round);
		memcpy(st->waiting_for, status->waiting_for, sizeof st->waiting_for);
		break;
	}
	LWLockRelease(smpc_inbox->lock);
}

/*
 * Copies the status of every job of this database into a palloc'd array,
 * with the backend's pid; returns how many.
 */
int
smpc_inbox_statuses(SmpcJobStatus **out, int **pids)
{
	SmpcWaiter *w;
	int			n = 0;

	*out = NULL;
	*pids = NULL;
	if (smpc_inbox == NULL)
		return 0;
	*out = (SmpcJobStatus *) palloc(sizeof(SmpcJobStatus) * smpc_inbox->nwaiters);
	*pids = (int *) palloc(sizeof(int) * smpc_inbox->nwaiters);
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
	{
		if (!w[i].used || w[i].dbid != MyDatabaseId || smpc_status_of(i)->state == 0)
			continue;
		(*out)[n] = *smpc_status_of(i);
		(*pids)[n] = w[i].pid;
		n++;
	}
	LWLockRelease(smpc_inbox->lock);
	return n;
}

/* The backend running job `key` in this database, or 0. */
int
smpc_inbox_pid_of(const uint8 *key, Oid *roleid)
{
	SmpcWaiter *w;
	int			pid = 0;

	if (smpc_inbox == NULL)
		return 0;
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nwaiters && pid == 0; i++)
		if (SMPC_MATCHES(w[i], key) && smpc_status_of(i)->state == SMPC_JOB_RUNNING)
		{
			pid = w[i].pid;
			*roleid = smpc_status_of(i)->roleid;
		}
	LWLockRelease(smpc_inbox->lock);
	return pid;
}

/*
 * The share round of this backend's job `key` is over: deliveries of shares
 * for it are refused from now on (smpc_inbox_put), so a sender whose share
 * was accepted knows it was filed before the round ended. Shares filed
 * before stay for the job to take.
 */
void
smpc_inbox_close_shares(const uint8 *key)
{
	SmpcWaiter *w = smpc_waiters();

	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (SMPC_MATCHES(w[i], key) && w[i].pid == MyProcPid)
			w[i].shares_closed = true;
	LWLockRelease(smpc_inbox->lock);
}

/* Whether a backend of this database runs (or holds) the job `key`. */
bool
smpc_inbox_has_waiter(const uint8 *key)
{
	SmpcWaiter *w = smpc_waiters();
	bool		found = false;

	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nwaiters && !found; i++)
		found = SMPC_MATCHES(w[i], key);
	LWLockRelease(smpc_inbox->lock);
	return found;
}

/* Whether any message is filed under key. */
bool
smpc_inbox_pending(const uint8 *key)
{
	SmpcSlot *s = smpc_slots();
	bool	  found = false;

	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->slots_hi && !found; i++)
		found = SMPC_MATCHES(s[i], key);
	LWLockRelease(smpc_inbox->lock);
	return found;
}

void
smpc_inbox_drop_reports(const uint8 *key)
{
	SmpcSlot *s;

	if (smpc_inbox == NULL)
		return;
	s = smpc_slots();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->slots_hi; i++)
		if (SMPC_MATCHES(s[i], key) && s[i].type == SMPC_MSG_REQUEST)
			smpc_slot_free(i);
	LWLockRelease(smpc_inbox->lock);
}

/* Takes every message filed under key, oldest first, as a List of bytea. */
List *
smpc_inbox_take(const uint8 *key)
{
	SmpcSlot *s;
	List	 *result = NIL;
	int		 *found;
	int		  nfound = 0;
	uint64	 *seqs;
	bytea	**copies;
	uint32	 *copied;
	int		  nmsgs = 0;

	smpc_inbox_require();
	s = smpc_slots();
	found = (int *) palloc(sizeof(int) * smpc_inbox->nslots);
	seqs = (uint64 *) palloc(sizeof(uint64) * smpc_inbox->nslots);
	copies = (bytea **) palloc(sizeof(bytea *) * smpc_inbox->nslots);
	copied = (uint32 *) palloc(sizeof(uint32) * smpc_inbox->nslots);

	/* Which messages there are, and their lengths (palloc before locking). */
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->slots_hi; i++)
		if (SMPC_MATCHES(s[i], key))
		{
			found[nfound++] = i;
			if (s[i].part == 0)
			{
				seqs[nmsgs] = s[i].seq;
				copied[nmsgs] = s[i].total; /* for now: the length */
				nmsgs++;
			}
		}
	LWLockRelease(smpc_inbox->lock);
	if (nmsgs == 0)
	{
		pfree(found);
		pfree(seqs);
		pfree(copies);
		pfree(copied);
		return NIL;
	}
	for (int m = 0; m < nmsgs; m++)
	{
		copies[m] = (bytea *) palloc(VARHDRSZ + copied[m]);
		SET_VARSIZE(copies[m], VARHDRSZ + copied[m]);
		copied[m] = 0;
	}

	/* Copy the parts out under the exclusive lock. */
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int k = 0; k < nfound; k++)
	{
		SmpcSlot	*slot = &s[found[k]];
		const uint8 *payload = smpc_slot_data(found[k]);

		if (!SMPC_MATCHES(*slot, key))
			continue;
		for (int m = 0; m < nmsgs; m++)
			if (seqs[m] == slot->seq && VARSIZE(copies[m]) - VARHDRSZ == slot->total)
			{
				memcpy(VARDATA(copies[m]) + (Size) slot->part * SMPC_INBOX_SLOT_BYTES, payload,
					   slot->len);
				copied[m] += slot->len;
				smpc_slot_free(found[k]);
				break;
			}
	}
	LWLockRelease(smpc_inbox->lock);

	/* Arrival order (insertion sort: a handful of messages). */
	for (int a = 1; a < nmsgs; a++)
		for (int b = a; b > 0 && seqs[b - 1] > seqs[b]; b--)
		{
			uint64 ts = seqs[b];
			bytea *tc = copies[b];
			uint32 tn = copied[b];

			seqs[b] = seqs[b - 1];
			copies[b] = copies[b - 1];
			copied[b] = copied[b - 1];
			seqs[b - 1] = ts;
			copies[b - 1] = tc;
			copied[b - 1] = tn;
		}
	/* A message replaced while this ran (a partner's retry) is incomplete: skip it. */
	for (int m = 0; m < nmsgs; m++)
		if (copied[m] == VARSIZE(copies[m]) - VARHDRSZ)
			result = lappend(result, copies[m]);
		else
		{
			explicit_bzero(VARDATA(copies[m]), VARSIZE(copies[m]) - VARHDRSZ);
			pfree(copies[m]);
		}
	pfree(found);
	pfree(seqs);
	pfree(copies);
	pfree(copied);
	return result;
}

#ifdef SMPC_TEST_BUILD
/*
 * Test builds: how many bytes are not zero in free inbox slots and free
 * handover entries, where a freed message (its shares) could stay behind.
 * No install script declares it (release builds lack it); the TAP test
 * that uses it does: CREATE FUNCTION ... AS 'smpc', 'smpc_test_shmem_residue'.
 */
Datum
smpc_test_shmem_residue(PG_FUNCTION_ARGS)
{
	SmpcSlot *s;
	uint64	  nonzero = 0;

	smpc_inbox_require();
	s = smpc_slots();
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nslots; i++)
	{
		const uint8 *payload = smpc_slot_data(i);

		if (s[i].used)
			continue;
		for (size_t k = 0; k < SMPC_INBOX_SLOT_BYTES; k++)
			nonzero += payload[k] != 0;
	}
	LWLockRelease(smpc_inbox->lock);
	PG_RETURN_INT64((int64) (nonzero + smpc_handover_residue()));
}
#endif
