/*
 * messaging/: messages between this party and its partners while jobs
 * run: the shared-memory inbox that files them (inbox.cpp), the handover of
 * replies on a partner's own call (handover.cpp) and the SQL endpoint that
 * checks and files what partners send (deliver.cpp).
 */
#ifndef SMPC_PG_MESSAGING_MESSAGING_H
#define SMPC_PG_MESSAGING_MESSAGING_H

#include "pg/common/common.h"

extern "C" {
#include "storage/lwlock.h"
}

/* inbox.cpp: messages from partners, in shared memory. */
#define SMPC_MAX_MESSAGE_BYTES (34 * 1024 * 1024) /* per message: vectors up to 2^21 values */
/* One inbox slot; larger messages take several (inbox.cpp). */
#define SMPC_INBOX_SLOT_BYTES (32 * 1024)
extern void smpc_inbox_shmem_request(void);
extern void smpc_inbox_shmem_startup(void);
extern void smpc_inbox_require(void);
/* smpc_inbox_register: the job is now claimed here, or why not. */
#define SMPC_CLAIM_OK				0
#define SMPC_CLAIM_RUNNING			1 /* the same job runs in another session */
#define SMPC_CLAIM_OTHER_FEDERATION 2 /* its id runs in another federation */
extern int	smpc_inbox_register(const uint8 *key, const uint8 *id_key, const char *federation,
								char *running_in);
extern void smpc_inbox_unregister(const uint8 *key);
extern void smpc_inbox_close_shares(const uint8 *key);
extern bool smpc_inbox_has_waiter(const uint8 *key);
extern void smpc_inbox_put(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data,
						   size_t len);
extern bool smpc_inbox_pending(const uint8 *key);

/* handover.cpp: a message to a partner goes back on the partner's own call. */
#define SMPC_HANDOVER_BYTES	  4096 /* larger messages are always sent */
#define SMPC_HANDOVER_WAIT_MS 10   /* how long a call waits for the job's message (unordered) */
extern void smpc_handover_shmem_request(void);
extern void smpc_handover_shmem_startup(void);
extern void smpc_handover_begin(const uint8 *key, bool ordered, int self);
extern void smpc_handover_end(const uint8 *key);
extern void smpc_handover_called_early(const uint8 *key, int type, uint64 mask);
extern void smpc_handover_drop_posted(const uint8 *key);
extern bool smpc_handover_take_posted(const uint8 *key, int to, uint8 **data, size_t *len);
extern void smpc_handover_no_collect(const uint8 *key, int from, int type);
extern void smpc_handover_reject(const uint8 *key, int from, const SmpcStatus *why);
extern bool smpc_handover_rejected(const uint8 *key, int *from, SmpcStatus *why);
extern bool smpc_handover_offer(const uint8 *key, int to, int type, const uint8 *data, size_t len);
extern bytea *smpc_handover_collect(const uint8 *key, int from, int type);
#ifdef SMPC_TEST_BUILD
/* Bytes not zero in free handover entries (a test of their wiping). */
extern uint64 smpc_handover_residue(void);
#endif
/*
 * What deliver.cpp asks of the layers above messaging (src/pg/README.md),
 * set once by _PG_init (module.cpp): the handler of requests to start a
 * job (message type 9, datasets/requests.cpp), and whether a job was
 * released here and whose inputs it covers (jobs/job_records.cpp).
 */
typedef struct SmpcDeliverHooks
{
	void (*request_receive)(const SmpcFederationRow *fed, const SmpcMessageInfo *info,
							const uint8 *data, size_t len);
	bool (*job_is_released)(const SmpcFederationRow *fed, const char *job_id);
	char *(*job_covers)(const SmpcFederationRow *fed, const char *job_id); /* "a, b" or NULL */
} SmpcDeliverHooks;
extern SmpcDeliverHooks smpc_deliver_hooks;

/* deliver.cpp: checks a message handed back by partner `from` and files it. */
extern void smpc_receive_reply(const SmpcFederationRow *fed, const uint8 *key, int from,
							   const uint8 *data, size_t len);

