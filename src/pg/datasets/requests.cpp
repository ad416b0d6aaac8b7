/*
 * Requests: how one party's analyst starts a job on a published dataset at
 * every partner (smpc_run, run.cpp), and how a partner answers.
 *
 * The initiator sends each partner a request in two stages, to all partners
 * in parallel: "check" (may you run this job? nothing changes there), then,
 * when every partner said yes, "launch" (each starts a background worker
 * that computes its side from its own publication, partner_job_worker.cpp).
 * A partner that refuses says why in the error of its deliver call, and the
 * analyst sees that reason; no partner starts anything unless all agreed.
 * If the initiator's own side fails before its messages go out, it
 * "withdraws" the request: the partners' workers are cancelled. A worker
 * whose job fails before its own messages go out sends the initiator a
 * "failed" report with the reason, which the initiator's running job raises
 * (job_runner.cpp); later failures travel as ordinary aborts.
 *
 * Everything a partner checks is its own: its publication of the dataset
 * (published, column, aggregate, starter), its bounds, its role's right to
 * receive results, and the column's type. Errors other than those refusals
 * (e.g. the dataset's query failing there) go back as their SQLSTATE only:
 * their text could name this party's tables or values.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include <signal.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
}

bool
smpc_request_parse_descriptor(const char *descriptor, char *aggregate, char *value_class)
{
	const char *open = strchr(descriptor, '(');
	size_t		len = strlen(descriptor);
	size_t		alen;

	if (open == NULL || len < 4 || descriptor[len - 1] != ')')
		return false;
	alen = open - descriptor;
	if (alen >= 16 || len - alen - 2 >= 16)
		return false;
	memcpy(aggregate, descriptor, alen);
	aggregate[alen] = '\0';
	memcpy(value_class, open + 1, len - alen - 2);
	value_class[len - alen - 2] = '\0';
	switch (smpc_dataset_aggregate(aggregate))
	{
		case SMPC_AGG_NONE:
			return false;
		case SMPC_AGG_COUNT:
			return smpc_value_class_parse(value_class) == SMPC_VALUE_ANY;
		default:
			return smpc_value_class_parse(value_class) != SMPC_VALUE_NONE &&
				   smpc_value_class_parse(value_class) != SMPC_VALUE_ANY;
	}
}

/*
 * Whether an error may go to a partner with its text: smpc's own refusals
 * and limits, raised by smpc's code (its C++ files), never an error of code
 * the dataset's query calls, whatever SQLSTATE that chose.
 */
static bool
smpc_request_error_is_shareable(const ErrorData *edata)
{
	char   state[6];
	size_t len = edata->filename ? strlen(edata->filename) : 0;

	memcpy(state, unpack_sql_state(edata->sqlerrcode), 6);
	if (len < 4 || strcmp(edata->filename + len - 4, ".cpp") != 0)
		return false;
	return (state[0] == 'S' && state[1] == 'M') ||
		   edata->sqlerrcode == ERRCODE_CONFIGURATION_LIMIT_EXCEEDED ||
		   edata->sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

/* Refuses text from a partner that is not valid in the database encoding. */
static void
smpc_request_check_text(const char *text, const char *what)
{
	if (!pg_verifymbstr(text, strlen(text), true))
		ereport(ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
				errmsg("request holds a %s that is not valid text", what));
}

/* Refused with: the job id is too long to keep in a partner job slot. */
static void
smpc_request_check_job_id(const char *job_id)
{
	if (strlen(job_id) > SMPC_PARTNER_JOB_ID_MAX)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("job ids of jobs started by partners have at most %d bytes",
					   SMPC_PARTNER_JOB_ID_MAX));
}

/*
 * The checks of a request at this party; raises the refusal. Returns the
 * publication.
 */
