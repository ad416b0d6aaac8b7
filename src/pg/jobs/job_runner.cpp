/*
 * Running one secure job: check the partners, claim the job id, exchange
 * with the partners, hand the released result to job_records.cpp.
 *
 * The protocol itself is the C++ state machine behind bridge/core_api.hpp;
 * this file is its I/O loop. It is written in C style: the job handle is a
 * raw pointer freed in PG_CATCH and on success, and every PostgreSQL call
 * (waits, libpq, shared memory) happens here, with no C++ frame below us
 * that an ereport() could unwind.
 *
 * Job ids: the job is claimed in shared memory before any message leaves (a
 * second session running it here is refused) and stays claimed until the
 * transaction ends. A released job id is never computed again: running it
 * again returns the stored result (job_records.cpp). A job that fails leaves
 * no row, so it can simply be run again.
 *
 * Deadlines: round r (1-based) of a job started at time s and entered at
 * time e waits until max(e + smpc.timeout, s + r * smpc.timeout). A party
 * that is ahead of a partner still timing out an earlier round thus waits
 * for it instead of giving up on it. A job that tolerates dropouts (Shamir
 * sharing, the delegated and hybrid models) then goes on without partners
 * that did not answer or cannot be reached, as long as enough remain.
 */
#include "pg/jobs/jobs.h"
#include "net/peer.h"
#include "pg/datasets/datasets.h"

extern "C" {
#include "access/parallel.h"
#include "common/shortest_dec.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"
}

#define SMPC_ABORT_NOTICE_MS 1000

const char *smpc_job_initiator = NULL;
/* The privacy charge of the job this backend runs, if any (privacy.cpp). */
static SmpcPrivacyCharge smpc_charge;
static volatile bool smpc_charged = false;
const char *smpc_job_dataset = NULL;
bool		smpc_job_entered = false;
bool		smpc_job_exchanged = false;
/* How long a job waits for the reason of a partner that says it ended. */
#define SMPC_GONE_GRACE_MS 1000

/*
 * The job this backend exchanges messages for: what recording its spent
 * job id needs (spent_ids.cpp), and whether that is done.
 */
static struct
{
	const char *job_id;
	const char *descriptor;
	bool		spent;
} smpc_run;

__int128 *
smpc_alloc_values(int n)
{
	char	   *raw = (char *) palloc0(sizeof(__int128) * (Size) Max(n, 1) + 16);

	return (__int128 *) TYPEALIGN(16, raw);
}

static char *
smpc_format_timeout(void)
{
	if (smpc_timeout_ms % 1000 == 0)
		return psprintf("%d s", smpc_timeout_ms / 1000);
	return psprintf("%d ms", smpc_timeout_ms);
}

/* The deadline of the job's current round (see the file header). */
static TimestampTz
smpc_round_deadline(TimestampTz job_start, int round)
{
	TimestampTz by_entry = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), smpc_timeout_ms);
	TimestampTz by_round = TimestampTzPlusMilliseconds(job_start,
													   (int64) smpc_timeout_ms * Max(round, 1));

	return Max(by_entry, by_round);
}

/*
 * Sends everything in the job's outbox and clears it. Messages to different
 * partners go out in parallel; several messages to one partner (a partial
 * and a confirm produced by the same step) share its connection, so they go
 * in successive batches, in order. Messages to parties without a server
 * (aborts to data owners this party never talks to) are skipped. With
 * SMPC_SEND_TOLERANT, an unreachable partner is marked in *unreachable
 * (bit per party) with its failure in failures[party].
 */
