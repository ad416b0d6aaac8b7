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
 *   <data directory>/smpc_audit/<database oid>/<event id>
 *
 * written to a temporary name, fsynced and renamed durably. When the
 * attempt ends, its final record (same event id) goes through the queue as
 * always; the audit writer deletes the file once that record is committed
 * (or written to the server log). Files left over from an earlier life of
 * the server (records started before this shared memory was made) are
 * attempts that never ended: the writer of their database inserts them at
 * its start (ON CONFLICT on the event id: a final record that did reach the
 * table wins) and deletes them. At server start a background worker starts
 * the writer of every database that has such files.
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
#include "postmaster/bgworker.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/timestamp.h"

PGDLLEXPORT void smpc_audit_replay_main(Datum main_arg);
}

#define SMPC_AUDIT_DIR "smpc_audit"

/* "smpc_audit/<dbid>", relative to the data directory (every process's cwd). */
static void
smpc_audit_dir(Oid dbid, char *out, size_t size)
{
	snprintf(out, size, "%s/%u", SMPC_AUDIT_DIR, dbid);
}

/* Whether name is the form of an event id (so the file is one of ours). */
static bool
smpc_audit_file_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isxdigit((unsigned char) name[i]) ||
			  (name[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))))
			return false;
	return true;
}

/* Makes a directory (and makes its entry durable) unless it exists. */
static void
smpc_audit_make_dir(const char *path, const char *parent)
{
	/* (ERROR, not PANIC: these are not the server's data files.) */
	if (MakePGDirectory(path) == 0)
		(void) fsync_fname_ext(parent, true, false, ERROR);
	else if (errno != EEXIST)
		ereport(ERROR, errcode_for_file_access(),
				errmsg("could not create directory \"%s\": %m", path));
}

/*
 * Writes the payload of an attempt's record to its file and makes it
 * durable. Raises when it cannot: the attempt must not go on unrecorded.
 */
void
smpc_audit_file_write(const char *event_id, const char *payload, Size len)
{
	char dir[MAXPGPATH];
	char tmp[MAXPGPATH];
	char path[MAXPGPATH];
	int	 fd;

	smpc_audit_dir(MyDatabaseId, dir, sizeof dir);
	smpc_audit_make_dir(SMPC_AUDIT_DIR, ".");
	smpc_audit_make_dir(dir, SMPC_AUDIT_DIR);
	snprintf(path, sizeof path, "%s/%s", dir, event_id);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR, errcode_for_file_access(), errmsg("could not create file \"%s\": %m", tmp));
	errno = 0;
	if (write(fd, payload, len) != (ssize_t) len)
	{
		int save = errno ? errno : ENOSPC;

		CloseTransientFile(fd);
		(void) unlink(tmp);
		errno = save;
		ereport(ERROR, errcode_for_file_access(), errmsg("could not write file \"%s\": %m", tmp));
	}
	if (pg_fsync(fd) != 0)
	{
		int save = errno;

		CloseTransientFile(fd);
		(void) unlink(tmp);
		errno = save;
		ereport(ERROR, errcode_for_file_access(), errmsg("could not fsync file \"%s\": %m", tmp));
	}
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR, errcode_for_file_access(), errmsg("could not close file \"%s\": %m", tmp));
	/* Renames, and fsyncs the file and its directory. */
	(void) durable_rename(tmp, path, ERROR);
}

/*
 * Deletes the file of a record that reached smpc.audit_log (or the server
 * log). Most records have none. Never raises.
 */
void
smpc_audit_file_forget(const char *event_id)
{
	char path[MAXPGPATH];

	if (event_id == NULL || !smpc_audit_file_name_ok(event_id))
		return;
	snprintf(path, sizeof path, "%s/%u/%s", SMPC_AUDIT_DIR, MyDatabaseId, event_id);
	if (unlink(path) != 0 && errno != ENOENT)
		ereport(LOG, errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", path));
}

/*
 * The records of this database's attempts that started before `before` (an
 * earlier life of the server) and never ended: up to max payloads,
 * palloc'd, with their event ids (file names). Leftover temporary files of
 * that time (attempts that stopped before their record was on disk, and
 * sent nothing) are deleted. Returns the number found.
 */
int
smpc_audit_file_leftovers(TimestampTz before, int max, char **payloads, Size *lens, char **ids)
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
		char		path[MAXPGPATH];
		struct stat st;
		size_t		nlen = strlen(de->d_name);
		int			fd;
		char	   *buf;
		TimestampTz started;

		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (nlen > 4 && strcmp(de->d_name + nlen - 4, ".tmp") == 0)
		{
			if (time_t_to_timestamptz(st.st_mtime) < before)
				(void) unlink(path);
			continue;
		}
		if (!smpc_audit_file_name_ok(de->d_name) || st.st_size > 1024 * 1024)
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
		/* Only attempts of an earlier life: the others may still run. */
		if (!smpc_audit_payload_started(buf, st.st_size, &started) || started >= before)
		{
			pfree(buf);
			continue;
		}
		payloads[n] = buf;
		lens[n] = st.st_size;
		ids[n] = pstrdup(de->d_name);
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
