#!/usr/bin/env bash
# Install the Debian packages that building, testing and demonstrating smpc
# need.  Idempotent: when every package is already installed it does nothing
# (no apt-get update, no network).  Must run as root (CI does).
#
#   scripts/install-deps.sh            install what is missing
#   scripts/install-deps.sh --check    only report what is missing (exit 1 if any)
set -euo pipefail

# clang, libclang-rt-dev (libFuzzer and sanitizer runtimes, only recommended
# by clang) and llvm (llvm-symbolizer for stack traces) are for scripts/fuzz.sh.
# dpkg-dev, debhelper and postgresql-server-dev-all (pg_buildext's dh addon)
# build the Debian package (scripts/build-deb.sh); clang-format checks the
# formatting (scripts/check-format.sh).
PACKAGES=(
	build-essential g++ clang libclang-rt-dev llvm cmake make
	libgtest-dev libssl-dev libsodium-dev libpq-dev openssl
	postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-15-cron postgresql-15-pgaudit
	libipc-run-perl
	dpkg-dev debhelper postgresql-server-dev-all clang-format
)

die() { echo "install-deps: error: $*" >&2; exit 1; }

# Packages from PACKAGES that dpkg does not report as installed.
missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		case "$status" in
		ii*) ;;
		*) echo "$pkg" ;;
		esac
	done
}

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian/Ubuntu only"

mapfile -t missing < <(missing_packages)

if [[ ${1:-} == --check ]]; then
	if ((${#missing[@]})); then
		echo "install-deps: missing: ${missing[*]}"
		exit 1
	fi
	echo "install-deps: all ${#PACKAGES[@]} packages installed"
	exit 0
fi

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

[[ $(id -u) -eq 0 ]] || die "missing packages (${missing[*]}) and not running as root; run: sudo $0"

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/smpc-install-deps.XXXXXX.log)
trap 'rm -f "$log"' EXIT

echo "install-deps: installing ${missing[*]}"
if ! apt-get update -qq >"$log" 2>&1; then
	cat "$log" >&2
	die "apt-get update failed (see output above)"
fi
if ! apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" >"$log" 2>&1; then
	tail -n 60 "$log" >&2
	die "apt-get install ${missing[*]} failed (last lines of its output above)"
fi

mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]})); then
	die "still missing after apt-get install: ${still_missing[*]}"
fi
echo "install-deps: done"
