#!/usr/bin/env bash
# make bench: smpc against native PostgreSQL and an insecure federated
# baseline (dblink), measured side by side in one run on this machine.
#
# Starts ten PostgreSQL servers on loopback (TLS, as in production), one per
# party p1..p10, registers federations of 3, 5 and 10 of them, and measures:
#   1. the local phase: smpc_sum against sum() over SMPC_BENCH_ROWS bigint
#      rows at p1 (with 0 and 2 parallel workers);
#   2. job latency for 3, 5 and 10 parties on a one-row table, from the
#      moment the last party was sent the job until every party has its
#      result, over SMPC_BENCH_JOBS jobs, with warm and cold sessions;
#   3. the same joint sum pulled insecurely with dblink from p1 (plain sum()
#      at every partner), warm (connections kept) and cold (new ones);
#   4. grouped sums over 1 to 1,000,000 groups at 3 parties (one row per
#      key and party), beside a plain GROUP BY of the same rows at each
#      party and the joint grouped sum pulled insecurely with dblink;
#   5. the peak memory of p1's backend for 1/10 of the rows and all of them.
# Prints the table and writes $SMPC_BENCH_DIR/report.md, results.txt and a
# gnuplot PNG (latency.png). BENCHMARKS.md is made from such a run.
#
#   SMPC_BENCH_DIR   where servers and results go (default /tmp/smpc-bench)
#   SMPC_BENCH_JOBS  jobs per latency measurement (default 200)
#   SMPC_BENCH_ROWS  rows of the local-phase table (default 10000000)
#   SMPC_BENCH_FSYNC on: the servers flush WAL to disk (fsync and
#                    synchronous_commit on), so the jobs pay for the records
#                    they wait for (spent job ids, privacy charges); default
#                    off, which measures computation and messaging only
set -euo pipefail

BENCH_DIR=${SMPC_BENCH_DIR:-/tmp/smpc-bench}
JOBS=${SMPC_BENCH_JOBS:-200}
ROWS=${SMPC_BENCH_ROWS:-10000000}
FSYNC=${SMPC_BENCH_FSYNC:-off}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
NPARTIES=10
COUNTS=(3 5 10)
GROUP_COUNTS=(1 1000 32768 100000 1000000)