static void
smpc_request_admit(const SmpcFederationRow *fed, const char *sender, const char *job_id,
				   const SmpcRequest *rq, const char *aggregate, const char *value_class,
				   const uint8 *key, SmpcDataset **out)
{
	SmpcDataset *ds;
	HeapTuple	 role;
	bool		 can_login;

	if (smpc_max_partner_jobs == 0)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("party \"%s\" does not run jobs for partners", fed->self_name),
				errhint("Its DBA enables them with smpc.max_partner_jobs."));
	smpc_request_check_job_id(job_id);
	/* A partner starts jobs in its own namespace only: it cannot take another job's id. */
	smpc_job_id_check_namespace(fed, job_id, sender);
	/*
	 * Against the publication as stored, with the column kind found when it
	 * was published: the dataset's query never runs in this session, which
	 * belongs to the partner. (The worker checks the query itself, in a
	 * session of its own.)
	 */
	ds = smpc_dataset_for_partner(fed, rq->dataset, aggregate, rq->column, value_class, sender,
								  false, out);
	role = SearchSysCache1(AUTHOID, ObjectIdGetDatum(ds->run_as));
	can_login = HeapTupleIsValid(role) && ((Form_pg_authid) GETSTRUCT(role))->rolcanlogin;
	if (HeapTupleIsValid(role))
		ReleaseSysCache(role);
	if (!can_login)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("the role that dataset \"%s\" runs as at party \"%s\" no longer exists or "
					   "may not log in",
					   ds->name, fed->self_name));
	smpc_check_result_grant_as(fed, ds->run_as);
	if (smpc_job_is_released(fed, job_id))
		ereport(ERROR, errcode(ERRCODE_SMPC_JOB_RELEASED),
				errmsg("job \"%s\" of federation \"%s\" was already released at party \"%s\"",
					   job_id, fed->name, fed->self_name),
				errhint("Choose another job id."));
	if (smpc_inbox_has_waiter(key))
		ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
				errmsg("job \"%s\" of federation \"%s\" is running at party \"%s\" already", job_id,
					   fed->name, fed->self_name));
}

