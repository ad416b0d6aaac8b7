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
 * inbox serves the whole cluster:
 * every match compares the database too.
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

/* What one slot holds of a message: a job id up to 16 KiB plus headers fit. */
#define SMPC_SLOT_PAYLOAD SMPC_INBOX_SLOT_BYTES
/*
 * One partner's login role may hold at most this share of the slots with
 * messages no running job has claimed: a misbehaving partner cannot fill the
 * inbox for everyone.
 */
#define SMPC_UNCLAIMED_SHARE_PER_ROLE 4
/* Unclaimed messages older than this may be evicted when the inbox is full. */
#define SMPC_UNCLAIMED_MAX_AGE_MS (10 * 60 * 1000)

typedef struct SmpcWaiter
{
	bool  used;
	Oid	  dbid; /* jobs are per database */
	int	  pid;
	int	  procno;
	bool  shares_closed; /* the job takes no more shares (smpc_inbox_close_shares) */
	uint8 key[32];
	uint8 id_key[32]; /* the job id's alone (job ids run once per party) */
	char  federation[64];
} SmpcWaiter;

typedef struct SmpcSlot
{
	bool		used;
	Oid			dbid;	   /* database the message was delivered to */
	Oid			from_role; /* authenticated role that delivered it */
	uint8		key[32];
	int			sender;
	int			type;
	uint8		nonce[16];
	uint64		seq; /* the message's; all its slots share it */
	TimestampTz received;
	uint32		total; /* the message's length */
	uint16		part;  /* this slot holds bytes [part * payload, ...) */
	uint32		len;   /* bytes in this slot's payload */
} SmpcSlot;

typedef struct SmpcInbox
{
	LWLock *lock;
	uint64	next_seq;
	int		nwaiters;
	int		nslots;
} SmpcInbox;

static SmpcInbox *smpc_inbox = NULL;
static bool		  smpc_inbox_exit_registered = false;

/* Whether an entry belongs to this database's job `key`. */
#define SMPC_MATCHES(entry, key_) \
	((entry).used && (entry).dbid == MyDatabaseId && memcmp((entry).key, (key_), 32) == 0)
#define SMPC_MATCHES_ID(entry, id_key_) \
	((entry).used && (entry).dbid == MyDatabaseId && memcmp((entry).id_key, (id_key_), 32) == 0)

static inline SmpcWaiter *
smpc_waiters(void)
{
	return (SmpcWaiter *) ((char *) smpc_inbox + MAXALIGN(sizeof(SmpcInbox)));
}

/* The status of waiter i's job, for smpc.job_status (apart: it is large). */
static inline SmpcJobStatus *
smpc_status_of(int i)
{
	return (SmpcJobStatus *) ((char *) smpc_waiters() +
							  MAXALIGN(sizeof(SmpcWaiter) * smpc_inbox->nwaiters)) +
		   i;
}

static inline SmpcSlot *
smpc_slots(void)
{
	return (SmpcSlot *) ((char *) smpc_status_of(0) +
						 MAXALIGN(sizeof(SmpcJobStatus) * smpc_inbox->nwaiters));
}

/* The payload of slot i. */
static inline uint8 *
smpc_slot_data(int i)
{
	return (uint8 *) smpc_slots() + MAXALIGN(sizeof(SmpcSlot) * smpc_inbox->nslots) +
		   (Size) i * SMPC_SLOT_PAYLOAD;
}

/* Frees slot i, zeroing what its payload held (lock held exclusively). */
static void
smpc_slot_free(int i)
{
	SmpcSlot *slot = &smpc_slots()[i];

	explicit_bzero(smpc_slot_data(i), Min(slot->len, (uint32) SMPC_SLOT_PAYLOAD));
	slot->len = 0;
	slot->used = false;
}

static Size
smpc_inbox_size(void)
{
	Size size = MAXALIGN(sizeof(SmpcInbox));

	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcWaiter), MaxBackends)));
	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcJobStatus), MaxBackends)));
	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcSlot), smpc_max_messages)));
	size = add_size(size, mul_size(SMPC_SLOT_PAYLOAD, smpc_max_messages));
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

/* On backend exit, drop the waiter entries this backend still holds. */
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
			w[i].used = false;
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
 * Releases the job key. Messages still filed under it are left alone: one
 * may already be a partner's share for the next run of the job (a retry),
 * and leftovers of this run are ignored by any later run (their nonce
 * differs) and replaced when their sender starts a new run.
 */
