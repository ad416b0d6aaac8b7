#!/usr/bin/env bash
# The ICO example, live: three organisations A, B and C each run their own
# PostgreSQL server with the smpc extension, and learn the average of their
# three expenditures (10000, 15000, 20000) without any of them seeing
# another's figure.
#
#   scripts/demo.sh          (re)create and start the three servers, set up
#                            the federation, run the joint average
#   scripts/demo.sh stop     stop the demo servers
#   scripts/demo.sh status   show whether they run and how to connect
#
# `make demo` installs the packages, builds and installs the extension, then
# runs this.  Servers run as user postgres (PostgreSQL refuses root) under
# $SMPC_DEMO_DIR (default /tmp/smpc-demo), on free loopback ports, with TLS
# (throwaway certificates) and Unix sockets in $SMPC_DEMO_DIR/sock.  Running
# it again stops the old servers and starts afresh.
set -euo pipefail

DEMO_DIR=${SMPC_DEMO_DIR:-/tmp/smpc-demo}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PARTIES=(a b c)
declare -A INPUT=([a]=10000 [b]=15000 [c]=20000)
declare -A ORG=([a]=A [b]=B [c]=C)
CMD=${1:-start}

say() { printf '\n==> %s\n' "$*"; }
die() { echo "demo.sh: error: $*" >&2; exit 1; }

