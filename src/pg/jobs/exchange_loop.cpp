/*
 * The I/O loop of one job's exchange with its partners. The protocol itself
 * is the C++ state machine behind bridge/core_api.hpp; this file feeds it
 * what partners filed in the inbox (messaging/) and sends what it answers
 * (outbox.cpp). It is written in C style: the job handle is a raw pointer
 * freed in PG_CATCH and on success, and every PostgreSQL call (waits,
 * libpq, shared memory) happens here, with no C++ frame below us that an
 * ereport() could unwind.
 *
 * Deadlines: round r (1-based) of a job started at time s and entered at
 * time e waits until max(e + smpc.timeout, s + r * smpc.timeout). A party
 * that is ahead of a partner still timing out an earlier round thus waits
 * for it instead of giving up on it. A job that tolerates dropouts (Shamir
 * sharing, the delegated and hybrid models) then goes on without partners
 * that did not answer or cannot be reached, as long as enough remain.
 *
 * Memory: each pass of the loop allocates in a memory context of its own,
 * reset at the start of the next pass, so a long job does not grow with the
 * number of messages it takes.
 */
#include "pg/jobs/jobs.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

/*
 * For the core's long steps (a set job blinding a million keys): whether a
 * cancel (also statement_timeout, smpc.cancel_job) or a termination is
 * pending. Only reads the flags the signal handlers set; smpc_raise_status
 * then raises it. Not InterruptPending: it is also set for requests
 * CHECK_FOR_INTERRUPTS serves without an error (a barrier, a memory
 * context dump), and the step the core stopped could not go on.
 */
static bool
smpc_interrupt_pending(void)
{
	return QueryCancelPending || ProcDiePending;
}

/* How long a job waits for the reason of a partner that says it ended. */
#define SMPC_GONE_GRACE_MS 1000

/* The deadline of the job's current round (see the file header). */
static TimestampTz
smpc_round_deadline(TimestampTz job_start, int round)
{
	TimestampTz by_entry = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), smpc_timeout_ms);
	TimestampTz by_round =
		TimestampTzPlusMilliseconds(job_start, (int64) smpc_timeout_ms * Max(round, 1));

	return Max(by_entry, by_round);
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
	int			  type = smpc_job_round_type(job);
	char		 *missing = smpc_party_list(fed, smpc_job_missing_mask(job), ",");

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
	ListCell *lc;

	foreach (lc, msgs)
	{
		bytea *m = (bytea *) lfirst(lc);

		explicit_bzero(m, VARSIZE(m));
	}
	list_free_deep(msgs);
}

/* The message type of a filed message, or 0. */
static int
smpc_filed_type(const bytea *m)
{
	return smpc_wire_type((const uint8 *) VARDATA(m), VARSIZE(m) - VARHDRSZ);
}

/*
 * When this party's own deliver endpoint refused a partner since `since`
 * (a timeout before the job began here) because the server log would record its deliveries, the partners
 * could not reach this party at all, not even with their aborts: the job's
 * own error says so (it would otherwise only time out).
 */
static void
smpc_add_log_refusal(ErrorData *edata, TimestampTz since)
{
	char role[NAMEDATALEN];
	char setting[72];

	if (!smpc_inbox_log_refused_since(since, role, setting))
		return;
	edata->detail =
		psprintf("%s%sThis party's own endpoint refused deliveries of partner role "
				 "\"%s\" during the job: with %s, the server log would record them.",
				 edata->detail ? edata->detail : "", edata->detail ? " " : "", role, setting);
	edata->hint =
		psprintf("%s%sHere, ALTER ROLE %s SET log_parameter_max_length = 0; for every "
				 "partner's login role (docs/dba.md, \"Keeping shares out of the server "
				 "log\").",
				 edata->hint ? edata->hint : "", edata->hint ? " " : "", quote_identifier(role));
}

