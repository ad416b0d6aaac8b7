/*
 * Filing a partner's message in the inbox (inbox.cpp holds the layout, the
 * claims and the taking), within limits that keep one partner from taking
 * the inbox from everyone else, whatever state the job it names is in:
 *
 *   - a job that ended here (released, its claim held until the
 *     transaction ends) takes nothing more: its messages are refused, and
 *     those filed are evicted when the claim ends (smpc_inbox_unregister);
 *   - one run of one job sends a party one message of each type; per
 *     sender, job, run and type at most two are filed (the second one is
 *     the evidence of a partner that equivocates, or an honest resend);
 *   - a partner's login role holds at most a quarter of the slots, for jobs
 *     running here or not;
 *   - what no job here can take any more is evicted (smpc_inbox_evict_dead):
 *     messages for a job that failed or was refused here, and of a
 *     partner's run whose abort is here; an abort for a job that failed
 *     here is not filed at all.
 *
 * When the inbox is full all the same (four partners at their quarter, or
 * large honest messages), the refusal is noted for the job it was for, and
 * the job here fails at once saying so (smpc_inbox_refused), instead of
 * timing out and blaming the partner whose message it could not take.
 */
#include "pg/messaging/messaging.h"

extern "C" {
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/timestamp.h"
}

/* Messages of one sender, job, run and type filed at once, at most. */
#define SMPC_PER_RUN_AND_TYPE 2
/*
 * Blinded sets (set jobs): a partner hands on one set per party of the
 * ring, so up to one per party (64 at most), each perhaps sent twice.
 */
#define SMPC_PER_RUN_BLINDED (2 * 64)
/* Messages for jobs not running here older than this may be evicted when the inbox is full. */
#define SMPC_UNCLAIMED_MAX_AGE_MS (10 * 60 * 1000)

/* Whether a job here has claimed the message in slot `slot` (lock held). */
static bool
smpc_slot_claimed(const SmpcWaiter *w, const SmpcSlot *slot)
{
	for (int j = 0; j < smpc_inbox->nwaiters; j++)
		if (w[j].used && w[j].dbid == slot->dbid && memcmp(w[j].key, slot->key, 32) == 0)
			return true;
	return false;
}

/* Slots held by messages of role `role` (lock held). */
static int
smpc_slots_of(Oid role)
{
	SmpcSlot *s = smpc_slots();
	int		  n = 0;

	for (int i = 0; i < smpc_inbox->slots_hi; i++)
		n += s[i].used && s[i].from_role == role;
	return n;
}

/*
 * Notes that a message of `sender` for job key was refused for a full inbox
 * (with the role holding the most slots) or because its role holds its
 * quarter (that role: over, with its slots held), lock held exclusively.
 * The oldest note makes room.
 */
static void
smpc_note_refusal(const uint8 *key, int sender, TimestampTz now, Oid over, int over_held)
{
	SmpcSlot	*s = smpc_slots();
	SmpcRefusal *r = smpc_inbox->refusals;
	int			 use = 0;
	int			 in_use = 0;
	Oid			 holder = InvalidOid;
	int			 held = 0;

	/* Slots per role, counted in one pass (partners' roles are few). */
	Oid *roles = (Oid *) palloc(sizeof(Oid) * Max(smpc_inbox->slots_hi, 1));
	int *counts = (int *) palloc0(sizeof(int) * Max(smpc_inbox->slots_hi, 1));
	int	 nroles = 0;

	for (int i = 0; i < smpc_inbox->slots_hi; i++)
	{
		int k = 0;

		if (!s[i].used)
			continue;
		in_use++;
		while (k < nroles && roles[k] != s[i].from_role)
			k++;
		if (k == nroles)
			roles[nroles++] = s[i].from_role;
		counts[k]++;
	}
	if (OidIsValid(over))
	{
		holder = over;
		held = over_held;
	}
	else
		for (int k = 0; k < nroles; k++)
			if (counts[k] > held)
			{
				held = counts[k];
				holder = roles[k];
			}
	pfree(roles);
	pfree(counts);
	for (int i = 0; i < SMPC_INBOX_REFUSALS; i++)
	{
		if (SMPC_MATCHES(r[i], key) || !r[i].used)
		{
			use = i;
			break;
		}
		if (r[i].at < r[use].at)
			use = i;
	}
	r[use].used = true;
	r[use].dbid = MyDatabaseId;
	memcpy(r[use].key, key, 32);
	r[use].at = now;
	r[use].what.sender = sender;
	r[use].what.holder = holder;
	r[use].what.held = held;
	r[use].what.in_use = in_use;
	r[use].what.nslots = smpc_inbox->nslots;
}

