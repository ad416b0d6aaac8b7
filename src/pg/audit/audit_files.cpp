/*
 * Durable audit records: the record of a job attempt, on disk before the
 * attempt's first message leaves, so that a server stop or crash in the
 * middle of the job cannot lose it.
 *
 * Why: the audit queue (audit_queue.cpp) is shared memory. A job whose
 * server stops (immediate or fast shutdown, a crash) never queues its final
 * record, or loses it with the queue, while its partners may go on and
 * release a result that covers this party's input. So every attempt first
 * writes its record, with the outcome it has if it never ends
 * ('interrupted'), to a file of its own:
 *
 *   <data directory>/smpc_audit/<database oid>/<event id>.<life>
 *
 * created under that name, written and fsynced with its directory. <life>
 * is this life of the server (smpc_audit_life: a random number drawn when
 * the shared memory is made, at server start and again after a crash),
 * in 16 hex digits. The file holds SMPC_AUDIT_FILE_MAGIC, the record's
 * payload, and a CRC-32C of both. When the attempt ends, its final record
 * (same event id) goes through the queue as always; the audit writer
 * deletes the file once that record is committed (or written to the
 * server log). Files of another life are attempts that never ended: the
 * writer of their database inserts them whenever it starts (ON CONFLICT on
 * the event id: a final record that did reach the table wins) and deletes
 * them; it never touches a file of this life, whatever the clock says.
 * Such a file that is cut short or damaged (no magic, a CRC that does not
 * match, or no whole record in it) is deleted with a warning, never
 * stored: a crash cuts a file short only before its fsync returned, so
 * before its attempt sent anything. At server start a background worker
 * starts the writer of every database that has such files. The folders
 * are made durable once per life of the server (smpc_audit_make_dirs).
 *
 * Limits (SECURITY.md, docs/dba.md "Audit trail"): the attempt's own end
 * (outcome, result) is still lost with the queue; what survives is that it
 * ran, what, for whom, with whom, and when it started. With fsync = off the
 * file is as durable as the operating system makes it.
 */
#include "pg/audit/audit.h"

extern "C" {
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "postmaster/bgworker.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/timestamp.h"

PGDLLEXPORT void smpc_audit_replay_main(Datum main_arg);
}

#define SMPC_AUDIT_DIR "smpc_audit"

/*
 * What an attempt's file starts with; then the payload, then the CRC-32C
 * of both (4 bytes, little-endian). A file without it is damaged, or one
 * whose first bytes never reached the disk. (No released version wrote
 * these files in another form.)
 */
#define SMPC_AUDIT_FILE_MAGIC	  "SMPCaud1"
#define SMPC_AUDIT_FILE_MAGIC_LEN 8
#define SMPC_AUDIT_FILE_CRC_LEN	  4
static_assert(sizeof(SMPC_AUDIT_FILE_MAGIC) - 1 == SMPC_AUDIT_FILE_MAGIC_LEN, "magic length");

/* The CRC-32C of an attempt's file: its magic and payload. */
static pg_crc32c
smpc_audit_file_crc(const char *payload, Size len)
{
	pg_crc32c crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, SMPC_AUDIT_FILE_MAGIC, SMPC_AUDIT_FILE_MAGIC_LEN);
	COMP_CRC32C(crc, payload, len);
	FIN_CRC32C(crc);
	return crc;
}

/* "smpc_audit/<dbid>", relative to the data directory (every process's cwd). */
static void
smpc_audit_dir(Oid dbid, char *out, size_t size)
{
	snprintf(out, size, "%s/%u", SMPC_AUDIT_DIR, dbid);
}

#define SMPC_AUDIT_EVENT_ID_LEN 36
#define SMPC_AUDIT_LIFE_HEX_LEN 16

/* Whether the first 36 characters of name are the form of an event id. */
static bool
smpc_audit_event_id_ok(const char *name)
{
	for (size_t i = 0; i < SMPC_AUDIT_EVENT_ID_LEN; i++)
		if (!(isxdigit((unsigned char) name[i]) ||
			  (name[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))))
			return false;
	return true;
}

