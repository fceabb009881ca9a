#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The exported dynamic symbols of libvshmem.so must equal the version
# script's global list: a forgotten or accidental export fails.
set -euo pipefail
lib=$1 map=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {sub(/@.*/, "", $3); print $3}' | sort)
listed=$(sed -n '/global:/,/local:/p' "$map" | grep -Eo '^[[:space:]]*vshmem_[a-z0-9_]+;' | tr -d ' \t;' | sort)
if [ "$exported" != "$listed" ]; then
	echo "exported symbols differ from $map:"
	diff <(echo "$listed") <(echo "$exported") || true
	exit 1
fi
echo "ok: $(echo "$exported" | wc -l) symbols exported, all listed in $(basename "$map")"