/*
 * Whether a message for this database's job key was refused for a full
 * inbox (or a partner's full quarter of it) at `since` or later; if so,
 * what the note says.
 */
bool
smpc_inbox_refused(const uint8 *key, TimestampTz since, SmpcInboxFull *out)
{
	SmpcRefusal *r;
	bool		 found = false;

	smpc_inbox_require();
	r = smpc_inbox->refusals;
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	for (int i = 0; i < SMPC_INBOX_REFUSALS && !found; i++)
		if (SMPC_MATCHES(r[i], key) && r[i].at >= since)
		{
			*out = r[i].what;
			found = true;
		}
	LWLockRelease(smpc_inbox->lock);
	return found;
}

/* Why a message is refused before it is filed (smpc_inbox_file). */
typedef enum SmpcFileRefusal
{
	SMPC_FILE_OK,
	SMPC_FILE_SHARES_CLOSED, /* the job's share round is over */
	SMPC_FILE_ENDED,		 /* the job ended here */
	SMPC_FILE_RUN_FULL,		 /* the sender's run already filed its messages of the type */
	SMPC_FILE_UNCLAIMED,	 /* the role's quarter, with messages for jobs not running here */
	SMPC_FILE_QUARTER,		 /* the role's quarter, with a job running here */
	SMPC_FILE_DEAD			 /* taken but not filed: an abort for a job that failed here */
} SmpcFileRefusal;

/*
 * The checks before filing (lock held exclusively): the job's state here,
 * the sender's run, the role's quarter. Sets *waiter_procno (the job's
 * backend, or -1), *held (the role's slots) and, for an ended job, its id.
 */
static SmpcFileRefusal
smpc_file_check(const uint8 *key, const SmpcMessageInfo *info, int nparts, Oid from,
				int *waiter_procno, int *held, char *job_id)
{
	SmpcWaiter *w = smpc_waiters();
	SmpcSlot   *s = smpc_slots();
	int			same_run = 0;
	bool		abort_unclaimed;

	*waiter_procno = -1;
	for (int i = 0; i < smpc_inbox->nwaiters; i++)
	{
		if (!SMPC_MATCHES(w[i], key))
			continue;
		if (smpc_status_of(i)->state == SMPC_JOB_ENDED)
		{
			strlcpy(job_id, smpc_status_of(i)->job_id, 256);
			return SMPC_FILE_ENDED;
		}
		if (info->type == SMPC_MSG_SHARE && w[i].shares_closed)
			return SMPC_FILE_SHARES_CLOSED;
		*waiter_procno = w[i].procno;
	}
	/*
	 * The sender's abort for a job no backend here runs: its other messages
	 * of that run are dead (a job that starts here later needs only the
	 * abort, to learn that the run died).
	 */
	abort_unclaimed = info->type == SMPC_MSG_ABORT && *waiter_procno < 0;
	for (int i = 0; i < smpc_inbox->slots_hi; i++)
	{
		if (!SMPC_MATCHES(s[i], key) || s[i].sender != info->sender)
			continue;
		if (memcmp(s[i].nonce, info->nonce, 16) != 0)
		{
			/* A share of a new run replaces the sender's messages of an earlier run (a retry). */
			if (info->type == SMPC_MSG_SHARE)
				smpc_slot_free(i);
		}
		else if (abort_unclaimed && s[i].type != SMPC_MSG_ABORT)
			smpc_slot_free(i);
		else if (s[i].type == info->type && s[i].part == 0)
			same_run++;
	}
	if (same_run >= (info->type == SMPC_MSG_BLINDED ? SMPC_PER_RUN_BLINDED : SMPC_PER_RUN_AND_TYPE))
		return SMPC_FILE_RUN_FULL;
	/*
	 * And when the job failed here (or was refused), nothing here needs the
	 * abort either: a retry here works with the partner's next run. Without
	 * this, the aborts that come after a job failed here held the partner's
	 * quarter until they aged out, and the partner's next jobs failed.
	 */
	if (abort_unclaimed && smpc_inbox_run_ended != NULL && smpc_inbox_run_ended(key, -1, NULL))
		return SMPC_FILE_DEAD;
	*held = smpc_slots_of(from);
	if (*held + nparts > smpc_inbox->nslots / SMPC_INBOX_SHARE_PER_ROLE &&
		smpc_inbox_evict_dead(from) > 0)
		*held = smpc_slots_of(from);
	if (*held + nparts > smpc_inbox->nslots / SMPC_INBOX_SHARE_PER_ROLE)
		return *waiter_procno < 0 ? SMPC_FILE_UNCLAIMED : SMPC_FILE_QUARTER;
	return SMPC_FILE_OK;
}