void
smpc_inbox_unregister(const uint8 *key)
{
	SmpcWaiter *w;

	if (smpc_inbox == NULL)
		return;
	smpc_handover_end(key);
	w = smpc_waiters();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (SMPC_MATCHES(w[i], key) && w[i].pid == MyProcPid)
			w[i].used = false;
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

/* Whether a running job here has claimed the message in slot `slot`. */
static bool
smpc_slot_claimed(const SmpcWaiter *w, const SmpcSlot *slot)
{
	for (int j = 0; j < smpc_inbox->nwaiters; j++)
		if (w[j].used && w[j].dbid == slot->dbid && memcmp(w[j].key, slot->key, 32) == 0)
			return true;
	return false;
}

/*
 * Files a message and wakes the backend waiting for its job, if any. A share
 * message (round 1) from a sender replaces that sender's messages from an
 * earlier run of the same job (a retry), so stale rounds are never mixed in.
 * An abort for a job no local backend is running is kept too: when this
 * party starts the job later, it learns that the partner's run died, waits
 * for a retry instead, and says why if none comes. (The job itself also
 * ignores messages of other runs, see protocol/aggregation_job.hpp.)
 */
void
smpc_inbox_put(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data, size_t len)
{
	SmpcWaiter *w;
	SmpcSlot   *s;
	int			nparts;
	int		   *targets;
	int			nfree = 0;
	int			waiter_procno = -1;
	TimestampTz now = GetCurrentTimestamp();

	smpc_inbox_require();
	if (len > SMPC_MAX_MESSAGE_BYTES || len == 0)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("smpc message of %zu bytes exceeds the limit of %d bytes", len,
					   SMPC_MAX_MESSAGE_BYTES));
	nparts = (int) ((len + SMPC_SLOT_PAYLOAD - 1) / SMPC_SLOT_PAYLOAD);
	targets = (int *) palloc(sizeof(int) * nparts);
	w = smpc_waiters();
	s = smpc_slots();
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
	{
		if (info->type == SMPC_MSG_SHARE && SMPC_MATCHES(w[i], key) && w[i].shares_closed)
		{
			LWLockRelease(smpc_inbox->lock);
			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_NOT_RUNNING),
					errmsg("the job here takes no more shares: its share round is over"),
					errdetail("This party went on without the inputs whose shares had not come "
							  "within smpc.timeout."),
					errhint("The job goes on without this input; run it again (with a new job id "
							"if it released) to include it."));
		}
	}
	for (int i = 0; i < smpc_inbox->nslots; i++)
	{
		if (info->type == SMPC_MSG_SHARE && SMPC_MATCHES(s[i], key) &&
			s[i].sender == info->sender && memcmp(s[i].nonce, info->nonce, 16) != 0)
			smpc_slot_free(i); /* from an earlier run of the job */
	}
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (SMPC_MATCHES(w[i], key))
			waiter_procno = w[i].procno;
	if (waiter_procno < 0)
	{
		int unclaimed = 0;
		Oid from = GetAuthenticatedUserId();

		for (int i = 0; i < smpc_inbox->nslots; i++)
			if (s[i].used && s[i].from_role == from && s[i].dbid == MyDatabaseId &&
				!smpc_slot_claimed(w, &s[i]))
				unclaimed++;
		if (unclaimed + nparts > smpc_inbox->nslots / SMPC_UNCLAIMED_SHARE_PER_ROLE)
		{
			LWLockRelease(smpc_inbox->lock);
			ereport(
				ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg(
					"too many messages from this partner wait for jobs that have not started here"),
				errdetail("%d message slots hold messages from role \"%s\"; the limit is a quarter "
						  "of smpc.max_messages.",
						  unclaimed, GetUserNameFromId(from, false)),
				errhint("Start the waiting jobs here, or raise smpc.max_messages."));
		}
	}
	for (int i = 0; i < smpc_inbox->nslots && nfree < nparts; i++)
		if (!s[i].used)
			targets[nfree++] = i;
	while (nfree < nparts)
	{
		/* Full: evict the oldest message that no running job has claimed. */
		int oldest = -1;

		for (int i = 0; i < smpc_inbox->nslots; i++)
		{
			if (!s[i].used ||
				!TimestampDifferenceExceeds(s[i].received, now, SMPC_UNCLAIMED_MAX_AGE_MS) ||
				smpc_slot_claimed(w, &s[i]))
				continue;
			if (oldest < 0 || s[i].seq < s[oldest].seq)
				oldest = i;
		}
		if (oldest < 0)
			break;
		{
			uint64 gone = s[oldest].seq;

			for (int i = 0; i < smpc_inbox->nslots; i++)
				if (s[i].used && s[i].seq == gone)
				{
					smpc_slot_free(i);
					if (nfree < nparts)
						targets[nfree++] = i;
				}
		}
	}
	if (nfree == nparts)
	{
		uint64 seq = smpc_inbox->next_seq++;

		for (int k = 0; k < nparts; k++)
		{
			SmpcSlot *slot = &s[targets[k]];
			size_t	  off = (size_t) k * SMPC_SLOT_PAYLOAD;

			slot->used = true;
			slot->dbid = MyDatabaseId;
			slot->from_role = GetAuthenticatedUserId();
			memcpy(slot->key, key, 32);
			slot->sender = info->sender;
			slot->type = info->type;
			memcpy(slot->nonce, info->nonce, 16);
			slot->seq = seq;
			slot->received = now;
			slot->total = (uint32) len;
			slot->part = (uint16) k;
			slot->len = (uint32) Min(len - off, (size_t) SMPC_SLOT_PAYLOAD);
			memcpy(smpc_slot_data(targets[k]), data + off, slot->len);
		}
	}
	LWLockRelease(smpc_inbox->lock);

	if (nfree < nparts)
		ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED), errmsg("smpc inbox is full"),
				errdetail("A message of %zu bytes needs %d of the %d message slots; the others "
						  "hold messages of running jobs.",
						  len, nparts, smpc_max_messages),
				errhint("Raise smpc.max_messages and restart the server."));
	pfree(targets);
	if (waiter_procno >= 0)
		SetLatch(&GetPGProcByNumber(waiter_procno)->procLatch);
}

