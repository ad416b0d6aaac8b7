#!/usr/bin/env bash
# make soak: the load and soak test at full length. Three servers, analyst
# sessions starting sums, grouped sums and partner-started jobs for
# SMPC_SOAK_SECONDS (default 300) with SMPC_SOAK_SESSIONS sessions (default
# 20), a partner killed and restarted in the middle and another flooding
# deliveries; then the checks of test/t/034_soak_short.pl (which `make test`
# runs short). It is that TAP test, run through scripts/test.sh with the
# long settings; its figures (jobs per second, outcomes, the error mix,
# memory, what was left) go to $SMPC_SOAK_DIR/report.md (default
# /tmp/smpc-soak), headed by the command, commit and machine.
#
#   SMPC_SOAK_SECONDS   how long the sessions start jobs (10..3600)
#   SMPC_SOAK_SESSIONS  concurrent analyst sessions (1..64)
#   SMPC_SOAK_DIR       where the report goes
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${SMPC_SOAK_SECONDS:-300}
sessions=${SMPC_SOAK_SESSIONS:-20}
dir=${SMPC_SOAK_DIR:-/tmp/smpc-soak}
die() { echo "soak.sh: error: $*" >&2; exit 1; }
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds >= 10 && seconds <= 3600)) ||
	die "SMPC_SOAK_SECONDS must be from 10 to 3600"
[[ $sessions =~ ^[0-9]+$ ]] && ((sessions >= 1 && sessions <= 64)) ||
	die "SMPC_SOAK_SESSIONS must be from 1 to 64"
[[ $dir == /* && $dir != / ]] || die "SMPC_SOAK_DIR must be an absolute path"

mkdir -p "$dir"
rm -f "$dir/report.md" "$dir/figures.md"
# The test runs as user postgres when started as root (scripts/test.sh).
if [[ $(id -u) -eq 0 ]] && id postgres >/dev/null 2>&1; then chown postgres: "$dir"; fi

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -c1)
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
rc=0
SMPC_SOAK_SECONDS=$seconds SMPC_SOAK_SESSIONS=$sessions SMPC_SOAK_REPORT="$dir/figures.md" \
	SMPC_TEST_SUITES=tap SMPC_TAP_TESTS=test/t/034_soak_short.pl \
	bash "$root/scripts/test.sh" || rc=$?
{
	echo "# smpc soak"
	echo
	echo "SMPC_SOAK_SECONDS=$seconds SMPC_SOAK_SESSIONS=$sessions make soak, commit $commit${dirty:+ (with uncommitted changes)},"
	echo "started $start on $(nproc) cores ($(uname -sr)); checks: $( ((rc == 0)) && echo 'all passed' || echo "FAILED (exit $rc), see the test's output")."
	echo
	cat "$dir/figures.md" 2>/dev/null || echo "(no figures: the test stopped before its end)"
} >"$dir/report.md"
echo
cat "$dir/report.md"
exit "$rc"
