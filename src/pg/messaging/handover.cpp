/*
 * Handover: a message this party is about to send to a partner travels back
 * on the partner's own delivery call instead, when that call is waiting here
 * for it.
 *
 * Why: in a round where every party sends every other party a message (all
 * rounds of a peer-to-peer job), a pair of parties used to make two calls,
 * one each way, each with its own wakeups, TLS records and acknowledgement.
 * When party i's message reaches party j before j has sent its own message
 * of that round to i, smpc.exchange (the delivery endpoint) waits a moment
 * here (SMPC_HANDOVER_WAIT_MS) and returns j's message as the call's result:
 * one call for the pair. Whichever party is ahead gets the other's message
 * this way; a pair that sends at the same moment still makes two calls.
 *
 * Who may wait: only a call whose message is of a round type, for a job that
 * runs here in a backend that allowed handover (a peer-to-peer job, where
 * every party sends each round's type to every other party), and only while
 * that job has not yet sent a message of that type to the caller. A call
 * in a federation that is not peer to peer never waits (deliver.cpp asks
 * before it makes a pickup): its job never comes here, so it would look
 * like one that has not begun yet, and every call would wait
 * SMPC_HANDOVER_EARLY_WAIT_MS for nothing. The job
 * notes every message it sends, so a call never waits for a message that
 * left by the network already; the note and the check are made under one
 * lock, so a message is either handed over or sent, never both or neither.
 *
 * Ordered jobs (peer to peer without dropout tolerance): a pair's messages
 * travel on the calls of one of the two (smpc_pair_caller). The other sends
 * nothing to it; it leaves its message here (posted) if the call has not
 * come yet, and the call, when the message is not here yet, waits for it up
 * to half of smpc.timeout (at most 5 s). A round then takes n(n-1)/2 calls
 * instead of n(n-1), and a party opens connections only to the partners it
 * calls: n(n-1)/2 in all, which is what a cold job pays for. The
 * exceptions, where the other party sends after all: a call that gives up tells the job; a
 * share whose call came before the job started here (so returned without
 * one) is told by the job itself (smpc_handover_called_early), since it
 * finds that share among the messages waiting for it when it starts; and
 * aborts always travel on their own. And a partner whose federation
 * definition differs, whose calls are refused, is reported to the job here
 * (smpc_handover_reject), which may have nothing on its way to it.
 *
 * Posted messages outlive the job and the session here (the last message is
 * often collected after this party finished): a run that fails drops its
 * own, a new run of the job drops those of earlier runs, and a full table
 * reuses the oldest posted more than ten minutes ago.
 *
 * Layout: header, then MaxBackends job entries (a running job's notes of
 * what it sent, per message type a bit per party), then MaxBackends pickup
 * entries (a waiting call's or a posted message each, with room for one
 * message of up to SMPC_HANDOVER_BYTES). Larger messages are sent as before.
 *
 * The calls' side (collecting, waiting) is handover_collect.cpp.
 *
 * Wiping: a pickup's message holds shares, so it is zeroed whenever the
 * pickup is freed (smpc_pickup_free), and so are the stack copies made to
 * copy a message out after the lock is released.
 */
#include "pg/messaging/messaging.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"
}

SmpcHandover *smpc_handover = NULL;
static bool	  smpc_handover_exit_registered = false;
/* Job entries this backend holds: none, and offers need no lock. */
static int smpc_own_jobs = 0;

static Size
smpc_handover_size(void)
{
	Size size = MAXALIGN(sizeof(SmpcHandover));

	size = add_size(size, MAXALIGN(mul_size(sizeof(SmpcHandoverJob), MaxBackends)));
	size = add_size(size, mul_size(sizeof(SmpcPickup), MaxBackends));
	return size;
}

void
smpc_handover_shmem_request(void)
{
	RequestAddinShmemSpace(smpc_handover_size());
	RequestNamedLWLockTranche("smpc handover", 1);
}