/* Starts the background worker of a partner job; raises when it cannot. */
static void
smpc_request_start_worker(const SmpcFederationRow *fed, const SmpcDataset *ds, const char *sender,
						  const char *job_id, const SmpcRequest *rq, const uint8 *key)
{
	SmpcPartnerJob			job;
	uint64					generation;
	int						slot;
	BackgroundWorker		worker;
	BackgroundWorkerHandle *handle;
	pid_t					pid;

	memset(&job, 0, sizeof job);
	job.dbid = MyDatabaseId;
	job.roleid = ds->run_as;
	memcpy(job.key, key, 32);
	memcpy(job.nonce, rq->nonce, 16);
	strlcpy(job.federation, fed->name, sizeof job.federation);
	strlcpy(job.dataset, rq->dataset, sizeof job.dataset);
	strlcpy(job.column, rq->column, sizeof job.column);
	strlcpy(job.descriptor, rq->descriptor, sizeof job.descriptor);
	strlcpy(job.initiator, sender, sizeof job.initiator);
	strlcpy(job.job_id, job_id, sizeof job.job_id);
	slot = smpc_partner_job_claim(&job, &generation);
	if (slot == -2)
		ereport(ERROR, errcode(ERRCODE_SMPC_JOB_CONFLICT),
				errmsg("job \"%s\" of federation \"%s\" is running at party \"%s\" already", job_id,
					   fed->name, fed->self_name));
	if (slot < 0)
		ereport(
			ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			errmsg("party \"%s\" already runs %d jobs for partners", fed->self_name,
				   smpc_max_partner_jobs),
			errhint(
				"Run the job again later; the DBA of party \"%s\" may raise smpc.max_partner_jobs.",
				fed->self_name));

	smpc_bgworker_init(&worker, "smpc_partner_job_main", "smpc partner job");
	snprintf(worker.bgw_name, BGW_MAXLEN, "smpc job for party %s", sender);
	worker.bgw_main_arg = Int32GetDatum(slot);
	memcpy(worker.bgw_extra, &generation, sizeof generation);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		smpc_partner_job_release(slot, generation);
		ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("party \"%s\" could not start a background worker for job \"%s\"",
					   fed->self_name, job_id),
				errhint("The DBA of party \"%s\" may raise max_worker_processes.", fed->self_name));
	}
	PG_TRY();
	{
		BgwHandleStatus status = WaitForBackgroundWorkerStartup(handle, &pid);
		SmpcPartnerJob	still;

		if (status == BGWH_STARTED)
			smpc_partner_job_started(slot, generation, pid);
		else if (status == BGWH_POSTMASTER_DIED)
			ereport(ERROR, errcode(ERRCODE_ADMIN_SHUTDOWN),
					errmsg("party \"%s\" is shutting down", fed->self_name));
		/* Stopped: it ran and ended already (it released its slot), or never ran. */
		else if (smpc_partner_job_get(slot, generation, &still))
			ereport(ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("party \"%s\" could not start a background worker for job \"%s\"",
						   fed->self_name, job_id));
	}
	PG_CATCH();
	{
		/* Cancelled while waiting, or the worker never ran: no slot is left behind. */
		TerminateBackgroundWorker(handle);
		smpc_partner_job_release(slot, generation);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

void
smpc_request_audit_failure(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
						   const char *initiator, const char *requested_by, const ErrorData *edata)
{
	SmpcAuditRecord audit;

	smpc_audit_begin(&audit, fed, job_id, descriptor, 0, initiator);
	if (requested_by != NULL)
		audit.text[SMPC_AUDIT_REQUESTED_BY] = pstrdup(requested_by);
	smpc_audit_failed(&audit, edata);
}

/*
 * A request at deliver: checks (check, launch), starts the worker (launch),
 * cancels it (withdraw), or files a partner's failure report for the job
 * this party started. Refusals are audited here and raised to the sender.
 */
void
smpc_request_receive(const SmpcFederationRow *fed, const SmpcMessageInfo *info, const uint8 *data,
					 size_t len)
{
	SmpcRequest	  rq;
	SmpcStatus	  st;
	char		  aggregate[16];
	char		  value_class[16];
	const char	 *sender = fed->parties[info->sender];
	char		 *job_id = pnstrdup((const char *) data + info->job_id_offset, info->job_id_len);
	MemoryContext cxt = CurrentMemoryContext;
	SmpcDataset *volatile ds = NULL;

	if (!smpc_request_read(data, len, &rq, &st))
		smpc_raise_status(&st);
	smpc_request_check_text(job_id, "job id");
	smpc_request_check_text(rq.dataset, "dataset name");
	smpc_request_check_text(rq.column, "column name");
	smpc_request_check_text(rq.descriptor, "job descriptor");
	smpc_request_check_text(rq.reason, "reason");
	if (rq.stage == SMPC_REQUEST_WITHDRAW)
	{
		int pid = smpc_partner_job_withdraw(info->job_key, sender, rq.nonce);

		if (pid != 0)
			(void) kill(pid, SIGINT);
		return;
	}
	if (rq.stage == SMPC_REQUEST_FAILED)
	{
		/*
		 * A report is read only by the call that asked (its nonce): once
		 * that call ended here, nothing would take it from the inbox.
		 */
		if (!smpc_ended_call_known(info->job_key, rq.nonce))
			smpc_inbox_put(info->job_key, info, data, len);
		return;
	}
	if (!smpc_request_parse_descriptor(rq.descriptor, aggregate, value_class))
		ereport(ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
				errmsg("request names an unknown job \"%s\"", rq.descriptor));
	PG_TRY();
	{
		SmpcDataset *loaded = NULL;

		PG_TRY();
		{
			smpc_request_admit(fed, sender, job_id, &rq, aggregate, value_class, info->job_key,
							   &loaded);
		}
		PG_FINALLY();
		{
			ds = loaded;
		}
		PG_END_TRY();
		if (rq.stage == SMPC_REQUEST_LAUNCH)
			smpc_request_start_worker(fed, ds, sender, job_id, &rq, info->job_key);
	}
	PG_CATCH();
	{
		ErrorData *edata;
		char	   code[6];

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/*
		 * Refused here: the other partners' messages for the job, which no
		 * job here will claim, are dead (not when it runs here already).
		 */
		if (edata->sqlerrcode != ERRCODE_SMPC_JOB_CONFLICT)
			smpc_ended_job_record(info->job_key);
		smpc_request_audit_failure(fed, job_id, rq.descriptor, sender,
								   ds ? GetUserNameFromId(ds->run_as, true) : NULL, edata);
		if (smpc_request_error_is_shareable(edata))
		{
			/* The message, detail and hint; not where in this party's code or SQL. */
			edata->context = NULL;
			edata->internalquery = NULL;
			edata->internalpos = 0;
			ReThrowError(edata);
		}
		/* Kept here (server log, audit trail); the partner learns the SQLSTATE. */
		memcpy(code, unpack_sql_state(edata->sqlerrcode), 6);
		ereport(LOG_SERVER_ONLY,
				errmsg("smpc: request of party %s for job \"%s\" on dataset \"%s\" failed: %s",
					   sender, job_id, rq.dataset, edata->message));
		ereport(
			ERROR, errcode(edata->sqlerrcode),
			errmsg("party \"%s\" cannot run job \"%s\" on dataset \"%s\": an error occurred there "
				   "(SQLSTATE %s)",
				   fed->self_name, job_id, rq.dataset, code),
			errhint(
				"The admin of party \"%s\" finds the error in its server log and smpc.audit_log.",
				fed->self_name));
	}
	PG_END_TRY();
}

/* Sends stage `stage` of run's request to the parties in to[]; every answer in sends. */
static int
smpc_request_send(SmpcRequestRun *run, int stage, const bool *to, SmpcSend *sends, int *party_of)
{
	SmpcFederation core;
	int			   n = 0;
	TimestampTz	   deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), smpc_timeout_ms);

	smpc_federation_as_core(run->fed, &core);
	run->request.stage = stage;
	for (int i = 0; i < run->fed->nparties; i++)
	{
		SmpcStatus st;
		uint8_t	  *bytes;
		size_t	   len;
		uint8	  *copy;

		if (!to[i])
			continue;
		if (!smpc_request_message(&core, run->job_id, i, &run->request, &bytes, &len, &st))
			smpc_raise_status(&st);
		copy = (uint8 *) palloc(len);
		memcpy(copy, bytes, len);
		smpc_free_bytes(bytes);
		memset(&sends[n], 0, sizeof sends[n]);
		sends[n].party = run->fed->parties[i];
		sends[n].data = copy;
		sends[n].len = len;
		sends[n].what = stage == SMPC_REQUEST_CHECK	   ? "request (check)"
						: stage == SMPC_REQUEST_LAUNCH ? "request (launch)"
													   : "request (withdraw)";
		party_of[n++] = i;
	}
	smpc_peer_send_all(sends, n, deadline,
					   stage == SMPC_REQUEST_WITHDRAW ? SMPC_SEND_BEST_EFFORT : SMPC_SEND_COLLECT);
	return n;
}

