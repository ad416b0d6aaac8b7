/*
 * The variables behind the smpc.* settings (defined as settings by
 * _PG_init, module.cpp) and what every smpc background worker shares.
 */
#include "pg/common/common.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
}

int	   smpc_timeout_ms = 30000;
char  *smpc_federation_name = NULL;
bool   smpc_allow_insecure_transport = false;
int	   smpc_max_messages = 256;
int	   smpc_test_fault = 0;
int	   smpc_audit_queue_kb = 1024;
bool   smpc_audit_server_log = false;
int	   smpc_outside_domain = SMPC_OUTSIDE_REJECT;
int	   smpc_key_domain_cache_kb = 128 * 1024;
int	   smpc_repeated_keys = SMPC_REPEATED_COUNT_ONCE;
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

#ifdef SMPC_TEST_BUILD
/*
 * Test builds: sleeps `ms` (a test fault's pause). Partners' deliveries set
 * the latch meanwhile: the whole pause is waited out, and the latch is left
 * reset, so whoever waits next looks at its own condition before sleeping.
 * Interruptible.
 */
void
smpc_test_sleep(long ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
	long		left;

	while ((left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until)) > 0)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
#endif