void
smpc_handover_shmem_startup(void)
{
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	smpc_handover = (SmpcHandover *) ShmemInitStruct("smpc handover", smpc_handover_size(), &found);
	if (!found)
	{
		memset(smpc_handover, 0, smpc_handover_size());
		smpc_handover->lock = &(GetNamedLWLockTranche("smpc handover"))->lock;
		smpc_handover->n = MaxBackends;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Frees a pickup, zeroing the message it held (lock held exclusively). */
void
smpc_pickup_free(SmpcPickup *p)
{
	explicit_bzero(p->data, Min(p->len, (uint32) SMPC_HANDOVER_BYTES));
	p->len = 0;
	p->state = SMPC_PICKUP_FREE;
}

static bool
smpc_same_job(const uint8 *key, Oid other_db, const uint8 *other_key)
{
	return other_db == MyDatabaseId && memcmp(key, other_key, 32) == 0;
}

bool
smpc_handover_type(int type, int party)
{
	return type > 0 && type < SMPC_HANDOVER_TYPES && type != SMPC_MSG_ABORT && party >= 0 &&
		   party < 64;
}

/*
 * In an ordered job, whether `party` is the one of the pair {party, other}
 * that makes the calls: the lower-numbered one when the two numbers add up
 * to an even number, else the higher. So every party calls about half of
 * its partners, and the calls (and, cold, the connections) are spread
 * evenly: with three parties each makes one call a round.
 */
bool
smpc_pair_caller(int party, int other)
{
	int lo = Min(party, other);
	int hi = Max(party, other);

	return party == ((lo + hi) % 2 == 0 ? lo : hi);
}

/* On backend exit: end this backend's jobs and free its pickups. */
static void
smpc_handover_on_exit(int code, Datum arg)
{
	SmpcHandoverJob *jobs;
	SmpcPickup		*pickups;

	if (smpc_handover == NULL)
		return;
	int wake[64];
	int nwake = 0;

	jobs = smpc_handover_jobs();
	pickups = smpc_pickups();
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_handover->n; i++)
	{
		if (pickups[i].state != SMPC_PICKUP_FREE && pickups[i].owner == MyProcPid)
			smpc_pickup_free(&pickups[i]);
		if (!jobs[i].used || jobs[i].pid != MyProcPid)
			continue;
		/* Calls waiting for this backend's messages get none (it may have died by FATAL). */
		for (int k = 0; k < smpc_handover->n; k++)
			if (pickups[k].state == SMPC_PICKUP_WAITING &&
				smpc_same_job(jobs[i].key, pickups[k].dbid, pickups[k].key))
			{
				pickups[k].state = SMPC_PICKUP_GONE;
				if (nwake < (int) lengthof(wake))
					wake[nwake++] = pickups[k].procno;
			}
		jobs[i].used = false;
	}
	LWLockRelease(smpc_handover->lock);
	for (int i = 0; i < nwake; i++)
		SetLatch(&GetPGProcByNumber(wake[i])->procLatch);
}

void
smpc_handover_register_exit(void)
{
	if (!smpc_handover_exit_registered)
	{
		before_shmem_exit(smpc_handover_on_exit, 0);
		smpc_handover_exit_registered = true;
	}
}

/* The entry of job key in this database: this backend's own, or any (caller holds the lock). */
SmpcHandoverJob *
smpc_find_job(const uint8 *key, bool own)
{
	SmpcHandoverJob *jobs = smpc_handover_jobs();

	for (int i = 0; i < smpc_handover->n; i++)
		if (jobs[i].used && (!own || jobs[i].pid == MyProcPid) &&
			smpc_same_job(key, jobs[i].dbid, jobs[i].key))
			return &jobs[i];
	return NULL;
}

/*
 * Whether the ring of jobs released here holds job key of this database
 * (lock held; exclusively with forget, which clears every entry of it: a
 * job whose stored result was returned again is in it more than once).
 */
static bool
smpc_ended_entries(const uint8 *key, bool forget)
{
	bool found = false;

	for (int i = 0; i < SMPC_HANDOVER_ENDED; i++)
		if (smpc_same_job(key, smpc_handover->ended_db[i], smpc_handover->ended[i]))
		{
			found = true;
			if (!forget)
				break;
			smpc_handover->ended_db[i] = InvalidOid;
		}
	return found;
}

/*
 * Whether job key of this database was released here lately (caller holds
 * the lock): a call for it that finds no job running is late, not early,
 * and waits for nothing. Why: a job with dropout tolerance ends once a quorum
 * of partners confirmed, and a slower partner's confirm can pass the
 * endpoint's check that the job runs just before the job ends; the call
 * would then find no job and wait SMPC_HANDOVER_EARLY_WAIT_MS as if it
 * were about to begin, holding up that partner's round (it did in 2 to
 * 6 % of warm 2-of-5 jobs, each 20 ms longer).
 */
bool
smpc_handover_ended_here(const uint8 *key)
{
	return smpc_ended_entries(key, false);
}

/* A pickup entry of job key for party `to` and `type` in `state`, or NULL (lock held). */
SmpcPickup *
smpc_find_pickup(const uint8 *key, int to, int type, int state)
{
	SmpcPickup *pickups = smpc_pickups();

	for (int i = 0; i < smpc_handover->n; i++)
		if (pickups[i].state == state && pickups[i].to == to && pickups[i].type == type &&
			smpc_same_job(key, pickups[i].dbid, pickups[i].key))
			return &pickups[i];
	return NULL;
}

/*
 * A free pickup entry, or NULL (lock held). When there is none, the oldest
 * posted message older than SMPC_POSTED_MAX_AGE_MS is dropped: its call
 * would have given up long ago (a fixed age: smpc.timeout is a per-session
 * setting).
 */
SmpcPickup *
smpc_free_pickup(void)
{
	SmpcPickup *pickups = smpc_pickups();
	SmpcPickup *oldest = NULL;
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < smpc_handover->n; i++)
	{
		if (pickups[i].state == SMPC_PICKUP_FREE)
			return &pickups[i];
		if (pickups[i].state == SMPC_PICKUP_POSTED &&
			TimestampDifferenceExceeds(pickups[i].posted, now, SMPC_POSTED_MAX_AGE_MS) &&
			(oldest == NULL || pickups[i].posted < oldest->posted))
			oldest = &pickups[i];
	}
	if (oldest != NULL)
		smpc_pickup_free(oldest);
	return oldest;
}

