#!/usr/bin/env bash
# Build the Debian package postgresql-15-smpc (`make deb`) with the Debian
# PostgreSQL tooling (dpkg-buildpackage, debhelper, pg_buildext; debian/),
# in a copy of the tree so the checkout stays clean, and check what it holds:
#   - the version is smpc.control's default_version (scripts/check-meta.sh),
#   - it ships smpc.so, smpc.control and every script in the Makefile's DATA,
#   - it depends on postgresql-15, libpq5, libssl3 and libsodium23,
#   - it is a release build (no smpc.test_fault, see SMPC_TEST_BUILD).
#
#   scripts/build-deb.sh        packages land in $SMPC_DEB_DIR (default build-deb/)
#
# Environment:
#   SMPC_DEB_DIR   where the .deb goes (default <repository>/build-deb)
#   TMPDIR         where the copy is built (default /tmp)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${SMPC_DEB_DIR:-$ROOT/build-deb}
PGV=15

say() { printf '==> %s\n' "$*"; }
die() { echo "build-deb: error: $*" >&2; exit 1; }

for tool in dpkg-buildpackage dpkg-parsechangelog dh pg_buildext; do
	command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh (dpkg-dev, debhelper, postgresql-server-dev-all)"
done

bash "$ROOT/scripts/check-meta.sh"
VERSION=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$ROOT/smpc.control")
PKG=postgresql-$PGV-smpc
ARCH=$(dpkg --print-architecture)
DEB=${PKG}_${VERSION}_${ARCH}.deb

# The copy: the tree without git metadata and build products. dpkg-buildpackage
# writes the packages next to the source directory, i.e. into $WORK.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smpc-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/smpc-$VERSION
mkdir "$SRC"
tar -C "$ROOT" \
	--exclude=./.git --exclude=./build --exclude=./build-fuzz --exclude=./build-deb \
	--exclude=./tmp_check --exclude='./tmp_check_*' --exclude=./results --exclude=./log \
	--exclude=./.demo --exclude=./.build-mode --exclude=./regression.diffs --exclude=./regression.out \
	--exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	-cf - . | tar -C "$SRC" -xf -

# Without the caller's make variables: `make SMPC_TEST_BUILD=1 deb` must not
# reach the package's make through MAKEFLAGS.
say "dpkg-buildpackage in $SRC"
mkdir -p "$OUT"
if ! (cd "$SRC" && env -u SMPC_TEST_BUILD -u PG_CONFIG -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1; then
	tail -n 60 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed (last lines above; all of it in $OUT/build.log)"
fi
[[ -f $WORK/$DEB ]] || die "dpkg-buildpackage did not produce $DEB: $(cd "$WORK" && ls ./*.deb 2>/dev/null)"

# The files the Makefile installs, as make itself expands DATA (asked in the
# copy: reading the Makefile may remove objects of the other build mode).
mapfile -t data < <(printf 'print-data:\n\t@printf "%%s\\n" $(DATA) $(DATA_built)\n' |
	make -s --no-print-directory -C "$SRC" -f Makefile -f - print-data PG_CONFIG=/usr/lib/postgresql/$PGV/bin/pg_config)
((${#data[@]})) || die "the Makefile's DATA is empty"

say "checking $DEB"
contents=$(dpkg-deb -c "$WORK/$DEB" | awk '{print $NF}')
want=(./usr/lib/postgresql/$PGV/lib/smpc.so ./usr/share/postgresql/$PGV/extension/smpc.control)
for f in "${data[@]}"; do
	want+=("./usr/share/postgresql/$PGV/extension/$(basename "$f")")
done
for f in "${want[@]}"; do
	grep -qxF "$f" <<<"$contents" || die "$DEB lacks $f"
done
depends=$(dpkg-deb -f "$WORK/$DEB" Depends)
for dep in "postgresql-$PGV" libpq5 libssl3 libsodium23; do
	grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || die "$DEB does not depend on $dep (Depends: $depends)"
done
# grep -c reads to the end: with grep -q, pipefail would see tar's SIGPIPE
# on a match and pass the test build.
faults=$(dpkg-deb --fsys-tarfile "$WORK/$DEB" | tar -xOf - "./usr/lib/postgresql/$PGV/lib/smpc.so" |
	grep -ac 'smpc\.test_fault' || true)
((faults == 0)) || die "$DEB holds a test build (smpc.test_fault is defined): it must be a release build"

rm -f "$OUT/${PKG}"_*.deb "$OUT/${PKG}"-dbgsym_*.deb
cp "$WORK/$DEB" "$OUT/"
cp "$WORK/${PKG}"-dbgsym_*.deb "$OUT/" 2>/dev/null || true
echo "Depends: $depends"
echo "files: ${want[*]#./}"
say "built $OUT/$DEB"
