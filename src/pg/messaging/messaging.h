/*
 * messaging/: messages between this party and its partners while jobs
 * run: the shared-memory inbox that files them (inbox.cpp), the handover of
 * replies on a partner's own call (handover.cpp) and the SQL endpoint that
 * checks and files what partners send (deliver.cpp); what the shared memory
 * holds, for smpc.shmem_usage() (usage.cpp).
 */
#ifndef SMPC_PG_MESSAGING_MESSAGING_H
#define SMPC_PG_MESSAGING_MESSAGING_H

#include "pg/common/common.h"

extern "C" {
#include "storage/lwlock.h"
}

/* inbox.cpp: messages from partners, in shared memory. */
/*
 * Per message: at least protocol/message.hpp's kMaxMessageBytes, the
 * largest a partner's message can be (a blinded set of 2^20 keys with their
 * sealed values, 160 MiB and its header).
 */
#define SMPC_MAX_MESSAGE_BYTES (161 * 1024 * 1024)
/* One inbox slot; larger messages take several (inbox.cpp). */
#define SMPC_INBOX_SLOT_BYTES (32 * 1024)
/* A partner's login role may hold at most 1/this of the slots (inbox_file.cpp). */
#define SMPC_INBOX_SHARE_PER_ROLE 4
extern void smpc_inbox_shmem_request(void);
extern void smpc_inbox_shmem_startup(void);
extern void smpc_inbox_require(void);
/* smpc_inbox_register: the job is now claimed here, or why not. */
#define SMPC_CLAIM_OK				0
#define SMPC_CLAIM_RUNNING			1 /* the same job runs in another session */
#define SMPC_CLAIM_OTHER_FEDERATION 2 /* its id runs in another federation */
extern int	smpc_inbox_register(const uint8 *key, const uint8 *id_key, const char *federation,
								char *running_in);
extern void smpc_inbox_unregister(const uint8 *key, bool released);
extern void smpc_inbox_close_shares(const uint8 *key);
extern bool smpc_inbox_has_waiter(const uint8 *key);
/*
 * inbox_file.cpp: files a message of partner info->sender (named sender,
 * logged in here as role from) under key, within the limits of the inbox.
 * smpc_inbox_put: the same for a message delivered by the session's own
 * login role, named by its number.
 */
extern void smpc_inbox_file(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data,
							size_t len, const char *sender, Oid from);
extern void smpc_inbox_put(const uint8 *key, const SmpcMessageInfo *info, const uint8 *data,
						   size_t len);
extern bool smpc_inbox_pending(const uint8 *key);
/* Drops the partners' reports (requests) filed under key; never raises. */
extern void smpc_inbox_drop_reports(const uint8 *key);
/*
 * The deliver endpoint refused a partner's login `role` because, with
 * `setting`, the server log would record its deliveries (deliver.cpp); and
 * whether it did so in this database since `since`, with what (the job's
 * own error names it: the partners' aborts cannot reach this party then).
 */
extern void smpc_inbox_note_log_refusal(const char *role, const char *setting);
extern bool smpc_inbox_log_refused_since(TimestampTz since, char *role, char *setting);
/*
 * Whether partner `sender`'s run `nonce` of this database's job `key` is one
 * a failed run here knew of (sender < 0: whether any run of it failed here) (jobs/ended_runs.cpp, set by module.cpp: the
 * jobs layer is above this one). Such a message can serve no run here: the
 * next run ignores it. So it is not filed, and a failed run's own are
 * evicted with it; otherwise they would hold the sender's quarter of the
 * inbox until they age out.
 */
extern bool (*smpc_inbox_run_ended)(const uint8 *key, int sender, const uint8 *nonce);
/*
 * The job keys of which any run failed here, palloc'd in *keys (32 bytes
 * each, unsorted, a key once per failed run; NULL when none); their number
 * (jobs/ended_runs.cpp, set by module.cpp): what
 * smpc_inbox_run_ended(key, -1, NULL) answers, for many keys at once.
 */
extern int (*smpc_inbox_ended_keys)(uint8 **keys);

