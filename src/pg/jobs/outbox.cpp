/*
 * What the exchange loop (exchange_loop.cpp) sends: the state machine's
 * outbox, to partners in parallel or handed back on their own calls
 * (messaging/handover.cpp), a round at a time; and, when this party
 * aborts, the notice that tells its partners why (never raising).
 */
#include "pg/jobs/jobs.h"
#include "net/peer.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
}

#define SMPC_ABORT_NOTICE_MS 1000

/* smpc.timeout as messages name it. */
char *
smpc_format_timeout(void)
{
	if (smpc_timeout_ms % 1000 == 0)
		return psprintf("%d s", smpc_timeout_ms / 1000);
	return psprintf("%d ms", smpc_timeout_ms);
}

/* The time since `since`, as messages name it: "850 ms", "31 s" (whole seconds from 1 s on). */
char *
smpc_format_elapsed(TimestampTz since)
{
	long ms = TimestampDifferenceMilliseconds(since, GetCurrentTimestamp());

	if (ms < 1000)
		return psprintf("%ld ms", ms);
	return psprintf("%ld s", (ms + 500) / 1000);
}

/*
 * Sends everything in the job's outbox and clears it. Messages to different
 * partners go out in parallel; several messages to one partner (a partial
 * and a confirm produced by the same step) share its connection, so they go
 * in successive batches, in order. Messages to parties without a server
 * (aborts to data owners this party never talks to) are skipped. With
 * SMPC_SEND_TOLERANT, an unreachable partner is marked in *unreachable
 * (bit per party) with its failure in failures[party], its SQLSTATE in
 * codes[party] and its DETAIL in details[party]. x is the running
 * exchange, or NULL when an abort goes out: then nothing is handed over
 * and replies are not read. A partner's message handed back on a call goes
 * to x->replies, which the exchange loop reads before the inbox.
 */
static void
smpc_flush_outbox(SmpcJob *job, const SmpcFederationRow *fed, SmpcExchange *x, TimestampTz deadline,
				  SmpcSendMode mode, uint64 *unreachable, char **failures, int *codes,
				  char **details)
{
	const uint8 *key = x != NULL ? x->key : NULL;
	int			 n = smpc_job_outbox_size(job);
	SmpcSend	*sends;
	int			*dest;
	int			*types;
	bool		*sent;
	bool		*in_batch;
	int			 nsent = 0;

	if (n == 0)
		return;
	sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * n);
	dest = (int *) palloc0(sizeof(int) * n);
	types = (int *) palloc0(sizeof(int) * n);
	sent = (bool *) palloc0(sizeof(bool) * n);
	in_batch = (bool *) palloc(sizeof(bool) * fed->nparties);
	for (int i = 0; i < n; i++)
	{
		int			   to;
		const uint8_t *data;
		size_t		   len;

		smpc_job_outbox_item(job, i, &to, &data, &len);
		if ((mode == SMPC_SEND_BEST_EFFORT && !smpc_peer_has_server(fed->parties[to])) ||
			(key != NULL && len > 5 &&
			 smpc_handover_offer(key, to, smpc_wire_type(data, len), data, len)))
		{
			/* (Or handed back on the partner's own call, which waits for it.) */
			sent[i] = true;
			nsent++;
		}
	}
	while (nsent < n)
	{
		int nbatch = 0;

		memset(in_batch, 0, sizeof(bool) * fed->nparties);
		for (int i = 0; i < n; i++)
		{
			int			   to;
			const uint8_t *data;
			size_t		   len;

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
			smpc_job_round_name(job, smpc_wire_type(data, len), (char *) sends[nbatch].what, 64);
			dest[nbatch] = to;
			types[nbatch] = smpc_wire_type(data, len);
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
				details[dest[b]] = sends[b].failure_detail;
			}
			/* The partner's message of the round, handed back: the job reads it next. */
			if (sends[b].reply != NULL && x != NULL)
			{
				MemoryContext old = MemoryContextSwitchTo(x->cxt);

				x->replies = lappend(x->replies, smpc_reply_check(fed, key, dest[b], sends[b].reply,
																  sends[b].reply_len));
				MemoryContextSwitchTo(old);
			}
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
	char code[6];

	memcpy(code, unpack_sql_state(edata->sqlerrcode), 6);
	/*
	 * A partner's abort passes on with its reason, so a party that hears of
	 * a failure only second-hand (its own endpoint refused the party that
	 * failed) still learns why.
	 */
	if (edata->sqlerrcode == ERRCODE_SMPC_PARTNER_ABORTED && edata->detail != NULL)
		return psprintf("%s: %s", edata->message, edata->detail);
	if (code[0] == 'S' && code[1] == 'M')
		return pstrdup(edata->message);
	/*
	 * A partner's server refused a delivery: the text is the partner's own
	 * (e.g. its endpoint refuses deliveries that its log would record), not
	 * this party's, and the partner's analyst sees otherwise only the
	 * SQLSTATE while the reason is in a server log.
	 */
	if (strncmp(edata->message, "party \"", 7) == 0 &&
		strstr(edata->message, SMPC_REJECTED_INFIX) != NULL)
		return psprintf("party %s could not deliver: %s (SQLSTATE %s)%s%s", fed->self_name,
						edata->message, code, edata->detail ? " " : "",
						edata->detail ? edata->detail : "");
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		return psprintf("the job was cancelled at party %s", fed->self_name);
	/*
	 * A partner this party could not reach: partners that do not call that
	 * one themselves (handover.cpp) learn it only this way. The message
	 * names the party and nothing else (libpq's text is in the detail).
	 */
	if (edata->sqlerrcode == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION &&
		strncmp(edata->message, SMPC_CONNECT_FAILED_PREFIX, strlen(SMPC_CONNECT_FAILED_PREFIX)) ==
			0)
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
	SmpcJob					*job;
	const SmpcFederationRow *fed;
	const uint8				*key;
	const ErrorData			*edata;
	const char				*reason; /* or NULL: from edata */
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
	SmpcSend *sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * fed->nparties);

	for (;;)
	{
		int n = 0;

		for (int p = 0; p < fed->nparties; p++)
		{
			uint8 *data;
			size_t len;

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
	SmpcStatus		 st;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), SMPC_ABORT_NOTICE_MS);

	if (n->key != NULL)
		smpc_send_posted(n->fed, n->key, deadline);
	if (smpc_job_abort(n->job, n->reason ? n->reason : smpc_abort_reason(n->fed, n->edata),
					   smpc_abort_is_fatal(n->edata), &st))
		smpc_flush_outbox(n->job, n->fed, NULL, deadline, SMPC_SEND_BEST_EFFORT, NULL, NULL, NULL,
						  NULL);
}