/* What a file's name says. */
typedef enum SmpcAuditFileName
{
	SMPC_AUDIT_NOT_OURS,
	SMPC_AUDIT_THIS_LIFE,  /* <event id>.<this life>: an attempt that may be running */
	SMPC_AUDIT_OTHER_LIFE, /* <event id>.<another life>, or <event id> as development
							* versions named them: an attempt that never ended */
	SMPC_AUDIT_TEMPORARY   /* <event id>.tmp, as development versions wrote them first */
} SmpcAuditFileName;

/*
 * Which kind of file name is: <event id>.<life, 16 hex digits> as
 * smpc_audit_file_write names them, or an older form.
 */
static SmpcAuditFileName
smpc_audit_file_kind(const char *name)
{
	size_t len = strlen(name);
	char   life[SMPC_AUDIT_LIFE_HEX_LEN + 1];

	if (len < SMPC_AUDIT_EVENT_ID_LEN || !smpc_audit_event_id_ok(name))
		return SMPC_AUDIT_NOT_OURS;
	if (len == SMPC_AUDIT_EVENT_ID_LEN)
		return SMPC_AUDIT_OTHER_LIFE;
	if (strcmp(name + SMPC_AUDIT_EVENT_ID_LEN, ".tmp") == 0)
		return SMPC_AUDIT_TEMPORARY;
	if (len != SMPC_AUDIT_EVENT_ID_LEN + 1 + SMPC_AUDIT_LIFE_HEX_LEN ||
		name[SMPC_AUDIT_EVENT_ID_LEN] != '.')
		return SMPC_AUDIT_NOT_OURS;
	for (size_t i = SMPC_AUDIT_EVENT_ID_LEN + 1; i < len; i++)
		if (!isxdigit((unsigned char) name[i]))
			return SMPC_AUDIT_NOT_OURS;
	snprintf(life, sizeof life, "%016" INT64_MODIFIER "x", smpc_audit_life());
	return pg_strcasecmp(name + SMPC_AUDIT_EVENT_ID_LEN + 1, life) == 0 ? SMPC_AUDIT_THIS_LIFE
																		: SMPC_AUDIT_OTHER_LIFE;
}

/* "smpc_audit/<dbid>/<event id>.<this life>": the file of an attempt of this life. */
static void
smpc_audit_file_path(const char *event_id, char *out, size_t size)
{
	snprintf(out, size, "%s/%u/%s.%016" INT64_MODIFIER "x", SMPC_AUDIT_DIR, MyDatabaseId, event_id,
			 smpc_audit_life());
}

/*
 * Makes a directory unless it exists, and makes its entry durable even if
 * it did: the process that made it may not have fsynced its parent yet.
 */
static void
smpc_audit_make_dir(const char *path, const char *parent)
{
	/* (ERROR, not PANIC: these are not the server's data files.) */
	if (MakePGDirectory(path) != 0 && errno != EEXIST)
		ereport(ERROR, errcode_for_file_access(),
				errmsg("could not create directory \"%s\": %m", path));
	(void) fsync_fname_ext(parent, true, false, ERROR);
}

/* This process saw the folders durable (smpc_audit_make_dirs): kept, not asked again. */
static bool smpc_audit_dirs_seen = false;

/*
 * Makes smpc_audit/ and this database's folder in it durably, once in this
 * life of the server: the first process to do so says so in shared memory,
 * and the others skip the two flushes.
 */
static void
smpc_audit_make_dirs(const char *dir)
{
	/* (A backend is bound to one database, so to one folder.) */
	if (smpc_audit_dirs_seen || (smpc_audit_dirs_seen = smpc_audit_dir_durable(MyDatabaseId)))
		return;
	smpc_audit_make_dir(SMPC_AUDIT_DIR, ".");
	smpc_audit_make_dir(dir, SMPC_AUDIT_DIR);
	smpc_audit_dir_set_durable(MyDatabaseId, true);
	smpc_audit_dirs_seen = true;
}

