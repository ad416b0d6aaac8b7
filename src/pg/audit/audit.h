/*
 * audit/: the audit record of every job attempt (audit.cpp), the shared
 * queue that carries records to smpc.audit_log (audit_queue.cpp), the
 * background writer that inserts them (audit_writer.cpp), and the copy of
 * each attempt's record on disk while it runs (audit_files.cpp).
 */
#ifndef SMPC_PG_AUDIT_AUDIT_H
#define SMPC_PG_AUDIT_AUDIT_H

#include "pg/common/common.h"

/*
 * audit.cpp: the audit record of a job attempt. Texts in the order of the
 * columns of smpc.audit_log (audit_writer.cpp inserts them in this order).
 */
enum SmpcAuditText
{
	SMPC_AUDIT_EVENT_ID,
	SMPC_AUDIT_FEDERATION,
	SMPC_AUDIT_JOB_ID,
	SMPC_AUDIT_AGGREGATE,
	SMPC_AUDIT_REQUESTED_BY,
	SMPC_AUDIT_LOGIN_ROLE,
	SMPC_AUDIT_QUERY_SHA256,
	SMPC_AUDIT_PARTNERS, /* comma-separated */
	SMPC_AUDIT_OUTCOME,	 /* released, returned, contributed, refused, failed,
								 * charged, refunded, opened, interrupted */
	SMPC_AUDIT_SQLSTATE,
	SMPC_AUDIT_REASON,
	SMPC_AUDIT_RESULT,
	SMPC_AUDIT_POLICY,
	SMPC_AUDIT_COVERS, /* comma-separated */
	SMPC_AUDIT_DROPOUTS,
	SMPC_AUDIT_INITIATED_BY, /* the partner that asked for the job, or NULL */
	SMPC_AUDIT_EPSILON,		 /* privacy charged (refunded: negative), as text, or NULL */
	SMPC_AUDIT_BUDGET,		 /* the privacy budget charged, or NULL */
	SMPC_AUDIT_VERIFIED,	 /* released: "true" or "false", else NULL */
	SMPC_AUDIT_NTEXT
};

typedef struct SmpcAuditRecord
{
	const char *text[SMPC_AUDIT_NTEXT]; /* NULL: no value */
	TimestampTz started;
	TimestampTz finished;
	int64		outside; /* input values outside the clipping bounds */
	int32		backend_pid;
} SmpcAuditRecord;

/* initiator: the partner that asked for the job, or NULL */
extern void smpc_audit_begin(SmpcAuditRecord *r, const SmpcFederationRow *fed, const char *job_id,
							 const char *descriptor, int64 outside, const char *initiator);
extern void smpc_audit_released(SmpcAuditRecord *r, const char *outcome, const char *result);
extern void smpc_audit_failed(SmpcAuditRecord *r, const ErrorData *edata);
extern void smpc_audit_emit(SmpcAuditRecord *r);
extern void smpc_audit_pledge(const SmpcAuditRecord *r);
extern bool smpc_audit_payload_started(const char *payload, Size len, TimestampTz *started);
extern bool smpc_audit_emit_durably(SmpcAuditRecord *r, int timeout_ms);
extern bool smpc_audit_recorded(const char *event_id);
extern bool smpc_audit_record_decode(const char *payload, Size len, SmpcAuditRecord *r);
extern void smpc_audit_log_record(const SmpcAuditRecord *r, const char *why);
extern void smpc_audit_log_payload(Size len, const char *why);

/* audit_queue.cpp: records on their way to smpc.audit_log, and their writers. */
#define SMPC_AUDIT_MAX_WRITERS 64 /* databases with a writer at once */
extern void	  smpc_audit_shmem_request(void);
extern void	  smpc_audit_shmem_startup(void);
extern bool	  smpc_audit_queue_ready(void);
extern bool	  smpc_audit_enqueue(const void *payload, Size len);
extern bool	  smpc_audit_enqueue_at(const void *payload, Size len, uint64 *position, bool urgent);
extern void	  smpc_audit_writer_batching(bool on);
extern bool	  smpc_audit_handled(uint64 position);
extern bool	  smpc_audit_writer_attach(void);
extern bool	  smpc_audit_writer_detach(bool force);
extern int	  smpc_audit_peek(int max, char **payloads, Size *lens, uint64 *positions);
extern void	  smpc_audit_mark_taken(const uint64 *positions, int n);
extern void	  smpc_audit_writer_start(Oid dbid);
extern uint64 smpc_audit_life(void);
extern bool	  smpc_audit_dir_durable(Oid dbid);
extern void	  smpc_audit_dir_set_durable(Oid dbid, bool durable);

/*
 * audit_files.cpp: the record of each attempt on disk while it runs, so
 * that a server stop or crash cannot lose it.
 */
extern void smpc_audit_file_write(const char *event_id, const char *payload, Size len);
extern void smpc_audit_file_forget(const char *event_id);
extern bool smpc_audit_file_remove(const char *name);
extern int	smpc_audit_file_leftovers(int max, char **payloads, Size *lens, char **ids,
									  char **names);
extern void smpc_audit_register_replay(void);

#endif /* SMPC_PG_AUDIT_AUDIT_H */
