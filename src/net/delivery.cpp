/*
 * Parallel delivery of messages to partners over the connections of
 * peer.cpp.
 *
 * Delivery is a call of smpc.exchange($1) on the partner, preceded on a new
 * connection by smpc.deliver_ready() (would the partner's log record it?
 * It also keeps parameters out of that log for the session, so a reload
 * there between jobs cannot log a later share on this cached connection),
 * which also prepares the delivery statement (smpc_deliver) for that
 * connection, so messages are not parsed and planned one by one. The call
 * may return the partner's own message of the round (handover.cpp), which
 * the caller finds in SmpcSend.reply.
 * All calls of a round
 * are sent first and then awaited together on one WaitEventSet, so partners
 * are never contacted one at a time, and every wait can be cancelled and has
 * a deadline.
 */
#include "net/peer.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "libpq-fe.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

/* Where one delivery stands. */
typedef enum SmpcPeerState
{
	SMPC_PEER_CONNECTING, /* PQconnectPoll until OK */
	SMPC_PEER_PROBING,	  /* new connection: smpc.deliver_ready() sent */
	SMPC_PEER_SENDING,	  /* query sent; flushing and/or awaiting results */
	SMPC_PEER_DONE,
} SmpcPeerState;

typedef struct SmpcPending
{
	SmpcConn				 *entry;
	SmpcSend				 *send;
	SmpcPeerState			  state;
	PostgresPollingStatusType poll;
	bool					  reused; /* the connection came from the cache */
	bool					  flushing;
	bool					  failed;
	bool					  broken; /* the connection itself failed */
	char					 *error_message;
	char					 *error_detail;
	char					 *error_hint;
	int						  error_code;
} SmpcPending;

static void
smpc_peer_fail(SmpcPending *p, int code, char *message, bool broken)
{
	p->failed = true;
	p->broken = broken;
	/* libpq may have closed the socket: the wait set must not keep it. */
	if (broken)
		smpc_conn_generation++;
	p->error_code = code;
	p->error_message = message;
	p->state = SMPC_PEER_DONE;
}

/*
 * Flushes what libpq holds of the query; remembers whether some is still
 * unsent (the wait then also waits for the socket to take more). False if
 * the connection broke (the delivery has failed).
 */
static bool
smpc_peer_flush(SmpcPending *p)
{
	int rc = PQflush(p->entry->conn);

	p->flushing = rc == 1;
	if (rc < 0)
	{
		smpc_peer_fail(p, ERRCODE_CONNECTION_FAILURE, pchomp(PQerrorMessage(p->entry->conn)), true);
		return false;
	}
	return true;
}

/* Sends the delivery query on a connected entry. */
static void
smpc_peer_start_send(SmpcPending *p)
{
	const char *values[1] = {(const char *) p->send->data};
	int			lengths[1] = {(int) p->send->len};
	int			formats[1] = {1};

	p->state = SMPC_PEER_SENDING;
	p->entry->busy = true;
	/* Prepared when the connection was probed: no parsing per message. */
	p->send->reply = NULL;
	p->send->reply_len = 0;
	/* Binary result: a message handed back (smpc.exchange) comes as raw bytes. */
	if (!PQsendQueryPrepared(p->entry->conn, "smpc_deliver", 1, values, lengths, formats, 1))
	{
		smpc_peer_fail(p, ERRCODE_CONNECTION_FAILURE, pchomp(PQerrorMessage(p->entry->conn)), true);
		return;
	}
	smpc_peer_flush(p);
}

/*
 * Before the first message on a new connection, asks the partner whether
 * its server log would record what we deliver (smpc.deliver_ready()): a
 * refusal then costs no share. After an error here the connection is
 * replaced at its next use, so the next job asks again.
 */