/* Whether a partner never answered (a broken connection, or smpc.timeout passed). */
static bool
smpc_request_unanswered(const SmpcSend *send)
{
	return send->failure_code == ERRCODE_CONNECTION_FAILURE ||
		   send->failure_code == ERRCODE_SMPC_PARTNER_TIMEOUT;
}

/* Whether this party's federation tolerates partners that do not take part. */
static bool
smpc_request_tolerant(const SmpcFederationRow *fed)
{
	return fed->threshold != 0;
}

/*
 * Raises the refusals (and, where the federation needs every party, the
 * unreachable partners) among the answers; NOTICEs the unreachable
 * partners a tolerant federation goes on without, and drops them from to[].
 */
static void
smpc_request_raise_failures(SmpcRequestRun *run, SmpcSend *sends, const int *party_of, int n,
							bool *to, bool withdraw_first)
{
	int			   first = -1;
	int			   nfailed = 0;
	StringInfoData all;

	initStringInfo(&all);
	for (int k = 0; k < n; k++)
	{
		bool unreachable;

		if (sends[k].failure == NULL)
			continue;
		unreachable = smpc_request_unanswered(&sends[k]) ||
					  sends[k].failure_code == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION;
		if (unreachable && smpc_request_tolerant(run->fed))
		{
			ereport(NOTICE, errmsg("job \"%s\" goes on without party \"%s\", which %s", run->job_id,
								   sends[k].party, sends[k].failure));
			to[party_of[k]] = false;
			continue;
		}
		if (first < 0)
			first = k;
		nfailed++;
		appendStringInfo(&all, "%sparty %s: %s", all.len ? "; " : "", sends[k].party,
						 sends[k].failure);
	}
	if (first < 0)
		return;
	if (withdraw_first)
		smpc_request_withdraw_all(run);
	if (nfailed == 1)
		ereport(ERROR, errcode(sends[first].failure_code),
				errmsg("party \"%s\" refused job \"%s\": %s", sends[first].party, run->job_id,
					   sends[first].failure),
				sends[first].failure_detail ? errdetail_internal("%s", sends[first].failure_detail)
											: errdetail("No partner runs the job."),
				sends[first].failure_hint ? errhint("%s", sends[first].failure_hint) : 0);
	ereport(ERROR, errcode(sends[first].failure_code),
			errmsg("%d partners refused job \"%s\"", nfailed, run->job_id),
			errdetail_internal("%s.", all.data), errhint("No partner runs the job."));
}

