#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Write the ABI description of a built libvshmem.so to stdout, leaving out
# everything that depends on where or when it was built (paths, source
# locations), so the baseline is reproducible from the same source.
#   abi/abidw.sh BUILD/lib/libvshmem.so > abi/libvshmem.abi
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The translation units are named by their path relative to the build
# directory (e.g. ../../src/lib/heap.c): keep only the part from lib/ on.
abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
	--drop-private-types --headers-dir "$root/include/libvshmem" \
	--out-file /dev/stdout "$1" |
	sed -E "s|path='[^']*/(lib/[^'/]+)'|path='\1'|"
