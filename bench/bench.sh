#!/usr/bin/env bash
# make bench: smpc against native PostgreSQL and an insecure federated
# baseline (dblink), measured side by side in one run on this machine.
#
# Starts 25 PostgreSQL servers on loopback (TLS, as in production), one per
# party p1..p25, registers federations of 3, 5, 10 and 25 of them, and
# measures:
#   1. the local phase: smpc_sum against sum() over SMPC_BENCH_ROWS bigint
#      rows at p1 (with 0 and 2 parallel workers), and smpc_sum_by over the
#      same rows in 1,000 groups against a plain GROUP BY of them;
#   2. job latency for 3, 5, 10 and 25 parties on a one-row table, from the
#      moment the last party was sent the job until every party has its
#      result, with warm and cold sessions; peer to peer, and at 5, 10 and
#      25 parties also in the delegated model (p1..p3 compute, every party
#      an input and an output);
#   3. the same joint sum pulled insecurely with dblink from p1 (plain sum()
#      at every partner), warm (connections kept) and cold (new ones);
#   4. grouped sums over 1 to 1,000,000 groups at 3 parties (one row per
#      key and party), beside a plain GROUP BY of the same rows at each
#      party and the joint grouped sum pulled insecurely with dblink;
#   5. the peak memory of p1's backend for 1/10 of the rows and all of them;
#   6. private set intersection cardinality at 3 parties (smpc_intersect_count)
#      over SMPC_BENCH_SET_KEYS keys per party, 10 % of them at every party,
#      beside the insecure join through dblink and the cost floor (the
#      group operations the ring needs times one operation's time measured
#      here, divided by the cores), with the bytes each party's job sent
#      and its backend's peak memory; and the intersection sum of p2's
#      values (smpc_intersect_sum) over the same keys, beside the dblink
#      join's sum and its own cost floor (the sealed values' operations
#      added);
#   7. what a job costs the machine, against dblink's query, at 3, 10 and
#      25 parties, warm and cold: CPU time, context switches and backends
#      started per job (what bounds the latency figures of 2 and 3).
# Every comparison is interleaved: the secure and the insecure figure are
# measured in alternating batches on the same servers, SMPC_BENCH_REPS times
# (the order swapped each time), and each ratio is the median of the
# batches' ratios, printed with their range. Timings of the batches are
# pooled for the medians and 95th percentiles.
# Prints the table and writes $SMPC_BENCH_DIR/report.md, results.txt and a
# gnuplot PNG (latency.png). BENCHMARKS.md is made from such a run.
#
#   SMPC_BENCH_DIR   where servers and results go (default /tmp/smpc-bench)
#   SMPC_BENCH_JOBS  warm jobs per latency figure, over all batches (default
#                    200; a quarter of it cold; at 25 parties a tenth warm
#                    and a twentieth cold)
#   SMPC_BENCH_REPS  interleaved batches per figure (default 3)
#   SMPC_BENCH_ROWS  rows of the local-phase table (default 10000000)
#   SMPC_BENCH_SET_KEYS keys per party of the set figure (default 100000;
#                    several, space-separated, e.g. "100000 1000000": a
#                    million keys take minutes per job)
#   SMPC_BENCH_SECTIONS which of the measurements 1 to 7 run (default "1 2 3
#                    4 5 6 7"; e.g. "6" with SMPC_BENCH_SET_KEYS=1000000 for
#                    the million-key figure alone)
#   SMPC_BENCH_FSYNC on: the servers flush WAL to disk (fsync and
#                    synchronous_commit on), so the jobs pay for the records
#                    they wait for (spent job ids, privacy charges); default
#                    off, which measures computation and messaging only
#   SMPC_BENCH_MALLOC GLIBC_TUNABLES every server starts with (default
#                    glibc.malloc.trim_threshold=268435456:glibc.malloc.
#                    mmap_threshold=33554432: freed memory is kept for the
#                    next query instead of going back to the kernel, so a
#                    warm job does not fault in every page of its vectors
#                    again; docs/dba.md, "Memory"); "default" starts them
#                    with glibc's own settings
set -euo pipefail