static void
smpc_flush_outbox(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
				  TimestampTz deadline, SmpcSendMode mode, uint64 *unreachable, char **failures,
				  int *codes)
{
	int			n = smpc_job_outbox_size(job);
	SmpcSend   *sends;
	int		   *dest;
	int		   *types;
	bool	   *sent;
	bool	   *in_batch;
	int			nsent = 0;

	if (n == 0)
		return;
	sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * n);
	dest = (int *) palloc0(sizeof(int) * n);
	types = (int *) palloc0(sizeof(int) * n);
	sent = (bool *) palloc0(sizeof(bool) * n);
	in_batch = (bool *) palloc(sizeof(bool) * fed->nparties);
	for (int i = 0; i < n; i++)
	{
		int			to;
		const uint8_t *data;
		size_t		len;

		smpc_job_outbox_item(job, i, &to, &data, &len);
		if ((mode == SMPC_SEND_BEST_EFFORT && !smpc_peer_has_server(fed->parties[to])) ||
			(key != NULL && len > 5 && smpc_handover_offer(key, to, data[5], data, len)))
		{
			/* (Or handed back on the partner's own call, which waits for it.) */
			sent[i] = true;
			nsent++;
		}
	}
	while (nsent < n)
	{
		int			nbatch = 0;

		memset(in_batch, 0, sizeof(bool) * fed->nparties);
		for (int i = 0; i < n; i++)
		{
			int			to;
			const uint8_t *data;
			size_t		len;

			if (sent[i])
				continue;
			smpc_job_outbox_item(job, i, &to, &data, &len);
			/* After a failure, a partner gets nothing more from this flush. */
			if (unreachable && (*unreachable & (UINT64CONST(1) << to)))
			{
				sent[i] = true;
				nsent++;
				continue;
			}
			if (in_batch[to])
				continue;
			in_batch[to] = true;
			sent[i] = true;
			sends[nbatch].party = fed->parties[to];
			sends[nbatch].data = data;
			sends[nbatch].len = len;
			/* e.g. "round 2 (count)", for errors */
			sends[nbatch].what = (char *) palloc(64);
			smpc_job_round_name(job, data[5], (char *) sends[nbatch].what, 64);
			dest[nbatch] = to;
			types[nbatch] = data[5];
			nbatch++;
		}
		if (nbatch == 0)
			break;
		smpc_peer_send_all(sends, nbatch, deadline, mode);
		for (int b = 0; b < nbatch; b++)
		{
			if (sends[b].failure && unreachable)
			{
				*unreachable |= UINT64CONST(1) << dest[b];
				failures[dest[b]] = sends[b].failure;
				codes[dest[b]] = sends[b].failure_code;
			}
			/* The partner's message of the round, handed back: into the inbox. */
			if (sends[b].reply != NULL && key != NULL)
				smpc_receive_reply(fed, key, dest[b], sends[b].reply, sends[b].reply_len);
			if (sends[b].reply != NULL)
				explicit_bzero(sends[b].reply, sends[b].reply_len);
			/* A share its server accepted: it may not leave this input out. */
			if (sends[b].failure == NULL && types[b] == SMPC_MSG_SHARE)
				smpc_job_acknowledged(job, dest[b]);
		}
		nsent += nbatch;
	}
	smpc_job_outbox_clear(job);
	pfree(sends);
	pfree(dest);
	pfree(types);
	pfree(sent);
	pfree(in_batch);
}

/*
 * The reason sent to partners when this party aborts. Errors of the
 * protocol itself (timeouts, mismatches, a partner's abort) are shared as
 * they are, since partners need them to understand the failure; any other
 * local error is reduced to its SQLSTATE, so that nothing about this party's
 * data or configuration leaves in an error text.
 */
static char *
smpc_abort_reason(const SmpcFederationRow *fed, const ErrorData *edata)
{
	char		code[6];

	memcpy(code, unpack_sql_state(edata->sqlerrcode), 6);
	if (code[0] == 'S' && code[1] == 'M')
		return pstrdup(edata->message);
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		return psprintf("the job was cancelled at party %s", fed->self_name);
	/*
	 * A partner this party could not reach: partners that do not call that
	 * one themselves (handover.cpp) learn it only this way. The message
	 * names the party and nothing else (libpq's text is in the detail).
	 */
	if (edata->sqlerrcode == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION &&
		strncmp(edata->message, SMPC_CONNECT_FAILED_PREFIX, strlen(SMPC_CONNECT_FAILED_PREFIX)) == 0)
		return psprintf("party %s %s (SQLSTATE %s)", fed->self_name, edata->message, code);
	return psprintf("an error occurred at party %s (SQLSTATE %s)", fed->self_name, code);
}

/*
 * Whether partners must stop too: this party saw something inconsistent
 * (a mismatch, equivocation, a job id clash). Otherwise the abort only says
 * that this party leaves, and a job that tolerates dropouts goes on.
 */
static bool
smpc_abort_is_fatal(const ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_SMPC_FEDERATION_MISMATCH ||
		edata->sqlerrcode == ERRCODE_SMPC_PROTOCOL_VIOLATION ||
		edata->sqlerrcode == ERRCODE_SMPC_JOB_CONFLICT ||
		edata->sqlerrcode == ERRCODE_SMPC_POLICY_MISMATCH;
}

typedef struct SmpcAbortNotice
{
	SmpcJob    *job;
	const SmpcFederationRow *fed;
	const uint8 *key;
	const ErrorData *edata;
} SmpcAbortNotice;

/*
 * Messages this party left for partners' calls (handover.cpp) that no call
 * took yet go out as plain deliveries, before the abort: a partner that
 * calls this party may have heard nothing of this run, and would take an
 * abort alone for an earlier, dead run and wait for a retry.
 */
static void
smpc_send_posted(const SmpcFederationRow *fed, const uint8 *key, TimestampTz deadline)
{
	SmpcSend   *sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * fed->nparties);

	for (;;)
	{
		int			n = 0;

		for (int p = 0; p < fed->nparties; p++)
		{
			uint8	   *data;
			size_t		len;

			if (p == fed->self || !smpc_handover_take_posted(key, p, &data, &len))
				continue;
			sends[n].party = fed->parties[p];
			sends[n].data = data;
			sends[n].len = len;
			sends[n].what = "posted";
			n++;
		}
		if (n == 0)
			break;
		smpc_peer_send_all(sends, n, deadline, SMPC_SEND_BEST_EFFORT);
	}
	pfree(sends);
}

