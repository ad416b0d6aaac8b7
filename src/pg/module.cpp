/*
 * Module entry, the top of the PostgreSQL glue (src/pg/README.md):
 * PG_MODULE_MAGIC, the definitions of the settings (their variables are in
 * common/settings.cpp), the shared-memory hooks (the inbox, the handover,
 * the audit queue, the partner job slots and the ended runs), and the hooks through which
 * lower layers reach upper ones.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

/* Values of smpc.outside_domain. */
static const struct config_enum_entry smpc_outside_domain_options[] = {
	{"reject", SMPC_OUTSIDE_REJECT, false}, {"drop", SMPC_OUTSIDE_DROP, false}, {NULL, 0, false}};

/* Values of smpc.repeated_keys. */
static const struct config_enum_entry smpc_repeated_keys_options[] = {
	{"count_once", SMPC_REPEATED_COUNT_ONCE, false},
	{"refuse", SMPC_REPEATED_REFUSE, false},
	{NULL, 0, false}};

#ifdef SMPC_TEST_BUILD
/* Values of smpc.test_fault: the bridge's fault codes by name. */
static const struct config_enum_entry smpc_test_fault_options[] = {
	{"none", SMPC_FAULT_NONE, false},
	{"equivocate_share", SMPC_FAULT_EQUIVOCATE_SHARE, false},
	{"equivocate_count", SMPC_FAULT_EQUIVOCATE_COUNT, false},
	{"equivocate_partial", SMPC_FAULT_EQUIVOCATE_PARTIAL, false},
	{"wrong_confirm", SMPC_FAULT_WRONG_CONFIRM, false},
	{"wrong_partial", SMPC_FAULT_WRONG_PARTIAL, false},
	{"pause_before_roster", SMPC_FAULT_PAUSE_BEFORE_ROSTER, false},
	{"pause_before_confirm", SMPC_FAULT_PAUSE_BEFORE_CONFIRM, false},
	{"abort_after_open", SMPC_FAULT_ABORT_AFTER_OPEN, false},
	{"equivocate_key", SMPC_FAULT_EQUIVOCATE_KEY, false},
	{"repeat_blinded", SMPC_FAULT_REPEAT_BLINDED, false},
	{"drop_blinded", SMPC_FAULT_DROP_BLINDED, false},
	{"pause_after_filing", SMPC_FAULT_PAUSE_AFTER_FILING, false},
	{"pause_before_pickup", SMPC_FAULT_PAUSE_BEFORE_PICKUP, false},
	{NULL, 0, false}};
#endif

/* Lowering smpc.key_domain_cache frees a kept domain above it at once (never throws). */
static void
smpc_key_domain_cache_assign(int newval, void *extra)
{
	smpc_domain_cache_limit(newval);
}

static shmem_request_hook_type smpc_prev_shmem_request_hook = NULL;
static shmem_startup_hook_type smpc_prev_shmem_startup_hook = NULL;

static void
smpc_shmem_request(void)
{
	if (smpc_prev_shmem_request_hook)
		smpc_prev_shmem_request_hook();
	smpc_inbox_shmem_request();
	smpc_handover_shmem_request();
	smpc_audit_shmem_request();
	smpc_partner_jobs_shmem_request();
	smpc_ended_runs_shmem_request();
}

static void
smpc_shmem_startup(void)
{
	if (smpc_prev_shmem_startup_hook)
		smpc_prev_shmem_startup_hook();
	smpc_inbox_shmem_startup();
	smpc_handover_shmem_startup();
	smpc_audit_shmem_startup();
	smpc_partner_jobs_shmem_startup();
	smpc_ended_runs_shmem_startup();
}