static void
smpc_peer_start_probe(SmpcPending *p)
{
	p->state = SMPC_PEER_PROBING;
	/*
	 * The probe, and (only if it passes) the statement every delivery uses,
	 * always with its generic plan: calls pass one bytea of up to 161 MiB,
	 * which a custom plan would copy into the plan on every call. (A SET
	 * here, not a startup option, which poolers such as PgBouncer refuse.)
	 */
	if (!PQsendQuery(p->entry->conn, "SELECT smpc.deliver_ready(); "
									 "SET plan_cache_mode = force_generic_plan; "
									 "PREPARE smpc_deliver(bytea) AS SELECT smpc.exchange($1)"))
	{
		smpc_peer_fail(p, ERRCODE_CONNECTION_FAILURE, pchomp(PQerrorMessage(p->entry->conn)), true);
		return;
	}
	smpc_peer_flush(p);
}

/* Opens (starts opening) the connection if needed, else sends at once. */
static void
smpc_peer_begin(SmpcPending *p)
{
	ForeignServer *server;
	UserMapping	  *um;
	char		  *error = NULL;

	p->entry = smpc_peer_entry(p->send->party, &server, &um);
	p->failed = p->broken = p->flushing = false;
	p->reused = p->entry->conn != NULL;
	if (p->reused)
	{
		smpc_peer_start_send(p);
		return;
	}
	p->entry->conn = smpc_peer_connect_start(server, um, &p->entry->password_required, &error);
	smpc_conn_generation++;
	if (p->entry->conn == NULL)
	{
		smpc_peer_fail(p, ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION, error, true);
		return;
	}
	p->entry->busy = true; /* closed at abort if we give up midway */
	p->state = SMPC_PEER_CONNECTING;
	p->poll = PGRES_POLLING_WRITING;
}

/* Advances a connection attempt; sends once it is established. */
static void
smpc_peer_advance_connect(SmpcPending *p)
{
	PGconn *conn = p->entry->conn;

	p->poll = PQconnectPoll(conn);
	if (p->poll == PGRES_POLLING_FAILED)
	{
		smpc_peer_fail(p, ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
					   pchomp(PQerrorMessage(conn)), true);
		return;
	}
	if (p->poll != PGRES_POLLING_OK)
		return;
	if (!superuser() && p->entry->password_required && !PQconnectionUsedPassword(conn))
	{
		smpc_peer_fail(
			p, ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED,
			pstrdup("the partner did not ask for the password, which non-superusers must use"),
			true);
		return;
	}
	if (PQsetnonblocking(conn, 1) != 0)
	{
		smpc_peer_fail(p, ERRCODE_CONNECTION_FAILURE, pchomp(PQerrorMessage(conn)), true);
		return;
	}
	smpc_peer_start_probe(p);
}