static void
smpc_send_abort(void *arg)
{
	SmpcAbortNotice *n = (SmpcAbortNotice *) arg;
	SmpcStatus	st;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SMPC_ABORT_NOTICE_MS);

	if (n->key != NULL)
		smpc_send_posted(n->fed, n->key, deadline);
	if (smpc_job_abort(n->job, smpc_abort_reason(n->fed, n->edata), smpc_abort_is_fatal(n->edata), &st))
		smpc_flush_outbox(n->job, n->fed, NULL, deadline, SMPC_SEND_BEST_EFFORT, NULL, NULL, NULL);
}

/* Tells every partner that this party aborted the job; never raises. */
static void
smpc_notify_abort(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
				  const ErrorData *edata)
{
	SmpcAbortNotice n = {job, fed, key, edata};

	smpc_never_raise(smpc_send_abort, &n);
}

#ifdef SMPC_TEST_BUILD
/*
 * Test builds: smpc.test_fault pause_before_roster or pause_before_confirm
 * makes this party stop for SMPC_TEST_PAUSE_MS just before its roster or
 * confirm messages go out (its shares, or its partials, are out), so a test
 * can stop or restart its server there.
 * Interruptible like any wait.
 */
#define SMPC_TEST_PAUSE_MS 3000
#define SMPC_FAULT_PAUSE_BEFORE_ROSTER 6
#define SMPC_FAULT_PAUSE_BEFORE_CONFIRM 7

static void
smpc_test_pause(SmpcJob *job)
{
	int			want = smpc_test_fault == SMPC_FAULT_PAUSE_BEFORE_ROSTER ? 6
		: smpc_test_fault == SMPC_FAULT_PAUSE_BEFORE_CONFIRM ? 3 : 0;
	bool		found = false;

	for (int i = 0; want != 0 && i < smpc_job_outbox_size(job) && !found; i++)
	{
		int			to;
		const uint8_t *data;
		size_t		len;

		smpc_job_outbox_item(job, i, &to, &data, &len);
		found = len > 5 && data[5] == want;
	}
	if (!found)
		return;
	ereport(LOG, errmsg("smpc: test fault: pausing for %d ms", SMPC_TEST_PAUSE_MS));
	{
		/* Partners' deliveries set the latch: wait out the whole pause. */
		TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SMPC_TEST_PAUSE_MS);
		long		left;

		while ((left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until)) > 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
}
#endif

/*
 * Sends the outbox; a partner that cannot be reached gets nothing more in a
 * job that tolerates dropouts (its messages are still awaited), else its
 * failure is raised.
 */
static void
smpc_send_round(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
				TimestampTz deadline, bool tolerant, char **gone)
{
	uint64		unreachable = 0;
	char	  **failures;
	int		   *codes;

#ifdef SMPC_TEST_BUILD
	smpc_test_pause(job);
#endif
	/* The job id is spent before anything that opens values leaves. */
	if (!smpc_run.spent && smpc_job_committed(job))
	{
		smpc_spent_record(fed, smpc_run.job_id, smpc_run.descriptor);
		smpc_run.spent = true;
	}
	failures = (char **) palloc0(sizeof(char *) * fed->nparties);
	codes = (int *) palloc0(sizeof(int) * fed->nparties);
	/* Dropping a partner can complete a round and make more to send. */
	while (smpc_job_outbox_size(job) > 0)
	{
		uint64		before = unreachable;
		bool		sharing = smpc_job_round(job) <= 1;
		StringInfoData lost;

		smpc_flush_outbox(job, fed, key, deadline, tolerant ? SMPC_SEND_TOLERANT : SMPC_SEND_STRICT,
						  &unreachable, failures, codes);
		initStringInfo(&lost);
		for (int i = 0; i < fed->nparties; i++)
		{
			SmpcStatus	st;
			bool		went_on;

			if (!(unreachable & ~before & (UINT64CONST(1) << i)))
				continue;
			/* A partner that released the job before this party shared: too late. */
			if (codes[i] == ERRCODE_SMPC_JOB_RELEASED && sharing)
				ereport(ERROR,
						errcode(ERRCODE_SMPC_JOB_RELEASED),
						errmsg("job was already released at party \"%s\" without this party",
							   fed->parties[i]),
						errdetail_internal("Party %s %s.", fed->parties[i], failures[i]),
						errhint("This party joined after the others finished; its input is not in their result."));
			/*
			 * A partner for which the job has just ended (refused, aborted,
			 * released without us) says so at once; why it ended may be on
			 * its way. A job without tolerance keeps the first such answer
			 * for the caller, which waits a moment for the reason.
			 */
			if (!tolerant)
			{
				if (*gone == NULL)
					*gone = psprintf("party %s %s", fed->parties[i], failures[i]);
				continue;
			}
			if (!smpc_job_unreachable(job, i, failures[i], &went_on, &st))
				smpc_raise_status(&st);
			if (!went_on)
				appendStringInfo(&lost, "%sparty %s: %s", lost.len ? "; " : "", fed->parties[i],
								 failures[i]);
		}
		if (lost.len > 0)
		{
			char		dropouts[2048];

			smpc_job_dropouts(job, dropouts, sizeof dropouts);
			ereport(ERROR,
					errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					errmsg("too few parties remain in job: %s", lost.data),
					dropouts[0] ? errdetail("The job had already gone on without %s.", dropouts)
					: errdetail("The job cannot go on without them."),
					errhint("Check that the partners' servers are up, and the options of their smpc servers and user mappings."));
		}
		if (!tolerant)
			break;
	}
}