/* Drops what job key (an earlier run) posted (lock held). */
static void
smpc_drop_posted(const uint8 *key)
{
	SmpcPickup *pickups = smpc_pickups();

	for (int i = 0; i < smpc_handover->n; i++)
		if (pickups[i].state == SMPC_PICKUP_POSTED &&
			smpc_same_job(key, pickups[i].dbid, pickups[i].key))
			smpc_pickup_free(&pickups[i]);
}

/*
 * The job `key` that this backend has just claimed may hand messages over:
 * a peer-to-peer job, party `self`. `ordered` (a job without dropout
 * tolerance): a party sends nothing to the partners that call it
 * (smpc_pair_caller); it leaves its messages here for their calls, which
 * wait for them (see handover_collect.cpp). Without a free entry it simply
 * sends.
 */
void
smpc_handover_begin(const uint8 *key, bool ordered, int self)
{
	SmpcHandoverJob *jobs;

	if (smpc_handover == NULL)
		return;
	smpc_handover_register_exit();
	jobs = smpc_handover_jobs();
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	/* What an earlier run of this job left here is of no use to this one. */
	smpc_drop_posted(key);
	/* A new run of a job released here: its calls may be early again. */
	(void) smpc_ended_entries(key, true);
	if (smpc_find_job(key, true) == NULL)
		for (int i = 0; i < smpc_handover->n; i++)
			if (!jobs[i].used)
			{
				memset(&jobs[i], 0, sizeof jobs[i]);
				jobs[i].used = true;
				jobs[i].ordered = ordered;
				jobs[i].self = self;
				jobs[i].dbid = MyDatabaseId;
				jobs[i].pid = MyProcPid;
				jobs[i].procno = MyProc->pgprocno;
				jobs[i].rejected_from = -1;
				memcpy(jobs[i].key, key, 32);
				smpc_own_jobs++;
				break;
			}
	LWLockRelease(smpc_handover->lock);
}

