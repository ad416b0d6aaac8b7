#!/usr/bin/env bash
# Install the Debian package the way a DBA would and use it (`make test`
# runs this; so does `make test-deb`):
#   1. build postgresql-15-smpc with scripts/build-deb.sh (or take the .deb
#      given as argument),
#   2. `apt-get install ./postgresql-15-smpc_<version>_amd64.deb` into the
#      system PostgreSQL 15,
#   3. a new Debian cluster (pg_createcluster) with smpc in
#      shared_preload_libraries: CREATE EXTENSION smpc gives default_version,
#      and the library is a release build (no smpc.test_fault),
#   4. the ICO example from the package: scripts/demo.sh creates three new
#      clusters A, B, C (10,000 / 15,000 / 20,000) and every party must get
#      the average 15,000,
#   5. purge the package again, stop and drop what it created, and put back
#      files of a `make install` that the package replaced, so the build that
#      `make test` installs next is not touched and dpkg is left clean.
# Must run as root (apt-get).  Refuses to run when postgresql-15-smpc is
# already installed: removing it afterwards would take away the DBA's copy.
#
#   scripts/test-deb.sh [path/to/postgresql-15-smpc_*.deb]
#
# Environment:
#   SMPC_KEEP_TMP=1  keep the work directory (logs, demo data) even on success
#   TMPDIR           where the work directory goes (default /tmp)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGV=15
PKG=postgresql-$PGV-smpc
PG_CONFIG=/usr/lib/postgresql/$PGV/bin/pg_config
CLUSTER=smpc_deb_test

say() { printf '\n==> %s\n' "$*"; }
die() { echo "test-deb: error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root: it installs $PKG with apt-get"
for tool in apt-get dpkg-query pg_createcluster pg_dropcluster pg_ctlcluster; do
	command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done
[[ -x $PG_CONFIG ]] || die "$PG_CONFIG not found: install postgresql-$PGV (scripts/install-deps.sh)"
status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null || true)
[[ $status == "" || $status == un* || $status == pn* ]] ||
	die "$PKG is already installed (dpkg status '$status'); remove it first: apt-get purge $PKG"
[[ -z $(pg_lsclusters -h 2>/dev/null | awk -v c="$CLUSTER" '$2 == c') ]] ||
	die "a cluster $PGV/$CLUSTER exists (left by an interrupted run?); drop it: pg_dropcluster --stop $PGV $CLUSTER"

VERSION=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$ROOT/smpc.control")
if (($#)); then
	DEB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
	bash "$ROOT/scripts/build-deb.sh"
	DEB=$ROOT/build-deb/${PKG}_${VERSION}_$(dpkg --print-architecture).deb
fi
[[ -f $DEB ]] || die "$DEB not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smpc-test-deb.XXXXXX")
chmod 0755 "$WORK" # user postgres runs the servers below it
PKGLIB=$("$PG_CONFIG" --pkglibdir)
EXTDIR=$("$PG_CONFIG" --sharedir)/extension

# Files of the package's names that are on disk now (a `make install`): dpkg
# would overwrite them and purging the package would delete them.
saved=()
for f in "$PKGLIB/smpc.so" "$EXTDIR"/smpc.control "$EXTDIR"/smpc--*.sql; do
	[[ -f $f ]] && saved+=("${f#/}")
done
tar -C / -cf "$WORK/saved.tar" -T /dev/null "${saved[@]}"

installed=0 cluster=0 demo=0 ok=0
demo_sh() { SMPC_DEMO_DIR=$WORK/demo PG_CONFIG=$PG_CONFIG bash "$ROOT/scripts/demo.sh" "$@"; }
cleanup() {
	local rc=$?
	set +e
	((demo)) && demo_sh stop >/dev/null 2>&1
	((cluster)) && pg_dropcluster --stop "$PGV" "$CLUSTER" >/dev/null 2>&1
	if ((installed)); then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$PKG" >"$WORK/purge.log" 2>&1 ||
			{ cat "$WORK/purge.log" >&2; echo "test-deb: error: apt-get purge $PKG failed" >&2; ok=0 rc=1; }
	fi
	tar -C / -xf "$WORK/saved.tar" || rc=1
	if ((ok)) && [[ ${SMPC_KEEP_TMP:-0} != 1 ]]; then
		rm -rf "$WORK"
	else
		echo "test-deb: logs and data kept in $WORK" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

say "apt-get install $DEB"
installed=1
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" >"$WORK/install.log" 2>&1; then
	tail -n 40 "$WORK/install.log" >&2
	die "apt-get install $DEB failed"
fi
for f in "$PKGLIB/smpc.so" "$EXTDIR/smpc.control"; do
	[[ $(dpkg-query -S "$f" 2>/dev/null) == "$PKG: $f" ]] || die "$f is not installed by $PKG"
done
echo "$PKG $(dpkg-query -W -f='${Version}' "$PKG") installed: $PKGLIB/smpc.so"

say "a new cluster $PGV/$CLUSTER with smpc preloaded: CREATE EXTENSION smpc"
port=$(perl "$ROOT/scripts/free-port.pl") || die "no free TCP port"
mkdir -p "$WORK/sock" && chown postgres: "$WORK/sock"
cluster=1
pg_createcluster "$PGV" "$CLUSTER" --port "$port" --socketdir "$WORK/sock" --locale C.UTF-8 \
	-- --auth-local=peer >"$WORK/createcluster.log" 2>&1 ||
	{ cat "$WORK/createcluster.log" >&2; die "pg_createcluster failed"; }
echo "shared_preload_libraries = 'smpc'" >"/etc/postgresql/$PGV/$CLUSTER/conf.d/smpc.conf"
pg_ctlcluster "$PGV" "$CLUSTER" start ||
	{ tail -n 30 "/var/log/postgresql/postgresql-$PGV-$CLUSTER.log" >&2; die "cluster $CLUSTER did not start"; }
psql_c() { runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -h "$WORK/sock" -p "$port" -d postgres "$@"; }
got=$(psql_c -c "CREATE EXTENSION smpc" -c "SELECT extversion FROM pg_extension WHERE extname = 'smpc'") ||
	die "CREATE EXTENSION smpc failed in cluster $CLUSTER"
[[ $got == "$VERSION" ]] || die "CREATE EXTENSION smpc installed version '$got', want $VERSION"
echo "CREATE EXTENSION smpc: version $got"
faults=$(psql_c -c "SELECT count(*) FROM pg_settings WHERE name = 'smpc.test_fault'")
[[ $faults == 0 ]] || die "the packaged library defines smpc.test_fault: it is a test build"
echo "release build: smpc.test_fault is not defined"
pg_dropcluster --stop "$PGV" "$CLUSTER" && cluster=0

say "the ICO example (scripts/demo.sh) on the installed package"
demo=1
if ! demo_sh >"$WORK/demo.log" 2>&1; then
	cat "$WORK/demo.log" >&2
	die "the ICO example failed on the installed package"
fi
grep -E '^party [abc] .*joint average = ' "$WORK/demo.log"
n=$(grep -cE '^party [abc] .*joint average = 15000(\.0*)?$' "$WORK/demo.log" || true)
((n == 3)) || { cat "$WORK/demo.log" >&2; die "want the average 15000 at all three parties, got it at $n"; }
demo_sh stop >/dev/null && demo=0

ok=1
say "package test OK: $(basename "$DEB") installs, CREATE EXTENSION works, A, B and C get the average 15000"