/*
 * Shows where the job stands in smpc.job_status: its round and whom it
 * waits for. Only written when it changed since the last call.
 */
static void
smpc_show_progress(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
				   SmpcJobStatus *shown)
{
	SmpcJobStatus now;
	int			type = smpc_job_round_type(job);
	char	   *missing = smpc_party_list(fed, smpc_job_missing_mask(job), ",");

	memset(&now, 0, sizeof now);
	now.state = SMPC_JOB_RUNNING;
	if (type != 0)
		smpc_job_round_name(job, type, now.round, sizeof now.round);
	/* Party names hold no commas (federation.cpp), so a list is unambiguous. */
	strlcpy(now.waiting_for, missing ? missing : "", sizeof now.waiting_for);
	if (strcmp(now.round, shown->round) == 0 && strcmp(now.waiting_for, shown->waiting_for) == 0)
		return;
	memcpy(shown->round, now.round, sizeof now.round);
	memcpy(shown->waiting_for, now.waiting_for, sizeof now.waiting_for);
	smpc_inbox_set_status(key, &now, false);
}

/* Frees messages taken from the inbox, zeroing them first (they hold shares). */
static void
smpc_free_messages(List *msgs)
{
	ListCell   *lc;

	foreach(lc, msgs)
	{
		bytea	   *m = (bytea *) lfirst(lc);

		explicit_bzero(m, VARSIZE(m));
	}
	list_free_deep(msgs);
}

/* The message type of a filed message (byte 5 of the wire format), or 0. */
static int
smpc_filed_type(const bytea *m)
{
	return VARSIZE(m) - VARHDRSZ > 5 ? ((const uint8 *) VARDATA(m))[5] : 0;
}

/*
 * The exchange loop: round 1 out, then feed every message that arrives in
 * the inbox to the state machine and send what it answers, until it
 * finishes. Waits sleep on the latch that the deliver endpoint sets. Every
 * iteration checks the deadline and interrupts, so a partner that keeps
 * sending messages cannot hold the job past its deadline.
 */