/*
 * Messages of `type` from the parties in `mask` reached the job `key` of
 * this backend before it started (their calls returned without a message
 * back): send them this party's message of that type rather than leave it.
 */
void
smpc_handover_called_early(const uint8 *key, int type, uint64 mask)
{
	SmpcHandoverJob *job;

	if (smpc_handover == NULL || mask == 0 || type <= 0 || type >= SMPC_HANDOVER_TYPES)
		return;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	job = smpc_find_job(key, true);
	if (job != NULL)
		job->refused[type] |= mask;
	LWLockRelease(smpc_handover->lock);
}

/*
 * Takes one message that job `key` posted for party `to` and no call took
 * yet (palloc'd copy); false when there is none. For a job that aborts
 * (job_runner.cpp sends them before its abort).
 */
bool
smpc_handover_take_posted(const uint8 *key, int to, uint8 **data, size_t *len)
{
	SmpcPickup *p;
	uint8		buf[SMPC_HANDOVER_BYTES];
	uint32		n = 0;

	if (smpc_handover == NULL)
		return false;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	for (int type = 1; type < SMPC_HANDOVER_TYPES && n == 0; type++)
		if ((p = smpc_find_pickup(key, to, type, SMPC_PICKUP_POSTED)) != NULL)
		{
			n = p->len;
			memcpy(buf, p->data, n);
			smpc_pickup_free(p);
		}
	LWLockRelease(smpc_handover->lock);
	if (n == 0)
		return false;
	*data = (uint8 *) palloc(n);
	memcpy(*data, buf, n);
	explicit_bzero(buf, n);
	*len = n;
	return true;
}

/* The run of job `key` in this backend failed: what it posted is of no use to anyone. */
void
smpc_handover_drop_posted(const uint8 *key)
{
	if (smpc_handover == NULL)
		return;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	smpc_drop_posted(key);
	LWLockRelease(smpc_handover->lock);
}

/*
 * Party `from` delivered through smpc.deliver, which hands nothing back:
 * the job `key` here sends it its messages (of every type) itself.
 */
void
smpc_handover_no_collect(const uint8 *key, int from, int type)
{
	SmpcHandoverJob *job;

	if (smpc_handover == NULL || !smpc_handover_type(type, from))
		return;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	job = smpc_find_job(key, false);
	if (job != NULL)
		for (int t = 0; t < SMPC_HANDOVER_TYPES; t++)
			job->refused[t] |= UINT64CONST(1) << from;
	LWLockRelease(smpc_handover->lock);
}

/*
 * This party refused a message of party `from` for job `key` (its
 * federation definition differs), and the caller got the error. An ordered
 * job here may have nothing on its way to that party to learn it from: it is
 * told, so that it fails with the same reason instead of timing out.
 */
void
smpc_handover_reject(const uint8 *key, int from, const SmpcStatus *why)
{
	SmpcHandoverJob *job;
	int				 procno = -1;

	if (smpc_handover == NULL)
		return;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	job = smpc_find_job(key, false);
	if (job != NULL && job->ordered && job->rejected_from < 0)
	{
		job->rejected_from = from;
		job->rejection = *why;
		procno = job->procno;
	}
	LWLockRelease(smpc_handover->lock);
	if (procno >= 0)
		SetLatch(&GetPGProcByNumber(procno)->procLatch);
}

/* Whether this party refused a message of the job `key` (see above); the party and why. */
bool
smpc_handover_rejected(const uint8 *key, int *from, SmpcStatus *why)
{
	SmpcHandoverJob *job;
	bool			 rejected = false;

	if (smpc_handover == NULL || smpc_own_jobs == 0)
		return false;
	LWLockAcquire(smpc_handover->lock, LW_SHARED);
	job = smpc_find_job(key, true);
	if (job != NULL && job->rejected_from >= 0)
	{
		*from = job->rejected_from;
		*why = job->rejection;
		rejected = true;
	}
	LWLockRelease(smpc_handover->lock);
	return rejected;
}

