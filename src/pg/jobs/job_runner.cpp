/*
 * Running one secure job: check the partners, claim the job id, admit it
 * under this party's release policy and privacy budget, exchange with the
 * partners (exchange_loop.cpp), hand the released result to
 * job_records.cpp, and record the attempt in the audit trail.
 *
 * Job ids: the job is claimed in shared memory before any message leaves (a
 * second session running it here is refused) and stays claimed until the
 * transaction ends. A released job id is never computed again: running it
 * again returns the stored result (job_records.cpp), to the same job only:
 * the same descriptor and the same input here (smpc_job_input). A job that
 * fails leaves no row, so it can simply be run again.
 */
#include "pg/jobs/jobs.h"
#include "net/peer.h"

extern "C" {
#include "access/parallel.h"
#include "common/shortest_dec.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"
}

/*
 * The job context of this backend (jobs.h), and the privacy charge of the
 * job it runs, if any (policy/privacy.cpp).
 */
static SmpcJobContext	 smpc_context;
static SmpcPrivacyCharge smpc_charge;
static volatile bool	 smpc_charged = false;

SmpcJobContext *
smpc_job_context(void)
{
	return &smpc_context;
}

__int128 *
smpc_alloc_values(int n)
{
	char *raw = (char *) palloc0(sizeof(__int128) * (Size) Max(n, 1) + 16);

	return (__int128 *) TYPEALIGN(16, raw);
}

/*
 * The input errors (SmpcInputError, jobs.h), by class: the error raised
 * here, and what partners are told (the class, never a value). In the
 * order of the enum.
 */
static const struct
{
	const char *message;
	const char *detail;
	const char *hint;
	const char *partners;
} smpc_input_errors[] = {
	/* SMPC_INPUT_OK */ {NULL, NULL, NULL, NULL},
	/* SMPC_INPUT_NAN */
	{"cannot aggregate NaN with smpc", NULL, "Leave NaN out, e.g. WHERE value <> 'NaN'.",
	 "it holds NaN"},
	/* SMPC_INPUT_INFINITY */
	{"cannot aggregate infinity with smpc", NULL,
	 "Leave infinite values out, e.g. WHERE value NOT IN ('Infinity', "
	 "'-Infinity').",
	 "it holds infinity"},
	/* SMPC_INPUT_NUMERIC_OVERFLOW */
	{"numeric sum is too large or has too many fractional digits "
	 "for smpc",
	 "Partial sums are kept exactly in 128 bits.", NULL, "its sum is out of range"},
	/* SMPC_INPUT_FLOAT8_RANGE */
	{"double precision sum is out of range for smpc",
	 "Each value times 10^scale must be finite and below 10^37 in "
	 "magnitude, and their sum must fit in 128 bits.",
	 NULL, "its sum is out of range"},
	/* SMPC_INPUT_VARIANCE_RANGE */
	{"double precision value is out of range for smpc variances",
	 "Values times 10^scale must stay below 10^18 in magnitude.", NULL, "a value is out of range"},
};

StaticAssertDecl(lengthof(smpc_input_errors) == SMPC_INPUT_VARIANCE_RANGE + 1,
				 "one entry per SmpcInputError");

void
smpc_raise_input_error(int input_error)
{
	if (input_error <= SMPC_INPUT_OK || input_error > SMPC_INPUT_VARIANCE_RANGE)
		elog(ERROR, "unknown smpc input error %d", input_error);
	ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			errmsg("%s", smpc_input_errors[input_error].message),
			smpc_input_errors[input_error].detail
				? errdetail("%s", smpc_input_errors[input_error].detail)
				: 0,
			smpc_input_errors[input_error].hint ? errhint("%s", smpc_input_errors[input_error].hint)
												: 0);
}

char *
smpc_input_error_reason(const SmpcFederationRow *fed, int input_error)
{
	bool known = input_error > SMPC_INPUT_OK && input_error <= SMPC_INPUT_VARIANCE_RANGE;

	return psprintf("party %s cannot aggregate its input: %s", fed->self_name,
					known ? smpc_input_errors[input_error].partners : "it is invalid");
}

/*
 * The parties this party exchanges messages with in this job, so needs an
 * smpc server for (to send, or to authenticate what they deliver): every
 * party, for a compute party; the compute parties, for any other. Also
 * checks that a party without an input role aggregated no rows.
 */
