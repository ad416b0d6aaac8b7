/*
 * The audit queue: audit records on their way from the backend that ran a
 * job to smpc.audit_log, and the registry of the writers that move them.
 *
 * Why a queue in shared memory: a job that fails aborts its transaction, so
 * the backend cannot record the failure in a table itself, and a released
 * result must stay audited even when the caller rolls back. So the backend
 * appends the record here (no transaction, no I/O) and a background worker
 * connected to the same database (audit_writer.cpp) inserts it in a
 * transaction of its own. The queue serves the whole cluster: every record
 * carries its database, and each database has at most one writer.
 *
 * Layout: header, then SMPC_AUDIT_MAX_WRITERS writer slots, then a byte ring
 * of smpc.audit_queue_size. head and tail are byte positions that only grow
 * (offset = position % size); a record is a SmpcAuditRecordHeader followed
 * by its payload and may wrap around the end of the ring. A writer marks the
 * records it has committed as taken; the tail then moves past taken records.
 *
 * Locking: one LWLock guards ring, registry and the list of durable
 * folders (audit_files.cpp); it is held only for memcpy
 * and scans, never across anything that can raise an error. Latches are set
 * after it is released.
 *
 * What is not durable: records still queued when the server stops or a
 * backend crash resets shared memory are lost (docs/dba.md, "Audit trail";
 * smpc.audit_server_log keeps a copy in the server log). A job attempt's
 * own record is on disk as well while it runs (audit_files.cpp): a lost
 * final record leaves an 'interrupted' one.
 */
#include "pg/audit/audit.h"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
}

/* A writer that registered but has not come up after this long is retried. */
#define SMPC_AUDIT_START_GRACE_MS 10000

typedef enum SmpcWriterState
{
	SMPC_WRITER_NONE = 0,
	SMPC_WRITER_STARTING,
	SMPC_WRITER_RUNNING
} SmpcWriterState;

typedef struct SmpcAuditWriter
{
	Oid			dbid;
	int			state;	/* SmpcWriterState */
	int			procno; /* when running */
	int			pid;
	TimestampTz since;	  /* when it was asked to start */
	bool		batching; /* gathering a batch: only urgent records wake it */
} SmpcAuditWriter;

typedef struct SmpcAuditRecordHeader
{
	uint32 len;		/* header + payload, MAXALIGNed */
	uint32 payload; /* payload bytes */
	Oid	   dbid;
	int	   waiter; /* procno of a backend waiting for it, or -1 */
	bool   taken;
} SmpcAuditRecordHeader;

typedef struct SmpcAuditQueue
{
	LWLock		   *lock;
	uint64			head;	 /* next byte to write */
	uint64			tail;	 /* oldest byte still in use */
	uint64			size;	 /* ring bytes */
	uint64			dropped; /* records that did not fit (sent to the log) */
	uint64			life;	 /* random, drawn when this shared memory was made (audit_files.cpp) */
	SmpcAuditWriter writers[SMPC_AUDIT_MAX_WRITERS];
	/* Databases whose folder of attempts' files is durable in this life (audit_files.cpp). */
	int ndurable;
	Oid durable[SMPC_AUDIT_MAX_WRITERS];
} SmpcAuditQueue;

static SmpcAuditQueue *smpc_audit = NULL;

static inline char *
smpc_audit_ring(void)
{
	return (char *) smpc_audit + MAXALIGN(sizeof(SmpcAuditQueue));
}

static Size
smpc_audit_queue_bytes(void)
{
	return (Size) smpc_audit_queue_kb * 1024;
}

static Size
smpc_audit_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(SmpcAuditQueue)), smpc_audit_queue_bytes());
}

void
smpc_audit_shmem_request(void)
{
	RequestAddinShmemSpace(smpc_audit_shmem_size());
	RequestNamedLWLockTranche("smpc audit", 1);
}