/*
 * A partner's message for this job that the inbox here refused because it
 * was full, since this run began or within smpc.timeout before it (a share
 * may come before the job starts here): the job cannot complete, and the
 * reason lies here, not with the partner whose message was lost.
 */
static void
smpc_check_inbox_full(const SmpcFederationRow *fed, const uint8 *key, TimestampTz started)
{
	SmpcInboxFull full;
	const char	 *holder;

	if (!smpc_inbox_refused(key, TimestampTzPlusMilliseconds(started, -(int64) smpc_timeout_ms),
							&full))
		return;
	holder = OidIsValid(full.holder) ? GetUserNameFromId(full.holder, true) : NULL;
	ereport(
		ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
		errmsg("inbox full at this party: it refused a message of party \"%s\" for this job; "
			   "role \"%s\" holds %d of its %d message slots",
			   full.sender >= 0 && full.sender < fed->nparties ? fed->parties[full.sender] : "?",
			   holder ? holder : "?", full.held, full.nslots),
		errdetail("%d of the %d slots were in use. A partner's login role may hold a quarter "
				  "of them; messages for jobs that never start here are evicted when the "
				  "inbox is full and they are 10 minutes old.",
				  full.in_use, full.nslots),
		errhint("No result was released. Raise smpc.max_messages at this party (server "
				"restart), or ask the partner that logs in as role \"%s\" what it sent.",
				holder ? holder : "?"));
}

/*
 * The exchange loop: round 1 out, then feed every message that arrives in
 * the inbox to the state machine and send what it answers, until it
 * finishes. Waits sleep on the latch that the deliver endpoint sets. Every
 * iteration checks the deadline and interrupts, so a partner that keeps
 * sending messages cannot hold the job past its deadline.
 */
