#!/usr/bin/env bash
# Run smpc's PostgreSQL-level tests against the installed extension:
#   1. pg_regress (the Makefile's REGRESS, via `make installcheck`, which
#      starts its own temporary server),
#   2. the TAP tests in test/t (several servers talking TLS to each other).
# `make test` calls this after installing dependencies, building and
# installing the extension, and running the unit tests.
#
# PostgreSQL refuses to run as root, so as root the tests run as user
# postgres, in a copy of the tree that user can read.
#
# Environment:
#   PG_CONFIG              pg_config to test against (default: PostgreSQL 15's)
#   SMPC_TEST_SUITES       "regress tap" (default) or one of them
#   SMPC_TAP_TESTS         TAP files to run, relative to the repository
#                          (default: test/t/*.pl)
#   SMPC_KEEP_TMP=1        keep the temporary copy even when all passed
#   SMPC_SKIP_INSTALL_DEPS=1  do not call scripts/install-deps.sh
#   TMPDIR                 where the temporary copy goes (default /tmp)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SUITES=${SMPC_TEST_SUITES:-regress tap}

say() { printf '==> %s\n' "$*"; }
die() { echo "test.sh: error: $*" >&2; exit 2; }

if [[ $(id -u) -eq 0 && ${SMPC_SKIP_INSTALL_DEPS:-0} != 1 ]]; then
	bash "$ROOT/scripts/install-deps.sh"
fi

[[ -x $PG_CONFIG ]] || die "$PG_CONFIG not found: install postgresql-server-dev-15 (scripts/install-deps.sh)"
PGBIN=$("$PG_CONFIG" --bindir)
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")/..
PGXS_DIR=$(cd "$PGXS_DIR" && pwd) # .../lib/pgxs/src
PG_REGRESS_BIN=$PGXS_DIR/test/regress/pg_regress
PG_PERL=$PGXS_DIR/test/perl
PKGLIB=$("$PG_CONFIG" --pkglibdir)
SHAREDIR=$("$PG_CONFIG" --sharedir)

[[ -f $PKGLIB/smpc.so ]] || die "$PKGLIB/smpc.so not installed: run 'make install' first"
[[ -f $SHAREDIR/extension/smpc.control ]] || die "$SHAREDIR/extension/smpc.control not installed: run 'make install' first"
[[ -x $PG_REGRESS_BIN ]] || die "$PG_REGRESS_BIN not found (postgresql-server-dev-15)"
[[ -f $PG_PERL/PostgreSQL/Test/Cluster.pm ]] || die "$PG_PERL/PostgreSQL/Test/Cluster.pm not found"
perl -MIPC::Run -e1 2>/dev/null || die "perl module IPC::Run missing (apt-get install libipc-run-perl)"
command -v prove >/dev/null || die "prove not found (perl)"

# Who runs the tests, and a copy of the tree that user can read and write.
if [[ $(id -u) -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "user postgres does not exist (is postgresql-15 installed?)"
	RUNAS=(runuser -u postgres --)
else
	RUNAS=()
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smpc-test.XXXXXX")
tar -C "$ROOT" \
	--exclude=./.git --exclude=./build --exclude=./build-fuzz --exclude=./tmp_check --exclude=./results \
	--exclude=./log --exclude=./.demo --exclude=./regression.diffs --exclude=./regression.out \
	-cf - . | tar -C "$WORK" -xf -
chmod 0755 "$WORK"
if [[ $(id -u) -eq 0 ]]; then
	chown -R postgres: "$WORK"
fi

# A clean environment for the servers and clients the tests start.
TEST_ENV=(
	env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD
	-u PGSERVICE -u PGSSLMODE -u PGOPTIONS -u PGDATA -u LC_ALL
	LANG=C.UTF-8
	HOME="$WORK"
	PATH="$PGBIN:$PATH"
)

declare -A RESULT=()
overall=0

run_regress() {
	say "pg_regress (make installcheck) in $WORK"
	local rc=0
	(cd "$WORK" && timeout --kill-after=30 900 \
		"${RUNAS[@]}" "${TEST_ENV[@]}" make -s installcheck PG_CONFIG="$PG_CONFIG" TAP_TESTS=) || rc=$?
	if ((rc == 0)); then
		RESULT[regress]=PASS
		return
	fi
	RESULT[regress]="FAIL (exit $rc)"
	overall=1
	if [[ -f $WORK/regression.diffs ]]; then
		say "regression.diffs (first 400 lines):"
		head -n 400 "$WORK/regression.diffs"
	fi
	local log
	while IFS= read -r log; do
		say "$log (last 60 lines):"
		tail -n 60 "$log"
	done < <(find "$WORK" -name postmaster.log -path '*log*' 2>/dev/null)
}

run_tap() {
	local tests=()
	if [[ -n ${SMPC_TAP_TESTS:-} ]]; then
		read -r -a tests <<<"$SMPC_TAP_TESTS"
	else
		(cd "$WORK" && compgen -G 'test/t/*.pl' >/dev/null) || {
			RESULT[tap]="FAIL (no test/t/*.pl)"
			overall=1
			return
		}
		mapfile -t tests < <(cd "$WORK" && ls test/t/*.pl)
	fi
	say "TAP tests (prove) in $WORK: ${tests[*]}"
	local rc=0
	(cd "$WORK" && timeout --kill-after=30 2400 \
		"${RUNAS[@]}" "${TEST_ENV[@]}" \
		PERL5LIB="$PG_PERL:$WORK/test/t" \
		TESTDIR="$WORK" \
		PG_REGRESS="$PG_REGRESS_BIN" \
		SMPC_SRCDIR="$WORK" \
		PG_TEST_TIMEOUT_DEFAULT=120 \
		prove -v --timer "${tests[@]}") || rc=$?
	if ((rc == 0)); then
		RESULT[tap]=PASS
		return
	fi
	RESULT[tap]="FAIL (exit $rc)"
	overall=1
	# Show the log of each failing test and the server logs it left.
	local log name nodelog
	for log in "$WORK"/tmp_check/log/regress_log_*; do
		[[ -f $log ]] || continue
		if grep -qE '^not ok|Bail out|BAIL_OUT|Looks like|died|Dubious' "$log"; then
			name=${log##*/regress_log_}
			say "$log (failed lines and last 80 lines):"
			grep -nE '^not ok' "$log" || true
			tail -n 80 "$log"
			for nodelog in "$WORK/tmp_check/log/${name}_"*.log; do
				[[ -f $nodelog ]] || continue
				say "$nodelog (ERROR/FATAL/PANIC lines and last 30 lines):"
				grep -nE 'ERROR|FATAL|PANIC|terminated by signal' "$nodelog" | tail -n 40 || true
				tail -n 30 "$nodelog"
			done
		fi
	done
}

for suite in $SUITES; do
	case $suite in
	regress) run_regress ;;
	tap) run_tap ;;
	*) die "unknown suite '$suite' (regress, tap)" ;;
	esac
done

say "summary:"
for suite in $SUITES; do
	printf '    %-8s %s\n' "$suite" "${RESULT[$suite]:-not run}"
done
if ((overall == 0)); then
	[[ ${SMPC_KEEP_TMP:-0} == 1 ]] && say "kept $WORK" || rm -rf "$WORK"
	say "PASS"
else
	say "FAIL (test tree and logs kept in $WORK)"
fi
exit "$overall"