/* A message for a job here that the inbox refused because it was full. */
typedef struct SmpcInboxFull
{
	int sender; /* the partner's index in the job's federation */
	Oid holder; /* the login role that held the most slots */
	int held;	/* how many */
	int in_use; /* slots in use then */
	int nslots;
} SmpcInboxFull;
extern bool smpc_inbox_refused(const uint8 *key, TimestampTz since, SmpcInboxFull *out);
/*
 * What the shared-memory entries hold right now (usage.cpp, smpc.shmem_usage):
 * counted under each area's lock, for this database. Slots are counted per
 * delivering role (up to SMPC_USAGE_ROLES roles; the rest under InvalidOid).
 */
#define SMPC_USAGE_ROLES 64
typedef struct SmpcInboxUsage
{
	int claims;			 /* job claims (waiter entries) in use */
	int claims_capacity; /* MaxBackends */
	int slots;			 /* inbox slots in use */
	int slots_capacity;	 /* smpc.max_messages */
	int nroles;			 /* entries of role/role_slots/role_unclaimed */
	Oid role[SMPC_USAGE_ROLES];
	int role_slots[SMPC_USAGE_ROLES];
	int role_unclaimed[SMPC_USAGE_ROLES]; /* of them, for jobs no session here runs */
} SmpcInboxUsage;
extern void smpc_inbox_usage(SmpcInboxUsage *u);

/* handover.cpp: a message to a partner goes back on the partner's own call. */
#define SMPC_HANDOVER_BYTES			4096 /* larger messages are always sent */
#define SMPC_HANDOVER_EARLY_WAIT_MS 20	 /* how long a call waits for a job not begun here */
/* ... when the caller is the one of its pair that calls (handover_collect.cpp) */
#define SMPC_HANDOVER_EARLY_LONG_WAIT_MS 500
#define SMPC_HANDOVER_WAIT_MS			 10 /* how long a call waits for the job's message (unordered) */
extern void smpc_handover_shmem_request(void);
extern void smpc_handover_shmem_startup(void);
extern void smpc_handover_begin(const uint8 *key, bool ordered, int self);
extern void smpc_handover_end(const uint8 *key, bool released);
extern void smpc_handover_called_early(const uint8 *key, int type, uint64 mask);
extern void smpc_handover_drop_posted(const uint8 *key);
extern bool smpc_handover_take_posted(const uint8 *key, int to, uint8 **data, size_t *len);
extern void smpc_handover_no_collect(const uint8 *key, int from, int type);
extern void smpc_handover_reject(const uint8 *key, int from, const SmpcStatus *why);
extern bool smpc_handover_rejected(const uint8 *key, int *from, SmpcStatus *why);
extern bool smpc_handover_offer(const uint8 *key, int to, int type, const uint8 *data, size_t len);
extern int	smpc_handover_prepare(const uint8 *key, int from, int type, bool pair_caller,
								  int *wait_ms);
extern bytea *smpc_handover_finish(int slot, int wait_ms, const uint8 *key, int from, int type);
extern void	  smpc_handover_abandon(int slot);
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

/*
 * peer_transport.cpp: whether a session came over TCP without TLS, and the
 * deliver endpoint's refusal of such a partner session; the client's socket
 * (a waiting call watches it close).
 */
struct Port;
extern bool		smpc_port_is_plain_network(struct Port *port);
extern void		smpc_refuse_plain_peer(const char *role);
extern pgsocket smpc_client_socket(void);

/*
 * deliver.cpp: checks a message handed back by partner `from` on this
 * party's call and returns it as a bytea, for the job to read directly.
 */
extern bytea *smpc_reply_check(const SmpcFederationRow *fed, const uint8 *key, int from,
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
	Oid			role;		/* the waiting call's login role */
	bool		long_early; /* it waits the long early wait for a job not begun here */
	uint32		len;
	uint8		data[SMPC_HANDOVER_BYTES];
} SmpcPickup;

/* How many jobs released here the handover remembers (handover.cpp). */
#define SMPC_HANDOVER_ENDED 64

typedef struct SmpcHandover
{
	LWLock *lock;
	int		n;				  /* entries of each kind */
	uint64	waits;			  /* calls that waited for a job's message (a test build reads it) */
	uint64	early_waits;	  /* of them, for a job not running here */
	uint64	long_early_waits; /* of those, the long ones */
	/* The last SMPC_HANDOVER_ENDED jobs released here (keys and databases), a ring. */
	int	  ended_next;
	Oid	  ended_db[SMPC_HANDOVER_ENDED];
	uint8 ended[SMPC_HANDOVER_ENDED][32];
} SmpcHandover;

extern SmpcHandover *smpc_handover;