static void
smpc_exchange_loop(SmpcJob *job, SmpcExchange *x)
{
	const SmpcFederationRow *fed = x->fed;
	const uint8				*key = x->key;
	bool					 tolerant = x->tolerant;
	SmpcJobContext			*ctx = x->ctx;
	MemoryContext			 pass_cxt;
	SmpcStatus				 st;
	int						 round;
	TimestampTz				 started = GetCurrentTimestamp();
	TimestampTz				 deadline;
	List					*waiting;
	ListCell				*lc;
	char					*gone = NULL; /* a partner for which the job ended */
	bool					 gone_grace = false;
	bool					 last_look = false;		/* the inbox was read after the deadline */
	bool					 shares_closed = false; /* deliveries of shares are refused now */
	SmpcJobStatus			 shown;

	memset(&shown, 0, sizeof shown);

	/* Partners' runs that ended here in an earlier run of this job id (ended_runs.cpp). */
	smpc_ended_runs_apply(job, fed, key);
	/*
	 * What partners filed before this run sent anything. An abort among it
	 * ends a partner's run that never involved this one (an attempt this
	 * party missed): that run is discarded and the job waits for the
	 * partner's retry (protocol/aggregation_job.hpp, "Dead runs").
	 */
	waiting = smpc_inbox_take(key);
	foreach (lc, waiting)
	{
		bytea		   *m = (bytea *) lfirst(lc);
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
	smpc_send_round(job, x, deadline, &gone);
	/* From now on an abort reaches the partners (they hold this run's first messages). */
	ctx->exchanged = true;

	pass_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "smpc exchange pass", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(pass_cxt);
	while (!smpc_job_finished(job))
	{
		List *msgs;
		long  remaining;

		/* What the last pass allocated is done with (gone lives in x->cxt). */
		MemoryContextReset(pass_cxt);
		CHECK_FOR_INTERRUPTS();
		if (waiting != NIL)
		{
			msgs = waiting;
			waiting = NIL;
		}
		else
			msgs = smpc_inbox_take(key);
		/* And what partners handed back on this party's calls (outbox.cpp). */
		msgs = list_concat(msgs, x->replies);
		list_free(x->replies);
		x->replies = NIL;
		/* (Where the catch below finds them if reading them fails: they may hold shares.) */
		x->reading = msgs;
		foreach (lc, msgs)
		{
			bytea *m = (bytea *) lfirst(lc);

			/* A partner's report that the job it was asked to run could not begin. */
			if (smpc_filed_type(m) == SMPC_MSG_REQUEST)
			{
				if (ctx->read_report != NULL && ctx->request_nonce != NULL)
					ctx->read_report(fed, x->job_id, ctx->request_nonce, (const uint8 *) VARDATA(m),
									 VARSIZE(m) - VARHDRSZ);
			}
			else if (!smpc_job_receive(job, (const uint8 *) VARDATA(m), VARSIZE(m) - VARHDRSZ, &st))
				smpc_raise_status(&st);
		}
		smpc_free_messages(msgs);
		x->reading = NIL;
		smpc_check_inbox_full(fed, key, started);
		{
			int from;

			/* (Only a different federation definition is reported this way.) */
			if (smpc_handover_rejected(key, &from, &st))
				ereport(ERROR, errcode(ERRCODE_SMPC_FEDERATION_MISMATCH),
						errmsg("this party refused a message of party \"%s\": %s",
							   from >= 0 && from < fed->nparties ? fed->parties[from] : "?",
							   st.message),
						st.detail[0] ? errdetail("%s", st.detail) : 0,
						st.hint[0] ? errhint("%s", st.hint) : 0);
		}
		if (smpc_job_round(job) != round)
		{
			round = smpc_job_round(job);
			deadline = smpc_round_deadline(started, round);
			last_look = false;
		}
		smpc_send_round(job, x, deadline, &gone);
		if (smpc_job_finished(job))
			break;
		/* A partner said the job ended there: wait a moment for its reason. */
		if (gone != NULL && !gone_grace)
		{
			gone_grace = true;
			deadline = Min(deadline,
						   TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SMPC_GONE_GRACE_MS));
		}

		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		/*
		 * Before a deadline counts, take once more what arrived while this
		 * party was sending (once: a partner that keeps sending cannot hold
		 * the job past its deadline).
		 */
		if (remaining <= 0 && !last_look && (x->replies != NIL || smpc_inbox_pending(key)))
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
			ereport(ERROR, errcode(ERRCODE_SMPC_PARTNER_ABORTED),
					errmsg("the job ended at a partner while it ran here"),
					errdetail_internal("%s.", gone),
					x->spent ? errhint("No result was released here. " SMPC_SPENT_ID_HINT)
							 : errhint("No result was released here; the job can be run again."));
		if (remaining <= 0)
		{
			char		   missing[1024];
			char		   dead[2048];
			char		   dropouts[2048];
			StringInfoData detail;
			bool		   went_on;

			smpc_job_describe_missing(job, missing, sizeof missing);
			/* A job that tolerates dropouts may go on without the late ones. */
			if (!smpc_job_timeout(job, &st, &went_on))
				smpc_raise_status(&st);
			if (went_on)
			{
				ereport(LOG, errmsg("smpc: job goes on without %s: no answer within %s", missing,
									smpc_format_timeout()));
				round = smpc_job_round(job);
				deadline = smpc_round_deadline(started, round);
				last_look = false;
				smpc_send_round(job, x, deadline, &gone);
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
			/*
			 * The wait is the job's, not one round's: a round's deadline
			 * can lie several timeouts after the job started here (see the
			 * file header), and the message says how long the analyst
			 * actually waited.
			 */
			appendStringInfo(&detail, " smpc.timeout is %s per round.", smpc_format_timeout());
			/* (A partner stopped between two of its confirms: outbox.cpp.) */
			if (smpc_job_round_type(job) == SMPC_MSG_CONFIRM)
				appendStringInfoString(
					&detail, " This party's confirm went out: " SMPC_CONFIRM_OUT_NOTE ".");
			ereport(
				ERROR, errcode(ERRCODE_SMPC_PARTNER_TIMEOUT),
				errmsg("timed out after %s waiting for %s", smpc_format_elapsed(started), missing),
				errdetail("%s", detail.data),
				x->spent ? errhint(SMPC_SPENT_ID_HINT)
						 : errhint("The job can be run again once every party runs it "
								   "within smpc.timeout of the others."));
		}
		if (msgs == NIL && x->replies == NIL)
		{
			smpc_show_progress(job, fed, key, &shown);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, remaining,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	MemoryContextSwitchTo(x->cxt);
	MemoryContextDelete(pass_cxt);
}

/*
 * Runs the exchange. If it fails, the partners are told before the error is
 * raised again, and the job handle (which holds this party's shares) is
 * freed on every path. No subtransaction: the final function may run while
 * a parallel plan is active, where subtransactions are not allowed. Instead
 * the catch block releases LWLocks first (the failing code may have held
 * one) and the notices never raise.
 */
void
smpc_job_exchange(SmpcExchange *x, __int128 *outputs, SmpcJobResult *res)
{
	const SmpcFederationRow *fed = x->fed;
	const SmpcJobSpec		*req = x->req;
	const char				*job_id = x->job_id;
	SmpcFederation			 core;
	SmpcStatus				 st;
	SmpcJob *volatile job;
	SmpcJobShape  shape;
	MemoryContext cxt = CurrentMemoryContext;
	/* Partners may have tried to reach this party up to a timeout before it began. */
	TimestampTz since =
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), -(int64) smpc_timeout_ms);

	shape.width = req->width;
	shape.count_index = req->count_index;
	shape.cells = req->cells;
	shape.cell_width = req->cell_width;
	shape.cell_count = req->cell_count;
	shape.noise_exponent = x->noise;
	smpc_federation_as_core(fed, &core);
	if (req->set_at_least > 0)
		job = smpc_set_job_new(&core, job_id, strlen(job_id), x->descriptor, x->policy, x->noise,
							   req->set_keys, (size_t) req->set_nkeys, 32, req->set_group_sizes,
							   req->set_groups, req->set_at_least,
							   req->set_sum		? SMPC_SET_SUM
							   : req->set_pairs ? SMPC_SET_PAIRS
												: SMPC_SET_COUNTS,
							   req->set_values, smpc_interrupt_pending, &st);
	else
		job = smpc_job_new(&core, job_id, strlen(job_id), x->descriptor, x->policy, &shape,
						   req->inputs_present ? req->inputs : NULL, &st);
	if (job == NULL)
		smpc_raise_status(&st);
	x->spent = false;
	x->cxt = cxt;
	x->replies = NIL;
	x->reading = NIL;
	if (smpc_test_fault != SMPC_FAULT_NONE)
		smpc_job_set_fault(job, smpc_test_fault);

	PG_TRY();
	{
		char   dropouts[2048];
		uint64 covered;
		uint64 inputs_all = 0;

		/*
		 * This party's own input failed (the aggregate recorded why): the
		 * partners are told now, by the abort below, rather than left to
		 * time out. Its run sent nothing else, and the abort says so.
		 */
		if (req->input_error)
			smpc_raise_input_error(req->input_error);
		smpc_exchange_loop(job, x);
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
		ErrorData *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		LWLockReleaseAll();
		smpc_free_messages(x->replies);
		x->replies = NIL;
		smpc_free_messages(x->reading);
		x->reading = NIL;
		/* The next run of this job id here ignores the runs this one knew of. */
		smpc_ended_runs_record(job, fed, x->key);
		smpc_notify_abort(job, fed, x->key, edata,
						  req->input_error ? smpc_input_error_reason(fed, req->input_error) : NULL);
		smpc_job_free(job);
		/* After the abort went out and the job is freed: this may allocate. */
		smpc_add_log_refusal(edata, since);
		ReThrowError(edata);
	}
	PG_END_TRY();
	/* Replies that came with the last round and were not needed: they may hold shares. */
	smpc_free_messages(x->replies);
	x->replies = NIL;
	smpc_job_free(job);
}