BENCH_DIR=${SMPC_BENCH_DIR:-/tmp/smpc-bench}
JOBS=${SMPC_BENCH_JOBS:-200}
REPS=${SMPC_BENCH_REPS:-3}
ROWS=${SMPC_BENCH_ROWS:-10000000}
FSYNC=${SMPC_BENCH_FSYNC:-off}
MALLOC=${SMPC_BENCH_MALLOC:-glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
NPARTIES=25
COUNTS=(3 5 10 25)
GROUP_COUNTS=(1 1000 32768 100000 1000000)
read -r -a SET_KEYS <<<"${SMPC_BENCH_SET_KEYS:-100000}"
SECTIONS=${SMPC_BENCH_SECTIONS:-1 2 3 4 5 6 7}
# runs SECTION: whether measurement SECTION is among SMPC_BENCH_SECTIONS.
runs() { [[ " $SECTIONS " == *" $1 "* ]]; }
# Inbox slots the largest set needs at p1..p3: up to one set of 160 bytes
# per key (a key with its sealed value) from each partner per party, in
# 32 kB slots, a quarter per partner (jobs/job_runner.cpp,
# smpc_check_inbox_room): 58,660 slots (1.8 GB) for a million keys.
SET_SLOTS=4200
for k in "${SET_KEYS[@]}"; do
	bytes=$((k * 160))
	need=$((4 * 3 * ((bytes + 1024 + 32767) / 32768) + 64))
	((need > SET_SLOTS)) && SET_SLOTS=$need
done

say() { printf '\n==> %s\n' "$*"; }
die() { echo "bench.sh: error: $*" >&2; exit 1; }
[[ $FSYNC == on || $FSYNC == off ]] || die "SMPC_BENCH_FSYNC must be on or off"
[[ $REPS =~ ^[1-9][0-9]*$ && $JOBS =~ ^[1-9][0-9]*$ ]] || die "SMPC_BENCH_REPS and SMPC_BENCH_JOBS must be positive integers"
[[ $BENCH_DIR == /* && $BENCH_DIR != / ]] || die "SMPC_BENCH_DIR must be an absolute path"

# As root: the plotting tool, the client, then hand over to user postgres.
if [[ $(id -u) -eq 0 ]]; then
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if ! command -v gnuplot >/dev/null || ! command -v ss >/dev/null; then
		apt-get install -y -q gnuplot-nox iproute2 >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get install -y -q gnuplot-nox iproute2 >/dev/null; } ||
			die "could not install gnuplot-nox and iproute2"
	fi
	id postgres >/dev/null 2>&1 || die "user postgres does not exist: run scripts/install-deps.sh"
	rm -rf "$BENCH_DIR"
	mkdir -p "$BENCH_DIR/bin"
	g++ -O2 -std=c++17 -Wall -Wextra -Werror -I"$("$PG_CONFIG" --includedir)" -I"$here/../src" \
		"$here/bench_client.cpp" "$here/../src/crypto/group.cpp" "$here/../src/crypto/elgamal.cpp" \
		"$here/../src/crypto/wipe.cpp" \
		-o "$BENCH_DIR/bin/bench_client" -lpq -lsodium -lcrypto
	install -m 0755 "$here/bench.sh" "$here/../scripts/make-certs.sh" "$here/../scripts/free-port.pl" "$BENCH_DIR/bin/"
	chown -R postgres: "$BENCH_DIR"
	chmod 0700 "$BENCH_DIR"
	exec runuser -u postgres -- env SMPC_BENCH_DIR="$BENCH_DIR" SMPC_BENCH_JOBS="$JOBS" SMPC_BENCH_REPS="$REPS" \
		SMPC_BENCH_ROWS="$ROWS" SMPC_BENCH_KEEP="${SMPC_BENCH_KEEP:-0}" PG_CONFIG="$PG_CONFIG" \
		SMPC_BENCH_FSYNC="$FSYNC" SMPC_BENCH_MALLOC="$MALLOC" SMPC_BENCH_SET_KEYS="${SET_KEYS[*]}" SMPC_BENCH_SECTIONS="$SECTIONS" \
		bash "$BENCH_DIR/bin/bench.sh"
fi

PGBIN=$("$PG_CONFIG" --bindir)
[[ -f $("$PG_CONFIG" --pkglibdir)/smpc.so ]] || die "smpc is not installed: run make install"
BIN=$BENCH_DIR/bin
CLIENT=$BIN/bench_client
SOCK=$BENCH_DIR/sock
CERTS=$BENCH_DIR/certs
OUT=$BENCH_DIR/results.txt
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGSSLMODE PGOPTIONS
export LANG=C.UTF-8
unset LC_ALL
PARTIES=()
for i in $(seq 1 $NPARTIES); do PARTIES+=("p$i"); done
mkdir -p "$SOCK"
: >"$OUT"

declare -A PORT=()
free_port() { perl "$BIN/free-port.pl" "$@" || die "no free TCP port found"; }
local_conn() { echo "host=$SOCK port=${PORT[$1]} dbname=org_$1"; }
psql_at() {
	local p=$1
	shift
	"$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "${PORT[$p]}" -d "org_$p" "$@"
}
stop_all() {
	for p in "${PARTIES[@]}"; do
		[[ -f $BENCH_DIR/$p/data/postmaster.pid ]] &&
			"$PGBIN/pg_ctl" -D "$BENCH_DIR/$p/data" -m immediate -w stop >/dev/null 2>&1 || true
	done
}
# SMPC_BENCH_KEEP=1 leaves the servers running (for profiling by hand).
[[ ${SMPC_BENCH_KEEP:-0} == 1 ]] || trap stop_all EXIT
record() { echo "$*" | tee -a "$OUT"; }

say "starting $NPARTIES servers in $BENCH_DIR"
bash "$BIN/make-certs.sh" "$CERTS" "${PARTIES[@]}" >/dev/null
for p in "${PARTIES[@]}"; do PORT[$p]=$(free_port "${PORT[@]}"); done
for p in "${PARTIES[@]}"; do
	dd=$BENCH_DIR/$p/data
	mkdir -p "$BENCH_DIR/$p"
	"$PGBIN/initdb" -D "$dd" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		--no-instructions >"$BENCH_DIR/$p/initdb.log" 2>&1 || die "initdb for $p failed"
	cat >>"$dd/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = ${PORT[$p]}
		unix_socket_directories = '$SOCK'
		ssl = on
		ssl_cert_file = '$CERTS/$p.crt'
		ssl_key_file = '$CERTS/$p.key'
		shared_preload_libraries = 'smpc'
		smpc.timeout = '60s'
		smpc.max_messages = $([[ $p == p[123] ]] && echo "$SET_SLOTS" || echo 512)
		max_connections = 60
		shared_buffers = $(case ${p#p} in 1) echo 512MB ;; [2-9] | 10) echo 32MB ;; *) echo 16MB ;; esac)
		max_parallel_workers_per_gather = 0
		fsync = $FSYNC
		synchronous_commit = $FSYNC
		log_min_messages = warning
	EOF
	{
		echo "local   all all peer"
		echo "hostssl all all 127.0.0.1/32 scram-sha-256"
	} >"$dd/pg_hba.conf"
	if [[ $MALLOC == default ]]; then malloc_env=(env -u GLIBC_TUNABLES); else malloc_env=(env GLIBC_TUNABLES="$MALLOC"); fi
	"${malloc_env[@]}" "$PGBIN/pg_ctl" -D "$dd" -l "$BENCH_DIR/$p/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$BENCH_DIR/$p/server.log" >&2; die "server $p did not start"; }
done

record "servers glibc_tunables=$MALLOC fsync=$FSYNC"
say "setting up parties, federations of ${COUNTS[*]}, and the data"
PW=$(openssl rand -hex 16)
for p in "${PARTIES[@]}"; do
	"$PGBIN/psql" -X -q -h "$SOCK" -p "${PORT[$p]}" -d postgres -c "CREATE DATABASE org_$p" >/dev/null
	{
		echo "SET log_statement = 'none';"
		echo "CREATE EXTENSION smpc; CREATE EXTENSION dblink;"
		echo "CREATE ROLE bench_reader LOGIN PASSWORD '$PW';"
		echo "CREATE TABLE one (x bigint); INSERT INTO one VALUES (${p#p}000);"
		echo "GRANT SELECT ON one TO bench_reader;"
		for q in "${PARTIES[@]}"; do
			[[ $q == "$p" ]] && continue
			echo "CREATE ROLE smpc_peer_$q LOGIN PASSWORD '$PW' IN ROLE smpc_peer;"
			echo "ALTER ROLE smpc_peer_$q SET log_parameter_max_length = 0;"
			echo "CREATE SERVER $q FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', port '${PORT[$q]}',"
			echo "    dbname 'org_$q', sslmode 'verify-full', sslrootcert '$CERTS/ca.crt', peer_role 'smpc_peer_$q');"
			echo "CREATE USER MAPPING FOR PUBLIC SERVER $q OPTIONS (user 'smpc_peer_$p', password '$PW');"
		done
		for n in "${COUNTS[@]}"; do
			((${p#p} <= n)) || continue
			echo "SELECT smpc.create_federation('fed$n', '$p', ARRAY(SELECT 'p' || g FROM generate_series(1, $n) g));"
			# The delegated model: p1..p3 compute, every party an input and an output.
			((n > 3)) || continue
			echo "SELECT smpc.create_federation('del$n', '$p', ARRAY(SELECT 'p' || g FROM generate_series(1, $n) g), compute => ARRAY['p1', 'p2', 'p3']);"
		done
	} | psql_at "$p" >/dev/null || die "setup of $p failed"
done
# The local-phase table at p1 (and empty ones of the same name elsewhere).
psql_at p1 -c "CREATE TABLE big AS SELECT g::bigint AS x FROM generate_series(1, $ROWS) g" \
	-c "CREATE TABLE big_tenth AS SELECT x FROM big WHERE x % 10 = 0" \
	-c "CREATE STATISTICS big_key ON (mod(x, 1000)::text) FROM big" -c "VACUUM ANALYZE big, big_tenth"
for p in p2 p3; do psql_at "$p" -c "CREATE TABLE big (x bigint); CREATE TABLE big_tenth (x bigint)"; done
# Grouped tables at p1..p3: k keys, one row per key and party.
for k in "${GROUP_COUNTS[@]}"; do
	for p in p1 p2 p3; do
		psql_at "$p" -c "CREATE TABLE g$k AS SELECT 'k' || g AS key, g::bigint AS v FROM generate_series(1, $k) g" \
			-c "CREATE TABLE g${k}_keys AS SELECT array_agg(key) AS keys FROM g$k" -c "ANALYZE g$k" \
			-c "GRANT SELECT ON g$k TO bench_reader"
	done
done
# Set tables at p1..p3: k keys each, the first tenth the same at every party.
for k in "${SET_KEYS[@]}"; do
	for i in 1 2 3; do
		# v: p2's values for the intersection sum (the others give none; p1,
		# the counting party, may not).
		v="NULL::bigint"; [[ $i == 2 ]] && v="(g % 1000)::bigint"
		psql_at "p$i" -c "CREATE TABLE s$k AS SELECT 'cust-' || g AS key, $v AS v FROM generate_series(1, $k / 10) g
			UNION ALL SELECT 'p$i-' || g, $v FROM generate_series(1, $k - $k / 10) g" -c "ANALYZE s$k" \
			-c "GRANT SELECT ON s$k TO bench_reader" >/dev/null
	done
done
psql_at p1 -c "SELECT count(*) FROM big" >/dev/null  # into shared buffers and the OS cache
# Measure servers at rest: no autovacuum of the new tables, no checkpoint of
# the data just written, while jobs are timed.
for p in "${PARTIES[@]}"; do psql_at "$p" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null; done

conns() { local n=$1 i; for i in $(seq 1 "$n"); do printf -- '--conn\n%s\n' "$(local_conn "p$i")"; done; }
median_of() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# The q-quantile of the numbers in a file (as bench_client computes it).
quantile_of() { sort -n "$1" | awk -v q="$2" '{ a[NR] = $1 } END { k = int(q * (NR - 1) + 0.5) + 1; print a[k] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# "median min max" of the numbers given.
spread() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { printf "%s %s %s\n", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
# in_turn REP FIRST SECOND: runs the two functions named, in the order of
# batch REP: as given in odd batches, swapped in even ones.
in_turn() {
	local rep=$1 first=$2 second=$3
	if ((rep % 2)); then "$first"; "$second"; else "$second"; "$first"; fi
}
TIMES=$BENCH_DIR/times
mkdir -p "$TIMES"

mapfile -t c3 < <(conns 3)
# A partner's database as p1's dblink reaches it (TLS, password).
remote() { echo "host=127.0.0.1 port=${PORT[$1]} dbname=org_$1 user=bench_reader password=$PW sslmode=verify-full sslrootcert=$CERTS/ca.crt"; }

# ---- 1. local phase -----------------------------------------------------------
if runs 1; then
say "1. local phase over $ROWS bigint rows at p1 ($REPS interleaved batches)"
# local_phase NAME NATIVE_SQL SMPC_SQL: with 0 and 2 workers, REPS interleaved
# batches of 3 native queries at p1 and 3 smpc jobs at p1..p3 (the job id
# replaces %s) after an untimed one, which opens the partner connections as
# a warm session has them; records "NAME workers=W native_ms= smpc_ms=
# ratio=...".
local_phase() {
	local name=$1 native_sql=$2 smpc_sql=$3 workers rep setup natives smpcs ratios rm rlo rhi
	for workers in 0 2; do
		setup="SET max_parallel_workers_per_gather = $workers; SET smpc.federation = 'fed3'"
		natives=() smpcs=() ratios=()
		for rep in $(seq 1 "$REPS"); do
			native_batch() { native=$("$CLIENT" once --repeat 3 --conn "$(local_conn p1)" --setup "$setup" \
				--sql "$native_sql" | cut -d' ' -f1); }
			smpc_batch() { smpc=$("$CLIENT" jobs --mode warm --jobs 3 --warmup 1 --prefix "$name$workers-$rep" --setup "$setup" \
				"${c3[@]}" --sql "$smpc_sql" | cut -d' ' -f1); }
			in_turn "$rep" native_batch smpc_batch
			natives+=("$native") smpcs+=("$smpc") ratios+=("$(ratio "$smpc" "$native")")
		done
		read -r rm rlo rhi < <(spread "${ratios[@]}")
		record "$name workers=$workers native_ms=$(spread "${natives[@]}" | cut -d' ' -f1) smpc_ms=$(spread "${smpcs[@]}" | cut -d' ' -f1) ratio=$rm ratio_min=$rlo ratio_max=$rhi"
	done
}
local_phase local "SELECT sum(x) FROM big" "SELECT smpc_sum(x, '%s') FROM big"

# The grouped local phase: the same rows in 1,000 groups (the key computed
# the same way in both queries), smpc_sum_by against GROUP BY, with 0 and 2
# workers: grouped aggregates run their local phase in parallel workers too.
# The statistics on the key (big_key) let the planner know there are 1,000
# groups; without them it expects one per row and never plans GROUP BY in
# parallel.
gdomain="(SELECT array_agg(g::text) FROM generate_series(0, 999) g)"
local_phase grouped_local "SELECT count(*) FROM (SELECT mod(x, 1000)::text, sum(x) FROM big GROUP BY 1) s" \
	"SELECT cardinality(smpc_sum_by(mod(x, 1000)::text, x, $gdomain, '%s')) FROM big"
fi

# ---- 2. and 3. latency ---------------------------------------------------------
# dblink_sums N: the insecure joint sum at p1..pN (sections 3 and 7): p1
# pulls every partner's plain sum() with dblink (TLS, password). Sets
# warm_setup and warm_sql (connections opened once per session) and
# cold_sql (new connections every query).
dblink_sums() {
	local i
	warm_setup="" warm_sql="SELECT (SELECT sum(x) FROM one)" cold_sql="SELECT (SELECT sum(x) FROM one)"
	for i in $(seq 2 "$1"); do
		warm_setup+="SELECT dblink_connect('p$i', '$(remote "p$i")');"
		warm_sql+=" + (SELECT s FROM dblink('p$i', 'SELECT sum(x) FROM one') AS t(s numeric))"
		cold_sql+=" + (SELECT s FROM dblink('$(remote "p$i")', 'SELECT sum(x) FROM one') AS t(s numeric))"
	done
}
# Jobs per batch: JOBS warm and a quarter as many cold (each opens new TLS
# connections), over REPS batches; 25 parties run a tenth as many warm jobs
# (each takes ~900 partner calls) and a twentieth cold (~300 connections
# each). At least 3 per batch.
if runs 2 || runs 3; then
say "2./3. latency, secure and insecure interleaved, one-row tables"
for n in "${COUNTS[@]}"; do
	mapfile -t c < <(conns "$n")
	dblink_sums "$n"
	for mode in warm cold; do
		if ((n >= 25)); then
			total=$([[ $mode == warm ]] && echo $((JOBS / 10)) || echo $((JOBS / 20)))
		else
			total=$([[ $mode == warm ]] && echo "$JOBS" || echo $((JOBS / 4)))
		fi
		per=$(((total + REPS - 1) / REPS))
		((per >= 3)) || per=3
		warmup=$([[ $mode == warm ]] && echo 1 || echo 0)
		st=$TIMES/secure-$n-$mode is=$TIMES/insecure-$n-$mode dt=$TIMES/delegated-$n-$mode
		: >"$st"
		: >"$is"
		: >"$dt"
		ratios=() dratios=()
		for rep in $(seq 1 "$REPS"); do
			secure_batch() { read -r sm _ < <("$CLIENT" jobs --mode "$mode" --jobs "$per" --warmup "$warmup" \
				--prefix "lat$n$mode$rep" --times "$st" --setup "SET smpc.federation = 'fed$n'" "${c[@]}" \
				--sql "SELECT smpc_sum(x, '%s') FROM one"); }
			# The same job in the delegated model (p1..p3 compute), run
			# right after the peer-to-peer batch, against the same dblink one.
			delegated_batch() { read -r dm _ < <("$CLIENT" jobs --mode "$mode" --jobs "$per" --warmup "$warmup" \
				--prefix "del$n$mode$rep" --times "$dt" --setup "SET smpc.federation = 'del$n'" "${c[@]}" \
				--sql "SELECT smpc_sum(x, '%s') FROM one"); }
			both_batches() { secure_batch; ((n <= 3)) || delegated_batch; }
			if [[ $mode == warm ]]; then
				insecure_batch() { read -r im _ < <("$CLIENT" jobs --mode warm --jobs "$per" --warmup 1 \
					--times "$is" --conn "$(local_conn p1)" --setup "$warm_setup" --sql "$warm_sql"); }
			else
				insecure_batch() { read -r im _ < <("$CLIENT" jobs --mode warm --jobs "$per" \
					--times "$is" --conn "$(local_conn p1)" --sql "$cold_sql"); }
			fi
			in_turn "$rep" both_batches insecure_batch
			ratios+=("$(ratio "$sm" "$im")")
			((n <= 3)) || dratios+=("$(ratio "$dm" "$im")")
		done
		read -r rm rlo rhi < <(spread "${ratios[@]}")
		for side in secure insecure delegated; do
			f=$TIMES/$side-$n-$mode
			[[ -s $f ]] || continue
			record "$side parties=$n mode=$mode jobs=$(wc -l <"$f") median_ms=$(quantile_of "$f" 0.5) p95_ms=$(quantile_of "$f" 0.95) min_ms=$(quantile_of "$f" 0) max_ms=$(quantile_of "$f" 1)"
		done
		record "ratio parties=$n mode=$mode batches=$REPS ratio=$rm ratio_min=$rlo ratio_max=$rhi"
		if ((n > 3)); then
			read -r rm rlo rhi < <(spread "${dratios[@]}")
			record "ratio_delegated parties=$n mode=$mode batches=$REPS ratio=$rm ratio_min=$rlo ratio_max=$rhi"
		fi
	done
done
fi

# ---- 4. grouped -----------------------------------------------------------------
# Beside each smpc_sum_by batch: the same rows grouped natively at the three
# parties at once (each its own GROUP BY, what the local phase costs at
# best), and the joint grouped sum computed insecurely at p1 from its own
# GROUP BY and the partners' pulled with dblink (connections open); the
# three in turn, REPS times. Each batch runs one untimed query first, so
# that smpc's partner connections are open as dblink's are, and no batch
# times its session's first query.
if runs 4; then
say "4. grouped sums at 3 parties"
grouped_dblink() {
	local k=$1 i sql
	sql="SELECT key, sum(v) AS s FROM g$k GROUP BY key"
	for i in 2 3; do
		sql+=" UNION ALL SELECT * FROM dblink('p$i', 'SELECT key, sum(v) FROM g$k GROUP BY key') AS t(key text, s numeric)"
	done
	echo "SELECT count(*) FROM (SELECT key, sum(s) FROM ($sql) u GROUP BY key) x"
}
for k in "${GROUP_COUNTS[@]}"; do
	nat=() ins=() sec=() r_ins=() r_nat=() refused=""
	for rep in $(seq 1 "$REPS"); do
		native_batch() { native=$("$CLIENT" jobs --mode warm --jobs 3 --warmup 1 "${c3[@]}" \
			--sql "SELECT count(*) FROM (SELECT key, sum(v) FROM g$k GROUP BY key) x" | cut -d' ' -f1); }
		insecure_batch() { insecure=$("$CLIENT" jobs --mode warm --jobs 3 --warmup 1 --conn "$(local_conn p1)" \
			--setup "SELECT dblink_connect('p2', '$(remote p2)'); SELECT dblink_connect('p3', '$(remote p3)')" \
			--sql "$(grouped_dblink "$k")" | cut -d' ' -f1); }
		secure_batch() {
			secure=$("$CLIENT" jobs --mode warm --jobs 3 --warmup 1 --prefix "grp$k-$rep" --setup "SET smpc.federation = 'fed3'" "${c3[@]}" \
				--sql "SELECT count(*) FROM unnest((SELECT smpc_sum_by(key, v, (SELECT keys FROM g${k}_keys), '%s') FROM g$k))" \
				2>"$BENCH_DIR/grp$k.err" | cut -d' ' -f1) || refused=$(head -c 200 "$BENCH_DIR/grp$k.err" | tr '\n' ' ')
		}
		in_turn "$rep" secure_batch insecure_batch
		native_batch
		nat+=("$native") ins+=("$insecure")
		[[ -n $refused ]] && break
		sec+=("$secure") r_ins+=("$(ratio "$secure" "$insecure")") r_nat+=("$(ratio "$secure" "$native")")
	done
	if [[ -n $refused ]]; then
		record "grouped groups=$k refused: $refused native_group_by_ms=${nat[0]} insecure_dblink_ms=${ins[0]}"
		continue
	fi
	read -r ri rilo rihi < <(spread "${r_ins[@]}")
	read -r rn rnlo rnhi < <(spread "${r_nat[@]}")
	record "grouped groups=$k median_ms=$(spread "${sec[@]}" | cut -d' ' -f1) native_group_by_ms=$(spread "${nat[@]}" | cut -d' ' -f1) insecure_dblink_ms=$(spread "${ins[@]}" | cut -d' ' -f1) vs_dblink=$ri vs_dblink_min=$rilo vs_dblink_max=$rihi vs_group_by=$rn vs_group_by_min=$rnlo vs_group_by_max=$rnhi"
done
fi

# ---- 5. memory --------------------------------------------------------------------
if runs 5; then
say "5. peak memory of p1's backend (VmHWM) over 1/10 of the rows and all of them"
for t in big_tenth big; do
	# The job at p2 and p3 in the background; p1's session measures itself.
	for p in p2 p3; do
		"$CLIENT" once --conn "$(local_conn "$p")" --setup "SET smpc.federation = 'fed3'" --prefix "mem$t" \
			--sql "SELECT smpc_sum(x, '%s') FROM $t" >/dev/null &
	done
	read -r ms hwm anon < <("$CLIENT" once --conn "$(local_conn p1)" --setup "SET smpc.federation = 'fed3'" --prefix "mem$t" \
		--sql "SELECT smpc_sum(x, '%s') FROM $t")
	wait
	read -r nms nhwm nanon < <("$CLIENT" once --conn "$(local_conn p1)" --sql "SELECT sum(x) FROM $t")
	record "memory table=$t rows=$(psql_at p1 -c "SELECT count(*) FROM $t") smpc_hwm_kb=$hwm smpc_anon_kb=$anon native_hwm_kb=$nhwm native_anon_kb=$nanon"
done
fi

# ---- 6. private set operations ------------------------------------------------------
# smpc_intersect_count at p1..p3 against the insecure federated join (p1
# pulls the partners' keys with dblink and joins), in turn, REPS times; and
# the cost floor. Each party hashes and blinds its k keys and re-blinds the
# two other parties' sets: 3k group operations per party, 9k in all, which
# the 3 parties' backends share the cores for.
if runs 6; then
say "6. private set intersection cardinality at 3 parties"
read -r t_hash t_reblind t_seal t_reseal t_check t_add < <("$CLIENT" groupop --count 20000)
record "groupop hash_blind_us=$t_hash reblind_us=$t_reblind seal_us=$t_seal reseal_us=$t_reseal check_us=$t_check add_us=$t_add cores=$(nproc)"
for k in "${SET_KEYS[@]}"; do
	sec=() ins=() r_ins=()
	: >"$BENCH_DIR/psi$k.proc"
	for rep in $(seq 1 "$REPS"); do
		secure_batch() { secure=$("$CLIENT" jobs --mode warm --jobs 1 --prefix "psi$k-$rep" \
			--setup "SET smpc.federation = 'fed3'; SET smpc.timeout = '900s'" "${c3[@]}" \
			--proc-file "$BENCH_DIR/psi$k.proc" --sql "SELECT smpc_intersect_count(key, '%s') FROM s$k" | cut -d' ' -f1); }
		insecure_batch() { insecure=$("$CLIENT" jobs --mode warm --jobs 1 --conn "$(local_conn p1)" \
			--setup "SELECT dblink_connect('p2', '$(remote p2)'); SELECT dblink_connect('p3', '$(remote p3)')" \
			--sql "SELECT count(*) FROM s$k a JOIN dblink('p2', 'SELECT key FROM s$k') b(key text) USING (key)
				JOIN dblink('p3', 'SELECT key FROM s$k') c(key text) USING (key)" | cut -d' ' -f1); }
		in_turn "$rep" secure_batch insecure_batch
		sec+=("$secure") ins+=("$insecure") r_ins+=("$(ratio "$secure" "$insecure")")
	done
	floor=$(awk -v k="$k" -v h="$t_hash" -v r="$t_reblind" -v c="$(nproc)" 'BEGIN { printf "%.1f", 3 * k * (h + 2 * r) / 1000 / c }')
	med=$(spread "${sec[@]}" | cut -d' ' -f1)
	read -r ri rilo rihi < <(spread "${r_ins[@]}")
	# Per party: the median bytes written and the largest peak memory over the batches.
	per_party() { awk -v col="$1" -v f="$2" '{ print $1, $col }' "$BENCH_DIR/psi$k.proc" | sort -k1,1n -k2,2n |
		awk -v f="$2" '{ v[$1] = v[$1] " " $2 } END { for (p = 1; p <= 3; p++) { n = split(v[p], a, " "); printf "%s%s", (p > 1 ? "/" : ""), (f == "max" ? a[n] : a[int((n + 1) / 2)]) } }'; }
	record "psi keys=$k median_ms=$med insecure_dblink_ms=$(spread "${ins[@]}" | cut -d' ' -f1) vs_dblink=$ri vs_dblink_min=$rilo vs_dblink_max=$rihi floor_ms=$floor vs_floor=$(ratio "$med" "$floor") sent_bytes=$(per_party 2 median) hwm_kb=$(per_party 3 max)"
	# The intersection sum of p2's values: the ring as above, plus p2 seals
	# k values, p3 and p1 each check and re-randomise k, and p1 (counting)
	# checks k and adds the overlap's k / 10.
	sec=() ins=() r_ins=()
	: >"$BENCH_DIR/psum$k.proc"
	for rep in $(seq 1 "$REPS"); do
		secure_batch() { secure=$("$CLIENT" jobs --mode warm --jobs 1 --prefix "psum$k-$rep" \
			--setup "SET smpc.federation = 'fed3'; SET smpc.timeout = '3600s'" "${c3[@]}" \
			--proc-file "$BENCH_DIR/psum$k.proc" --sql "SELECT smpc_intersect_sum(key, v, '%s') FROM s$k" | cut -d' ' -f1); }
		insecure_batch() { insecure=$("$CLIENT" jobs --mode warm --jobs 1 --conn "$(local_conn p1)" \
			--setup "SELECT dblink_connect('p2', '$(remote p2)'); SELECT dblink_connect('p3', '$(remote p3)')" \
			--sql "SELECT sum(b.v) FROM s$k a JOIN dblink('p2', 'SELECT key, v FROM s$k') b(key text, v bigint) USING (key)
				JOIN dblink('p3', 'SELECT key FROM s$k') c(key text) USING (key)" | cut -d' ' -f1); }
		in_turn "$rep" secure_batch insecure_batch
		sec+=("$secure") ins+=("$insecure") r_ins+=("$(ratio "$secure" "$insecure")")
	done
	floor=$(awk -v k="$k" -v h="$t_hash" -v r="$t_reblind" -v s="$t_seal" -v rs="$t_reseal" -v ck="$t_check" -v a="$t_add" -v c="$(nproc)" \
		'BEGIN { printf "%.1f", (3 * k * (h + 2 * r) + k * s + 2 * k * rs + k * ck + k / 10 * a) / 1000 / c }')
	med=$(spread "${sec[@]}" | cut -d' ' -f1)
	read -r ri rilo rihi < <(spread "${r_ins[@]}")
	per_party() { awk -v col="$1" -v f="$2" '{ print $1, $col }' "$BENCH_DIR/psum$k.proc" | sort -k1,1n -k2,2n |
		awk -v f="$2" '{ v[$1] = v[$1] " " $2 } END { for (p = 1; p <= 3; p++) { n = split(v[p], a, " "); printf "%s%s", (p > 1 ? "/" : ""), (f == "max" ? a[n] : a[int((n + 1) / 2)]) } }'; }
	record "psi_sum keys=$k median_ms=$med insecure_dblink_ms=$(spread "${ins[@]}" | cut -d' ' -f1) vs_dblink=$ri vs_dblink_min=$rilo vs_dblink_max=$rihi floor_ms=$floor vs_floor=$(ratio "$med" "$floor") sent_bytes=$(per_party 2 median) hwm_kb=$(per_party 3 max)"
done
fi

# ---- 7. what a job costs ------------------------------------------------------------
# What bounds the latency figures: per job, the whole machine's CPU time
# (/proc/stat: user, nice, system, irq and softirq, all cores), its context
# switches and the processes started (each fork is a new backend), for
# smpc's job and dblink's query at 3, 10 and 25 parties, warm and cold, run
# as sections 2 and 3 run them. Each figure is the difference between a
# batch of 3J jobs and a batch of J, divided by 2J, so that what a batch
# pays once (its sessions, their first job) cancels out. J is scaled from
# SMPC_BENCH_JOBS as section 2 scales its batches. "backends" counts every
# process the machine started, so the odd autovacuum worker, or a partner
# connection opened the other way in one batch, shows as a tenth or so
# either way.
if runs 7; then
say "7. what a job costs: CPU time, context switches and backends started, per job"
machine() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 } /^ctxt/ { c = $2 } /^processes/ { p = $2 } END { print b, c, p }' /proc/stat; }
# cost_batch N MODE SIDE JOBS: one batch, untimed; prints "jiffies switches forks".
cost_batch() {
	local n=$1 mode=$2 side=$3 jobs=$4 b0 c0 f0 b1 c1 f1
	mapfile -t c < <(conns "$n")
	dblink_sums "$n"
	read -r b0 c0 f0 < <(machine)
	if [[ $side == smpc ]]; then
		"$CLIENT" jobs --mode "$mode" --jobs "$jobs" --warmup "$([[ $mode == warm ]] && echo 1 || echo 0)" \
			--prefix "cost$n$mode$jobs" --setup "SET smpc.federation = 'fed$n'" "${c[@]}" \
			--sql "SELECT smpc_sum(x, '%s') FROM one" >/dev/null
	elif [[ $mode == warm ]]; then
		"$CLIENT" jobs --mode warm --jobs "$jobs" --warmup 1 --conn "$(local_conn p1)" --setup "$warm_setup" \
			--sql "$warm_sql" >/dev/null
	else
		"$CLIENT" jobs --mode warm --jobs "$jobs" --conn "$(local_conn p1)" --sql "$cold_sql" >/dev/null
	fi || die "section 7: a $side batch of $jobs $mode jobs at $n parties failed"
	read -r b1 c1 f1 < <(machine)
	echo "$((b1 - b0)) $((c1 - c0)) $((f1 - f0))"
}
hz=$(getconf CLK_TCK)
for spec in "3 warm $((2 * JOBS))" "10 warm $((JOBS / 5))" "25 warm $((JOBS / 10))" \
	"3 cold $((JOBS / 10))" "10 cold $((JOBS / 40))" "25 cold $((JOBS / 100))"; do
	read -r n mode j <<<"$spec"
	((j >= 2)) || j=2
	for side in smpc dblink; do
		# dblink's warm query takes so little CPU that its batches are ten
		# times longer, so the clock ticks (1/100 s) count to a hundred.
		k=$j
		[[ $side == dblink && $mode == warm ]] && k=$((10 * j))
		read -r b1 c1 f1 < <(cost_batch "$n" "$mode" "$side" "$k")
		read -r b3 c3 f3 < <(cost_batch "$n" "$mode" "$side" $((3 * k)))
		record "cost parties=$n mode=$mode side=$side jobs=$((2 * k)) cpu_ms=$(awk -v a="$b3" -v b="$b1" -v h="$hz" -v j="$((2 * k))" 'BEGIN { printf "%.2f", (a - b) * 1000 / h / j }') switches=$(((c3 - c1) / (2 * k))) backends=$(awk -v a="$f3" -v b="$f1" -v j="$((2 * k))" 'BEGIN { printf "%.1f", (a - b) / j }')"
	done
done
fi

# ---- report -------------------------------------------------------------------
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"; }
# (Never fails: a figure a run of some sections lacks is empty, and under
# set -e with pipefail a failed grep in an assignment would end the script.)
val() { { grep -E "^$1" "$OUT" || true; } | head -n 1 | field "$2"; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && b != "" && a + 0 <= b + 0) ? "met" : "missed" }'; }
# "r (lo–hi)": a recorded ratio, the median over the batches, and its range.
ratio_text() { echo "$(val "$1" "$2")x ($(val "$1" "${2}_min")–$(val "$1" "${2}_max"))"; }
# "| ≤ tx | verdict" for a target t, or "| — | —" without one.
target_cells() { if [[ -n $2 ]]; then echo "≤ ${2}x | $(verdict "$1" "$2")"; else echo "— | —"; fi; }
# (At 3 parties, p1..p3 computing is the peer-to-peer model itself: the
# delegated column repeats it there.)
delegated_ms() { if (($1 <= 3)); then val "secure parties=$1 mode=$2" median_ms; else val "delegated parties=$1 mode=$2" median_ms; fi; }
for n in "${COUNTS[@]}"; do
	printf '%s %s %s %s %s %s %s\n' "$n" "$(val "secure parties=$n mode=warm" median_ms)" \
		"$(val "secure parties=$n mode=cold" median_ms)" "$(val "insecure parties=$n mode=warm" median_ms)" \
		"$(val "insecure parties=$n mode=cold" median_ms)" "$(delegated_ms "$n" warm)" "$(delegated_ms "$n" cold)"
done >"$BENCH_DIR/latency.dat"
for k in "${GROUP_COUNTS[@]}"; do
	ms=$(val "grouped groups=$k " median_ms)
	[[ -z $ms ]] || echo "$k $ms $(val "grouped groups=$k " native_group_by_ms) $(val "grouped groups=$k " insecure_dblink_ms)"
done >"$BENCH_DIR/grouped.dat"
runs 2 && runs 4 && gnuplot <<-PLOT
	set terminal pngcairo size 1100,450 noenhanced font ",10"
	set output '$BENCH_DIR/latency.png'
	set multiplot layout 1,2 title "smpc on $(nproc) cores, PostgreSQL 15, loopback TLS (make bench)"
	set logscale xy
	set xlabel 'parties'
	set ylabel 'median job latency (ms)'
	set xtics ($(IFS=,; echo "${COUNTS[*]}"))
	set key top left
	set grid
	plot '$BENCH_DIR/latency.dat' using 1:2 with linespoints title 'smpc, warm', \
	     '' using 1:3 with linespoints title 'smpc, cold', \
	     '' using 1:4 with linespoints title 'dblink sum(), warm', \
	     '' using 1:5 with linespoints title 'dblink sum(), cold', \
	     '' using 1:6 with linespoints dashtype 2 title 'smpc delegated to p1..p3, warm', \
	     '' using 1:7 with linespoints dashtype 2 title 'smpc delegated to p1..p3, cold'
	set xlabel 'groups (3 parties)'
	set xtics auto
	set ylabel 'median grouped sum latency (ms)'
	plot '$BENCH_DIR/grouped.dat' using 1:2 with linespoints title 'smpc_sum_by, warm', \
	     '' using 1:3 with linespoints title 'GROUP BY at each party (no exchange)', \
	     '' using 1:4 with linespoints title 'dblink GROUP BY, warm'
	unset multiplot
PLOT
# How latency grows from the smallest federation to the largest: smpc's
# factor against dblink's, warm and cold.
lo=${COUNTS[0]} hi=${COUNTS[-1]}
growth() { ratio "$(val "$1 parties=$hi mode=$2" median_ms)" "$(val "$1 parties=$lo mode=$2" median_ms)"; }
{
	echo "| measurement | figure: median over $REPS interleaved batches (range) | target | verdict |"
	echo "| --- | --- | --- | --- |"
	for w in 0 2; do
		l="local workers=$w"
		echo "| local phase, smpc_sum / sum(), $ROWS rows, $w workers ($(val "$l" smpc_ms) / $(val "$l" native_ms) ms) | $(ratio_text "$l" ratio) | $(target_cells "$(val "$l" ratio)" 1.05) |"
	done
	for w in 0 2; do
		l="grouped_local workers=$w"
		echo "| grouped local phase, smpc_sum_by / GROUP BY, $ROWS rows in 1,000 groups, $w workers ($(val "$l" smpc_ms) / $(val "$l" native_ms) ms) | $(ratio_text "$l" ratio) | $(target_cells "$(val "$l" ratio)" "") |"
	done
	for n in "${COUNTS[@]}"; do
		t=$(case $n in 3) echo 2 ;; 10) echo 3 ;; esac)
		echo "| $n parties, warm, smpc / dblink ($(val "secure parties=$n mode=warm" median_ms) / $(val "insecure parties=$n mode=warm" median_ms) ms) | $(ratio_text "ratio parties=$n mode=warm" ratio) | $(target_cells "$(val "ratio parties=$n mode=warm" ratio)" "$t") |"
	done
	for n in "${COUNTS[@]}"; do
		m=$(val "secure parties=$n mode=warm" median_ms) q=$(val "secure parties=$n mode=warm" p95_ms)
		echo "| $n parties, warm, smpc p95 / median ($q / $m ms, $(val "secure parties=$n mode=warm" jobs) jobs) | $(ratio "$q" "$m")x | $(target_cells "$(ratio "$q" "$m")" 2) |"
	done
	for n in "${COUNTS[@]}"; do
		t=""
		((n > 10)) || t=1.2
		echo "| $n parties, cold, smpc / dblink ($(val "secure parties=$n mode=cold" median_ms) / $(val "insecure parties=$n mode=cold" median_ms) ms) | $(ratio_text "ratio parties=$n mode=cold" ratio) | $(target_cells "$(val "ratio parties=$n mode=cold" ratio)" "$t") |"
	done
	for mode in warm cold; do
		gs=$(growth secure $mode) gi=$(growth insecure $mode)
		echo "| $lo → $hi parties, $mode: smpc's median grows ${gs}x, dblink's ${gi}x; smpc's growth / dblink's | $(ratio "$gs" "$gi")x | $(target_cells "$(ratio "$gs" "$gi")" 1) |"
	done
	# The delegated model, a DBA's choice (docs/dba.md): three compute
	# parties hold the shares, so it trusts that they do not all collude.
	for mode in warm cold; do
		for n in "${COUNTS[@]}"; do
			((n > 3)) || continue
			echo "| $n parties, $mode, smpc delegated to p1..p3 / dblink ($(val "delegated parties=$n mode=$mode" median_ms) / $(val "insecure parties=$n mode=$mode" median_ms) ms) | $(ratio_text "ratio_delegated parties=$n mode=$mode" ratio) | — | — |"
		done
		gs=$(ratio "$(delegated_ms "$hi" $mode)" "$(delegated_ms "$lo" $mode)") gi=$(growth insecure $mode)
		echo "| $lo → $hi parties, $mode, delegated to p1..p3: smpc's median grows ${gs}x, dblink's ${gi}x; smpc's growth / dblink's | $(ratio "$gs" "$gi")x | — | — |"
	done
	for k in "${GROUP_COUNTS[@]}"; do
		g="grouped groups=$k "
		if [[ -z $(val "$g" median_ms) ]]; then
			echo "| $k groups, 3 parties | not run: $(grep -E "^$g" "$OUT" | sed 's/.*ERROR: *//' | cut -c1-90) | | missed |"
			continue
		fi
		tg="" tn=""
		((k < 100000)) || tg=0.5
		((k < 1000000)) || tn=2
		echo "| $k groups, 3 parties, smpc / dblink ($(val "$g" median_ms) / $(val "$g" insecure_dblink_ms) ms) | $(ratio_text "$g" vs_dblink) | $(target_cells "$(val "$g" vs_dblink)" "$tg") |"
		echo "| $k groups, 3 parties, smpc / GROUP BY at each party ($(val "$g" native_group_by_ms) ms) | $(ratio_text "$g" vs_group_by) | $(target_cells "$(val "$g" vs_group_by)" "$tn") |"
	done
	for k in "${SET_KEYS[@]}"; do
		g="psi keys=$k "
		echo "| PSI cardinality, $k keys per party, 3 parties, 10 % overlap: smpc / dblink join ($(val "$g" median_ms) / $(val "$g" insecure_dblink_ms) ms) | $(ratio_text "$g" vs_dblink) | $(target_cells "" "") |"
		echo "| … smpc / cost floor ($((9 * k)) group operations at $(val groupop hash_blind_us) / $(val groupop reblind_us) µs (hash and blind / re-blind), over $(val groupop cores) cores: $(val "$g" floor_ms) ms) | $(val "$g" vs_floor)x | $(target_cells "$(val "$g" vs_floor)" 1.5) |"
		echo "| … bytes each party's job sent over TCP (p1/p2/p3), and its backend's peak memory (kB) | $(val "$g" sent_bytes); $(val "$g" hwm_kb) | — | — |"
		g="psi_sum keys=$k "
		echo "| intersection sum of p2's values, $k keys per party, 3 parties, 10 % overlap: smpc / dblink join ($(val "$g" median_ms) / $(val "$g" insecure_dblink_ms) ms) | $(ratio_text "$g" vs_dblink) | $(target_cells "" "") |"
		echo "| … smpc / cost floor (the count's operations, and $k values sealed at $(val groupop seal_us) µs, re-randomised twice at $(val groupop reseal_us) µs, checked at $(val groupop check_us) µs, $((k / 10)) added at $(val groupop add_us) µs, over $(val groupop cores) cores: $(val "$g" floor_ms) ms) | $(val "$g" vs_floor)x | $(target_cells "$(val "$g" vs_floor)" 1.5) |"
		echo "| … bytes sent (p1/p2/p3), peak memory (kB) | $(val "$g" sent_bytes); $(val "$g" hwm_kb) | — | — |"
	done
	# What smpc adds to the backend's private memory beyond what sum() over
	# the same rows takes (PostgreSQL's own scan memory grows with the table).
	extra() { { grep "^memory table=$1 " "$OUT" || true; } | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["smpc_anon_kb"] - v["native_anon_kb"] }'; }
	a1=$(extra big_tenth) a2=$(extra big)
	echo "| backend private memory beyond sum()'s, $((ROWS / 10)) → $ROWS rows | $a1 kB → $a2 kB | flat | $(verdict "$a2" "$(awk -v a="$a1" 'BEGIN { print a + 1024 }')") |"
	for mode in warm cold; do
		for n in 3 10 25; do
			s="cost parties=$n mode=$mode side=smpc" d="cost parties=$n mode=$mode side=dblink"
			[[ -n $(val "$s" cpu_ms) ]] || continue
			echo "| what a job costs, $n parties, $mode, smpc / dblink: CPU time of all cores ($(val "$s" cpu_ms) / $(val "$d" cpu_ms) ms), context switches ($(val "$s" switches) / $(val "$d" switches)), backends started ($(val "$s" backends) / $(val "$d" backends)) | $(ratio "$(val "$s" cpu_ms)" "$(val "$d" cpu_ms)")x the CPU | — | — |"
		done
	done
} >"$BENCH_DIR/report.md"

say "results in $OUT, report in $BENCH_DIR/report.md, plot in $BENCH_DIR/latency.png"
cat "$OUT"
echo
cat "$BENCH_DIR/report.md"