/*
 * Tells every partner that this party aborted the job, with `reason` (NULL:
 * one made from edata); never raises.
 */
void
smpc_notify_abort(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
				  const ErrorData *edata, const char *reason)
{
	SmpcAbortNotice n = {job, fed, key, edata, reason};

	smpc_never_raise(smpc_send_abort, &n);
}

/* Whether the job's outbox holds a message of type `type`. */
static bool
smpc_outbox_holds(SmpcJob *job, int type)
{
	for (int i = 0; i < smpc_job_outbox_size(job); i++)
	{
		int			   to;
		const uint8_t *data;
		size_t		   len;

		smpc_job_outbox_item(job, i, &to, &data, &len);
		if (smpc_wire_type(data, len) == type)
			return true;
	}
	return false;
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

static void
smpc_test_pause(SmpcJob *job)
{
	int want = smpc_test_fault == SMPC_FAULT_PAUSE_BEFORE_ROSTER	? SMPC_MSG_ROSTER
			   : smpc_test_fault == SMPC_FAULT_PAUSE_BEFORE_CONFIRM ? SMPC_MSG_CONFIRM
																	: 0;

	if (want == 0 || !smpc_outbox_holds(job, want))
		return;
	ereport(LOG, errmsg("smpc: test fault: pausing for %d ms", SMPC_TEST_PAUSE_MS));
	smpc_test_sleep(SMPC_TEST_PAUSE_MS);
}
#endif

/*
 * Whose inputs a partner's release covers, from the DETAIL of its refusal
 * (messaging/deliver.cpp ends it with "covers the inputs of a, b, c."), as
 * "a, b, c"; NULL when it did not say (an older version, or no list).
 */
static char *
smpc_released_covers(const char *detail)
{
	static const char marker[] = "covers the inputs of ";
	const char		 *at = NULL;
	char			 *list;
	size_t			  len;

	for (const char *p = detail; p != NULL && (p = strstr(p, marker)) != NULL; p++)
		at = p;
	if (at == NULL)
		return NULL;
	list = pstrdup(at + strlen(marker));
	len = strlen(list);
	if (len < 2 || list[len - 1] != '.')
		return NULL;
	list[len - 1] = '\0';
	return list;
}

/* Whether party is in the list "a, b, c" (party names hold no commas). */
static bool
smpc_covers_party(const char *covers, const char *party)
{
	char *copy = pstrdup(covers);
	char *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		while (*tok == ' ')
			tok++;
		if (strcmp(tok, party) == 0)
			return true;
	}
	return false;
}

/*
 * Partner i had released the job before this attempt shared: this attempt
 * ends. Its error (and, through the job context, its audit record) says
 * what the partner said its release covers: a party whose server stopped
 * after its shares of an earlier attempt left is in it; a party that came
 * too late is not.
 */