/*
 * The job ended here: calls still waiting for its messages get none. What
 * it posted stays for the calls still to come (a party's last message is
 * often collected after the job here has finished and its session ended).
 * A released job is remembered (smpc_handover_ended_here); a failed run's
 * job is not: a retry under the same id may begin here after a partner's
 * share arrived, and that call should wait for it as before.
 */
void
smpc_handover_end(const uint8 *key, bool released)
{
	SmpcHandoverJob *job;
	SmpcPickup		*pickups;
	int				 wake[64]; /* (runs on abort paths: no palloc) */
	int				 nwake = 0;

	if (smpc_handover == NULL)
		return;
	pickups = smpc_pickups();
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	job = smpc_find_job(key, true);
	if (job != NULL)
	{
		int k = smpc_handover->ended_next;

		job->used = false;
		smpc_own_jobs--;
		if (released)
		{
			smpc_handover->ended_db[k] = MyDatabaseId;
			memcpy(smpc_handover->ended[k], key, 32);
			smpc_handover->ended_next = (k + 1) % SMPC_HANDOVER_ENDED;
		}
		for (int i = 0; i < smpc_handover->n; i++)
		{
			if (pickups[i].state == SMPC_PICKUP_WAITING &&
				smpc_same_job(key, pickups[i].dbid, pickups[i].key))
			{
				pickups[i].state = SMPC_PICKUP_GONE;
				/* (Beyond 64, a call notices when its wait ends.) */
				if (nwake < (int) lengthof(wake))
					wake[nwake++] = pickups[i].procno;
			}
		}
	}
	LWLockRelease(smpc_handover->lock);
	for (int i = 0; i < nwake; i++)
		SetLatch(&GetPGProcByNumber(wake[i])->procLatch);
}

/*
 * The job `key` running in this backend is about to send party `to` a
 * message of `type`. Returns true when the message goes back with a call
 * of that party instead (one waits for it now, or, in an ordered job, will
 * come for it): do not send it. Otherwise false: send it. Either way the
 * message counts as sent, so calls that come later do not wait for it; the
 * check and the note are made under one lock, so a message is either handed
 * over or sent, never both or neither.
 */
bool
smpc_handover_offer(const uint8 *key, int to, int type, const uint8 *data, size_t len)
{
	SmpcHandoverJob *job;
	SmpcPickup		*p = NULL;
	int				 procno = -1;
	bool			 handed = false;

	if (smpc_handover == NULL || smpc_own_jobs == 0 || !smpc_handover_type(type, to))
		return false;
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	job = smpc_find_job(key, true);
	if (job != NULL)
	{
		p = smpc_find_pickup(key, to, type, SMPC_PICKUP_WAITING);
		if (p != NULL)
		{
			/* The call waits for it: fill it in, or (too large) let it go empty. */
			procno = p->procno;
			if (len > SMPC_HANDOVER_BYTES)
			{
				p->state = SMPC_PICKUP_GONE;
				p = NULL;
			}
		}
		else if (len <= SMPC_HANDOVER_BYTES && job->ordered && smpc_pair_caller(to, job->self) &&
				 !(job->refused[type] & (UINT64CONST(1) << to)) &&
				 !(job->sent[type] & (UINT64CONST(1) << to)))
		{
			/* (A second message for that party and round is sent: the receiver judges it.) */
			p = smpc_free_pickup();
			if (p != NULL)
			{
				p->dbid = MyDatabaseId;
				p->owner = 0;
				p->posted = GetCurrentTimestamp();
				memcpy(p->key, key, 32);
				p->to = to;
				p->type = type;
			}
		}
		if (p != NULL)
		{
			memcpy(p->data, data, len);
			p->len = (uint32) len;
			p->state = procno >= 0 ? SMPC_PICKUP_FILLED : SMPC_PICKUP_POSTED;
			handed = true;
		}
		job->sent[type] |= UINT64CONST(1) << to;
	}
	LWLockRelease(smpc_handover->lock);
	if (procno >= 0)
		SetLatch(&GetPGProcByNumber(procno)->procLatch);
	return handed;
}