/*
 * Evicts the messages of role `from` (InvalidOid: of every role) that no job
 * here can take any more (lock held exclusively): those for a job not
 * running here that failed or was refused here (smpc_ended_job_record; only
 * a retry could take them, and a retry ignores the runs the failed one knew
 * of; a partner's retry sends its share again), and those of a partner's
 * run whose abort is here (the run is dead; smpc_file_check drops them at
 * once when the abort comes for a job no backend here runs). Without this, an honest partner's leftovers of failed jobs filled
 * its quarter within seconds under load and every later job with it failed
 * until they aged out. Returns the slots freed.
 *
 * Each message is judged once, by its first slot, and the aborts filed are
 * sorted first and looked up: with hundreds of thousands of slots (a
 * million-key set takes 5,000), a scan of every slot against every other
 * under the exclusive lock took seconds, and a partner could make every
 * delivery here run one.
 */

/* A partner's run, as its messages' slots name it: what an abort kills. */
typedef struct SmpcRunName
{
	uint8 bytes[4 + 4 + 32 + 16]; /* database, sender, job key, run nonce */
} SmpcRunName;

static void
smpc_run_name(const SmpcSlot *slot, SmpcRunName *out)
{
	int32 sender = slot->sender;

	memcpy(out->bytes, &slot->dbid, 4);
	memcpy(out->bytes + 4, &sender, 4);
	memcpy(out->bytes + 8, slot->key, 32);
	memcpy(out->bytes + 40, slot->nonce, 16);
}

static int
smpc_run_name_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(SmpcRunName));
}