/* The status of a running job, kept with its claim (smpc.job_status). */
#define SMPC_JOB_RUNNING 1
#define SMPC_JOB_ENDED	 2 /* released or failed; the claim ends with the transaction */
typedef struct SmpcJobStatus
{
	int			state; /* 0: not yet shown */
	Oid			roleid;
	TimestampTz started;
	char		federation[64];
	char		job_id[256];	  /* cut at 255 bytes */
	char		aggregate[192];	  /* descriptor, e.g. "avg(integer) on expenditure.amount" */
	char		initiated_by[64]; /* party that asked for the job, or "" */
	char		round[64];
	char		waiting_for[512];
} SmpcJobStatus;

extern void smpc_inbox_set_status(const uint8 *key, const SmpcJobStatus *status, bool identity);
extern int	smpc_inbox_statuses(SmpcJobStatus **out, int **pids);
extern int	smpc_inbox_pid_of(const uint8 *key, Oid *roleid);
/* Moves every message filed under key into *msgs (a List of bytea *). */
extern List *smpc_inbox_take(const uint8 *key);

/*
 * Inside messaging/ only: the handover's shared memory, which handover.cpp
 * (the jobs' side) and handover_collect.cpp (the calls' side) share.
 */
/* Round message types are 1..8 (SmpcMessageType); abort (4) never waits. */
#define SMPC_POSTED_MAX_AGE_MS (10 * 60 * 1000)
#define SMPC_HANDOVER_TYPES	   9

typedef struct SmpcHandoverJob
{
	bool	   used;
	bool	   ordered; /* rounds after the share round: lower parties call */
	int		   self;	/* this party's index */
	Oid		   dbid;
	int		   pid;
	uint8	   key[32];
	uint64	   sent[SMPC_HANDOVER_TYPES];	 /* per type: bit p, sent (or handed) to party p */
	uint64	   refused[SMPC_HANDOVER_TYPES]; /* party p's call gave up waiting: send */
	int		   procno;
	int		   rejected_from; /* >= 0: this party refused that party's message */
	SmpcStatus rejection;	  /* why */
} SmpcHandoverJob;

typedef enum SmpcPickupState
{
	SMPC_PICKUP_FREE = 0,
	SMPC_PICKUP_WAITING, /* a delivery call waits for the job's message */
	SMPC_PICKUP_FILLED,	 /* the job put it into the waiting call's entry */
	SMPC_PICKUP_POSTED,	 /* the job left it for a call still to come */
	SMPC_PICKUP_GONE	 /* the job ended without one */
} SmpcPickupState;

typedef struct SmpcPickup
{
	int			state; /* SmpcPickupState */
	Oid			dbid;
	int			owner;	/* pid of the waiting call's backend (0 when posted) */
	int			procno; /* of a waiting call */
	TimestampTz posted; /* when it was posted */
	uint8		key[32];
	int			to; /* the calling party's index */
	int			type;
	uint32		len;
	uint8		data[SMPC_HANDOVER_BYTES];
} SmpcPickup;

typedef struct SmpcHandover
{
	LWLock *lock;
	int		n; /* entries of each kind */
} SmpcHandover;

extern SmpcHandover *smpc_handover;

static inline SmpcHandoverJob *
smpc_handover_jobs(void)
{
	return (SmpcHandoverJob *) ((char *) smpc_handover + MAXALIGN(sizeof(SmpcHandover)));
}

static inline SmpcPickup *
smpc_pickups(void)
{
	return (SmpcPickup *) ((char *) smpc_handover_jobs() +
						   MAXALIGN(sizeof(SmpcHandoverJob) * smpc_handover->n));
}

extern void				smpc_pickup_free(SmpcPickup *p);
extern bool				smpc_handover_type(int type, int party);
extern bool				smpc_pair_caller(int party, int other);
extern void				smpc_handover_register_exit(void);
extern SmpcHandoverJob *smpc_find_job(const uint8 *key, bool own);
extern SmpcPickup	   *smpc_find_pickup(const uint8 *key, int to, int type, int state);
extern SmpcPickup	   *smpc_free_pickup(void);

#endif /* SMPC_PG_MESSAGING_MESSAGING_H */
