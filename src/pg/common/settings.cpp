/*
 * The variables behind the smpc.* settings (defined as settings by
 * _PG_init, module.cpp) and what every smpc background worker shares.
 */
#include "pg/common/common.h"

extern "C" {
#include "postmaster/bgworker.h"
}

int	   smpc_timeout_ms = 30000;
char  *smpc_federation_name = NULL;
bool   smpc_allow_insecure_transport = false;
int	   smpc_max_messages = 256;
int	   smpc_test_fault = 0;
int	   smpc_audit_queue_kb = 1024;
bool   smpc_audit_server_log = false;
int	   smpc_outside_domain = SMPC_OUTSIDE_REJECT;
double smpc_epsilon = 0;

/*
 * The settings every smpc background worker shares: a database connection,
 * started once (never restarted by the postmaster), running `function` of
 * this library. Callers add the name, argument and notify pid.
 */
void
smpc_bgworker_init(BackgroundWorker *worker, const char *function, const char *type)
{
	memset(worker, 0, sizeof *worker);
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker->bgw_library_name, "smpc", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_type, type, BGW_MAXLEN);
}