void
smpc_audit_shmem_startup(void)
{
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	smpc_audit =
		(SmpcAuditQueue *) ShmemInitStruct("smpc audit queue", smpc_audit_shmem_size(), &found);
	if (!found)
	{
		memset(smpc_audit, 0, MAXALIGN(sizeof(SmpcAuditQueue)));
		smpc_audit->lock = &(GetNamedLWLockTranche("smpc audit"))->lock;
		smpc_audit->size = smpc_audit_queue_bytes();
		/* (A clock could not tell lives apart: it can be set back.) */
		if (!pg_strong_random(&smpc_audit->life, sizeof smpc_audit->life))
		{
			/* (Attempts cannot draw event ids either, so none writes a file.) */
			ereport(LOG, errmsg("smpc audit: could not draw a random id for this life of the "
								"server"));
			smpc_audit->life = ((uint64) GetCurrentTimestamp() << 16) ^ (uint64) MyProcPid;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

bool
smpc_audit_queue_ready(void)
{
	return smpc_audit != NULL;
}

/*
 * This life of the server (the queue was made: at server start, and again
 * after a crash reset it), as a random number: the attempts' files are
 * named with the life that wrote them, and those of other lives are
 * attempts that never ended (audit_files.cpp).
 */
uint64
smpc_audit_life(void)
{
	return smpc_audit != NULL ? smpc_audit->life : 0;
}

/*
 * Whether some process of this life made the folder of database dbid's
 * attempts' files durable, with its parents (audit_files.cpp): then no
 * other needs to fsync them again. False without the shared memory.
 */
bool
smpc_audit_dir_durable(Oid dbid)
{
	bool found = false;

	if (smpc_audit == NULL)
		return false;
	LWLockAcquire(smpc_audit->lock, LW_SHARED);
	for (int i = 0; i < smpc_audit->ndurable && !found; i++)
		found = smpc_audit->durable[i] == dbid;
	LWLockRelease(smpc_audit->lock);
	return found;
}

/* Says whether that folder is durable (false: it went away). Never raises. */
void
smpc_audit_dir_set_durable(Oid dbid, bool durable)
{
	int at = -1;

	if (smpc_audit == NULL)
		return;
	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	for (int i = 0; i < smpc_audit->ndurable && at < 0; i++)
		if (smpc_audit->durable[i] == dbid)
			at = i;
	if (durable && at < 0 && smpc_audit->ndurable < SMPC_AUDIT_MAX_WRITERS)
		smpc_audit->durable[smpc_audit->ndurable++] = dbid;
	else if (!durable && at >= 0)
		smpc_audit->durable[at] = smpc_audit->durable[--smpc_audit->ndurable];
	LWLockRelease(smpc_audit->lock);
}

/* Copies len bytes into the ring at position pos, wrapping at the end. */
static void
smpc_ring_write(uint64 pos, const void *src, Size len)
{
	Size off = (Size) (pos % smpc_audit->size);
	Size first = Min(len, (Size) smpc_audit->size - off);

	memcpy(smpc_audit_ring() + off, src, first);
	if (first < len)
		memcpy(smpc_audit_ring(), (const char *) src + first, len - first);
}

/* Copies len bytes out of the ring at position pos. */
static void
smpc_ring_read(uint64 pos, void *dst, Size len)
{
	Size off = (Size) (pos % smpc_audit->size);
	Size first = Min(len, (Size) smpc_audit->size - off);

	memcpy(dst, smpc_audit_ring() + off, first);
	if (first < len)
		memcpy((char *) dst + first, smpc_audit_ring(), len - first);
}

/* Moves the tail past records that are taken. Lock held exclusively. */
static void
smpc_ring_reclaim(void)
{
	while (smpc_audit->tail < smpc_audit->head)
	{
		SmpcAuditRecordHeader h;

		smpc_ring_read(smpc_audit->tail, &h, sizeof h);
		if (!h.taken)
			break;
		smpc_audit->tail += h.len;
	}
}

/* The registry slot of database dbid, or NULL. Lock held. */
static SmpcAuditWriter *
smpc_writer_of(Oid dbid)
{
	for (int i = 0; i < SMPC_AUDIT_MAX_WRITERS; i++)
		if (smpc_audit->writers[i].state != SMPC_WRITER_NONE && smpc_audit->writers[i].dbid == dbid)
			return &smpc_audit->writers[i];
	return NULL;
}

/* Asks the postmaster for a writer for database dbid; false if it cannot. */
static bool
smpc_writer_launch(Oid dbid)
{
	BackgroundWorker		worker;
	BackgroundWorkerHandle *handle;

	smpc_bgworker_init(&worker, "smpc_audit_writer_main", "smpc audit writer");
	snprintf(worker.bgw_name, BGW_MAXLEN, "smpc audit writer for database %u", dbid);
	worker.bgw_main_arg = ObjectIdGetDatum(dbid);
	worker.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

/*
 * Launches the writer whose slot was just marked starting; when no worker
 * slot is free, frees its slot again (the next record, or the next server
 * start, tries again) and returns false.
 */
static bool
smpc_writer_launch_or_release(Oid dbid)
{
	SmpcAuditWriter *w;

	if (smpc_writer_launch(dbid))
		return true;
	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	w = smpc_writer_of(dbid);
	if (w != NULL && w->state == SMPC_WRITER_STARTING)
		w->state = SMPC_WRITER_NONE;
	LWLockRelease(smpc_audit->lock);
	return false;
}

/*
 * Appends a record for this database and makes sure a writer will take it.
 * False when the ring has no room (the caller logs the record instead).
 * Never raises: it runs on error paths.
 */
bool
smpc_audit_enqueue(const void *payload, Size len)
{
	uint64 position;

	return smpc_audit_enqueue_at(payload, len, &position, false);
}

/* Whether the record queued at `position` was taken by its writer (or reclaimed). */
bool
smpc_audit_handled(uint64 position)
{
	SmpcAuditRecordHeader h;
	bool				  handled;

	LWLockAcquire(smpc_audit->lock, LW_SHARED);
	handled = position < smpc_audit->tail;
	if (!handled)
	{
		smpc_ring_read(position, &h, sizeof h);
		handled = h.taken;
	}
	LWLockRelease(smpc_audit->lock);
	return handled;
}

/*
 * Queues a record, as smpc_audit_enqueue, and says where (for
 * smpc_audit_handled). An urgent record (someone waits for it) wakes a
 * writer that is gathering a batch; others wait for the batch.
 */
bool
smpc_audit_enqueue_at(const void *payload, Size len, uint64 *position, bool urgent)
{
	SmpcAuditRecordHeader h;
	SmpcAuditWriter		 *w;
	int					  wake_procno = -1;
	bool				  launch = false;
	bool				  ok = false;
	TimestampTz			  now = GetCurrentTimestamp();

	if (smpc_audit == NULL)
		return false;
	memset(&h, 0, sizeof h);
	h.len = (uint32) MAXALIGN(sizeof h + len);
	h.payload = (uint32) len;
	h.dbid = MyDatabaseId;
	/* Whoever waits for its record is woken when it is written. */
	h.waiter = urgent && MyProc != NULL ? MyProc->pgprocno : -1;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	smpc_ring_reclaim();
	if (smpc_audit->head - smpc_audit->tail + h.len <= smpc_audit->size)
	{
		*position = smpc_audit->head;
		smpc_ring_write(smpc_audit->head, &h, sizeof h);
		smpc_ring_write(smpc_audit->head + sizeof h, payload, len);
		smpc_audit->head += h.len;
		ok = true;
	}
	else
		smpc_audit->dropped++;

	w = smpc_writer_of(MyDatabaseId);
	if (w != NULL && w->state == SMPC_WRITER_RUNNING)
		wake_procno = urgent || !w->batching ? w->procno : -1;
	else if (w != NULL && TimestampDifferenceExceeds(w->since, now, SMPC_AUDIT_START_GRACE_MS))
	{
		w->since = now; /* registered but never came up: try again */
		launch = true;
	}
	else if (w == NULL)
	{
		for (int i = 0; i < SMPC_AUDIT_MAX_WRITERS && w == NULL; i++)
			if (smpc_audit->writers[i].state == SMPC_WRITER_NONE)
				w = &smpc_audit->writers[i];
		if (w != NULL)
		{
			w->dbid = MyDatabaseId;
			w->state = SMPC_WRITER_STARTING;
			w->procno = -1;
			w->pid = 0;
			w->since = now;
			launch = true;
		}
	}
	LWLockRelease(smpc_audit->lock);

	if (wake_procno >= 0)
		SetLatch(&GetPGProcByNumber(wake_procno)->procLatch);
	if (launch && !smpc_writer_launch_or_release(MyDatabaseId))
		ereport(WARNING, errmsg("smpc could not start the audit writer for this database"),
				errdetail("Audit records wait in shared memory until a writer starts."),
				errhint("Raise max_worker_processes."));
	return ok;
}

/*
 * Makes sure database dbid has a writer (which, starting, stores the
 * records of attempts that a server stop cut short: audit_files.cpp).
 */
void
smpc_audit_writer_start(Oid dbid)
{
	SmpcAuditWriter *w;
	bool			 launch = false;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	w = smpc_writer_of(dbid);
	for (int i = 0; i < SMPC_AUDIT_MAX_WRITERS && w == NULL; i++)
		if (smpc_audit->writers[i].state == SMPC_WRITER_NONE)
		{
			w = &smpc_audit->writers[i];
			w->dbid = dbid;
			w->state = SMPC_WRITER_STARTING;
			w->procno = -1;
			w->pid = 0;
			w->since = GetCurrentTimestamp();
			launch = true;
		}
	LWLockRelease(smpc_audit->lock);
	if (launch && !smpc_writer_launch_or_release(dbid))
		ereport(LOG, errmsg("smpc could not start the audit writer for database %u", dbid),
				errdetail("Records of interrupted job attempts stay on disk until it starts."),
				errhint("Raise max_worker_processes."));
}

/*
 * The writer of this database announces itself. False when another writer
 * already runs here (this one then exits).
 */
bool
smpc_audit_writer_attach(void)
{
	SmpcAuditWriter *w;
	bool			 ok = true;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	w = smpc_writer_of(MyDatabaseId);
	if (w != NULL && w->state == SMPC_WRITER_RUNNING && w->pid != MyProcPid)
		ok = false;
	else
	{
		for (int i = 0; i < SMPC_AUDIT_MAX_WRITERS && w == NULL; i++)
			if (smpc_audit->writers[i].state == SMPC_WRITER_NONE)
				w = &smpc_audit->writers[i];
		if (w == NULL)
			ok = false;
		else
		{
			w->dbid = MyDatabaseId;
			w->state = SMPC_WRITER_RUNNING;
			w->procno = MyProc->pgprocno;
			w->pid = MyProcPid;
			w->batching = false;
		}
	}
	LWLockRelease(smpc_audit->lock);
	return ok;
}

/*
 * The writer says whether it is gathering a batch (records queued meanwhile
 * do not wake it, unless urgent).
 */
void
smpc_audit_writer_batching(bool on)
{
	SmpcAuditWriter *w;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	w = smpc_writer_of(MyDatabaseId);
	if (w != NULL && w->pid == MyProcPid)
		w->batching = on;
	LWLockRelease(smpc_audit->lock);
}

/*
 * The writer leaves, if nothing is queued for its database (unless force).
 * False when records arrived meanwhile: it must go on.
 */
bool
smpc_audit_writer_detach(bool force)
{
	SmpcAuditWriter *w;
	bool			 pending = false;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	for (uint64 pos = smpc_audit->tail; pos < smpc_audit->head && !pending;)
	{
		SmpcAuditRecordHeader h;

		smpc_ring_read(pos, &h, sizeof h);
		pending = !h.taken && h.dbid == MyDatabaseId;
		pos += h.len;
	}
	if (!pending || force)
	{
		w = smpc_writer_of(MyDatabaseId);
		if (w != NULL && w->pid == MyProcPid)
			w->state = SMPC_WRITER_NONE;
	}
	LWLockRelease(smpc_audit->lock);
	return !pending || force;
}

/*
 * Copies up to max records of this database, oldest first, into *payloads
 * (palloc'd in the current context) with their ring positions; returns the
 * number copied. They stay queued until smpc_audit_mark_taken().
 */
int
smpc_audit_peek(int max, char **payloads, Size *lens, uint64 *positions)
{
	uint64	pos;
	uint64	head;
	int		want = 0;
	uint64 *at = (uint64 *) palloc(sizeof(uint64) * max);
	uint32 *sizes = (uint32 *) palloc(sizeof(uint32) * max);

	/* First find them under a shared lock, then allocate, then copy. */
	LWLockAcquire(smpc_audit->lock, LW_SHARED);
	head = smpc_audit->head;
	for (pos = smpc_audit->tail; pos < head && want < max;)
	{
		SmpcAuditRecordHeader h;

		smpc_ring_read(pos, &h, sizeof h);
		if (!h.taken && h.dbid == MyDatabaseId)
		{
			at[want] = pos;
			sizes[want] = h.payload;
			want++;
		}
		pos += h.len;
	}
	LWLockRelease(smpc_audit->lock);

	for (int i = 0; i < want; i++)
		payloads[i] = (char *) palloc(sizes[i] + 1);
	/* Only this writer takes this database's records, so they are still there. */
	LWLockAcquire(smpc_audit->lock, LW_SHARED);
	for (int i = 0; i < want; i++)
	{
		smpc_ring_read(at[i] + sizeof(SmpcAuditRecordHeader), payloads[i], sizes[i]);
		lens[i] = sizes[i];
		positions[i] = at[i];
	}
	LWLockRelease(smpc_audit->lock);
	pfree(at);
	pfree(sizes);
	return want;
}

/*
 * Marks records (by ring position) as written; frees their space and wakes
 * the backends that wait for them (smpc_audit_emit_durably).
 */
void
smpc_audit_mark_taken(const uint64 *positions, int n)
{
	int *wake = (int *) palloc(sizeof(int) * Max(n, 1));
	int	 nwake = 0;

	LWLockAcquire(smpc_audit->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		SmpcAuditRecordHeader h;

		smpc_ring_read(positions[i], &h, sizeof h);
		if (h.dbid == MyDatabaseId)
		{
			h.taken = true;
			smpc_ring_write(positions[i], &h, sizeof h);
			if (h.waiter >= 0)
				wake[nwake++] = h.waiter;
		}
	}
	smpc_ring_reclaim();
	LWLockRelease(smpc_audit->lock);
	for (int i = 0; i < nwake; i++)
		SetLatch(&GetPGProcByNumber(wake[i])->procLatch);
	pfree(wake);
}