/* Reads whatever results are ready; marks the delivery done at the end. */
static void
smpc_peer_consume(SmpcPending *p)
{
	PGconn *conn = p->entry->conn;

	if (p->flushing && !smpc_peer_flush(p))
		return;
	if (!PQconsumeInput(conn))
	{
		smpc_peer_fail(p, ERRCODE_CONNECTION_FAILURE, pchomp(PQerrorMessage(conn)), true);
		return;
	}
	while (!PQisBusy(conn))
	{
		PGresult *res = PQgetResult(conn);

		if (res == NULL)
		{
			if (p->state == SMPC_PEER_PROBING && !p->failed)
			{
				smpc_peer_start_send(p);
				return;
			}
			if (p->state == SMPC_PEER_PROBING)
				p->entry->stale = true; /* refused: ask again on a new connection */
			p->state = SMPC_PEER_DONE;
			p->entry->busy = false;
			return;
		}
		if (p->state == SMPC_PEER_SENDING && PQresultStatus(res) == PGRES_TUPLES_OK &&
			PQntuples(res) == 1 && PQnfields(res) == 1 && !PQgetisnull(res, 0, 0) &&
			PQgetlength(res, 0, 0) > 0)
		{
			/*
			 * The partner's own message of this round, handed back. It holds
			 * shares: libpq's copy in the result is zeroed before PQclear
			 * frees it (the copy in libpq's input buffer is out of reach).
			 */
			p->send->reply_len = (size_t) PQgetlength(res, 0, 0);
			p->send->reply = (uint8 *) palloc(p->send->reply_len);
			memcpy(p->send->reply, PQgetvalue(res, 0, 0), p->send->reply_len);
			explicit_bzero(PQgetvalue(res, 0, 0), p->send->reply_len);
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK &&
			!p->failed)
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
			const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

			/* Not done yet: the connection is fine, read up to the end. */
			p->failed = true;
			/*
			 * The connection, not the partner, failed: no SQLSTATE, the
			 * partner shutting down or losing its session (57P, 08), or
			 * the prepared delivery statement gone or outdated (26000, a
			 * pooler or an upgrade; 0A000). A reused connection is then
			 * replaced and the message sent once more.
			 */
			p->broken = state == NULL || strncmp(state, "57P", 3) == 0 ||
						strncmp(state, "08", 2) == 0 || strcmp(state, "26000") == 0 ||
						strcmp(state, "0A000") == 0 || PQstatus(conn) == CONNECTION_BAD;
			if (p->broken)
				smpc_conn_generation++;
			p->error_code = state && strlen(state) == 5
								? MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])
								: ERRCODE_CONNECTION_FAILURE;
			p->error_message = pstrdup(msg ? msg : pchomp(PQerrorMessage(conn)));
			p->error_detail = detail ? pstrdup(detail) : NULL;
			p->error_hint = hint ? pstrdup(hint) : NULL;
		}
		PQclear(res);
	}
}

/*
 * The wait event set of deliveries, kept for the backend's life: building
 * one per wait (epoll_create, one epoll_ctl per socket, close) cost more
 * than the wait itself in a warm job. It holds the latch, postmaster death
 * and the sockets of the last deliveries; a socket with nothing in flight
 * stays in it, waiting only for a hangup. It is rebuilt when a connection
 * was opened, closed or broken since (libpq closes a broken connection's
 * socket, and a new socket may reuse a closed one's number), when a
 * delivery's socket is not in it, or when an idle socket reported an event.
 */
static WaitEventSet *smpc_wait_set = NULL;
static int			 smpc_wait_nsockets = 0;
static pgsocket		*smpc_wait_socket = NULL; /* per socket position */
static uint32		*smpc_wait_io = NULL;
static uint64		 smpc_wait_generation = 0;

static void
smpc_wait_set_free(void)
{
	if (smpc_wait_set == NULL)
		return;
	FreeWaitEventSet(smpc_wait_set);
	pfree(smpc_wait_socket);
	pfree(smpc_wait_io);
	smpc_wait_set = NULL;
	smpc_wait_socket = NULL;
	smpc_wait_io = NULL;
	smpc_wait_nsockets = 0;
}

/* The events a delivery waits for on its socket. */
static uint32
smpc_pending_io(const SmpcPending *p)
{
	if (p->state == SMPC_PEER_CONNECTING)
		return p->poll == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;
	return WL_SOCKET_READABLE | (p->flushing ? WL_SOCKET_WRITEABLE : 0);
}

/* The position of socket sock in the wait set, or -1. */
static int
smpc_wait_position(pgsocket sock)
{
	for (int i = 0; i < smpc_wait_nsockets; i++)
		if (smpc_wait_socket[i] == sock)
			return i;
	return -1;
}

/*
 * Makes the wait set wait for exactly what the unfinished deliveries need;
 * by[position] gets the delivery of each socket (NULL: idle).
 */
