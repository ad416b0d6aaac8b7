/*
 * Partners' sessions need TLS. A delivery carries a secret share, so the
 * deliver endpoint (deliver.cpp) refuses a session that reached this server
 * over TCP in the clear, whatever pg_hba.conf says: a "host" line where
 * "hostssl" was meant would otherwise go unnoticed. Unix-socket sessions
 * are local and pass; a superuser may allow unencrypted partners with
 * smpc.allow_insecure_transport, as for the connections this party makes.
 */
#include "pg/messaging/messaging.h"

#include <sys/socket.h>

/*
 * libpq/libpq-be.h, which defines struct Port, needs the GSSAPI headers in
 * a server built with GSSAPI, which a build machine may lack: the one
 * function used of it is declared here instead.
 */
extern "C" {
#include "miscadmin.h"

#ifdef USE_SSL
extern const char *be_tls_get_version(struct Port *port);
#endif
}

/* The socket of `port`: a Port begins with it (libpq-be.h). */
static pgsocket
smpc_port_socket(const struct Port *port)
{
	return *(const pgsocket *) port;
}

/*
 * Whether port is a TCP connection without TLS (not a Unix socket, not a
 * background process). The address family of its socket tells TCP from a
 * Unix socket; be_tls_get_version is NULL without TLS.
 */
bool
smpc_port_is_plain_network(struct Port *port)
{
	struct sockaddr_storage addr;
	socklen_t				len = sizeof(addr);

	if (port == NULL)
		return false;
	/* An address that cannot be read counts as the network's. */
	if (getsockname(smpc_port_socket(port), (struct sockaddr *) &addr, &len) == 0 &&
		addr.ss_family == AF_UNIX)
		return false;
#ifdef USE_SSL
	return be_tls_get_version(port) == NULL;
#else
	return true;
#endif
}

/* The endpoint's error for such a session. */
void
smpc_refuse_plain_peer(const char *role)
{
	ereport(ERROR, errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			errmsg("smpc partner login \"%s\" needs a TLS connection", role),
			errdetail("Partners deliver secret shares; this connection is not encrypted."),
			errhint("Let pg_hba.conf admit partners' roles only on hostssl lines; a superuser can "
					"allow unencrypted partners with smpc.allow_insecure_transport = on."));
}

/* The socket of this backend's client, or PGINVALID_SOCKET (a background process). */
pgsocket
smpc_client_socket(void)
{
	return MyProcPort != NULL ? smpc_port_socket(MyProcPort) : PGINVALID_SOCKET;
}
