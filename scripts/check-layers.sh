#!/usr/bin/env bash
# Checks the layers of the PostgreSQL glue (src/pg/README.md): every
# #include "net/..." or "pg/..." in src/net and src/pg must name a header of
# the file's own layer or of one below it, and each folder has one header,
# named after the folder. The Makefile runs this before it compiles a file of
# the glue, so an include that points up fails the build.
#
# Usage: scripts/check-layers.sh [ROOT]   (ROOT: the tree to check, default
# the repository; the unit tests give it a tree with an include that points up)
set -euo pipefail

ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# The layers, bottom up. Keep in step with the Makefile and src/pg/README.md.
LAYERS=(pg/common net pg/audit pg/messaging pg/policy pg/jobs pg/aggregates pg/datasets pg)

# The layer (index into LAYERS) a path under src/ belongs to, or -1.
layer_of() {
	local path=$1 i
	for ((i = 0; i < ${#LAYERS[@]}; i++)); do
		if [[ ${LAYERS[i]} == pg ]]; then
			# src/pg/module.cpp: the top, which installs every layer
			[[ $path == pg/* && $path != pg/*/* ]] && { echo "$i"; return; }
		elif [[ $path == "${LAYERS[i]}"/* ]]; then
			echo "$i"
			return
		fi
	done
	echo -1
}

fail=0
while IFS= read -r file; do
	rel=${file#"$ROOT"/src/}
	own=$(layer_of "$rel")
	if ((own < 0)); then
		echo "check-layers: $file is in no layer: add its folder to LAYERS in scripts/check-layers.sh" >&2
		fail=1
		continue
	fi
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"((pg|net)/[^\"]+)\" ]] || continue
		target=${BASH_REMATCH[1]}
		theirs=$(layer_of "$target")
		if ((theirs < 0)); then
			echo "check-layers: $file: $line: no such layer" >&2
			fail=1
		elif ((theirs > own)); then
			echo "check-layers: $file: $line: ${LAYERS[own]} may not include ${LAYERS[theirs]}, a layer above it (src/pg/README.md)" >&2
			fail=1
		fi
	done <"$file"
done < <(find "$ROOT/src/net" "$ROOT/src/pg" -type f \( -name '*.cpp' -o -name '*.h' \) | sort)

# One header per folder, named after it.
for dir in "$ROOT"/src/pg/*/ "$ROOT/src/net/"; do
	name=$(basename "$dir")
	[[ $name == net ]] && want=peer.h || want=$name.h
	headers=$(cd "$dir" && ls -- *.h 2>/dev/null | tr '\n' ' ' || true)
	if [[ $headers != "$want " ]]; then
		echo "check-layers: ${dir%/} has headers '${headers% }', want exactly $want" >&2
		fail=1
	fi
done
if [[ -n $(find "$ROOT/src/pg" -maxdepth 1 -name '*.h') ]]; then
	echo "check-layers: src/pg holds a header of its own; headers belong to one folder" >&2
	fail=1
fi

if ((fail)); then
	echo "check-layers: the glue's includes must point down: ${LAYERS[*]} (bottom up)" >&2
	exit 1
fi