static int
smpc_seq_cmp(const void *a, const void *b)
{
	uint64 x = *(const uint64 *) a;
	uint64 y = *(const uint64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static int
smpc_key32_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/*
 * Every question of the scan below is answered from sorted lists made once
 * (the aborts, the jobs claimed here, the jobs that failed here), not by a
 * search per message: a partner over its quarter makes this scan on every
 * delivery, under the inbox's exclusive lock, and with smpc.max_messages
 * raised for large set jobs its quarter is thousands of messages, each of
 * which searched every waiting job and every ended run.
 */
int
smpc_inbox_evict_dead(Oid from)
{
	SmpcWaiter	*w = smpc_waiters();
	SmpcSlot	*s = smpc_slots();
	int			 hi = smpc_inbox->slots_hi;
	int			 freed = 0;
	int			 naborts = 0;
	int			 ndead = 0;
	int			 nclaimed = 0;
	int			 nended = 0;
	SmpcRunName *aborts;
	uint64		*dead;
	uint8		*claimed;
	uint8		*ended = NULL;

	if (hi == 0)
		return 0;
	aborts = (SmpcRunName *) palloc(sizeof(SmpcRunName) * hi);
	dead = (uint64 *) palloc(sizeof(uint64) * hi);
	claimed = (uint8 *) palloc(32 * Max(1, smpc_inbox->nwaiters));
	for (int i = 0; i < hi; i++)
		if (s[i].used && s[i].part == 0 && s[i].type == SMPC_MSG_ABORT)
			smpc_run_name(&s[i], &aborts[naborts++]);
	qsort(aborts, naborts, sizeof(SmpcRunName), smpc_run_name_cmp);
	/* (Only this database's messages are looked at: its jobs' claims.) */
	for (int j = 0; j < smpc_inbox->nwaiters; j++)
		if (w[j].used && w[j].dbid == MyDatabaseId)
			memcpy(claimed + 32 * nclaimed++, w[j].key, 32);
	qsort(claimed, nclaimed, 32, smpc_key32_cmp);
	if (smpc_inbox_ended_keys != NULL)
		nended = smpc_inbox_ended_keys(&ended);
	if (nended > 0)
		qsort(ended, nended, 32, smpc_key32_cmp);
	for (int i = 0; i < hi; i++)
	{
		SmpcRunName run;
		bool		is_dead;

		if (!s[i].used || s[i].part != 0 || (OidIsValid(from) && s[i].from_role != from) ||
			s[i].dbid != MyDatabaseId ||
			bsearch(s[i].key, claimed, nclaimed, 32, smpc_key32_cmp) != NULL)
			continue;
		is_dead = nended > 0 && bsearch(s[i].key, ended, nended, 32, smpc_key32_cmp) != NULL;
		if (!is_dead && naborts > 0)
		{
			/* An abort kills its run's other messages, and a second abort of it. */
			SmpcRunName *at;

			smpc_run_name(&s[i], &run);
			at = (SmpcRunName *) bsearch(&run, aborts, naborts, sizeof(SmpcRunName),
										 smpc_run_name_cmp);
			if (at != NULL && s[i].type == SMPC_MSG_ABORT)
				is_dead = (at > aborts && smpc_run_name_cmp(at - 1, &run) == 0) ||
						  (at + 1 < aborts + naborts && smpc_run_name_cmp(at + 1, &run) == 0);
			else
				is_dead = at != NULL;
		}
		if (is_dead)
			dead[ndead++] = s[i].seq;
	}
	if (ndead > 0)
	{
		qsort(dead, ndead, sizeof(uint64), smpc_seq_cmp);
		for (int i = 0; i < hi; i++)
			if (s[i].used && bsearch(&s[i].seq, dead, ndead, sizeof(uint64), smpc_seq_cmp) != NULL)
			{
				smpc_slot_free(i);
				freed++;
			}
	}
	pfree(aborts);
	pfree(dead);
	pfree(claimed);
	if (ended != NULL)
		pfree(ended);
	return freed;
}

void
smpc_inbox_note_log_refusal(const char *role, const char *setting)
{
	if (smpc_inbox == NULL)
		return;
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	smpc_inbox->log_refused_at = GetCurrentTimestamp();
	smpc_inbox->log_refused_db = MyDatabaseId;
	strlcpy(smpc_inbox->log_refused_role, role, sizeof(smpc_inbox->log_refused_role));
	strlcpy(smpc_inbox->log_refused_setting, setting, sizeof(smpc_inbox->log_refused_setting));
	LWLockRelease(smpc_inbox->lock);
}

/* role: NAMEDATALEN bytes, setting: 72. */
bool
smpc_inbox_log_refused_since(TimestampTz since, char *role, char *setting)
{
	bool found;

	if (smpc_inbox == NULL)
		return false;
	LWLockAcquire(smpc_inbox->lock, LW_SHARED);
	found = smpc_inbox->log_refused_db == MyDatabaseId && smpc_inbox->log_refused_at >= since &&
			smpc_inbox->log_refused_at != 0;
	if (found)
	{
		strlcpy(role, smpc_inbox->log_refused_role, NAMEDATALEN);
		strlcpy(setting, smpc_inbox->log_refused_setting, 72);
	}
	LWLockRelease(smpc_inbox->lock);
	return found;
}

/*
 * Finds nparts free slots, evicting the oldest messages for jobs not
 * running here that are older than SMPC_UNCLAIMED_MAX_AGE_MS if need be
 * (lock held exclusively). Returns how many it found.
 */
static int
smpc_free_slots(int *targets, int nparts, TimestampTz now)
{
	SmpcWaiter *w = smpc_waiters();
	SmpcSlot   *s = smpc_slots();
	int			nfree = 0;

	for (int i = 0; i < smpc_inbox->nslots && nfree < nparts; i++)
		if (!s[i].used)
			targets[nfree++] = i;
	while (nfree < nparts)
	{
		int	   oldest = -1;
		uint64 gone;

		for (int i = 0; i < smpc_inbox->slots_hi; i++)
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
		gone = s[oldest].seq;
		for (int i = 0; i < smpc_inbox->slots_hi; i++)
			if (s[i].used && s[i].seq == gone)
			{
				smpc_slot_free(i);
				if (nfree < nparts)
					targets[nfree++] = i;
			}
	}
	return nfree;
}

/* Copies the message into the slots `targets` (lock held exclusively). */
static void
smpc_fill_slots(const int *targets, int nparts, const uint8 *key, const SmpcMessageInfo *info,
				const uint8 *data, size_t len, Oid from, TimestampTz now)
{
	SmpcSlot *s = smpc_slots();
	uint64	  seq = smpc_inbox->next_seq++;

	for (int k = 0; k < nparts; k++)
	{
		SmpcSlot *slot = &s[targets[k]];
		size_t	  off = (size_t) k * SMPC_INBOX_SLOT_BYTES;

		slot->used = true;
		slot->dbid = MyDatabaseId;
		slot->from_role = from;
		memcpy(slot->key, key, 32);
		slot->sender = info->sender;
		slot->type = info->type;
		memcpy(slot->nonce, info->nonce, 16);
		slot->seq = seq;
		slot->received = now;
		slot->total = (uint32) len;
		slot->part = (uint16) k;
		slot->len = (uint32) Min(len - off, (size_t) SMPC_INBOX_SLOT_BYTES);
		memcpy(smpc_slot_data(targets[k]), data + off, slot->len);
		smpc_inbox->slots_hi = Max(smpc_inbox->slots_hi, targets[k] + 1);
	}
}

/* The role's name for an error, or its number when it is gone. */
static const char *
smpc_role_name(Oid role)
{
	const char *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("%u", role);
}

/*
 * Files a message and wakes the backend waiting for its job, if any, within
 * the limits at the top of this file. An abort for a job no local backend
 * is running is kept too (unless the job failed here already): when this
 * party starts the job later, it learns that the partner's run died, waits
 * for a retry instead, and says why if none comes. (The job itself also
 * ignores messages of other runs, see protocol/aggregation_job.hpp.)
 */
void
smpc_inbox_file(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data, size_t len,
				const char *sender, Oid from)
{
	int				nparts;
	int			   *targets;
	int				nfree = 0;
	int				held = 0;
	int				in_use = 0;
	int				waiter_procno = -1;
	char			ended_id[256];
	SmpcFileRefusal why;
	TimestampTz		now = GetCurrentTimestamp();

	smpc_inbox_require();
	if (len > SMPC_MAX_MESSAGE_BYTES || len == 0)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("smpc message of %zu bytes exceeds the limit of %d bytes", len,
					   SMPC_MAX_MESSAGE_BYTES));
	/* A message of a partner's run that ended here: nothing here would take it. */
	if (smpc_inbox_run_ended != NULL && smpc_inbox_run_ended(key, info->sender, info->nonce))
		return;
	nparts = (int) ((len + SMPC_INBOX_SLOT_BYTES - 1) / SMPC_INBOX_SLOT_BYTES);
	targets = (int *) palloc(sizeof(int) * nparts);
	LWLockAcquire(smpc_inbox->lock, LW_EXCLUSIVE);
	why = smpc_file_check(key, info, nparts, from, &waiter_procno, &held, ended_id);
	if (why == SMPC_FILE_DEAD)
	{
		LWLockRelease(smpc_inbox->lock);
		pfree(targets);
		return;
	}
	if (why == SMPC_FILE_OK)
	{
		nfree = smpc_free_slots(targets, nparts, now);
		if (nfree == nparts)
			smpc_fill_slots(targets, nparts, key, info, data, len, from, now);
		else
		{
			smpc_note_refusal(key, info->sender, now, InvalidOid, 0);
			for (int i = 0; i < smpc_inbox->slots_hi; i++)
				in_use += smpc_slots()[i].used;
		}
	}
	else if (why == SMPC_FILE_UNCLAIMED || why == SMPC_FILE_QUARTER)
		smpc_note_refusal(key, info->sender, now, from, held);
	LWLockRelease(smpc_inbox->lock);
	/* The job here, if it runs, learns why from smpc_inbox_refused. */
	if (waiter_procno >= 0 && (why != SMPC_FILE_OK || nfree < nparts))
		SetLatch(&GetPGProcByNumber(waiter_procno)->procLatch);

	switch (why)
	{
		case SMPC_FILE_OK:
		case SMPC_FILE_DEAD:
			break;
		case SMPC_FILE_ENDED:
			ereport(
				ERROR, errcode(ERRCODE_SMPC_JOB_RELEASED),
				errmsg("job \"%s\" was already released here and takes no more messages", ended_id),
				errdetail("Its transaction is still open here; a released job's messages are "
						  "refused."));
			break;
		case SMPC_FILE_SHARES_CLOSED:
			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_NOT_RUNNING),
					errmsg("the job here takes no more shares: its share round is over"),
					errdetail("This party went on without the inputs whose shares had not come "
							  "within smpc.timeout."),
					errhint("The job goes on without this input; run it again (with a new job id "
							"if it released) to include it."));
			break;
		case SMPC_FILE_RUN_FULL:
			ereport(ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
					errmsg("party \"%s\" already delivered %d %s messages of this run of job "
						   "\"%s\"",
						   sender, SMPC_PER_RUN_AND_TYPE, smpc_message_type_name(info->type),
						   pnstrdup((const char *) data + info->job_id_offset, info->job_id_len)),
					errdetail("A run sends a party one message of each type."));
			break;
		case SMPC_FILE_UNCLAIMED:
			ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("too many messages from this partner wait for jobs that have not "
						   "started here"),
					errdetail("%d message slots hold messages from role \"%s\"; the limit is a "
							  "quarter of smpc.max_messages.",
							  held, smpc_role_name(from)),
					errhint("Start the waiting jobs here, or raise smpc.max_messages."));
			break;
		case SMPC_FILE_QUARTER:
			ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("inbox full at this party for messages of party \"%s\": role \"%s\" "
						   "holds %d of its %d message slots, a quarter",
						   sender, smpc_role_name(from), held, smpc_inbox->nslots),
					errdetail("A message of %zu bytes needs %d more; a partner's login role may "
							  "hold a quarter of the slots.",
							  len, nparts),
					errhint("Run fewer jobs with this party at once, or raise smpc.max_messages."));
			break;
	}
	if (nfree < nparts)
		ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED), errmsg("smpc inbox is full"),
				errdetail("A message of %zu bytes needs %d of the %d message slots; %d are in use, "
						  "%d of them by messages from this partner.",
						  len, nparts, smpc_max_messages, in_use, held),
				errhint("The job fails at this party too, saying so; its DBA may raise "
						"smpc.max_messages (server restart)."));
	pfree(targets);
	if (waiter_procno >= 0)
		SetLatch(&GetPGProcByNumber(waiter_procno)->procLatch);
}

/* smpc_inbox_file for a message delivered by this session's login role. */
void
smpc_inbox_put(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data, size_t len)
{
	smpc_inbox_file(key, info, data, len, psprintf("#%d", info->sender), GetAuthenticatedUserId());
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
	for (int i = 0; i < smpc_inbox->slots_hi; i++)
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
