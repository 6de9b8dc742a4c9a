#!/usr/bin/env bash
# Run every NetVM test suite. Does all set-up itself (packages, hugepages,
# build) through scripts/setup.sh, so it works on a fresh Debian 12 machine.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh unit functional only these suites
#
# Suites: unit (cmocka), functional (core + NFs over net_pcap), netns (real
# kernel traffic through veth pairs), fault (killed NFs, garbage from NFs,
# bad configs), vm (QEMU guests under TCG), manager (netvm-manager and
# netvmctl with the QEMU and libvirt launchers, a VM booted from a disk
# image); for the last two scripts/build-guest.sh builds the guest image and
# its disk image first; bench-smoke (every benchmark suite on a tiny budget:
# outputs well-formed, no speed thresholds).
# Needs root (hugepages, namespaces, libvirtd).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${NETVM_BUILD:-build}

scripts/setup.sh

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(unit functional netns fault vm manager bench-smoke)
args=()
need_guest=0
for s in "${suites[@]}"; do
	args+=(--suite "$s")
	# The vm and manager suites boot a guest image: Debian's kernel, busybox,
	# the driver; the manager suite also its disk image (disk.img).
	[[ $s != vm && $s != manager ]] || need_guest=1
done
[[ $need_guest == 0 ]] || scripts/build-guest.sh

status=0
meson test -C "$build" --print-errorlogs --num-processes 1 "${args[@]}" || status=$?

# One closing line any CI can read.
if python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)["result"]
        if r == "OK" or r == "EXPECTEDFAIL":
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
# A skipped test here means missing set-up, which this script does itself.
sys.exit(1 if skipped else 0)
PY
then :; else
	echo "test.sh: some tests skipped: their set-up is missing (see the log above)" >&2
	status=1
fi
exit $status