/*
 * Checks the request with every partner, then launches it at all of them.
 * Raises the partners' refusals before any partner started anything; if a
 * launch fails, the partners that launched are withdrawn first.
 */
void
smpc_request_launch_all(SmpcRequestRun *run)
{
	const SmpcFederationRow *fed = run->fed;
	bool					*to = (bool *) palloc0(sizeof(bool) * fed->nparties);
	SmpcSend				*sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * fed->nparties);
	int						*party_of = (int *) palloc0(sizeof(int) * fed->nparties);
	int						 n;

	smpc_request_check_job_id(run->job_id);
	for (int i = 0; i < fed->nparties; i++)
		to[i] = i != fed->self;
	n = smpc_request_send(run, SMPC_REQUEST_CHECK, to, sends, party_of);
	/* "check": nothing was started yet; "launch": those that started are withdrawn. */
	smpc_request_raise_failures(run, sends, party_of, n, to, false);

	n = smpc_request_send(run, SMPC_REQUEST_LAUNCH, to, sends, party_of);
	/* A launch that got no answer may have started: it is withdrawn like the others. */
	for (int k = 0; k < n; k++)
		run->launched[party_of[k]] = sends[k].failure == NULL || smpc_request_unanswered(&sends[k]);
	smpc_request_raise_failures(run, sends, party_of, n, to, true);
}

static void
smpc_request_send_withdraw(void *arg)
{
	SmpcRequestRun *run = (SmpcRequestRun *) arg;
	SmpcSend	   *sends = (SmpcSend *) palloc0(sizeof(SmpcSend) * run->fed->nparties);
	int			   *party_of = (int *) palloc0(sizeof(int) * run->fed->nparties);

	(void) smpc_request_send(run, SMPC_REQUEST_WITHDRAW, run->launched, sends, party_of);
	memset(run->launched, 0, sizeof(bool) * run->fed->nparties);
}

