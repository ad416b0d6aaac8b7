/*
 * datasets/: datasets published to a federation (datasets.cpp), requests
 * between the party that starts a job on one and its partners
 * (requests.cpp), the jobs partners asked for and their workers
 * (partner_jobs.cpp, partner_job_worker.cpp), and smpc_run (run.cpp).
 */
#ifndef SMPC_PG_DATASETS_DATASETS_H
#define SMPC_PG_DATASETS_DATASETS_H

#include "pg/jobs/jobs.h"

/* datasets.cpp: datasets published to a federation (smpc.datasets). */
typedef struct SmpcDataset
{
	char *federation;
	char *name;
	char *query;		/* NULL: this party supplies no input */
	List *columns;		/* of char * */
	List *column_kinds; /* per column: "integer", "numeric", "float8", "other" */
	List *aggregates;	/* "sum", "count", "avg" */
	bool  all_starters; /* every partner may start jobs */
	List *starters;
	Oid	  run_as;
	char *search_path;
	bool  require_bounds;
} SmpcDataset;

/*
 * The aggregates a dataset can publish and partners can ask for, parsed
 * from their SQL and descriptor text: SMPC_AGG_SUM, _COUNT, _AVG, or
 * SMPC_AGG_NONE for any other name.
 */
extern SmpcAggregate smpc_dataset_aggregate(const char *name);
extern SmpcDataset	*smpc_dataset_load(const SmpcFederationRow *fed, const char *name);
extern void			 smpc_dataset_admit(const SmpcFederationRow *fed, const SmpcDataset *ds,
										const char *aggregate, const char *column, const char *starter);
extern const char	*smpc_dataset_value_class(const SmpcDataset *ds, const char *column,
											  const char *aggregate, Oid as_role);
extern SmpcDataset	*smpc_dataset_for_partner(const SmpcFederationRow *fed, const char *name,
											  const char *aggregate, const char *column,
											  const char *value_class, const char *starter,
											  bool from_query, SmpcDataset **out);
extern Datum smpc_dataset_run(const SmpcDataset *ds, const char *aggregate, const char *column,
							  const char *value_class, const char *job_id, bool *isnull);

/*
 * partner_jobs.cpp: the jobs this party runs because a partner asked, one
 * shared-memory slot each while the job's background worker lives.
 */
#define SMPC_PARTNER_JOB_ID_MAX 1023
typedef struct SmpcPartnerJob
{
	Oid	  dbid;
	Oid	  roleid;	 /* the dataset's run_as */
	uint8 key[32];	 /* smpc_job_key */
	uint8 nonce[16]; /* the initiator's call */
	char  federation[64];
	char  dataset[64];
	char  column[64];
	char  descriptor[64]; /* of the request, e.g. "avg(integer)" */
	char  initiator[64];  /* party name */
	char  job_id[SMPC_PARTNER_JOB_ID_MAX + 1];
	int	  pid; /* the worker, once started */
	bool  withdrawn;
} SmpcPartnerJob;

extern int	smpc_max_partner_jobs;
extern void smpc_partner_jobs_shmem_request(void);
extern void smpc_partner_jobs_shmem_startup(void);
extern int	smpc_partner_job_claim(const SmpcPartnerJob *job, uint64 *generation);
extern bool smpc_partner_job_get(int slot, uint64 generation, SmpcPartnerJob *out);
extern void smpc_partner_job_started(int slot, uint64 generation, int pid);
extern void smpc_partner_job_release(int slot, uint64 generation);
extern int	smpc_partner_job_withdraw(const uint8 *key, const char *initiator, const uint8 *nonce);
extern bool smpc_partner_job_withdrawn(int slot, uint64 generation);

/*
 * requests.cpp: requests (message type 9) between the party that starts a
 * job on a published dataset and its partners.
 */
/* deliver: a request from a partner (checks, launches, withdraws, reports). */
extern void smpc_request_receive(const SmpcFederationRow *fed, const SmpcMessageInfo *info,
								 const uint8 *data, size_t len);
/* Parses "avg(integer)" into its aggregate and value class; false if it is not one. */
extern bool smpc_request_parse_descriptor(const char *descriptor, char *aggregate,
										  char *value_class);
/* The initiator's side: the partners that took the job, for withdrawals. */
typedef struct SmpcRequestRun
{
	const SmpcFederationRow *fed;
	const char				*job_id;
	SmpcRequest				 request;
	bool					*launched; /* per party index */
} SmpcRequestRun;
extern void smpc_request_launch_all(SmpcRequestRun *run);
extern void smpc_request_withdraw_all(SmpcRequestRun *run);
/*
 * The call ended (released, failed or refused): partners' reports for it,
 * filed or still to come, are dropped. Never raises.
 */
extern void smpc_request_call_ended(SmpcRequestRun *run);
/*
 * A request message filed for the running job (the job context's
 * read_report, jobs.h): raises when it is a failure report for the call
 * `nonce`, else ignores it.
 */
extern void smpc_request_take_report(const SmpcFederationRow *fed, const char *job_id,
									 const uint8 *nonce, const uint8 *data, size_t len);
/* A partner job's worker: tells the initiator why the job could not begin. */
extern void smpc_request_report_failure(const SmpcFederationRow *fed, const SmpcPartnerJob *job,
										const ErrorData *edata);
/* Audits a partner's request that was refused or failed before a job began. */
extern void smpc_request_audit_failure(const SmpcFederationRow *fed, const char *job_id,
									   const char *descriptor, const char *initiator,
									   const char *requested_by, const ErrorData *edata);

#endif /* SMPC_PG_DATASETS_DATASETS_H */