/* Deletes a file; true once it is gone (or was), else logs why. Never raises. */
static bool
smpc_audit_unlink(const char *path)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return true;
	ereport(LOG, errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", path));
	return false;
}

/*
 * Stops an attempt whose file could not be written (what failed: "write",
 * "fsync", "close"): closes it if fd is open, deletes it, and raises with
 * the errno of the failure.
 */
static void smpc_audit_file_fail(int fd, const char *path, const char *what)
	pg_attribute_noreturn();

static void
smpc_audit_file_fail(int fd, const char *path, const char *what)
{
	int save = errno ? errno : ENOSPC;

	if (fd >= 0)
		CloseTransientFile(fd);
	(void) unlink(path);
	errno = save;
	ereport(ERROR, errcode_for_file_access(), errmsg("could not %s file \"%s\": %m", what, path));
}

/*
 * Writes the payload of an attempt's record to its file and makes it
 * durable. Raises when it cannot: the attempt must not go on unrecorded.
 *
 * The file is created under its final name and fsynced with its directory:
 * two flushes. (A temporary name renamed durably took four, and with fsync
 * on they were about 40 % of a warm three-party job.) A file that a crash
 * cut short was cut before its fsync returned, so before anything of its
 * attempt left: its CRC does not match, and once this life of the server
 * has ended (the file's name says which life wrote it) the writer deletes
 * it (smpc_audit_file_leftovers).
 */
void
smpc_audit_file_write(const char *event_id, const char *payload, Size len)
{
	char	  dir[MAXPGPATH];
	char	  path[MAXPGPATH];
	char	 *framed;
	Size	  total;
	pg_crc32c crc;
	int		  fd;

	smpc_audit_dir(MyDatabaseId, dir, sizeof dir);
	smpc_audit_make_dirs(dir);
	smpc_audit_file_path(event_id, path, sizeof path);
	framed = (char *) palloc(SMPC_AUDIT_FILE_MAGIC_LEN + len + SMPC_AUDIT_FILE_CRC_LEN);
	memcpy(framed, SMPC_AUDIT_FILE_MAGIC, SMPC_AUDIT_FILE_MAGIC_LEN);
	memcpy(framed + SMPC_AUDIT_FILE_MAGIC_LEN, payload, len);
	crc = smpc_audit_file_crc(payload, len);
	for (int i = 0; i < SMPC_AUDIT_FILE_CRC_LEN; i++)
		framed[SMPC_AUDIT_FILE_MAGIC_LEN + len + i] = (char) ((crc >> (8 * i)) & 0xFF);
	total = SMPC_AUDIT_FILE_MAGIC_LEN + len + SMPC_AUDIT_FILE_CRC_LEN;
	fd = OpenTransientFile(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY);
	if (fd < 0 && errno == ENOENT)
	{
		/* Removed by hand while the server ran: made again, and said. */
		ereport(LOG, errmsg("smpc audit: \"%s\" was removed while the server ran; making it again "
							"(the files of attempts running then went with it)",
							dir));
		smpc_audit_dir_set_durable(MyDatabaseId, false);
		smpc_audit_dirs_seen = false;
		smpc_audit_make_dirs(dir);
		fd = OpenTransientFile(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY);
	}
	if (fd < 0)
		ereport(ERROR, errcode_for_file_access(), errmsg("could not create file \"%s\": %m", path));
	errno = 0;
	if (write(fd, framed, total) != (ssize_t) total)
		smpc_audit_file_fail(fd, path, "write");
	if (pg_fsync(fd) != 0)
		smpc_audit_file_fail(fd, path, "fsync");
	if (CloseTransientFile(fd) != 0)
		smpc_audit_file_fail(-1, path, "close");
	/* Its name too must survive a crash. */
	(void) fsync_fname_ext(dir, true, false, ERROR);
	pfree(framed);
}