static void
smpc_job_peers(const SmpcFederationRow *fed, const SmpcJobSpec *req, bool *needed, bool *tolerant,
			   bool *symmetric)
{
	SmpcFederation core;
	SmpcStatus	   st;
	bool		   self_input;
	bool		   self_compute;
	bool		   self_output;
	bool		   inputs_compute = true;

	smpc_federation_as_core(fed, &core);
	if (!smpc_federation_roles(&core, fed->self, &self_input, &self_compute, &self_output, &st))
		smpc_raise_status(&st);
	if (!self_input && req->inputs_present && req->rows > 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("party \"%s\" supplies no input in federation \"%s\", but the aggregate "
					   "read %lld rows",
					   fed->self_name, fed->name, (long long) req->rows),
				errdetail("Its role is to compute or to receive the result."),
				errhint("Run SELECT smpc_join('%s', '%s', job_id) here instead.",
						smpc_aggregate_name(req->aggregate),
						smpc_value_class_name(req->value_class)));
	for (int i = 0; i < fed->nparties; i++)
	{
		bool input;
		bool compute;
		bool output;

		if (!smpc_federation_roles(&core, i, &input, &compute, &output, &st))
			smpc_raise_status(&st);
		needed[i] = i != fed->self && (self_compute || compute);
		if (input && !compute)
			inputs_compute = false;
	}
	*tolerant = fed->threshold != 0 || !inputs_compute;
	/* (The delivery endpoint asks the same: deliver.cpp.) */
	*symmetric = smpc_federation_peer_to_peer(fed);
}

/*
 * Whether this party's inbox can hold the job's messages: each partner
 * files up to two rounds' messages of the job's width at once (a share and
 * the next round's), in 32 kB slots, and may hold at most a quarter of the
 * slots (SMPC_INBOX_SHARE_PER_ROLE). A grouped job with many keys among
 * many parties can need more than smpc.max_messages; it fails here, before
 * anything is sent, rather than at a partner's delivery.
 */
static void
smpc_check_inbox_room(const SmpcFederationRow *fed, const SmpcJobSpec *req)
{
	/*
	 * Values (with the salt and MAC tags some models add: at most one per
	 * cell and two more), plus the job id and the federation definition a
	 * share carries.
	 */
	Size bytes = (Size) (req->width + req->cells + 2) * 16 + strlen(req->job_id) + 8192 + 1024;
	int	 slots = (int) ((bytes + SMPC_INBOX_SLOT_BYTES - 1) / SMPC_INBOX_SLOT_BYTES);
	int	 needed = Max(fed->nparties - 1, SMPC_INBOX_SHARE_PER_ROLE) * 2 * slots;

	/*
	 * Set jobs: a partner may file up to one blinded set per party (its
	 * hops and the fully blinded set it hands on) before this party takes
	 * them; sets are judged by this party's own (partners' sizes are not
	 * known here).
	 */
	if (req->set_at_least > 0)
	{
		/*
		 * (Intersection sums: each key with its sealed value, 160 bytes; and
		 * the sealed sum of each group, 128 bytes, that the counting party
		 * sends after the ring.)
		 */
		bytes = (Size) req->set_nkeys * (req->set_sum ? 160 : 32) + strlen(req->job_id) + 1024;
		if (req->set_sum)
			bytes = Max(bytes, (Size) Max(req->set_groups, 1) * 132 + strlen(req->job_id) + 1024);
		slots = (int) ((bytes + SMPC_INBOX_SLOT_BYTES - 1) / SMPC_INBOX_SLOT_BYTES);
		needed = Max(needed, SMPC_INBOX_SHARE_PER_ROLE * fed->nparties * slots);
	}

	if (needed > smpc_max_messages)
		ereport(
			ERROR, errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			errmsg("job \"%s\" needs %d inbox slots, more than smpc.max_messages (%d)", req->job_id,
				   needed, smpc_max_messages),
			errdetail("Each of the %d partners may file two messages of %d slots of 32 kB at once, "
					  "and may hold at most a quarter of the slots.",
					  fed->nparties - 1, slots),
			errhint("Raise smpc.max_messages to at least %d at every party (server restart), or "
					"use fewer keys or buckets.",
					needed));
}

/*
 * What this party's input to the job is, as its stored result is bound to
 * it (SmpcJobIdentity, jobs.h): "reading weight clipped to [0, 10000]",
 * "no input".
 */
