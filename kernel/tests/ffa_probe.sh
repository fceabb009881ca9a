#!/bin/sh
# Guest check (run by kernel/scripts/vm-run-ffa.sh --script): Linux's arm_ffa
# driver negotiated FF-A with the SPMC and found OP-TEE as partition 0x8001,
# and the OP-TEE driver is bound to it (/dev/tee0, over the FF-A ABI).
# Exit 0 if all is found, 1 otherwise; prints the FF-A lines of the kernel log.
log=$(dmesg)
echo "--- FF-A lines of the kernel log:"
echo "$log" | grep -Ei 'FF-A|ffa|optee' || echo "(none)"
rc=0
check() { # description, extended regex
	if echo "$log" | grep -Eq "$2"; then
		echo "ok: $1"
	else
		echo "FAIL: $1 (no line matching '$2')"
		rc=1
	fi
}
check "arm_ffa driver version" 'ARM FF-A: Driver version [0-9]+\.[0-9]+'
check "SPMC firmware version" 'ARM FF-A: Firmware version [0-9]+\.[0-9]+ found'
devs=$(ls /sys/bus/arm_ffa/devices 2>/dev/null)
echo "--- /sys/bus/arm_ffa/devices: ${devs:-(none)}"
found=0
for d in /sys/bus/arm_ffa/devices/*; do
	[ -e "$d/partition_id" ] || continue
	id=$(cat "$d/partition_id")
	uuid=$(cat "$d/uuid" 2>/dev/null)
	echo "partition $id uuid $uuid"
	case "$id" in 0x8001|32769) found=1 ;; esac
done
if [ "$found" = 1 ]; then
	echo "ok: OP-TEE partition 0x8001 on the arm_ffa bus"
else
	echo "FAIL: no partition 0x8001 on the arm_ffa bus"
	rc=1
fi
check "OP-TEE driver over FF-A" 'optee: initialized driver'
if [ -c /dev/tee0 ]; then
	echo "ok: /dev/tee0"
else
	echo "FAIL: no /dev/tee0"
	rc=1
fi
exit $rc