/*
 * Deletes the file of a record that reached smpc.audit_log (or the server
 * log). Most records have none. Never raises.
 */
void
smpc_audit_file_forget(const char *event_id)
{
	char path[MAXPGPATH];

	if (event_id == NULL || strlen(event_id) != SMPC_AUDIT_EVENT_ID_LEN ||
		!smpc_audit_event_id_ok(event_id) || !smpc_audit_queue_ready())
		return;
	smpc_audit_file_path(event_id, path, sizeof path);
	(void) smpc_audit_unlink(path);
}

/*
 * Deletes a file of an attempt of an earlier life, by its name in this
 * database's folder, once its record is stored (smpc_audit_replay). False
 * when it is still there. Never raises.
 */
bool
smpc_audit_file_remove(const char *name)
{
	char path[MAXPGPATH];

	if (smpc_audit_file_kind(name) != SMPC_AUDIT_OTHER_LIFE)
		return false;
	snprintf(path, sizeof path, "%s/%u/%s", SMPC_AUDIT_DIR, MyDatabaseId, name);
	return smpc_audit_unlink(path);
}

/*
 * Deletes a file of an earlier life that holds no readable record, with a
 * warning. Never raises.
 */
static void
smpc_audit_file_drop(const char *path, Size size, const char *why)
{
	if (!smpc_audit_unlink(path))
		return;
	ereport(WARNING,
			errmsg("smpc audit writer removed \"%s\" (%zu bytes): the record of an attempt that "
				   "was %s",
				   path, size, why),
			errdetail("A crash cuts such a file short only before its fsync returned, so before "
					  "its attempt sent anything."));
}

/*
 * The payload in an attempt's file, when the file has the magic and its CRC
 * matches; else NULL, with *why set.
 */
static const char *
smpc_audit_file_payload(const char *buf, Size size, Size *len, const char **why)
{
	pg_crc32c stored = 0;

	if (size < SMPC_AUDIT_FILE_MAGIC_LEN + SMPC_AUDIT_FILE_CRC_LEN ||
		memcmp(buf, SMPC_AUDIT_FILE_MAGIC, SMPC_AUDIT_FILE_MAGIC_LEN) != 0)
	{
		*why = "cut short or damaged on disk (it does not start as such a file does)";
		return NULL;
	}
	*len = size - SMPC_AUDIT_FILE_MAGIC_LEN - SMPC_AUDIT_FILE_CRC_LEN;
	for (int i = 0; i < SMPC_AUDIT_FILE_CRC_LEN; i++)
		stored |= (pg_crc32c) (unsigned char) buf[SMPC_AUDIT_FILE_MAGIC_LEN + *len + i] << (8 * i);
	if (smpc_audit_file_crc(buf + SMPC_AUDIT_FILE_MAGIC_LEN, *len) != stored)
	{
		*why = "cut short or damaged on disk (its CRC does not match)";
		return NULL;
	}
	return buf + SMPC_AUDIT_FILE_MAGIC_LEN;
}

/*
 * The records of this database's attempts that an earlier life of the
 * server wrote and that never ended: up to max payloads, palloc'd, with
 * their event ids and file names. Returns the number found. Files of this
 * life are never touched, whatever the clock says: their names say which
 * life wrote them (smpc_audit_file_kind).
 *
 * A file of an earlier life with no readable record (cut short by a crash,
 * or damaged) is deleted with a warning. Temporary files, which
 * development versions wrote first and renamed (attempts that stopped
 * before their record was on disk, and sent nothing), are deleted.
 */