/* Defines the smpc.* settings; installs the inbox when preloaded. */
void
_PG_init(void)
{
	DefineCustomIntVariable("smpc.timeout", "How long a job waits for partners in each round.",
							"A partner that has not answered by then makes the job fail "
							"with an error naming it.",
							&smpc_timeout_ms, 30000, 100, 24 * 3600 * 1000, PGC_USERSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomStringVariable("smpc.federation", "Federation that smpc aggregates run in.",
							   "Empty means the only registered federation.", &smpc_federation_name,
							   "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("smpc.allow_insecure_transport",
							 "Allows partner connections without TLS certificate verification.",
							 "Off by default: partner servers must use sslmode verify-full, "
							 "or verify-ca with the server option allow_verify_ca. Every "
							 "connection made without them is logged.",
							 &smpc_allow_insecure_transport, false, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("smpc.audit_server_log",
							 "Also writes every audit record to the server log.",
							 "Each job attempt is recorded in smpc.audit_log; with this on, "
							 "the same record goes to the server log at once.",
							 &smpc_audit_server_log, false, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("smpc.epsilon",
							 "Differential privacy budget each new job spends; 0 adds no noise.",
							 "Input parties add shares of discrete Laplace noise calibrated to "
							 "the clipping bounds, and the job is charged to this party's "
							 "privacy budget (smpc.set_privacy_budget). Every party must use "
							 "the same value.",
							 &smpc_epsilon, 0, 0, 100, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable(
		"smpc.outside_domain",
		"What grouped aggregates do with a row whose key is not in the job's domain.",
		"reject fails the query before anything is sent; drop leaves the "
		"row out (a NOTICE says how many were left out).",
		&smpc_outside_domain, SMPC_OUTSIDE_REJECT, smpc_outside_domain_options, PGC_USERSET, 0,
		NULL, NULL, NULL);
	DefineCustomIntVariable(
		"smpc.key_domain_cache", "Memory a session keeps its last key domain in, across queries.",
		"Grouped and set jobs whose domain array is the same as the last one's skip reading, "
		"sorting and indexing it; 0 keeps none.",
		&smpc_key_domain_cache_kb, 128 * 1024, 0, INT_MAX / 1024, PGC_USERSET, GUC_UNIT_KB, NULL,
		smpc_key_domain_cache_assign, NULL);
	DefineCustomEnumVariable(
		"smpc.repeated_keys", "What set jobs do with a key this party holds more than once.",
		"count_once counts it once (the audit record says how many keys were repeated); "
		"refuse fails the query before anything is sent, for data where a repeated key "
		"means an error upstream.",
		&smpc_repeated_keys, SMPC_REPEATED_COUNT_ONCE, smpc_repeated_keys_options, PGC_USERSET, 0,
		NULL, NULL, NULL);
#ifdef SMPC_TEST_BUILD
	DefineCustomEnumVariable(
		"smpc.test_fault", "Makes this party misbehave in jobs (test builds only).",
		"equivocate_share sends one partner two different shares; "
		"equivocate_count sends one partner a wrong row-count sum; "
		"equivocate_partial sends one partner a wrong partial sum; "
		"wrong_confirm sends one partner a wrong transcript digest; "
		"wrong_partial sends every partner the same wrong partial sum; "
		"pause_before_roster and pause_before_confirm stop this party "
		"for 3 s when it reaches that round; abort_after_open aborts "
		"as soon as this party has opened the result; equivocate_key "
		"sends one partner another MAC key part; repeat_blinded repeats an "
		"element in every blinded set this party sends in set jobs; "
		"drop_blinded drops an element from every partner's set this party "
		"passes on; set for a partner's login "
		"role, pause_after_filing holds its calls for a second after filing "
		"a share, and pause_before_pickup holds its confirm's call until "
		"the job here has ended.",
		&smpc_test_fault, 0, smpc_test_fault_options, PGC_SUSET, 0, NULL, NULL, NULL);
#endif
	smpc_peer_init();
	smpc_job_records_init();
	/* What the deliver endpoint hands up (messaging/messaging.h). */
	smpc_deliver_hooks.request_receive = smpc_request_receive;
	smpc_deliver_hooks.job_is_released = smpc_job_is_released;
	smpc_deliver_hooks.job_covers = smpc_job_released_covers;
	smpc_inbox_run_ended = smpc_ended_run_known;
	smpc_inbox_ended_keys = smpc_ended_job_keys;

	/*
	 * Without preloading there is no inbox (jobs then fail with a clear
	 * error), and a server-start setting cannot be defined any more.
	 */
	if (!process_shared_preload_libraries_in_progress)
	{
		MarkGUCPrefixReserved("smpc");
		return;
	}
	DefineCustomIntVariable(
		"smpc.max_messages", "Number of partner messages the inbox can hold at once.", NULL,
		&smpc_max_messages, 256, 16, 262144, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable(
		"smpc.audit_queue_size", "Shared memory for audit records on their way to smpc.audit_log.",
		"A record that finds no room is written to the server log instead.", &smpc_audit_queue_kb,
		1024, 64, 1024 * 1024, PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable(
		"smpc.max_partner_jobs", "Number of jobs partners may have running here at once.",
		"Each runs in a background worker (max_worker_processes must "
		"leave room for them); 0 refuses jobs started by partners.",
		&smpc_max_partner_jobs, 8, 0, 1024, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("smpc");
	smpc_prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = smpc_shmem_request;
	smpc_prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = smpc_shmem_startup;
	/* Stores the audit records of job attempts a server stop cut short. */
	smpc_audit_register_replay();
}