say() { printf '\n==> %s\n' "$*"; }
die() { echo "bench.sh: error: $*" >&2; exit 1; }
[[ $FSYNC == on || $FSYNC == off ]] || die "SMPC_BENCH_FSYNC must be on or off"
[[ $BENCH_DIR == /* && $BENCH_DIR != / ]] || die "SMPC_BENCH_DIR must be an absolute path"

# As root: the plotting tool, the client, then hand over to user postgres.
if [[ $(id -u) -eq 0 ]]; then
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if ! command -v gnuplot >/dev/null; then
		apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && apt-get install -y -q gnuplot-nox >/dev/null; } ||
			die "could not install gnuplot-nox"
	fi
	id postgres >/dev/null 2>&1 || die "user postgres does not exist: run scripts/install-deps.sh"
	rm -rf "$BENCH_DIR"
	mkdir -p "$BENCH_DIR/bin"
	g++ -O2 -std=c++17 -Wall -Wextra -Werror -I"$("$PG_CONFIG" --includedir)" \
		"$here/bench_client.cpp" -o "$BENCH_DIR/bin/bench_client" -lpq
	install -m 0755 "$here/bench.sh" "$here/../scripts/make-certs.sh" "$here/../scripts/free-port.pl" "$BENCH_DIR/bin/"
	chown -R postgres: "$BENCH_DIR"
	chmod 0700 "$BENCH_DIR"
	exec runuser -u postgres -- env SMPC_BENCH_DIR="$BENCH_DIR" SMPC_BENCH_JOBS="$JOBS" \
		SMPC_BENCH_ROWS="$ROWS" SMPC_BENCH_KEEP="${SMPC_BENCH_KEEP:-0}" PG_CONFIG="$PG_CONFIG" \
		SMPC_BENCH_FSYNC="$FSYNC" \
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
		smpc.max_messages = $([[ $p == p[123] ]] && echo 4200 || echo 512)
		max_connections = 60
		shared_buffers = $([[ $p == p1 ]] && echo 512MB || echo 32MB)
		max_parallel_workers_per_gather = 0
		fsync = $FSYNC
		synchronous_commit = $FSYNC
		log_min_messages = warning
	EOF
	{
		echo "local   all all peer"
		echo "hostssl all all 127.0.0.1/32 scram-sha-256"
	} >"$dd/pg_hba.conf"
	"$PGBIN/pg_ctl" -D "$dd" -l "$BENCH_DIR/$p/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$BENCH_DIR/$p/server.log" >&2; die "server $p did not start"; }
done

say "setting up parties, federations of 3, 5 and 10, and the data"
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
		done
	} | psql_at "$p" >/dev/null || die "setup of $p failed"
done
# The local-phase table at p1 (and empty ones of the same name elsewhere).
psql_at p1 -c "CREATE TABLE big AS SELECT g::bigint AS x FROM generate_series(1, $ROWS) g" \
	-c "CREATE TABLE big_tenth AS SELECT x FROM big WHERE x % 10 = 0" -c "VACUUM ANALYZE big, big_tenth"
for p in p2 p3; do psql_at "$p" -c "CREATE TABLE big (x bigint); CREATE TABLE big_tenth (x bigint)"; done
# Grouped tables at p1..p3: k keys, one row per key and party.
for k in "${GROUP_COUNTS[@]}"; do
	for p in p1 p2 p3; do
		psql_at "$p" -c "CREATE TABLE g$k AS SELECT 'k' || g AS key, g::bigint AS v FROM generate_series(1, $k) g" \
			-c "CREATE TABLE g${k}_keys AS SELECT array_agg(key) AS keys FROM g$k" -c "ANALYZE g$k" \
			-c "GRANT SELECT ON g$k TO bench_reader"
	done
done
psql_at p1 -c "SELECT count(*) FROM big" >/dev/null  # into shared buffers and the OS cache
# Measure servers at rest: no autovacuum of the new tables, no checkpoint of
# the data just written, while jobs are timed.
for p in "${PARTIES[@]}"; do psql_at "$p" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null; done

conns() { local n=$1 i; for i in $(seq 1 "$n"); do printf -- '--conn\n%s\n' "$(local_conn "p$i")"; done; }
median_of() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# ---- 1. local phase -----------------------------------------------------------
say "1. local phase over $ROWS bigint rows at p1"
for workers in 0 2; do
	setup="SET max_parallel_workers_per_gather = $workers; SET smpc.federation = 'fed3'"
	native=$("$CLIENT" once --repeat 5 --conn "$(local_conn p1)" --setup "$setup" \
		--sql "SELECT sum(x) FROM big" | cut -d' ' -f1)
	mapfile -t c < <(conns 3)
	smpc=$("$CLIENT" jobs --mode warm --jobs 5 --prefix "local$workers" --setup "$setup" "${c[@]}" \
		--sql "SELECT smpc_sum(x, '%s') FROM big" | cut -d' ' -f1)
	ratio=$(awk -v a="$smpc" -v b="$native" 'BEGIN { printf "%.3f", a / b }')
	record "local workers=$workers native_ms=$native smpc_ms=$smpc ratio=$ratio"
done

# ---- 2. and 3. latency ---------------------------------------------------------
say "2./3. latency: $JOBS jobs per measurement, one-row tables"
for n in "${COUNTS[@]}"; do
	mapfile -t c < <(conns "$n")
	for mode in warm cold; do
		read -r med p95 lo hi < <("$CLIENT" jobs --mode "$mode" --jobs "$JOBS" --prefix "lat$n$mode" \
			--setup "SET smpc.federation = 'fed$n'" "${c[@]}" --sql "SELECT smpc_sum(x, '%s') FROM one")
		record "secure parties=$n mode=$mode median_ms=$med p95_ms=$p95 min_ms=$lo max_ms=$hi"
	done
	# Insecure: p1 pulls every partner's plain sum() with dblink (TLS, password).
	remote() { echo "host=127.0.0.1 port=${PORT[$1]} dbname=org_$1 user=bench_reader password=$PW sslmode=verify-full sslrootcert=$CERTS/ca.crt"; }
	warm_setup="" warm_sql="SELECT (SELECT sum(x) FROM one)" cold_sql="SELECT (SELECT sum(x) FROM one)"
	for i in $(seq 2 "$n"); do
		warm_setup+="SELECT dblink_connect('p$i', '$(remote "p$i")');"
		warm_sql+=" + (SELECT s FROM dblink('p$i', 'SELECT sum(x) FROM one') AS t(s numeric))"
		cold_sql+=" + (SELECT s FROM dblink('$(remote "p$i")', 'SELECT sum(x) FROM one') AS t(s numeric))"
	done
	read -r med p95 lo hi < <("$CLIENT" jobs --mode warm --jobs "$JOBS" --conn "$(local_conn p1)" \
		--setup "$warm_setup" --sql "$warm_sql")
	record "insecure parties=$n mode=warm median_ms=$med p95_ms=$p95 min_ms=$lo max_ms=$hi"
	read -r med p95 lo hi < <("$CLIENT" jobs --mode warm --jobs "$JOBS" --conn "$(local_conn p1)" \
		--sql "$cold_sql")
	record "insecure parties=$n mode=cold median_ms=$med p95_ms=$p95 min_ms=$lo max_ms=$hi"
done

# ---- 4. grouped -----------------------------------------------------------------
# Beside each smpc_sum_by job: the same rows grouped natively at the three
# parties at once (each its own GROUP BY, what the local phase costs at
# best), and the joint grouped sum computed insecurely at p1 from its own
# GROUP BY and the partners' pulled with dblink (connections open).
say "4. grouped sums at 3 parties"
mapfile -t c < <(conns 3)
grouped_dblink() {
	local k=$1 i sql="SELECT key, sum(v) AS s FROM g$k GROUP BY key"
	for i in 2 3; do
		sql+=" UNION ALL SELECT * FROM dblink('p$i', 'SELECT key, sum(v) FROM g$k GROUP BY key') AS t(key text, s numeric)"
	done
	echo "SELECT count(*) FROM (SELECT key, sum(s) FROM ($sql) u GROUP BY key) x"
}
for k in "${GROUP_COUNTS[@]}"; do
	native=$("$CLIENT" jobs --mode warm --jobs 5 "${c[@]}" \
		--sql "SELECT count(*) FROM (SELECT key, sum(v) FROM g$k GROUP BY key) x" | cut -d' ' -f1)
	insecure=$("$CLIENT" jobs --mode warm --jobs 5 --conn "$(local_conn p1)" \
		--setup "SELECT dblink_connect('p2', '$(remote p2)'); SELECT dblink_connect('p3', '$(remote p3)')" \
		--sql "$(grouped_dblink "$k")" | cut -d' ' -f1)
	if r=$("$CLIENT" jobs --mode warm --jobs 5 --prefix "grp$k" --setup "SET smpc.federation = 'fed3'" "${c[@]}" \
		--sql "SELECT count(*) FROM unnest((SELECT smpc_sum_by(key, v, (SELECT keys FROM g${k}_keys), '%s') FROM g$k))" 2>"$BENCH_DIR/grp$k.err"); then
		record "grouped groups=$k median_ms=$(echo "$r" | cut -d' ' -f1) native_group_by_ms=$native insecure_dblink_ms=$insecure"
	else
		record "grouped groups=$k refused: $(head -c 200 "$BENCH_DIR/grp$k.err" | tr '\n' ' ') native_group_by_ms=$native insecure_dblink_ms=$insecure"
	fi
done

# ---- 5. memory --------------------------------------------------------------------
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

# ---- report -------------------------------------------------------------------
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
val() { grep -E "^$1" "$OUT" | head -n 1 | field "$2"; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && b != "" && a + 0 <= b + 0) ? "met" : "missed" }'; }
for n in "${COUNTS[@]}"; do
	printf '%s %s %s %s %s\n' "$n" "$(val "secure parties=$n mode=warm" median_ms)" \
		"$(val "secure parties=$n mode=cold" median_ms)" "$(val "insecure parties=$n mode=warm" median_ms)" \
		"$(val "insecure parties=$n mode=cold" median_ms)"
done >"$BENCH_DIR/latency.dat"
for k in "${GROUP_COUNTS[@]}"; do
	ms=$(val "grouped groups=$k " median_ms)
	[[ -n $ms ]] && echo "$k $ms $(val "grouped groups=$k " native_group_by_ms) $(val "grouped groups=$k " insecure_dblink_ms)"
done >"$BENCH_DIR/grouped.dat"
gnuplot <<-EOF
	set terminal pngcairo size 1100,450 noenhanced font ",10"
	set output '$BENCH_DIR/latency.png'
	set multiplot layout 1,2 title "smpc on $(nproc) cores, PostgreSQL 15, loopback TLS (make bench)"
	set logscale y
	set xlabel 'parties'
	set ylabel 'median job latency (ms)'
	set xtics (3, 5, 10)
	set key top left
	set grid
	plot '$BENCH_DIR/latency.dat' using 1:2 with linespoints title 'smpc, warm', \
	     '' using 1:3 with linespoints title 'smpc, cold', \
	     '' using 1:4 with linespoints title 'dblink sum(), warm', \
	     '' using 1:5 with linespoints title 'dblink sum(), cold'
	set logscale xy
	set xlabel 'groups (3 parties)'
	set xtics auto
	set ylabel 'median grouped sum latency (ms)'
	plot '$BENCH_DIR/grouped.dat' using 1:2 with linespoints title 'smpc_sum_by, warm', \
	     '' using 1:3 with linespoints title 'GROUP BY at each party (no exchange)', \
	     '' using 1:4 with linespoints title 'dblink GROUP BY, warm'
	unset multiplot
EOF
lw0=$(val "local workers=0" ratio) lw2=$(val "local workers=2" ratio)
w3=$(val "secure parties=3 mode=warm" median_ms) i3=$(val "insecure parties=3 mode=warm" median_ms)
w10=$(val "secure parties=10 mode=warm" median_ms)
g1m=$(val "grouped groups=1000000 " median_ms)
{
	echo "| measurement | figure | target | verdict |"
	echo "| --- | --- | --- | --- |"
	echo "| local phase, smpc_sum / sum(), $ROWS rows, 0 workers | ${lw0}x | ≤ 1.05x | $(verdict "$lw0" 1.05) |"
	echo "| local phase, smpc_sum / sum(), 2 workers | ${lw2}x | ≤ 1.05x | $(verdict "$lw2" 1.05) |"
	echo "| 3 parties, warm, median | $w3 ms | ≤ 1 ms | $(verdict "$w3" 1) |"
	echo "| 3 parties, warm, vs dblink warm ($i3 ms) | $(awk -v a="$w3" -v b="$i3" 'BEGIN { printf "%.1f", a / b }')x | ≤ 5x | $(verdict "$(awk -v a="$w3" -v b="$i3" 'BEGIN { print a / b }')" 5) |"
	echo "| 10 parties, warm, median | $w10 ms | ≤ 3 ms | $(verdict "$w10" 3) |"
	for n in "${COUNTS[@]}"; do
		c=$(val "secure parties=$n mode=cold" median_ms) ic=$(val "insecure parties=$n mode=cold" median_ms)
		r=$(awk -v a="$c" -v b="$ic" 'BEGIN { printf "%.1f", a / b }')
		echo "| $n parties, cold, vs dblink cold ($ic ms) | $c ms, ${r}x | ≤ 1.5x | $(verdict "$r" 1.5) |"
	done
	for k in 1000 100000; do
		echo "| $k groups, 3 parties (GROUP BY at each party: $(val "grouped groups=$k " native_group_by_ms) ms; dblink: $(val "grouped groups=$k " insecure_dblink_ms) ms) | $(val "grouped groups=$k " median_ms) ms | — | — |"
	done
	echo "| 1,000,000 groups, 3 parties (GROUP BY at each party: $(val "grouped groups=1000000 " native_group_by_ms) ms; dblink: $(val "grouped groups=1000000 " insecure_dblink_ms) ms) | $(if [[ -n $g1m ]]; then echo "$g1m ms"; else echo "not run: $(grep -E '^grouped groups=1000000 ' "$OUT" | sed 's/.*ERROR: *//' | cut -c1-90)"; fi) | < 1 s | $(verdict "$g1m" 1000) |"
	# What smpc adds to the backend's private memory beyond what sum() over
	# the same rows takes (PostgreSQL's own scan memory grows with the table).
	extra() { grep "^memory table=$1 " "$OUT" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["smpc_anon_kb"] - v["native_anon_kb"] }'; }
	a1=$(extra big_tenth) a2=$(extra big)
	echo "| backend private memory beyond sum()'s, $((ROWS / 10)) → $ROWS rows | $a1 kB → $a2 kB | flat | $(verdict "$a2" "$(awk -v a="$a1" 'BEGIN { print a + 1024 }')") |"
} >"$BENCH_DIR/report.md"

say "results in $OUT, report in $BENCH_DIR/report.md, plot in $BENCH_DIR/latency.png"
cat "$OUT"
echo
cat "$BENCH_DIR/report.md"
