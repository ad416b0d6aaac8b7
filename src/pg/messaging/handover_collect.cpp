/*
 * Handover, the calls' side (handover.cpp explains the whole): a partner's
 * delivery call takes the message the job left for it, or waits a moment
 * for the job to hand it over.
 */
#include "pg/messaging/messaging.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

/*
 * A palloc'd bytea of a message copied out of a pickup into `data` (a
 * stack buffer of the caller), which is zeroed once copied.
 */
static bytea *
smpc_pickup_copy(uint8 *data, uint32 len)
{
	bytea *out = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), data, len);
	explicit_bzero(data, len);
	return out;
}

/*
 * Frees the waiting pickup `slot` and returns its message if it was filled
 * meanwhile. Otherwise, when the job still runs, it is told that this call
 * gave up, so it sends the message itself.
 */
static bytea *
smpc_pickup_release(int slot)
{
	SmpcPickup *p = &smpc_pickups()[slot];
	uint8		data[SMPC_HANDOVER_BYTES];
	uint32		len = 0;

	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	if (p->state == SMPC_PICKUP_FILLED)
	{
		len = p->len;
		memcpy(data, p->data, len);
	}
	else
	{
		SmpcHandoverJob *job = smpc_find_job(p->key, false);

		if (job != NULL)
			job->refused[p->type] |= UINT64CONST(1) << p->to;
	}
	smpc_pickup_free(p);
	LWLockRelease(smpc_handover->lock);
	return len > 0 ? smpc_pickup_copy(data, len) : NULL;
}

/*
 * The wait set of smpc_pickup_wait: the latch, postmaster death, and the
 * client's socket closing. Made once per backend (its latch and its
 * client's socket do not change), and kept only once complete: making it
 * can fail (file descriptors, epoll), and a set kept after a failed add
 * would stop watching the socket for the backend's life.
 */