static void
smpc_wait_set_prepare(SmpcPending *pending, int n, SmpcPending **by)
{
	bool fits = smpc_wait_set != NULL && smpc_wait_generation == smpc_conn_generation;

	/*
	 * While connecting, libpq may close a socket and open another, which can
	 * get the same number: build the set anew for every such wait.
	 */
	for (int i = 0; i < n && fits; i++)
		if (pending[i].state == SMPC_PEER_CONNECTING ||
			(pending[i].state != SMPC_PEER_DONE &&
			 smpc_wait_position(PQsocket(pending[i].entry->conn)) < 0))
			fits = false;
	if (!fits)
	{
		int nsockets = 0;

		smpc_wait_set_free();
		for (int i = 0; i < n; i++)
			if (pending[i].state != SMPC_PEER_DONE)
				nsockets++;
		smpc_wait_set = CreateWaitEventSet(TopMemoryContext, nsockets + 2);
		smpc_wait_socket =
			(pgsocket *) MemoryContextAlloc(TopMemoryContext, sizeof(pgsocket) * Max(nsockets, 1));
		smpc_wait_io =
			(uint32 *) MemoryContextAlloc(TopMemoryContext, sizeof(uint32) * Max(nsockets, 1));
		smpc_wait_generation = smpc_conn_generation;
		AddWaitEventToSet(smpc_wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(smpc_wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		for (int i = 0; i < n; i++)
		{
			if (pending[i].state == SMPC_PEER_DONE)
				continue;
			smpc_wait_socket[smpc_wait_nsockets] = PQsocket(pending[i].entry->conn);
			smpc_wait_io[smpc_wait_nsockets] = smpc_pending_io(&pending[i]);
			/* Positions 0 and 1 are the latch and postmaster death. */
			AddWaitEventToSet(smpc_wait_set, smpc_wait_io[smpc_wait_nsockets],
							  smpc_wait_socket[smpc_wait_nsockets], NULL, NULL);
			smpc_wait_nsockets++;
		}
	}
	for (int k = 0; k < smpc_wait_nsockets; k++)
	{
		uint32 io = WL_SOCKET_CLOSED;

		by[k] = NULL;
		for (int i = 0; i < n; i++)
			if (pending[i].state != SMPC_PEER_DONE &&
				PQsocket(pending[i].entry->conn) == smpc_wait_socket[k])
			{
				by[k] = &pending[i];
				io = smpc_pending_io(&pending[i]);
			}
		if (io != smpc_wait_io[k])
		{
			ModifyWaitEvent(smpc_wait_set, k + 2, io, NULL);
			smpc_wait_io[k] = io;
		}
	}
}

/* One wait on the latch and every unfinished connection; advances whatever became ready. */
static void
smpc_peer_wait_once(SmpcPending *pending, int n, long timeout_ms)
{
	/* A rebuilt set holds at most n sockets, a kept one smpc_wait_nsockets. */
	int			  room = Max(n, smpc_wait_nsockets) + 2;
	SmpcPending **by = (SmpcPending **) palloc(sizeof(SmpcPending *) * room);
	WaitEvent	 *events = (WaitEvent *) palloc(sizeof(WaitEvent) * room);
	int			  nevents;
	bool		  stale = false;

	smpc_wait_set_prepare(pending, n, by);
	nevents = WaitEventSetWait(smpc_wait_set, timeout_ms, events, room, PG_WAIT_EXTENSION);
	for (int e = 0; e < nevents; e++)
	{
		SmpcPending *p = events[e].pos >= 2 ? by[events[e].pos - 2] : NULL;

		if (events[e].events & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		else if (p == NULL)
			stale = true; /* an idle connection hung up: build the set anew */
		else if (p->state == SMPC_PEER_CONNECTING)
			smpc_peer_advance_connect(p);
		else if (p->state == SMPC_PEER_SENDING || p->state == SMPC_PEER_PROBING)
			smpc_peer_consume(p);
	}
	if (stale)
		smpc_wait_set_free();
	pfree(by);
	pfree(events);
}

/*
 * Waits until every delivery is done or the deadline passes. At the
 * deadline, a tolerant caller gets the deliveries still under way marked as
 * failed with a broken connection; others get the timeout raised.
 */
static void
smpc_peer_wait(SmpcPending *pending, int n, TimestampTz deadline, bool tolerant)
{
	for (;;)
	{
		int	 nwaiting = 0;
		long remaining;

		for (int i = 0; i < n; i++)
			if (pending[i].state != SMPC_PEER_DONE)
				nwaiting++;
		if (nwaiting == 0)
			return;
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0 && tolerant)
		{
			for (int i = 0; i < n; i++)
				if (pending[i].state != SMPC_PEER_DONE)
					smpc_peer_fail(&pending[i], ERRCODE_SMPC_PARTNER_TIMEOUT,
								   pstrdup(pending[i].state == SMPC_PEER_CONNECTING
											   ? "could not be reached within smpc.timeout"
											   : "did not accept the message within smpc.timeout"),
								   true);
			return;
		}
		if (remaining <= 0)
		{
			StringInfoData connecting;
			StringInfoData sending;
			const char	  *what = NULL;

			initStringInfo(&connecting);
			initStringInfo(&sending);
			for (int i = 0; i < n; i++)
			{
				bool in_query =
					pending[i].state == SMPC_PEER_SENDING || pending[i].state == SMPC_PEER_PROBING;
				StringInfo list = pending[i].state == SMPC_PEER_CONNECTING ? &connecting
								  : in_query							   ? &sending
																		   : NULL;

				if (list)
					appendStringInfo(list, "%sparty %s", list->len ? ", " : "",
									 pending[i].send->party);
				if (in_query)
					what = pending[i].send->what;
			}
			if (connecting.len > 0)
				ereport(ERROR, errcode(ERRCODE_SMPC_PARTNER_TIMEOUT),
						errmsg("timed out connecting to %s", connecting.data),
						errhint("Check that the partner's server is up, or raise smpc.timeout."));
			ereport(ERROR, errcode(ERRCODE_SMPC_PARTNER_TIMEOUT),
					errmsg("timed out waiting for %s to accept the %s message", sending.data, what),
					errhint("Check that the partner's server is up, or raise smpc.timeout."));
		}
		smpc_peer_wait_once(pending, n, remaining);
	}
}

/* Raises the first failure, in a form that names the party. */
static void
smpc_peer_raise(SmpcPending *p)
{
	if (p->error_code == ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION ||
		p->error_code == ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED)
		ereport(
			ERROR, errcode(p->error_code),
			errmsg(SMPC_CONNECT_FAILED_PREFIX "%s\"", p->send->party),
			errdetail_internal("%s", p->error_message),
			errhint("Check the options of server \"%s\" and its user mapping.", p->send->party));
	ereport(ERROR, errcode(p->error_code),
			errmsg("party \"%s" SMPC_REJECTED_INFIX "%s message: %s", p->send->party, p->send->what,
				   p->error_message),
			p->error_detail ? errdetail_internal("%s", p->error_detail) : 0,
			p->error_hint ? errhint("%s", p->error_hint) : 0);
}

/* libpq's multi-line message on one line (for lists of failures). */
static char *
smpc_one_line(char *text)
{
	char *out = text;

	for (char *in = text; *in; in++)
	{
		if (*in == '\n' || *in == '\t')
		{
			if (out > text && out[-1] != ' ')
				*out++ = ' ';
			continue;
		}
		*out++ = *in;
	}
	*out = '\0';
	return text;
}

/*
 * Delivers sends[0..n) in parallel and waits for every acknowledgement:
 * missing connections are opened together, each message goes out as soon as
 * its connection is up, and all are awaited on one wait event set. A cached
 * connection that turns out to be dead (the partner restarted) is reopened
 * and the message sent once more.
 */
void
smpc_peer_send_all(SmpcSend *sends, int n, TimestampTz deadline, SmpcSendMode mode)
{
	SmpcPending	 *pending = (SmpcPending *) palloc0(sizeof(SmpcPending) * n);
	MemoryContext cxt = CurrentMemoryContext;
	bool		  tolerant = mode == SMPC_SEND_TOLERANT || mode == SMPC_SEND_COLLECT;

	uint32 holdoff = InterruptHoldoffCount;

	for (int i = 0; i < n; i++)
	{
		pending[i].send = &sends[i];
		sends[i].failure = NULL;
		sends[i].failure_code = 0;
		sends[i].failure_detail = NULL;
		sends[i].failure_hint = NULL;
		sends[i].reply = NULL;
		sends[i].reply_len = 0;
	}
	PG_TRY();
	{
		for (int i = 0; i < n; i++)
			smpc_peer_begin(&pending[i]);
		smpc_peer_wait(pending, n, deadline, tolerant);
		for (int i = 0; i < n; i++)
		{
			if (pending[i].failed && pending[i].broken && pending[i].reused &&
				pending[i].error_code != ERRCODE_SMPC_PARTNER_TIMEOUT)
			{
				smpc_conn_close(pending[i].entry);
				smpc_peer_begin(&pending[i]);
			}
		}
		smpc_peer_wait(pending, n, deadline, tolerant);
		for (int i = 0; i < n; i++)
		{
			if (!pending[i].failed)
				continue;
			if (pending[i].broken)
				smpc_conn_close(pending[i].entry);
			if (mode == SMPC_SEND_COLLECT)
			{
				sends[i].failure_code = pending[i].error_code;
				sends[i].failure =
					smpc_one_line(pending[i].broken ? psprintf("could not be reached: %s",
															   pending[i].error_message)
													: pstrdup(pending[i].error_message));
				sends[i].failure_detail = pending[i].error_detail;
				sends[i].failure_hint = pending[i].error_hint;
				continue;
			}
			/*
			 * A partner that cannot be reached, or no longer runs the job
			 * (it failed or restarted): the job may go on without it.
			 */
			if ((tolerant && pending[i].broken) ||
				(mode != SMPC_SEND_BEST_EFFORT &&
				 (pending[i].error_code == ERRCODE_SMPC_JOB_NOT_RUNNING ||
				  pending[i].error_code == ERRCODE_SMPC_JOB_RELEASED)))
			{
				int code = pending[i].error_code;

				sends[i].failure_code = pending[i].broken ? ERRCODE_CONNECTION_FAILURE : code;
				sends[i].failure = smpc_one_line(
					code == ERRCODE_SMPC_JOB_NOT_RUNNING
						? psprintf("no longer runs the job (%s)", pending[i].error_message)
					: code == ERRCODE_SMPC_JOB_RELEASED
						? psprintf("already released the job (%s)", pending[i].error_message)
						: psprintf("could not be reached: %s", pending[i].error_message));
				/* (Which says whose inputs the release covers.) */
				if (code == ERRCODE_SMPC_JOB_RELEASED && !pending[i].broken)
					sends[i].failure_detail = pending[i].error_detail;
				continue;
			}
			smpc_peer_raise(&pending[i]);
		}
	}
	PG_CATCH();
	{
		if (mode != SMPC_SEND_BEST_EFFORT)
			PG_RE_THROW();
		/*
		 * Best effort (abort notices): log the failure and carry on. The
		 * error reset the interrupt holdoff count; the caller holds
		 * interrupts, so give it back.
		 */
		InterruptHoldoffCount = holdoff;
		MemoryContextSwitchTo(cxt);
		{
			ErrorData *edata = CopyErrorData();

			FlushErrorState();
			for (int i = 0; i < n; i++)
				if (pending[i].entry && pending[i].state != SMPC_PEER_DONE)
					smpc_conn_close(pending[i].entry);
			ereport(LOG, errmsg("smpc: could not notify partners: %s", edata->message));
			FreeErrorData(edata);
		}
	}
	PG_END_TRY();
}