case $CMD in
start | stop | status) ;;
*) die "usage: $0 [start|stop|status]" ;;
esac
[[ $DEMO_DIR == /* && $DEMO_DIR != / ]] || die "SMPC_DEMO_DIR must be an absolute path, not '$DEMO_DIR'"

# As root: hand over to user postgres, with the scripts copied to where that
# user can read them (the checkout may be in a directory it cannot enter).
if [[ $(id -u) -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "user postgres does not exist: run scripts/install-deps.sh"
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mkdir -p "$DEMO_DIR/bin"
	install -m 0755 "$here/demo.sh" "$here/make-certs.sh" "$here/free-port.pl" "$DEMO_DIR/bin/"
	chown -R postgres: "$DEMO_DIR"
	chmod 0700 "$DEMO_DIR"
	exec runuser -u postgres -- env SMPC_DEMO_DIR="$DEMO_DIR" PG_CONFIG="$PG_CONFIG" \
		SMPC_DEMO_AS_ROOT=1 bash "$DEMO_DIR/bin/demo.sh" "$CMD"
fi

[[ -x $PG_CONFIG ]] || die "$PG_CONFIG not found: run scripts/install-deps.sh"
PGBIN=$("$PG_CONFIG" --bindir)
SOCK=$DEMO_DIR/sock
CERTS=$DEMO_DIR/certs
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGSSLMODE PGOPTIONS
export LANG=C.UTF-8
unset LC_ALL

datadir() { echo "$DEMO_DIR/$1/data"; }
port_of() { sed -n 's/^port = \([0-9]*\).*/\1/p' "$(datadir "$1")/postgresql.conf" 2>/dev/null | tail -n 1; }
running() { "$PGBIN/pg_ctl" -D "$(datadir "$1")" status >/dev/null 2>&1; }

# psql as the local superuser at party $1; further arguments go to psql.
psql_at() {
	local p=$1
	shift
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$(port_of "$p")" "$@"
}

stop_all() {
	local p
	for p in "${PARTIES[@]}"; do
		[[ -f $(datadir "$p")/postmaster.pid ]] || continue
		"$PGBIN/pg_ctl" -D "$(datadir "$p")" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			"$PGBIN/pg_ctl" -D "$(datadir "$p")" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
		echo "stopped party $p"
	done
}

how_to_connect() {
	local p sudo=''
	[[ ${SMPC_DEMO_AS_ROOT:-0} == 1 ]] && sudo='runuser -u postgres -- '
	say "connect (as user $(id -un); peer authentication over the Unix socket):"
	for p in "${PARTIES[@]}"; do
		printf '    %s%s -h %s -p %s org_%s\n' "$sudo" "$PGBIN/psql" "$SOCK" "$(port_of "$p")" "$p"
	done
	echo "    e.g. SELECT smpc_sum(expenditure, 'my-job-1') FROM expenses;  (at all three within smpc.timeout)"
	echo "    server logs: $DEMO_DIR/{a,b,c}/server.log"
	say "stop the servers: scripts/demo.sh stop"
}

if [[ $CMD == stop ]]; then
	stop_all
	echo "demo servers stopped (data left in $DEMO_DIR)"
	exit 0
fi

if [[ $CMD == status ]]; then
	for p in "${PARTIES[@]}"; do
		if running "$p"; then
			echo "party $p: running on 127.0.0.1:$(port_of "$p")"
		else
			echo "party $p: not running"
		fi
	done
	how_to_connect
	exit 0
fi

# ---- start ----------------------------------------------------------------

PKGLIB=$("$PG_CONFIG" --pkglibdir)
[[ -f $PKGLIB/smpc.so ]] || die "$PKGLIB/smpc.so not installed: run 'make install' (or 'make demo')"
command -v openssl >/dev/null || die "openssl not found: run scripts/install-deps.sh"
command -v perl >/dev/null || die "perl not found"

say "stopping any previous demo servers in $DEMO_DIR"
stop_all
rm -rf "$SOCK" "${PARTIES[@]/#/$DEMO_DIR/}" "$DEMO_DIR/out"
mkdir -p "$SOCK" "$DEMO_DIR/out"
chmod 0700 "$DEMO_DIR" "$SOCK"

say "throwaway TLS certificates in $CERTS"
bash "$HERE/make-certs.sh" "$CERTS" "${PARTIES[@]}"

# A TCP port on 127.0.0.1 that nothing uses now and that is not in "$@".
free_port() { perl "$HERE/free-port.pl" "$@" || die "no free TCP port found"; }

declare -A PORT=()
for p in "${PARTIES[@]}"; do
	PORT[$p]=$(free_port "${PORT[@]}")
done

say "creating three PostgreSQL clusters (one per organisation)"
for p in "${PARTIES[@]}"; do
	dd=$(datadir "$p")
	mkdir -p "$DEMO_DIR/$p"
	"$PGBIN/initdb" -D "$dd" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-instructions >"$DEMO_DIR/$p/initdb.log" 2>&1 ||
		{ cat "$DEMO_DIR/$p/initdb.log" >&2; die "initdb for party $p failed"; }
	cat >>"$dd/postgresql.conf" <<-EOF

		# smpc demo, party $p (organisation ${ORG[$p]})
		cluster_name = 'smpc-demo-$p'
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$SOCK'
		ssl = on
		ssl_cert_file = '$CERTS/$p.crt'
		ssl_key_file = '$CERTS/$p.key'
		shared_preload_libraries = 'smpc'
		smpc.timeout = '30s'
		max_connections = 30
		shared_buffers = 32MB
		log_connections = on
		port = ${PORT[$p]}
	EOF
	{
		echo "# smpc demo, party $p: local superuser by OS user name; partners over TLS only"
		echo "local   all       all                          peer"
		for q in "${PARTIES[@]}"; do
			[[ $q == "$p" ]] && continue
			echo "hostssl org_$p     smpc_peer_$q  127.0.0.1/32  scram-sha-256"
		done
	} >"$dd/pg_hba.conf"
	"$PGBIN/pg_ctl" -D "$dd" -l "$DEMO_DIR/$p/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$DEMO_DIR/$p/server.log" >&2; die "server of party $p did not start"; }
	echo "party $p (organisation ${ORG[$p]}): 127.0.0.1:${PORT[$p]}, data in $dd"
done

# Passwords: PW[xy] is the password of the role that party y created for x.
declare -A PW=()
for p in "${PARTIES[@]}"; do
	for q in "${PARTIES[@]}"; do
		[[ $q == "$p" ]] || PW[$p$q]=$(openssl rand -hex 16)
	done
done

# The DBA's setup at party $1 (passwords shown as *** when $2 = mask).
setup_sql() {
	local p=$1 mask=${2:-} q pw_in pw_out
	local parties_array
	parties_array=$(printf "'%s'," "${PARTIES[@]}")
	cat <<-EOF
		CREATE EXTENSION smpc;
		CREATE TABLE expenses(expenditure bigint);
		INSERT INTO expenses VALUES (${INPUT[$p]});
	EOF
	for q in "${PARTIES[@]}"; do
		[[ $q == "$p" ]] && continue
		pw_in=${PW[$q$p]} pw_out=${PW[$p$q]}
		[[ $mask == mask ]] && pw_in='***' pw_out='***'
		cat <<-EOF
			-- partner $q logs in here as smpc_peer_$q and may only deliver messages
			CREATE ROLE smpc_peer_$q LOGIN PASSWORD '$pw_in' IN ROLE smpc_peer;
			ALTER ROLE smpc_peer_$q SET log_parameter_max_length = 0;  -- no shares in statement logs
			-- how to reach partner $q, and the role $q created for us
			CREATE SERVER $q FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', port '${PORT[$q]}',
			    dbname 'org_$q', sslmode 'verify-full', sslrootcert '$CERTS/ca.crt', peer_role 'smpc_peer_$q');
			CREATE USER MAPPING FOR PUBLIC SERVER $q OPTIONS (user 'smpc_peer_$p', password '$pw_out');
		EOF
	done
	echo "SELECT smpc.create_federation('ico', '$p', ARRAY[${parties_array%,}]);"
}