/*
 * Inside messaging/ only: the inbox's shared memory, which inbox.cpp (the
 * claims and the taking) and inbox_file.cpp (the filing and its limits)
 * share. Layout: header, then MaxBackends waiter entries and as many job
 * statuses, then smpc.max_messages slot headers, then their payloads.
 */
#define SMPC_INBOX_REFUSALS 64 /* refusals for a full inbox kept for the jobs here */

typedef struct SmpcWaiter
{
	bool  used;
	Oid	  dbid; /* jobs are per database */
	int	  pid;
	int	  procno;
	bool  shares_closed; /* the job takes no more shares (smpc_inbox_close_shares) */
	uint8 key[32];
	uint8 id_key[32]; /* the job id's alone (job ids run once per party) */
	char  federation[64];
} SmpcWaiter;

/*
 * inbox_file.cpp: evicts the messages of role `from` (InvalidOid: every
 * role's) that no job here can take any more (lock held exclusively).
 */
extern int smpc_inbox_evict_dead(Oid from);

typedef struct SmpcSlot
{
	bool		used;
	Oid			dbid;	   /* database the message was delivered to */
	Oid			from_role; /* the partner's login role (its quota) */
	uint8		key[32];
	int			sender;
	int			type;
	uint8		nonce[16];
	uint64		seq; /* the message's; all its slots share it */
	TimestampTz received;
	uint32		total; /* the message's length */
	uint16		part;  /* this slot holds bytes [part * payload, ...) */
	uint32		len;   /* bytes in this slot's payload */
} SmpcSlot;

/* A message the full inbox refused, for the job it was for (SmpcInboxFull). */
typedef struct SmpcRefusal
{
	bool		  used;
	Oid			  dbid;
	uint8		  key[32];
	TimestampTz	  at;
	SmpcInboxFull what;
} SmpcRefusal;

/*
 * slots_hi: one past the highest slot in use. Scans for filed messages stop
 * there (smpc_slot_free and smpc_fill_slots keep it). Messages take the
 * lowest free slots, so with a few jobs in flight a scan covers a few
 * slots, not all of smpc.max_messages, under the lock, for every message.
 */
typedef struct SmpcInbox
{
	LWLock	   *lock;
	uint64		next_seq;
	int			nwaiters;
	int			nslots;
	int			slots_hi;
	SmpcRefusal refusals[SMPC_INBOX_REFUSALS];
	/* The endpoint's last refusal of a partner because the log would record it. */
	TimestampTz log_refused_at;
	Oid			log_refused_db;
	char		log_refused_role[NAMEDATALEN];
	char		log_refused_setting[72];
} SmpcInbox;

extern SmpcInbox *smpc_inbox;

/* Whether an entry belongs to this database's job `key`. */
#define SMPC_MATCHES(entry, key_) \
	((entry).used && (entry).dbid == MyDatabaseId && memcmp((entry).key, (key_), 32) == 0)

static inline SmpcWaiter *
smpc_waiters(void)
{
	return (SmpcWaiter *) ((char *) smpc_inbox + MAXALIGN(sizeof(SmpcInbox)));
}

/* The status of waiter i's job, for smpc.job_status (apart: it is large). */
static inline SmpcJobStatus *
smpc_status_of(int i)
{
	return (SmpcJobStatus *) ((char *) smpc_waiters() +
							  MAXALIGN(sizeof(SmpcWaiter) * smpc_inbox->nwaiters)) +
		   i;
}

static inline SmpcSlot *
smpc_slots(void)
{
	return (SmpcSlot *) ((char *) smpc_status_of(0) +
						 MAXALIGN(sizeof(SmpcJobStatus) * smpc_inbox->nwaiters));
}

/* The payload of slot i. */
static inline uint8 *
smpc_slot_data(int i)
{
	return (uint8 *) smpc_slots() + MAXALIGN(sizeof(SmpcSlot) * smpc_inbox->nslots) +
		   (Size) i * SMPC_INBOX_SLOT_BYTES;
}

extern void smpc_slot_free(int i);

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
extern bool				smpc_handover_ended_here(const uint8 *key);
extern SmpcPickup	   *smpc_find_pickup(const uint8 *key, int to, int type, int state);
extern SmpcPickup	   *smpc_free_pickup(void);

#endif /* SMPC_PG_MESSAGING_MESSAGING_H */
