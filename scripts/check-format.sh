#!/usr/bin/env bash
# Keep the C++ formatted by the build, not by review: every .cpp, .h and .hpp
# under src/, test/unit and test/fuzz must be as clang-format leaves it, with
# the nearest .clang-format above the file (clang-format's -style=file).
#
#   scripts/check-format.sh         list the files clang-format would change
#                                   and show what it would change (exit 1)
#   scripts/check-format.sh --fix   format them in place (`make format`)
#
# `make test` runs the check first (`make format-check`).
# SMPC_SKIP_FORMAT_CHECK=1 skips the check (not --fix).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIRS=(src test/unit test/fuzz)
SHOW_LINES=60

die() { echo "check-format: error: $*" >&2; exit 2; }

fix=0
case ${1:-} in
--fix) fix=1 ;;
'') ;;
*) die "usage: $0 [--fix]" ;;
esac

if ((!fix)) && [[ ${SMPC_SKIP_FORMAT_CHECK:-0} == 1 ]]; then
	echo "check-format: skipped (SMPC_SKIP_FORMAT_CHECK=1)"
	exit 0
fi
command -v clang-format >/dev/null || die "clang-format not found: run scripts/install-deps.sh"

cd "$ROOT"
existing=()
for d in "${DIRS[@]}"; do
	[[ -d $d ]] && existing+=("$d")
done
mapfile -t files < <(find "${existing[@]}" -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) | LC_ALL=C sort)
((${#files[@]})) || die "no C++ files under ${DIRS[*]}"

if ((fix)); then
	clang-format -i -style=file "${files[@]}"
	echo "check-format: formatted ${#files[@]} files with $(clang-format --version)"
	exit 0
fi

bad=()
for f in "${files[@]}"; do
	clang-format --dry-run --Werror -style=file "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]} == 0)); then
	echo "check-format: all ${#files[@]} files formatted ($(clang-format --version))"
	exit 0
fi

echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
printf '    %s\n' "${bad[@]}" >&2
echo "what clang-format would change in ${bad[0]} (first $SHOW_LINES lines of the diff):" >&2
clang-format -style=file "${bad[0]}" | diff -u "${bad[0]}" - | head -n "$SHOW_LINES" >&2 || true
echo "check-format: run 'make format' (scripts/check-format.sh --fix) and commit the result" >&2
exit 1