say "setting up the federation 'ico'; what the DBA of A runs (passwords masked):"
setup_sql a mask | sed 's/^/    /'
for p in "${PARTIES[@]}"; do
	psql_at "$p" -d postgres -c "CREATE DATABASE org_$p" >/dev/null
	setup_sql "$p" | psql_at "$p" -d "org_$p" >/dev/null ||
		die "setup of party $p failed"
	echo "party $p: database org_$p, expenses = ${INPUT[$p]}, federation ico registered"
done

JOB="ico-demo-$(date -u +%Y%m%dT%H%M%SZ)"
QUERY="SELECT smpc_avg(expenditure, '$JOB') FROM expenses;"
say "running at all three parties at once: $QUERY"
declare -A PID=()
for p in "${PARTIES[@]}"; do
	timeout 120 "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "${PORT[$p]}" -d "org_$p" \
		-c "$QUERY" >"$DEMO_DIR/out/$p.out" 2>"$DEMO_DIR/out/$p.err" &
	PID[$p]=$!
done
failed=0
for p in "${PARTIES[@]}"; do
	rc=0
	wait "${PID[$p]}" || rc=$?
	out=$(cat "$DEMO_DIR/out/$p.out")
	if ((rc != 0)); then
		echo "party $p (organisation ${ORG[$p]}): FAILED (exit $rc): $(cat "$DEMO_DIR/out/$p.err")"
		failed=1
	elif ! perl -e 'exit !($ARGV[0] =~ /^-?[0-9.]+$/ && $ARGV[0] == 15000)' "$out"; then
		echo "party $p (organisation ${ORG[$p]}): unexpected result '$out' (want 15000)"
		failed=1
	else
		echo "party $p (organisation ${ORG[$p]}, own input ${INPUT[$p]}): joint average = $out"
	fi
done

say "what party a stores about the job (smpc.jobs at org_a):"
psql_at a -d org_a -P pager=off -c \
	"SELECT job_id, descriptor, state, result, started_at, finished_at FROM smpc.jobs WHERE job_id = '$JOB'" |
	sed 's/^/    /'

say "party a's audit trail for the job (smpc.audit_log, written by the smpc audit writer):"
psql_at a -d org_a -P pager=off -c "DO \$\$ BEGIN FOR i IN 1..100 LOOP
	    EXIT WHEN EXISTS (SELECT FROM smpc.audit_log WHERE job_id = '$JOB'); PERFORM pg_sleep(0.05);
	  END LOOP; END \$\$" -c \
	"SELECT job_id, aggregate, requested_by, partners, outcome, result, policy FROM smpc.audit_log WHERE job_id = '$JOB'" |
	sed 's/^/    /'

say "searching everything in org_a (pg_dump) for b's input 15000 and c's input 20000"
"$PGBIN/pg_dump" -h "$SOCK" -p "${PORT[a]}" org_a >"$DEMO_DIR/out/org_a.sql"
lines=$(wc -l <"$DEMO_DIR/out/org_a.sql")
# Matches that are not digits or letters of a longer token (hex shares).
hits=$(awk -v job="$JOB" '
	/^COPY / { table = $2 }
	/^\\\.$/ { table = "" }
	{
		line = $0
		found = 0
		while (match(line, /(^|[^0-9A-Za-z])(15000|20000)([^0-9A-Za-z]|$)/)) {
			tok = substr(line, RSTART, RLENGTH)
			gsub(/[^0-9]/, "", tok)
			if (tok == "15000" && table == "smpc.jobs" && index($0, job) > 0)
				released = 1
			else
				found = 1
			line = substr(line, RSTART + RLENGTH)
		}
		if (found) printf "    line %d (%s): %s\n", NR, (table == "" ? "schema" : table), $0
	}
	END { if (released) print "released" }' "$DEMO_DIR/out/org_a.sql")
released=0
if [[ $hits == *released ]]; then
	released=1
	hits=${hits%released}
	hits=${hits%$'\n'}
fi
if [[ -n $hits ]]; then
	echo "FOUND in the dump of org_a ($lines lines, $DEMO_DIR/out/org_a.sql):"
	echo "$hits"
	failed=1
else
	echo "nothing found: the $lines-line dump of org_a contains neither 15000 nor 20000"
	((released)) && echo "(other than the released result of $JOB, the average 15000 itself)"
	echo "org_a's own data:"
	psql_at a -d org_a -At -c "SELECT '    expenses: ' || string_agg(expenditure::text, ', ') FROM expenses"
fi

how_to_connect
if ((failed)); then
	say "DEMO FAILED (servers left running for inspection)"
	exit 1
fi
say "demo OK: every party learned the average 15000 and nothing else"
