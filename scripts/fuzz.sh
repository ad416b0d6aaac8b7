#!/usr/bin/env bash
# Build the libFuzzer targets of test/fuzz (clang, ASan, UBSan) and run each
# for a bounded time. `make test` runs it for 15 s per target, `make fuzz`
# for longer.
#
#   scripts/fuzz.sh [SECONDS]    seconds per target (default 15)
#
# Each target starts from a temporary copy of its committed seed corpus
# (test/fuzz/corpus/<name>), which is never written to. Crash reproducers go
# to a temporary directory whose path is printed; it is removed when every
# target passes, kept otherwise. Reproduce a crash with
#   build-fuzz/smpc_fuzz_<target> <reproducer file>
#
# Environment:
#   SMPC_FUZZ_BUILD_DIR   build directory (default: build-fuzz)
#   SMPC_FUZZ_TARGETS     targets to run (default: "message_decode share_parse")
#   SMPC_FUZZ_KEEP=1      keep the temporary directory even when all passed
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-15}
BUILD=${SMPC_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
TARGETS=${SMPC_FUZZ_TARGETS:-message_decode share_parse}

say() { printf 'fuzz: %s\n' "$*"; }
die() { echo "fuzz: error: $*" >&2; exit 2; }

[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer, got '$DURATION'"
command -v clang++ >/dev/null || die "clang++ not found: run scripts/install-deps.sh (package clang)"
command -v cmake >/dev/null || die "cmake not found: run scripts/install-deps.sh"

# Per target: committed corpus directory, -max_len, dictionary.
target_corpus() {
	case $1 in
	message_decode) echo "$ROOT/test/fuzz/corpus/message" ;;
	share_parse) echo "$ROOT/test/fuzz/corpus/share" ;;
	*) die "unknown target '$1' (known: message_decode share_parse)" ;;
	esac
}
target_max_len() {
	case $1 in
	message_decode) echo 4096 ;;
	share_parse) echo 256 ;;
	esac
}
target_dict() {
	case $1 in
	message_decode) echo "$ROOT/test/fuzz/message.dict" ;;
	share_parse) echo "$ROOT/test/fuzz/share.dict" ;;
	esac
}

WORK=$(mktemp -d /tmp/smpc-fuzz.XXXXXX)
say "work directory (crash reproducers, logs): $WORK"

# Build (incrementally) the fuzzers.
build_log=$WORK/build.log
configure=(cmake -S "$ROOT" -B "$BUILD" -DSMPC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ ! -f $BUILD/CMakeCache.txt ]]; then
	configure+=(-DCMAKE_CXX_COMPILER=clang++)
fi
build=(cmake --build "$BUILD" -j "$(nproc)" --target)
for t in $TARGETS; do
	target_corpus "$t" >/dev/null
	build+=("smpc_fuzz_$t")
done
say "building fuzzers in $BUILD"
if ! { "${configure[@]}" && "${build[@]}"; } >"$build_log" 2>&1; then
	tail -n 40 "$build_log" >&2
	say "FAIL: the fuzzers do not build (last lines of $build_log above)"
	exit 1
fi
# The build directory ignores itself, so it never shows up in git status.
[[ -f $BUILD/.gitignore ]] || echo '*' >"$BUILD/.gitignore"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
for t in $TARGETS; do
	dir=$WORK/$t
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp -- "$(target_corpus "$t")"/* "$dir/corpus/"
	log=$dir/fuzz.log
	say "running $t for ${DURATION}s"
	rc=0
	"$BUILD/smpc_fuzz_$t" \
		-max_total_time="$DURATION" -max_len="$(target_max_len "$t")" \
		-dict="$(target_dict "$t")" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/corpus" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
	units=$(find "$dir/corpus" -type f | wc -l)
	if ((rc == 0)); then
		say "$t: PASS, ${runs:-?} runs, ${cov:-cov: ?}, corpus $units inputs"
	else
		failed+=("$t")
		tail -n 60 "$log" >&2
		say "$t: FAIL (exit $rc); log $log"
		for a in "$dir"/artifacts/*; do
			[[ -e $a ]] || continue
			say "  reproducer: $a"
			say "  reproduce:  $BUILD/smpc_fuzz_$t $a"
		done
	fi
done

if ((${#failed[@]})); then
	say "FAIL: ${failed[*]} (work directory kept: $WORK)"
	exit 1
fi
if [[ ${SMPC_FUZZ_KEEP:-0} == 1 ]]; then
	say "PASS: $TARGETS, ${DURATION}s each (work directory kept: $WORK)"
else
	rm -rf -- "$WORK"
	say "PASS: $TARGETS, ${DURATION}s each"
fi
