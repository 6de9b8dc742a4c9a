#!/usr/bin/env bash
# Run every NetVM test suite. Does all set-up itself (packages, hugepages,
# build) through scripts/setup.sh, so it works on a fresh Debian 12 machine.
#
#   scripts/test.sh                 all suites
#   scripts/test.sh unit functional only these suites
#   scripts/test.sh --repeat 20 fault
#                                   every test of the suites 20 times
#   scripts/test.sh --load fault    with one CPU kept busy by a spinning
#                                   process all along (flushes out timing
#                                   assumptions; --load=CPU picks the CPU,
#                                   default 0, where the core engine polls)
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

usage() {
	sed -n '/^#   scripts/,/^# Suites:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit "${1:-2}"
}

repeat=1
load_cpu=
suites=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--repeat) [[ $# -ge 2 ]] || usage; repeat=$2; shift 2 ;;
	--repeat=*) repeat=${1#--repeat=}; shift ;;
	--load) load_cpu=0; shift ;;
	--load=*) load_cpu=${1#--load=}; shift ;;
	-h|--help) usage 0 ;;
	-*) echo "test.sh: unknown option '$1'" >&2; usage ;;
	*) suites+=("$1"); shift ;;
	esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --repeat takes a count, not '$repeat'" >&2; exit 2; }
[[ -z $load_cpu || $load_cpu =~ ^[0-9]+$ ]] ||
	{ echo "test.sh: --load=CPU takes a CPU number, not '$load_cpu'" >&2; exit 2; }

scripts/setup.sh

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

spinner=
stop_spinner() {
	[[ -z $spinner ]] || kill "$spinner" 2>/dev/null || true
}
trap stop_spinner EXIT
if [[ -n $load_cpu ]]; then
	# A busy loop pinned to one CPU for as long as the tests run.
	taskset -c "$load_cpu" sh -c 'while :; do :; done' &
	spinner=$!
	echo "test.sh: loaded mode: a spinning process (pid $spinner) keeps CPU $load_cpu busy"
fi

status=0
meson test -C "$build" --print-errorlogs --num-processes 1 --repeat "$repeat" "${args[@]}" ||
	status=$?
stop_spinner

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