/* Whether any message is filed under key. */
bool
smpc_inbox_pending(const uint8 *key)
{
	SmpcSlot *s = smpc_slots();
	bool	  found = false;

	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nslots && !found; i++)
		found = SMPC_MATCHES(s[i], key);
	LWLockRelease(smpc_inbox->lock);
	return found;
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
	copied = (uint32 *) palloc0(sizeof(uint32) * smpc_inbox->nslots);

	/* Which messages there are, and their lengths (palloc before locking). */
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nslots; i++)
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
				memcpy(VARDATA(copies[m]) + (Size) slot->part * SMPC_SLOT_PAYLOAD, payload,
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

/*
 * What the inbox holds in this database now, for smpc.shmem_usage(): after
 * every job has ended, no claim and no slot should be left but messages a
 * partner sent for jobs that never started here.
 */
void
smpc_inbox_usage(SmpcInboxUsage *u)
{
	SmpcWaiter *w;
	SmpcSlot   *s;

	smpc_inbox_require();
	memset(u, 0, sizeof(*u));
	w = smpc_waiters();
	s = smpc_slots();
	u->claims_capacity = smpc_inbox->nwaiters;
	u->slots_capacity = smpc_inbox->nslots;
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
		if (w[i].used && w[i].dbid == MyDatabaseId)
			u->claims++;
	for (int i = 0; i < smpc_inbox->nslots; i++)
	{
		int r;

		if (!s[i].used || s[i].dbid != MyDatabaseId)
			continue;
		u->slots++;
		for (r = 0; r < u->nroles; r++)
			if (u->role[r] == s[i].from_role)
				break;
		if (r == u->nroles)
		{
			if (u->nroles == SMPC_USAGE_ROLES)
				r = SMPC_USAGE_ROLES - 1;
			else
				u->role[u->nroles++] = s[i].from_role;
		}
		if (r == SMPC_USAGE_ROLES - 1 && u->role[r] != s[i].from_role)
			u->role[r] = InvalidOid; /* more roles than entries: the rest together */
		u->role_slots[r]++;
		if (!smpc_slot_claimed(w, &s[i]))
			u->role_unclaimed[r]++;
	}
	LWLockRelease(smpc_inbox->lock);
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
		for (size_t k = 0; k < SMPC_SLOT_PAYLOAD; k++)
			nonzero += payload[k] != 0;
	}
	LWLockRelease(smpc_inbox->lock);
	PG_RETURN_INT64((int64) (nonzero + smpc_handover_residue()));
}
#endif
