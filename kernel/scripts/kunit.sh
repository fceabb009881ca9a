#!/bin/bash
# Run the series' KUnit suites in the x86_64 test kernel: the suites are
# built into it (kernel/config/series.config, off unless kunit.enable=1), so
# one boot with kunit.enable=1 under vm-run.sh runs them all, and the
# patched tree's kunit.py parses the KTAP the console printed. No kernel of
# its own is built: the W=1 x86_64 build the other steps use is reused.
#
# Usage: kernel/scripts/kunit.sh [--kernel IMAGE] [--timeout S]
#   --kernel IMAGE  boot this x86_64 image (default: build.sh --arch x86_64)
#   --timeout S     kill the VM after S seconds (default 600)
# The console log is $VSHMEM_CACHE/kernel/logs/kunit.log. Exits non-zero if
# a test failed or crashed, if a suite of kernel/.kunitconfig did not run,
# or if nothing ran.
#
# kernel/.kunitconfig names the same suites for upstream's own runner:
#   tools/testing/kunit/kunit.py run --arch=x86_64 --kunitconfig=<it>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# the series' suites: each must appear in the output
SUITES=(vsock_shmem_cmsg vsock_shmem_table vsock_shmem_wire dma_buf_lend_heap ffa_dma)
kernel= timeout_s=600
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?--kernel needs an image}; shift ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
	-h|--help) usage_from_header "$0"; exit 0 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
need python3
KUNITCONFIG=$KERNEL_DIR/.kunitconfig
[ -f "$KUNITCONFIG" ] || die "$KUNITCONFIG not found"
if [ -z "$kernel" ]; then
	kernel=$("$KERNEL_DIR/scripts/build.sh" --arch x86_64 | tee /dev/stderr | tail -n1)
fi
[ -f "$kernel" ] || die "kernel image $kernel not found"

# Every test option kunit.py users enable must be built into this kernel,
# or a suite would silently not run.
config=$(dirname "$kernel")/../../../.config
[ -f "$config" ] || die "no .config next to $kernel (expected $config)"
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y$' "$KUNITCONFIG" | grep -vxF -f "$config" || true)
[ -z "$missing" ] || die "$kernel lacks options of $KUNITCONFIG: $(paste -sd' ' <<<"$missing")"

t0=$(now)
mkdir -p "$KCACHE/logs"
log=$KCACHE/logs/kunit.log
step "running the KUnit suites at boot (kunit.enable=1)..."
rc=0
# --allow-splats: a case that checks a refusal may hit a WARN of the code it
# calls (dma_buf_vmap() warns once when an exporter refuses a vmap); a test
# that really crashes is reported by kunit.py as CRASHED, and fails here.
"$KERNEL_DIR/scripts/vm-run.sh" --kernel "$kernel" --timeout "$timeout_s" --quiet --allow-splats \
	--append "kunit.enable=1 loglevel=7" --log "$log" -- true 2> "$log.err" || rc=$?
[ "$rc" = 0 ] || cat "$log.err" >&2
nwarn=$(grep -c 'WARNING:' "$log" || true)
[ "$nwarn" = 0 ] || info "$nwarn kernel WARNING(s) printed during the tests (see $log)"

# kunit.py prints one line per test and a "Testing complete." summary.
ensure_prepared >/dev/null
parsed=$KCACHE/logs/kunit-parsed.log
(cd "$PATCHED_DIR" && python3 tools/testing/kunit/kunit.py parse "$log") > "$parsed" 2>&1 || rc=1
sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete|=====' | tail -n 80 || true
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$parsed" | grep -E 'Testing complete\.' | tail -n1 || true)
[ -n "$summary" ] || { tail -n 30 "$log" >&2; die "no KTAP output found (console log: $log)"; }

# A suite missing from the output is a failure too (e.g. its init failed).
absent=()
for s in "${SUITES[@]}"; do
	grep -qE "# Subtest: $s\$" "$log" || absent+=("$s")
done

total=$(sed -nE 's/.*Ran ([0-9]+) tests.*/\1/p' <<<"$summary")
passed=$(sed -nE 's/.*passed: ([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*failed: ([0-9]+).*/\1/p' <<<"$summary")
crashed=$(sed -nE 's/.*crashed: ([0-9]+).*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*skipped: ([0-9]+).*/\1/p' <<<"$summary")
echo "kunit: ${passed:-0} passed, $(( ${failed:-0} + ${crashed:-0} )) failed, ${skipped:-0} skipped (of ${total:-0}; $(elapsed "$t0"))"
[ "${#absent[@]}" = 0 ] || die "suite(s) did not run: ${absent[*]} (console log: $log)"
if [ "$rc" != 0 ] || [ "${failed:-0}" != 0 ] || [ "${crashed:-0}" != 0 ] || [ "${total:-0}" = 0 ]; then
	die "KUnit failed (console log: $log, parsed: $parsed)"
fi
step "KUnit passed in $(elapsed "$t0")"