static WaitEventSet *
smpc_pickup_wait_set(void)
{
	static WaitEventSet *kept = NULL;
	WaitEventSet		*set;
	pgsocket			 sock = smpc_client_socket();

	if (kept != NULL)
		return kept;
	set = CreateWaitEventSet(TopMemoryContext, 3);
	PG_TRY();
	{
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		if (sock != PGINVALID_SOCKET && WaitEventSetCanReportClosed())
			AddWaitEventToSet(set, WL_SOCKET_CLOSED, sock, NULL, NULL);
	}
	PG_CATCH();
	{
		FreeWaitEventSet(set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	kept = set;
	return kept;
}

/*
 * Waits up to wait_ms for pickup `slot` to be filled or given up by its job;
 * frees it and returns its message, if any. Interruptible. It also ends when
 * the caller's connection closes: a partner whose job failed or was
 * cancelled closes a connection with a call in flight, and its call here
 * (waiting up to 500 ms for a job that may never begin, or 5 s in an ordered
 * job's later rounds) should not hold this backend and its entry after that
 * (test/t/010_interrupts_parallel.pl: no backend still waiting once the
 * others learned of the cancel).
 */
static bytea *
smpc_pickup_wait(int slot, int wait_ms)
{
	SmpcPickup *pickups = smpc_pickups();
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);

	PG_TRY();
	{
		/* (Inside: a set that cannot be made releases the pickup like any error.) */
		WaitEventSet *set = smpc_pickup_wait_set();

		for (;;)
		{
			long remaining;
			int	 state;

			LWLockAcquire(smpc_handover->lock, LW_SHARED);
			state = pickups[slot].state;
			LWLockRelease(smpc_handover->lock);
			remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
			if (state != SMPC_PICKUP_WAITING || remaining <= 0)
				break;
			WaitEvent event;

			if (WaitEventSetWait(set, remaining, &event, 1, PG_WAIT_EXTENSION) == 1 &&
				(event.events & WL_SOCKET_CLOSED))
				break; /* the caller is gone: nobody takes the reply */
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		/* A message filled in meanwhile is lost with this call: its caller sees the error. */
		smpc_handover_abandon(slot);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return smpc_pickup_release(slot);
}

/*
 * How long a call waits for a job that has not begun here (lock held
 * exclusively; `p` is the call's pickup, its role set, marked here when
 * the wait is long).
 *
 * In an ordered job only one of a pair calls: when the called party's job
 * begins after the call gave up, it must send its share itself, over a
 * connection to the caller that its session may never have needed (a TLS
 * handshake and a login that cost more than a warm job). Parties' jobs do
 * not begin at once: at 25 parties on two cores the last begins a few
 * hundred ms after the first, and a warm session opened about 300 such
 * connections over its first 20 jobs. So a share from the pair's caller
 * waits SMPC_HANDOVER_EARLY_LONG_WAIT_MS (it ends as soon as the job
 * begins here). The wait holds a pickup entry (there are MaxBackends) for a
 * job that may never begin here: a partner's login role may hold at most a
 * quarter of them in long waits, as it may hold at most a quarter of the
 * inbox, and all roles together half, so that long waits leave half the
 * entries to other calls. (Shorter waits and posted messages are not
 * counted per role: a partner's connections and its jobs' rounds bound
 * them.) Calls beyond that wait SMPC_HANDOVER_EARLY_WAIT_MS, as every
 * other early call does; what that costs is a connection, not a job (with
 * no entry at all a call does not wait, and the job sends its message).
 */
static int
smpc_early_wait_ms(int type, bool pair_caller, SmpcPickup *p)
{
	SmpcPickup *pickups = smpc_pickups();
	int			held = 0;
	int			all = 0;

	if (type != SMPC_MSG_SHARE || !pair_caller)
		return SMPC_HANDOVER_EARLY_WAIT_MS;
	for (int i = 0; i < smpc_handover->n; i++)
		if (pickups[i].state == SMPC_PICKUP_WAITING && pickups[i].long_early)
		{
			all++;
			held += pickups[i].role == p->role;
		}
	if (held >= Max(1, smpc_handover->n / 4) || all >= Max(1, smpc_handover->n / 2))
		return SMPC_HANDOVER_EARLY_WAIT_MS;
	p->long_early = true;
	return SMPC_HANDOVER_EARLY_LONG_WAIT_MS;
}

/*
 * What a delivery call from party `from`, bringing a message of `type` for
 * job `key`, gets back or waits for (lock taken here). With take_posted, a
 * message the job left for the call is copied into *reply. Otherwise, when
 * the job runs here and has not sent it yet, a pickup is made for the call
 * to wait on (returned, with how long to wait in *wait_ms): for
 * SMPC_HANDOVER_WAIT_MS, or in an ordered job, where a lower party's call is
 * the only way the message travels after the share round, up to half of
 * smpc.timeout (at most 5 s; then the job is told to send it); when the job
 * has not begun here yet, smpc_early_wait_ms (not when it was released here
 * lately: smpc_handover_ended_here). -1: nothing to wait for (or, without
 * take_posted, a posted message to take later). pair_caller: the call is
 * the only way its pair's messages travel (deliver.cpp: an ordered job,
 * `from` the one of the pair that calls, and no run of the job here without
 * an entry). smpc_handover_finish's claim, made only when the first found
 * nothing to wait on, passes false: at most the short wait.
 */
static int
smpc_handover_claim(const uint8 *key, int from, int type, bool pair_caller, bool take_posted,
					bytea **reply, int *wait_ms)
{
	SmpcHandoverJob *job;
	SmpcPickup		*p;
	int				 found = -1;
	int				 wake_dead = -1;
	uint8			 data[SMPC_HANDOVER_BYTES];
	uint32			 len = 0;

	*reply = NULL;
	*wait_ms = SMPC_HANDOVER_WAIT_MS;
	if (smpc_handover == NULL || !smpc_handover_type(type, from))
		return -1;
	smpc_handover_register_exit();
	LWLockAcquire(smpc_handover->lock, LW_EXCLUSIVE);
	p = smpc_find_pickup(key, from, type, SMPC_PICKUP_POSTED);
	if (p != NULL)
	{
		if (take_posted)
		{
			len = p->len;
			memcpy(data, p->data, len);
			smpc_pickup_free(p);
		}
	}
	else if (((job = smpc_find_job(key, false)) == NULL && !smpc_handover_ended_here(key)) ||
			 (job != NULL && !(job->sent[type] & (UINT64CONST(1) << from))))
	{
		/*
		 * job NULL, and not released here lately: the job has not begun here
		 * yet (its session is still on its way to smpc_handover_begin), or
		 * a run of it failed here and a retry may come. The call waits a
		 * moment for it, as for a running job: its first offer of this type
		 * to `from` fills the pickup. Returning at once would leave this
		 * share filed, and the job, finding it, would send its own message
		 * itself (smpc_handover_called_early): in an ordered job over a
		 * connection to `from` that no earlier job of the session needed,
		 * whose TLS handshake and authentication cost more than the whole
		 * job.
		 */
		SmpcPickup *dead = smpc_find_pickup(key, from, type, SMPC_PICKUP_WAITING);

		/* An earlier call for the same message (its connection broke): this one waits instead. */
		if (dead != NULL)
		{
			dead->state = SMPC_PICKUP_GONE;
			wake_dead = dead->procno;
		}
		p = smpc_free_pickup();
		if (p == NULL)
		{
			/* No room to wait: the job, if it runs here, sends it. */
			if (job != NULL)
				job->refused[type] |= UINT64CONST(1) << from;
		}
		else
		{
			p->long_early = false;
			p->role = GetAuthenticatedUserId();
			if (job == NULL)
				*wait_ms = smpc_early_wait_ms(type, pair_caller, p);
			else if (job->ordered && smpc_pair_caller(from, job->self))
				*wait_ms = Min(smpc_timeout_ms / 2, 5000);
			p->state = SMPC_PICKUP_WAITING;
			p->dbid = MyDatabaseId;
			p->owner = MyProcPid;
			p->procno = MyProc->pgprocno;
			memcpy(p->key, key, 32);
			p->to = from;
			p->type = type;
			p->len = 0;
			found = (int) (p - smpc_pickups());
			smpc_handover->waits++;
			if (job == NULL)
				smpc_handover->early_waits++;
			if (p->long_early)
				smpc_handover->long_early_waits++;
		}
	}
	LWLockRelease(smpc_handover->lock);
	if (wake_dead >= 0)
		SetLatch(&GetPGProcByNumber(wake_dead)->procLatch);
	if (len > 0)
		*reply = smpc_pickup_copy(data, len);
	return found;
}

/*
 * A delivery call from party `from` brought a message of `type` for job
 * `key`: it gets the job's own message of that type for `from` when the job
 * left it here, or waits for it (see smpc_handover_claim), in two steps
 * around filing the call's message. smpc_handover_prepare makes the pickup
 * before the message is filed, so a job that begins here in between and
 * finds the message filed finds the call waiting too, and hands its message
 * over. (With the pickup made after the filing, such a job took the call
 * for one that had returned without its message, smpc_handover_called_early,
 * and sent the message itself, over a connection its session had not needed
 * before: in a 25-party federation on two cores, about 20 new TLS
 * connections in every warm job.) smpc_handover_finish then waits on the
 * pickup, or, without one, takes what the job posted (NULL when there is
 * none). A filing that fails releases the pickup (smpc_handover_abandon);
 * the job, if it runs, then sends its message.
 */
int
smpc_handover_prepare(const uint8 *key, int from, int type, bool pair_caller, int *wait_ms)
{
	bytea *none;

	return smpc_handover_claim(key, from, type, pair_caller, false, &none, wait_ms);
}

bytea *
smpc_handover_finish(int slot, int wait_ms, const uint8 *key, int from, int type)
{
	bytea *posted = NULL;

	if (slot < 0)
		slot = smpc_handover_claim(key, from, type, false, true, &posted, &wait_ms);
	if (slot < 0)
		return posted;
	return smpc_pickup_wait(slot, wait_ms);
}

/* Frees a pickup the call no longer waits on, zeroing a message filled in meanwhile. */
void
smpc_handover_abandon(int slot)
{
	bytea *filled;

	if (slot < 0)
		return;
	filled = smpc_pickup_release(slot);
	if (filled != NULL)
	{
		explicit_bzero(VARDATA(filled), VARSIZE(filled) - VARHDRSZ);
		pfree(filled);
	}
}

#ifdef SMPC_TEST_BUILD
extern "C" {
PGDLLEXPORT Datum smpc_test_handover_waits(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_test_handover_waits);
PGDLLEXPORT Datum smpc_test_handover_long_waits(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_test_handover_long_waits);
PGDLLEXPORT Datum smpc_test_handover_entries(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_test_handover_entries);
}

/* Test builds: one of the handover's counters, read under its lock (smpc_handover set). */
static Datum
smpc_handover_counter(const uint64 *counter)
{
	uint64 n;

	LWLockAcquire(smpc_handover->lock, LW_SHARED);
	n = *counter;
	LWLockRelease(smpc_handover->lock);
	return Int64GetDatum((int64) n);
}

/*
 * Test builds: how many delivery calls have waited here for a job's own
 * message since the server started; with an argument true, only those for
 * a job that was not running here. No install script declares it; the TAP
 * tests that use it do (CREATE FUNCTION ... AS 'smpc',
 * 'smpc_test_handover_waits').
 */
Datum
smpc_test_handover_waits(PG_FUNCTION_ARGS)
{
	bool early = PG_NARGS() > 0 && PG_GETARG_BOOL(0);

	if (smpc_handover == NULL)
		PG_RETURN_INT64(0);
	return smpc_handover_counter(early ? &smpc_handover->early_waits : &smpc_handover->waits);
}

/* Test builds: how many of the waits for a job not running here were long ones. */
Datum
smpc_test_handover_long_waits(PG_FUNCTION_ARGS)
{
	if (smpc_handover == NULL)
		PG_RETURN_INT64(0);
	return smpc_handover_counter(&smpc_handover->long_early_waits);
}

/* Test builds: how many pickup entries there are (MaxBackends). */
Datum
smpc_test_handover_entries(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(smpc_handover != NULL ? smpc_handover->n : 0);
}

/* Test builds: bytes that are not zero in free entries (see smpc_test_shmem_residue). */
uint64
smpc_handover_residue(void)
{
	SmpcPickup *pickups;
	uint64		nonzero = 0;

	if (smpc_handover == NULL)
		return 0;
	pickups = smpc_pickups();
	LWLockAcquire(smpc_handover->lock, LW_SHARED);
	for (int i = 0; i < smpc_handover->n; i++)
		if (pickups[i].state == SMPC_PICKUP_FREE || pickups[i].state == SMPC_PICKUP_GONE)
			for (size_t k = 0; k < sizeof pickups[i].data; k++)
				nonzero += pickups[i].data[k] != 0;
	LWLockRelease(smpc_handover->lock);
	return nonzero;
}
#endif