static void
smpc_raise_released(SmpcExchange *x, int i, const char *failure, const char *detail)
{
	const SmpcFederationRow *fed = x->fed;
	const char				*party = fed->parties[i];
	char					*covers = smpc_released_covers(detail);
	const char				*how;
	char					*hint;

	if (covers != NULL)
	{
		StringInfoData list;

		initStringInfo(&list);
		for (const char *c = covers; *c; c++)
			if (!(*c == ' ' && c > covers && c[-1] == ','))
				appendStringInfoChar(&list, *c);
		x->ctx->released_covers = MemoryContextStrdup(x->cxt, list.data);
	}
	if (covers != NULL && smpc_party_is_input(fed, fed->self) &&
		smpc_covers_party(covers, fed->self_name))
	{
		how = "with this party's input";
		hint = psprintf("Its result covers the inputs of %s: this party's shares from an earlier "
						"attempt that did not finish here are in it. The result is released at "
						"the partners; this party stores none.",
						covers);
	}
	else if (covers != NULL)
	{
		how = "without this party";
		hint = psprintf("This party joined after the others finished; its input is not in their "
						"result (it covers the inputs of %s).",
						covers);
	}
	else
	{
		how = "without this attempt";
		hint = psprintf("Party %s did not say whose inputs its result covers; its smpc.jobs row "
						"does. This party's input is in it only if shares of an earlier attempt "
						"here reached the partners.",
						party);
	}
	ereport(ERROR, errcode(ERRCODE_SMPC_JOB_RELEASED),
			errmsg("job was already released at party \"%s\" %s", party, how),
			errdetail_internal("Party %s %s.", party, failure), errhint("%s", hint));
}

/*
 * An error while this party's confirms go out: some may have reached their
 * partners already, and a partner that holds every confirm releases (a
 * partner's server that stops between two of them splits the parties that
 * way, SECURITY.md "Availability"). The error says so, since its own text
 * (a connection to one partner failed) suggests that nothing was released.
 */
static void
smpc_confirm_context(void *arg)
{
	errcontext("while sending this party's confirm of job \"%s\": " SMPC_CONFIRM_OUT_NOTE,
			   (const char *) arg);
}

/*
 * Sends the outbox; a partner that cannot be reached gets nothing more in a
 * job that tolerates dropouts (its messages are still awaited), else its
 * failure is raised.
 */
void
smpc_send_round(SmpcJob *job, SmpcExchange *x, TimestampTz deadline, char **gone)
{
	const SmpcFederationRow *fed = x->fed;
	bool					 tolerant = x->tolerant;
	uint64					 unreachable = 0;
	char				   **failures;
	int						*codes;
	char				   **details;

#ifdef SMPC_TEST_BUILD
	smpc_test_pause(job);
#endif
	/* The job id is spent before anything that opens values leaves. */
	if (!x->spent && smpc_job_committed(job))
	{
		smpc_spent_record(fed, x->job_id, x->descriptor, x->ctx->initiator);
		x->spent = true;
	}
	failures = (char **) palloc0(sizeof(char *) * fed->nparties);
	codes = (int *) palloc0(sizeof(int) * fed->nparties);
	details = (char **) palloc0(sizeof(char *) * fed->nparties);
	/* Dropping a partner can complete a round and make more to send. */
	while (smpc_job_outbox_size(job) > 0)
	{
		uint64				 before = unreachable;
		bool				 sharing = smpc_job_round(job) <= 1;
		StringInfoData		 lost;
		ErrorContextCallback confirming = {error_context_stack, smpc_confirm_context,
										   (void *) x->job_id};
		bool				 confirm = smpc_outbox_holds(job, SMPC_MSG_CONFIRM);

		if (confirm)
			error_context_stack = &confirming;
		smpc_flush_outbox(job, fed, x, deadline, tolerant ? SMPC_SEND_TOLERANT : SMPC_SEND_STRICT,
						  &unreachable, failures, codes, details);
		if (confirm)
			error_context_stack = confirming.previous;
		initStringInfo(&lost);
		for (int i = 0; i < fed->nparties; i++)
		{
			SmpcStatus st;
			bool	   went_on;

			if (!(unreachable & ~before & (UINT64CONST(1) << i)))
				continue;
			/* A partner that released the job before this party shared: too late. */
			if (codes[i] == ERRCODE_SMPC_JOB_RELEASED && sharing)
				smpc_raise_released(x, i, failures[i], details[i]);
			/*
			 * A partner for which the job has just ended (refused, aborted,
			 * released without us) says so at once; why it ended may be on
			 * its way. A job without tolerance keeps the first such answer
			 * for the caller, which waits a moment for the reason (in the
			 * caller's memory: the loop's pass memory is reset each pass).
			 */
			if (!tolerant)
			{
				if (*gone == NULL)
					*gone = MemoryContextStrdup(
						x->cxt, psprintf("party %s %s", fed->parties[i], failures[i]));
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
			char dropouts[2048];

			smpc_job_dropouts(job, dropouts, sizeof dropouts);
			ereport(ERROR, errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					errmsg("too few parties remain in job: %s", lost.data),
					dropouts[0] ? errdetail("The job had already gone on without %s.", dropouts)
								: errdetail("The job cannot go on without them."),
					errhint("Check that the partners' servers are up, and the options of their "
							"smpc servers and user mappings."));
		}
		if (!tolerant)
			break;
	}
}