int
smpc_audit_file_leftovers(int max, char **payloads, Size *lens, char **ids, char **names)
{
	char		   dir[MAXPGPATH];
	DIR			  *d;
	struct dirent *de;
	int			   n = 0;

	smpc_audit_dir(MyDatabaseId, dir, sizeof dir);
	d = AllocateDir(dir);
	if (d == NULL)
		return 0; /* no attempt here ever wrote one */
	while (n < max && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		char			  path[MAXPGPATH];
		struct stat		  st;
		SmpcAuditFileName kind = smpc_audit_file_kind(de->d_name);
		int				  fd;
		char			 *buf;
		const char		 *payload;
		const char		 *why = "";
		Size			  len;
		TimestampTz		  started;

		if (kind == SMPC_AUDIT_NOT_OURS || kind == SMPC_AUDIT_THIS_LIFE)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (kind == SMPC_AUDIT_TEMPORARY)
		{
			(void) unlink(path);
			continue;
		}
		if (st.st_size > 1024 * 1024)
			continue;
		fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
		if (fd < 0)
			continue;
		buf = (char *) palloc(st.st_size + 1);
		if (read(fd, buf, st.st_size) != st.st_size)
		{
			CloseTransientFile(fd);
			pfree(buf);
			continue;
		}
		CloseTransientFile(fd);
		payload = smpc_audit_file_payload(buf, st.st_size, &len, &why);
		if (payload != NULL && !smpc_audit_payload_started(payload, len, &started))
		{
			payload = NULL;
			why = "damaged (it holds no whole record)";
		}
		if (payload == NULL)
		{
			smpc_audit_file_drop(path, st.st_size, why);
			pfree(buf);
			continue;
		}
		payloads[n] = (char *) palloc(len + 1);
		memcpy(payloads[n], payload, len);
		lens[n] = len;
		ids[n] = pnstrdup(de->d_name, SMPC_AUDIT_EVENT_ID_LEN);
		names[n] = pstrdup(de->d_name);
		pfree(buf);
		n++;
	}
	FreeDir(d);
	return n;
}

/*
 * The oids of the databases with files of attempts (any: the writer sorts
 * out which ended), for the startup worker. Returns the number found.
 */
static int
smpc_audit_file_databases(Oid *dbids, int max)
{
	DIR			  *d = AllocateDir(SMPC_AUDIT_DIR);
	struct dirent *de;
	int			   n = 0;

	if (d == NULL)
		return 0;
	while (n < max && (de = ReadDirExtended(d, SMPC_AUDIT_DIR, LOG)) != NULL)
	{
		char		   sub[MAXPGPATH];
		DIR			  *s;
		struct dirent *e;
		bool		   any = false;
		char		  *end;
		unsigned long  oid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end != '\0' || oid == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", SMPC_AUDIT_DIR, de->d_name);
		s = AllocateDir(sub);
		if (s == NULL)
			continue;
		while (!any && (e = ReadDirExtended(s, sub, LOG)) != NULL)
			any = e->d_name[0] != '.';
		FreeDir(s);
		if (any)
			dbids[n++] = (Oid) oid;
	}
	FreeDir(d);
	return n;
}

/*
 * The startup worker: starts the audit writer of every database with
 * records of attempts on disk, which inserts those that never ended
 * (audit_writer.cpp), then exits.
 */
void
smpc_audit_replay_main(Datum main_arg)
{
	Oid dbids[SMPC_AUDIT_MAX_WRITERS];
	int n;

	BackgroundWorkerUnblockSignals();
	if (!smpc_audit_queue_ready())
		proc_exit(0);
	n = smpc_audit_file_databases(dbids, SMPC_AUDIT_MAX_WRITERS);
	for (int i = 0; i < n; i++)
		smpc_audit_writer_start(dbids[i]);
	proc_exit(0);
}

/* Registers the startup worker (from _PG_init, while preloading). */
void
smpc_audit_register_replay(void)
{
	BackgroundWorker worker;

	smpc_bgworker_init(&worker, "smpc_audit_replay_main", "smpc audit replay");
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	snprintf(worker.bgw_name, BGW_MAXLEN, "smpc audit replay");
	RegisterBackgroundWorker(&worker);
}