void
smpc_request_call_ended(SmpcRequestRun *run)
{
	uint8	   key[32];
	SmpcStatus st;

	if (!smpc_job_key(run->fed->name, run->job_id, strlen(run->job_id), key, &st))
		return;
	/*
	 * Recorded first, then the filed ones dropped: a report that comes
	 * between its check and its filing (a moment) still waits out its age.
	 */
	smpc_ended_call_record(key, run->request.nonce);
	smpc_inbox_drop_reports(key);
}

/*
 * Cancels the job at every partner that launched it; never raises (it runs
 * on error paths, after the caller's error was copied and flushed).
 */
void
smpc_request_withdraw_all(SmpcRequestRun *run)
{
	bool any = false;

	for (int i = 0; i < run->fed->nparties; i++)
		any = any || run->launched[i];
	if (any)
		smpc_never_raise(smpc_request_send_withdraw, run);
}

void
smpc_request_take_report(const SmpcFederationRow *fed, const char *job_id, const uint8 *nonce,
						 const uint8 *data, size_t len)
{
	SmpcRequest		rq;
	SmpcMessageInfo info;
	SmpcStatus		st;

	if (nonce == NULL || !smpc_request_read(data, len, &rq, &st) ||
		rq.stage != SMPC_REQUEST_FAILED || memcmp(rq.nonce, nonce, 16) != 0 ||
		!smpc_message_inspect(data, len, &info, &st))
		return; /* not about this call: a stale report */
	ereport(ERROR, errcode(rq.refused ? ERRCODE_SMPC_POLICY_REFUSED : ERRCODE_SMPC_PARTNER_ABORTED),
			errmsg("party \"%s\" could not run job \"%s\": %s", fed->parties[info.sender], job_id,
				   rq.reason),
			errdetail("No result was released."));
}

void
smpc_request_report_failure(const SmpcFederationRow *fed, const SmpcPartnerJob *job,
							const ErrorData *edata)
{
	SmpcFederation core;
	SmpcRequest	   rq;
	SmpcStatus	   st;
	SmpcSend	   send;
	uint8_t		  *bytes;
	size_t		   len;
	int			   to = -1;
	char		   code[6];

	for (int i = 0; i < fed->nparties; i++)
		if (strcmp(fed->parties[i], job->initiator) == 0)
			to = i;
	if (to < 0)
		return;
	memset(&rq, 0, sizeof rq);
	strlcpy(rq.descriptor, job->descriptor, sizeof rq.descriptor);
	strlcpy(rq.dataset, job->dataset, sizeof rq.dataset);
	strlcpy(rq.column, job->column, sizeof rq.column);
	memcpy(rq.nonce, job->nonce, 16);
	rq.stage = SMPC_REQUEST_FAILED;
	rq.refused = edata->sqlerrcode == ERRCODE_SMPC_POLICY_REFUSED ||
				 edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE;
	memcpy(code, unpack_sql_state(edata->sqlerrcode), 6);
	if (smpc_request_error_is_shareable(edata))
	{
		/* Cut on a character boundary: the reason must stay valid text. */
		int n = pg_mbcliplen(edata->message, strlen(edata->message), sizeof rq.reason - 1);

		memcpy(rq.reason, edata->message, n);
		rq.reason[n] = '\0';
	}
	else if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		snprintf(rq.reason, sizeof rq.reason, "the job was cancelled at party %s", fed->self_name);
	else
		snprintf(rq.reason, sizeof rq.reason, "an error occurred at party %s (SQLSTATE %s)",
				 fed->self_name, code);
	smpc_federation_as_core(fed, &core);
	if (!smpc_request_message(&core, job->job_id, to, &rq, &bytes, &len, &st))
		return;
	memset(&send, 0, sizeof send);
	send.party = job->initiator;
	send.data = (const uint8 *) memcpy(palloc(len), bytes, len);
	send.len = len;
	send.what = "request (failed)";
	smpc_free_bytes(bytes);
	smpc_peer_send_all(&send, 1,
					   TimestampTzPlusMilliseconds(GetCurrentTimestamp(), smpc_timeout_ms),
					   SMPC_SEND_BEST_EFFORT);
}