static char *
smpc_job_input(const SmpcJobSpec *req)
{
	char *text;

	if (!req->inputs_present)
		text = pstrdup("no input");
	else if (req->sources == NULL)
		text = pstrdup("reading an input not followed");
	else
		text = psprintf("reading %s", smpc_sources_text(req->sources));
	if (req->bounds != NULL && req->bounds->present)
		text = psprintf("%s clipped to %s%s", text, smpc_bounds_text(req->bounds),
						req->bounds->reject ? " (values outside refused)" : "");
	return text;
}

/*
 * The checks, the claim and the exchange of smpc_run_job. Returns true when
 * the job was computed now, false when an earlier release was returned.
 * Sets the audit record's policy.
 */
static bool
smpc_run_job_checked(const SmpcFederationRow *fed, const SmpcJobSpec *req, const char *descriptor,
					 SmpcJobContext *ctx, SmpcAuditRecord *audit, __int128 *outputs,
					 SmpcJobResult *res)
{
	SmpcJobIdentity id = {descriptor, smpc_job_input(req)};
	uint8			key[32];
	SmpcStatus		st;
	volatile bool	stored = false;
	TimestampTz		started = GetCurrentTimestamp();
	bool		   *needed = (bool *) palloc0(sizeof(bool) * fed->nparties);
	bool			tolerant;
	bool			symmetric;

	/*
	 * Everything that can be checked locally is checked before any message
	 * leaves. A job on a published dataset was started by smpc_run, at this
	 * party or the initiator: its id is in that party's namespace.
	 */
	smpc_job_id_check_namespace(
		fed, req->job_id,
		ctx->dataset == NULL ? NULL : (ctx->initiator ? ctx->initiator : fed->self_name));
	smpc_job_peers(fed, req, needed, &tolerant, &symmetric);
	smpc_peer_check_partners(fed, needed);
	smpc_check_inbox_room(fed, req);
	smpc_check_result_grant(fed);
	if (!smpc_job_key(fed->name, req->job_id, strlen(req->job_id), key, &st))
		smpc_raise_status(&st);

	/* Released earlier in this transaction? */
	if (smpc_job_lookup_pending(fed, req->job_id, &id, outputs, req->width, res))
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
		strlcpy(status.initiated_by, ctx->initiator ? ctx->initiator : "",
				sizeof status.initiated_by);
		smpc_inbox_set_status(key, &status, true);
	}
	PG_TRY();
	{
		stored = smpc_job_lookup_stored(fed, req->job_id, &id, outputs, req->width, res);
		if (!stored)
		{
			SmpcPolicy policy;

			/* An earlier attempt that opened anything spent the id. */
			smpc_spent_check(fed, req->job_id);
			char	described[512];
			double *noise = NULL;
			bool	holds_data = req->inputs_present && smpc_party_is_input(fed, fed->self);

			/* A new computation: this party's release policy must admit it. */
			smpc_policy_for_job(fed, req->bounds, &policy);
			/*
			 * Only a matrix job's policy names overlap_pairs (checked below),
			 * so allowing it at one party first changes no other job's.
			 */
			policy.overlap_pairs = req->set_pairs && fed->overlap_pairs;
			if (smpc_policy_describe(&policy, described, sizeof described, &st))
				audit->text[SMPC_AUDIT_POLICY] = pstrdup(described);
			/* (An input that failed is raised by the exchange, which tells partners first.) */
			if (!req->input_error)
				smpc_policy_check_input(fed, req->job_id, req->aggregate, req->bounds,
										req->outside);
			/* Differential privacy: the noise, and (with data here) the budget. */
			if (smpc_epsilon > 0 && !req->input_error)
			{
				{
					SmpcNoiseShape shape = {req->kinds, req->width, req->bounds, req->column,
											req->noise_reach};

					noise = smpc_privacy_noise(fed, &shape, smpc_epsilon);
				}
				if (holds_data)
				{
					smpc_privacy_admit(fed, req->job_id, descriptor, ctx->initiator, req->sources,
									   smpc_epsilon, &smpc_charge);
					smpc_charged = true;
				}
			}
			else if (holds_data && !req->input_error)
				smpc_privacy_require_none(fed, req->sources);
			/* (The job refuses a federation smaller than min_parties when it is made.) */
			{
				SmpcExchange x;

				memset(&x, 0, sizeof x);
				x.fed = fed;
				x.job_id = req->job_id;
				x.descriptor = descriptor;
				x.req = req;
				x.policy = &policy;
				x.noise = noise;
				x.key = key;
				x.tolerant = tolerant;
				x.ctx = ctx;
				smpc_job_exchange(&x, outputs, res);
			}
			smpc_job_record(fed, req->job_id, &id, key, outputs, req->width, started, res);
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
		/* Partners' messages for it that come later, and no job here claims, are dead. */
		smpc_ended_job_record(key);
		smpc_inbox_unregister(key, false);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (stored)
		smpc_inbox_unregister(key, true);
	return !stored;
}

/*
 * Runs one job (or returns its earlier release) and records the attempt in
 * the audit trail, whatever its outcome.
 */
void
smpc_run_job(const SmpcFederationRow *fed, const SmpcJobSpec *req, __int128 *outputs,
			 SmpcJobResult *res)
{
	char		   *descriptor;
	size_t			job_id_len = strlen(req->job_id);
	SmpcAuditRecord audit;
	MemoryContext	cxt = CurrentMemoryContext;
	volatile bool	computed = false;
	char *volatile result_text = NULL;
	SmpcJobContext *ctx = smpc_job_context();

	memset(res, 0, sizeof *res);
	ctx->entered = true;
	ctx->exchanged = false;
	ctx->released_covers = NULL;
	smpc_charged = false;
	smpc_inbox_require();
	if (IsParallelWorker())
		ereport(
			ERROR, errcode(ERRCODE_INVALID_TRANSACTION_STATE),
			errmsg("smpc jobs cannot run in a parallel worker"),
			errdetail("The planner put the whole aggregate, its final function too, in a "
					  "parallel worker, e.g. in a subquery on the inner side of a parallel join."),
			errhint("Compute the aggregate in a query or scalar subquery of its own, or SET "
					"max_parallel_workers_per_gather = 0 for this query."));
	if (job_id_len == 0 || job_id_len > 16384)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("job id must be between 1 and 16384 bytes long"));
	/*
	 * A job on a published dataset is named after it: a job id taken by a
	 * partner's smpc_run can never hand its result to a local aggregate
	 * under the same id (that is a different computation, SM005).
	 */
	if (smpc_epsilon > 0 && (ctx->dataset != NULL || req->kinds == NULL))
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("smpc.epsilon does not apply to %s",
					   ctx->dataset ? "jobs on published datasets yet" : "this job"),
				errhint("SET smpc.epsilon = 0 for this job."));
	descriptor = psprintf(
		"%s(%s)%s%s%s%s", smpc_aggregate_name(req->aggregate),
		smpc_value_class_name(req->value_class), req->shape ? req->shape : "",
		ctx->dataset ? " on " : "", ctx->dataset ? ctx->dataset : "",
		smpc_epsilon > 0 ? psprintf(" with epsilon %s", double_to_shortest_decimal(smpc_epsilon))
						 : "");
	if (strlen(descriptor) > 255)
		elog(ERROR, "smpc job descriptor \"%s\" is too long", descriptor);

	smpc_audit_begin(&audit, fed, req->job_id, descriptor, req->outside, ctx->initiator);
	PG_TRY();
	{
		/*
		 * The attempt is on disk before anything of it happens, so that a
		 * server stop cannot lose it (audit/audit_files.cpp); the audit
		 * writer deletes that copy once the attempt's final record is in.
		 */
		smpc_audit_pledge(&audit);
		computed = smpc_run_job_checked(fed, req, descriptor, ctx, &audit, outputs, res);
		/* (Here, so that an error making it is the attempt's 'failed' record.) */
		if (res->has_result)
			result_text = smpc_audit_result_text(req, outputs, res);
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* Partners that released without this attempt said what they cover. */
		if (ctx->released_covers != NULL)
			audit.text[SMPC_AUDIT_COVERS] = ctx->released_covers;
		smpc_audit_failed(&audit, edata);
		/* Charged, but nothing of this party's input left: give the budget back. */
		/*
		 * (Not when an input plus its noise share left the field's range:
		 * that failure depends on the noise, and refunding it would make
		 * the release (epsilon, delta) instead of pure epsilon.)
		 */
		if (smpc_charged && !ctx->exchanged &&
			edata->sqlerrcode != ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE)
			smpc_privacy_refund(fed, req->job_id, descriptor, ctx->initiator, &smpc_charge);
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
		smpc_audit_released(&audit, computed ? "released" : "returned", result_text);
}