static void
smpc_exchange_loop(SmpcJob *job, const SmpcFederationRow *fed, const char *job_id,
				   const uint8 *key, bool tolerant)
{
	SmpcStatus	st;
	int			round;
	TimestampTz started = GetCurrentTimestamp();
	TimestampTz deadline;
	List	   *waiting;
	ListCell   *lc;
	char	   *gone = NULL;	/* a partner for which the job ended */
	bool		gone_grace = false;
	bool		last_look = false;	/* the inbox was read after the deadline */
	bool		shares_closed = false;	/* deliveries of shares are refused now */
	SmpcJobStatus shown;

	memset(&shown, 0, sizeof shown);

	/*
	 * What partners filed before this run sent anything. An abort among it
	 * ends a partner's run that never involved this one (an attempt this
	 * party missed): that run is discarded and the job waits for the
	 * partner's retry (protocol/aggregation_job.hpp, "Dead runs").
	 */
	waiting = smpc_inbox_take(key);
	foreach(lc, waiting)
	{
		bytea	   *m = (bytea *) lfirst(lc);
		SmpcMessageInfo info;

		/* Their calls came before this run: they get this party's share sent. */
		if (smpc_filed_type(m) == SMPC_MSG_SHARE &&
			smpc_message_inspect((const uint8 *) VARDATA(m), VARSIZE(m) - VARHDRSZ, &info, &st) &&
			info.sender >= 0 && info.sender < 64)
			smpc_handover_called_early(key, SMPC_MSG_SHARE, UINT64CONST(1) << info.sender);

		/* (A partner's failure report is raised below, once round 1 is out.) */
		if (smpc_filed_type(m) == SMPC_MSG_ABORT &&
			!smpc_job_discard_run(job, (const uint8 *) VARDATA(m), VARSIZE(m) - VARHDRSZ, &st))
			smpc_raise_status(&st);
	}
	if (!smpc_job_start(job, &st))
		smpc_raise_status(&st);
	round = smpc_job_round(job);
	deadline = smpc_round_deadline(started, round);
	smpc_send_round(job, fed, key, deadline, tolerant, &gone);
	/* From now on an abort reaches the partners (they hold this run's first messages). */
	smpc_job_exchanged = true;

	while (!smpc_job_finished(job))
	{
		List	   *msgs;
		long		remaining;

		CHECK_FOR_INTERRUPTS();
		if (waiting != NIL)
		{
			msgs = waiting;
			waiting = NIL;
		}
		else
			msgs = smpc_inbox_take(key);
		foreach(lc, msgs)
		{
			bytea	   *m = (bytea *) lfirst(lc);

			/* A partner's report that the job it was asked to run could not begin. */
			if (smpc_filed_type(m) == SMPC_MSG_REQUEST)
				smpc_request_take_report(fed, job_id, (const uint8 *) VARDATA(m),
										 VARSIZE(m) - VARHDRSZ);
			else if (!smpc_job_receive(job, (const uint8 *) VARDATA(m), VARSIZE(m) - VARHDRSZ, &st))
				smpc_raise_status(&st);
		}
		smpc_free_messages(msgs);
		{
			int			from;

			/* (Only a different federation definition is reported this way.) */
			if (smpc_handover_rejected(key, &from, &st))
				ereport(ERROR,
						errcode(ERRCODE_SMPC_FEDERATION_MISMATCH),
						errmsg("this party refused a message of party \"%s\": %s",
							   from >= 0 && from < fed->nparties ? fed->parties[from] : "?", st.message),
						st.detail[0] ? errdetail("%s", st.detail) : 0,
						st.hint[0] ? errhint("%s", st.hint) : 0);
		}
		if (smpc_job_round(job) != round)
		{
			round = smpc_job_round(job);
			deadline = smpc_round_deadline(started, round);
			last_look = false;
		}
		smpc_send_round(job, fed, key, deadline, tolerant, &gone);
		if (smpc_job_finished(job))
			break;
		/* A partner said the job ended there: wait a moment for its reason. */
		if (gone != NULL && !gone_grace)
		{
			gone_grace = true;
			deadline = Min(deadline, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																	SMPC_GONE_GRACE_MS));
		}

		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		/*
		 * Before a deadline counts, take once more what arrived while this
		 * party was sending (once: a partner that keeps sending cannot hold
		 * the job past its deadline).
		 */
		if (remaining <= 0 && !last_look && smpc_inbox_pending(key))
		{
			last_look = true;
			continue;
		}
		/*
		 * Before the share round gives up on late inputs, this party stops
		 * taking shares (later ones are refused at delivery, so their
		 * senders never count them as accepted) and takes what came.
		 */
		if (remaining <= 0 && tolerant && !shares_closed &&
			smpc_job_round_type(job) == SMPC_MSG_SHARE)
		{
			smpc_inbox_close_shares(key);
			shares_closed = true;
			last_look = false;
			continue;
		}
		if (remaining <= 0 && gone != NULL)
			ereport(ERROR,
					errcode(ERRCODE_SMPC_PARTNER_ABORTED),
					errmsg("the job ended at a partner while it ran here"),
					errdetail_internal("%s.", gone),
					errhint("No result was released here; the job can be run again."));
		if (remaining <= 0)
		{
			char		missing[1024];
			char		dead[2048];
			char		dropouts[2048];
			StringInfoData detail;
			bool		went_on;

			smpc_job_describe_missing(job, missing, sizeof missing);
			/* A job that tolerates dropouts may go on without the late ones. */
			if (!smpc_job_timeout(job, &st, &went_on))
				smpc_raise_status(&st);
			if (went_on)
			{
				ereport(LOG,
						errmsg("smpc: job goes on without %s: no answer within %s", missing,
							   smpc_format_timeout()));
				round = smpc_job_round(job);
				deadline = smpc_round_deadline(started, round);
				last_look = false;
				smpc_send_round(job, fed, key, deadline, tolerant, &gone);
				continue;
			}
			initStringInfo(&detail);
			appendStringInfoString(&detail, "No result was released.");
			smpc_job_dead_runs(job, dead, sizeof dead);
			if (dead[0])
				appendStringInfo(&detail, " %s", dead);
			smpc_job_dropouts(job, dropouts, sizeof dropouts);
			if (dropouts[0])
				appendStringInfo(&detail, " Without: %s.", dropouts);
			ereport(ERROR,
					errcode(ERRCODE_SMPC_PARTNER_TIMEOUT),
					errmsg("timed out after %s waiting for %s", smpc_format_timeout(), missing),
					errdetail("%s", detail.data),
					errhint("The job can be run again once every party runs it within smpc.timeout of the others."));
		}
		if (msgs == NIL)
		{
			smpc_show_progress(job, fed, key, &shown);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 remaining, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}

/*
 * Runs the exchange. If it fails, the partners are told before the error is
 * raised again, and the job handle (which holds this party's shares) is
 * freed on every path. No subtransaction: the final function may run while
 * a parallel plan is active, where subtransactions are not allowed. Instead
 * the catch block releases LWLocks first (the failing code may have held
 * one) and the notices never raise.
 */
static void
smpc_exchange(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
			  const SmpcJobRequest *req, const SmpcPolicy *policy, const double *noise,
			  const uint8 *key, bool tolerant, __int128 *outputs, SmpcJobResult *res)
{
	SmpcFederation core;
	SmpcStatus	st;
	SmpcJob    *volatile job;
	SmpcJobShape shape;
	MemoryContext cxt = CurrentMemoryContext;

	shape.width = req->width;
	shape.count_index = req->count_index;
	shape.cells = req->cells;
	shape.cell_width = req->cell_width;
	shape.cell_count = req->cell_count;
	shape.noise_exponent = noise;
	smpc_federation_as_core(fed, &core);
	job = smpc_job_new(&core, job_id, strlen(job_id), descriptor, policy, &shape,
					   req->inputs_present ? req->inputs : NULL, &st);
	if (job == NULL)
		smpc_raise_status(&st);
	smpc_run.job_id = job_id;
	smpc_run.descriptor = descriptor;
	smpc_run.spent = false;
	if (smpc_test_fault != 0)
		smpc_job_set_fault(job, smpc_test_fault);

	PG_TRY();
	{
		char		dropouts[2048];
		uint64		covered;
		uint64		inputs_all = 0;

		smpc_exchange_loop(job, fed, job_id, key, tolerant);
		/*
		 * Refused after the count round. Our count has gone out, so partners
		 * refuse by themselves; the abort sent below says "refused" too, so
		 * a partner that hears it first reports the same refusal.
		 */
		if (smpc_job_refused(job, &st))
			smpc_raise_status(&st);
		res->has_result = smpc_job_has_result(job);
		res->verified = res->has_result && smpc_job_verified(job);
		for (int i = 0; res->has_result && i < req->width; i++)
			outputs[i] = smpc_job_result(job, i);
		for (int c = 0; res->has_result && c < req->cells; c++)
			if (smpc_job_suppressed(job, c))
			{
				if (res->suppressed == NULL)
					res->suppressed = (bool *) palloc0(sizeof(bool) * req->width);
				for (int k = 0; k < req->cell_width; k++)
					res->suppressed[c * req->cell_width + k] = true;
			}
		covered = smpc_job_covered(job);
		smpc_job_dropouts(job, dropouts, sizeof dropouts);
		res->dropouts = dropouts[0] ? pstrdup(dropouts) : NULL;
		for (int i = 0; i < fed->nparties; i++)
			if (smpc_party_is_input(fed, i))
				inputs_all |= UINT64CONST(1) << i;
		res->covers = covered ? smpc_party_list(fed, covered, ",") : NULL;
		if (covered && covered != inputs_all)
			ereport(NOTICE,
					errmsg("the result of job \"%s\" covers the inputs of %s only", job_id,
						   smpc_party_list(fed, covered, ", ")),
					errdetail("Left out: %s.", smpc_party_list(fed, inputs_all & ~covered, ", ")),
					res->dropouts ? errhint("The job went on without %s.", res->dropouts) : 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		LWLockReleaseAll();
		smpc_notify_abort(job, fed, key, edata);
		smpc_job_free(job);
		ReThrowError(edata);
	}
	PG_END_TRY();
	smpc_job_free(job);
}

/*
 * The parties this party exchanges messages with in this job, so needs an
 * smpc server for (to send, or to authenticate what they deliver): every
 * party, for a compute party; the compute parties, for any other. Also
 * checks that a party without an input role aggregated no rows.
 */
static void
smpc_job_peers(const SmpcFederationRow *fed, const SmpcJobRequest *req, bool *needed,
			   bool *tolerant, bool *symmetric)
{
	SmpcFederation core;
	SmpcStatus	st;
	bool		self_input;
	bool		self_compute;
	bool		self_output;
	bool		inputs_compute = true;
	bool		every_role = true;

	smpc_federation_as_core(fed, &core);
	if (!smpc_federation_roles(&core, fed->self, &self_input, &self_compute, &self_output, &st))
		smpc_raise_status(&st);
	if (!self_input && req->inputs_present && req->rows > 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("party \"%s\" supplies no input in federation \"%s\", but the aggregate read %lld rows",
					   fed->self_name, fed->name, (long long) req->rows),
				errdetail("Its role is to compute or to receive the result."),
				errhint("Run SELECT smpc_join('%s', '%s', job_id) here instead.", req->aggregate,
						req->value_class));
	for (int i = 0; i < fed->nparties; i++)
	{
		bool		input;
		bool		compute;
		bool		output;

		if (!smpc_federation_roles(&core, i, &input, &compute, &output, &st))
			smpc_raise_status(&st);
		needed[i] = i != fed->self && (self_compute || compute);
		if (input && !compute)
			inputs_compute = false;
		if (!input || !compute || !output)
			every_role = false;
	}
	*tolerant = fed->threshold != 0 || !inputs_compute;
	*symmetric = every_role;
}

/*
 * Whether this party's inbox can hold the job's messages: each partner
 * files up to two rounds' messages of the job's width at once (a share and
 * the next round's), in 32 kB slots. A grouped job with many keys among
 * many parties can need more than smpc.max_messages; it fails here, before
 * anything is sent, rather than at a partner's delivery.
 */
static void
smpc_check_inbox_room(const SmpcFederationRow *fed, const SmpcJobRequest *req)
{
	/*
	 * Values (with the salt and MAC tags some models add: at most one per
	 * cell and two more), plus the job id and the federation definition a
	 * share carries.
	 */
	Size		bytes = (Size) (req->width + req->cells + 2) * 16 + strlen(req->job_id) + 8192 + 1024;
	int			slots = (int) ((bytes + SMPC_INBOX_SLOT_BYTES - 1) / SMPC_INBOX_SLOT_BYTES);
	int			needed = (fed->nparties - 1) * 2 * slots;

	if (needed > smpc_max_messages)
		ereport(ERROR,
				errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("job \"%s\" needs %d inbox slots, more than smpc.max_messages (%d)",
					   req->job_id, needed, smpc_max_messages),
				errdetail("Each of the %d partners may file two messages of %d slots of 32 kB at once.",
						  fed->nparties - 1, slots),
				errhint("Raise smpc.max_messages to at least %d at every party (server restart), or use fewer keys or buckets.",
						needed));
}

/*
 * The checks, the claim and the exchange of smpc_run_job. Returns true when
 * the job was computed now, false when an earlier release was returned.
 * Sets the audit record's policy.
 */
static bool
smpc_run_job_checked(const SmpcFederationRow *fed, const SmpcJobRequest *req,
					 const char *descriptor, SmpcAuditRecord *audit, __int128 *outputs,
					 SmpcJobResult *res)
{
	uint8		key[32];
	SmpcStatus	st;
	volatile bool stored = false;
	TimestampTz started = GetCurrentTimestamp();
	bool	   *needed = (bool *) palloc0(sizeof(bool) * fed->nparties);
	bool		tolerant;
	bool		symmetric;

	/* Everything that can be checked locally is checked before any message leaves. */
	smpc_job_peers(fed, req, needed, &tolerant, &symmetric);
	smpc_peer_check_partners(fed, needed);
	smpc_check_inbox_room(fed, req);
	smpc_check_result_grant(fed);
	if (!smpc_job_key(fed->name, req->job_id, strlen(req->job_id), key, &st))
		smpc_raise_status(&st);

	/* Released earlier in this transaction? */
	if (smpc_job_lookup_pending(fed, req->job_id, descriptor, outputs, req->width, res))
		return false;

	/*
	 * Claim the job in shared memory: a second session running the same job
	 * here, or its id in another federation, is refused at once. A released
	 * job stays claimed until this transaction ends and its row is visible
	 * to others.
	 */
	smpc_job_claim(fed, req->job_id, key);
	/*
	 * Peer to peer, every round goes both ways between every pair: a
	 * partner's call may carry this party's message back, and without
	 * dropout tolerance, after the shares, always does (handover.cpp).
	 */
	if (symmetric)
		smpc_handover_begin(key, !tolerant, fed->self);
	{
		SmpcJobStatus status;

		memset(&status, 0, sizeof status);
		status.state = SMPC_JOB_RUNNING;
		status.roleid = GetUserId();
		status.started = started;
		strlcpy(status.federation, fed->name, sizeof status.federation);
		strlcpy(status.job_id, req->job_id, sizeof status.job_id);
		strlcpy(status.aggregate, descriptor, sizeof status.aggregate);
		strlcpy(status.initiated_by, smpc_job_initiator ? smpc_job_initiator : "",
				sizeof status.initiated_by);
		smpc_inbox_set_status(key, &status, true);
	}
	PG_TRY();
	{
		stored = smpc_job_lookup_stored(fed, req->job_id, descriptor, outputs, req->width, res);
		if (!stored)
		{
			SmpcPolicy	policy;

			/* An earlier attempt that opened anything spent the id. */
			smpc_spent_check(fed, req->job_id);
			char		described[512];
			double	   *noise = NULL;
			bool		holds_data = req->inputs_present && smpc_party_is_input(fed, fed->self);

			/* A new computation: this party's release policy must admit it. */
			smpc_policy_for_job(fed, req->bounds, &policy);
			if (smpc_policy_describe(&policy, described, sizeof described, &st))
				audit->text[SMPC_AUDIT_POLICY] = pstrdup(described);
			smpc_policy_check_input(fed, req->job_id, req->aggregate, req->bounds, req->outside);
			/* Differential privacy: the noise, and (with data here) the budget. */
			if (smpc_epsilon > 0)
			{
				{
					SmpcNoiseShape shape = {req->kinds, req->width, req->bounds, req->column};

					noise = smpc_privacy_noise(fed, &shape, smpc_epsilon);
				}
				if (holds_data)
				{
					smpc_privacy_admit(fed, req->job_id, descriptor, req->sources, smpc_epsilon,
									   &smpc_charge);
					smpc_charged = true;
				}
			}
			else if (holds_data)
				smpc_privacy_require_none(fed, req->sources);
			/* (The job refuses a federation smaller than min_parties when it is made.) */
			smpc_exchange(fed, req->job_id, descriptor, req, &policy, noise, key, tolerant,
						  outputs, res);
			smpc_job_record(fed, req->job_id, descriptor, key, outputs, req->width, started, res);
		}
		{
			SmpcJobStatus ended;

			memset(&ended, 0, sizeof ended);
			ended.state = SMPC_JOB_ENDED;
			smpc_inbox_set_status(key, &ended, false);
		}
	}
	PG_CATCH();
	{
		/* (A failed run's posted messages must not reach a partner's next run.) */
		smpc_handover_drop_posted(key);
		smpc_inbox_unregister(key);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (stored)
		smpc_inbox_unregister(key);
	return !stored;
}

/*
 * Runs one job (or returns its earlier release) and records the attempt in
 * the audit trail, whatever its outcome.
 */
void
smpc_run_job(const SmpcFederationRow *fed, const SmpcJobRequest *req, __int128 *outputs,
			 SmpcJobResult *res)
{
	char	   *descriptor;
	size_t		job_id_len = strlen(req->job_id);
	SmpcAuditRecord audit;
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool computed = false;

	memset(res, 0, sizeof *res);
	smpc_job_entered = true;
	smpc_job_exchanged = false;
	smpc_charged = false;
	smpc_inbox_require();
	if (IsParallelWorker())
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				errmsg("smpc jobs cannot run in a parallel worker"));
	if (job_id_len == 0 || job_id_len > 16384)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("job id must be between 1 and 16384 bytes long"));
	/*
	 * A job on a published dataset is named after it: a job id taken by a
	 * partner's smpc_run can never hand its result to a local aggregate
	 * under the same id (that is a different computation, SM005).
	 */
	if (smpc_epsilon > 0 && (smpc_job_dataset != NULL || req->kinds == NULL))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("smpc.epsilon does not apply to %s", smpc_job_dataset
					   ? "jobs on published datasets yet" : "this job"),
				errhint("SET smpc.epsilon = 0 for this job."));
	descriptor = psprintf("%s(%s)%s%s%s%s", req->aggregate, req->value_class,
						  req->shape ? req->shape : "", smpc_job_dataset ? " on " : "",
						  smpc_job_dataset ? smpc_job_dataset : "",
						  smpc_epsilon > 0 ? psprintf(" with epsilon %s", double_to_shortest_decimal(smpc_epsilon)) : "");
	if (strlen(descriptor) > 255)
		elog(ERROR, "smpc job descriptor \"%s\" is too long", descriptor);

	smpc_audit_begin(&audit, fed, req->job_id, descriptor, req->outside);
	PG_TRY();
	{
		computed = smpc_run_job_checked(fed, req, descriptor, &audit, outputs, res);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		smpc_audit_failed(&audit, edata);
		/* Charged, but nothing of this party's input left: give the budget back. */
		/*
		 * (Not when an input plus its noise share left the field's range:
		 * that failure depends on the noise, and refunding it would make
		 * the release (epsilon, delta) instead of pure epsilon.)
		 */
		if (smpc_charged && !smpc_job_exchanged &&
			edata->sqlerrcode != ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE)
			smpc_privacy_refund(fed, req->job_id, descriptor, &smpc_charge);
		ReThrowError(edata);
	}
	PG_END_TRY();
	audit.text[SMPC_AUDIT_COVERS] = res->covers;
	audit.text[SMPC_AUDIT_DROPOUTS] = res->dropouts;
	if (res->has_result)
		audit.text[SMPC_AUDIT_VERIFIED] = res->verified ? "true" : "false";
	if (!res->has_result)
		smpc_audit_released(&audit, computed ? "contributed" : "returned", NULL);
	else
		smpc_audit_released(&audit, computed ? "released" : "returned",
							smpc_audit_result_text(req, outputs, res));
}
