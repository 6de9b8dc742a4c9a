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
#                                   default 0, where the core engine polls;
#                                   one this process may not run on is
#                                   refused)
#
# Suites: unit (cmocka), functional (core + NFs over net_pcap), ops (scaling,
# the DoS response, live changes, flow placement, NFs provisioned into idle
# VMs), netns (real
# kernel traffic through veth pairs), fault (killed NFs, garbage from NFs,
# bad configs), vm (QEMU guests under TCG), manager (netvm-manager and
# netvmctl with the QEMU and libvirt launchers, a VM booted from a disk
# image), migrate (netvmctl vm migrate: live migration of an NF VM under
# traffic, and its refusal on stock QEMU); for these three and ops
# scripts/build-guest.sh builds the guest image and its disk image first,
# and for migrate and ops (idle_reuse) scripts/build-qemu.sh builds the patched QEMU (6 to 15
# minutes the first time, cached after; docs/qemu-patches.md); bench-smoke
# (every benchmark suite on a tiny budget: outputs well-formed, no speed
# thresholds); sanitize (unit, functional and
# fault again on an AddressSanitizer + UndefinedBehaviorSanitizer build:
# scripts/sanitize.sh); fuzz (every libFuzzer target for
# NETVM_FUZZ_SECONDS, default 10, after its corpus: scripts/fuzz.sh; a value
# that is not whole seconds is refused before anything runs).
# sanitize and fuzz, having builds of their own, run before the others.
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
# fuzz.sh would take a value that is no number for a target's name, after
# the whole set-up
[[ ${NETVM_FUZZ_SECONDS:-10} =~ ^[0-9]+$ ]] || {
	echo "test.sh: NETVM_FUZZ_SECONDS=$NETVM_FUZZ_SECONDS: whole seconds per fuzz target" \
		"(0: the corpus only)" >&2
	exit 2
}
# a CPU this process may not run on would leave the spinner dead at once and
# the tests unloaded, while they are said to run loaded
if [[ -n $load_cpu ]] && ! taskset -c "$load_cpu" true 2>/dev/null; then
	echo "test.sh: --load=$load_cpu: CPU $load_cpu is not one this process may run on" \
		"(CPUs: $(taskset -cp $$ | sed 's/.*: //'))" >&2
	exit 2
fi

# every suite there is (soak is run on its own: scripts/soak.sh); a name
# none of them has is refused now, not after the set-up. The build's own
# list is checked again below.
all_suites="unit functional ops netns fault vm manager migrate bench-smoke soak sanitize fuzz"
for s in "${suites[@]}"; do
	[[ " $all_suites " == *" $s "* ]] ||
		{ echo "test.sh: unknown suite '$s' (suites: $all_suites)" >&2; exit 2; }
done

scripts/setup.sh

[[ ${#suites[@]} -gt 0 ]] ||
	suites=(unit functional ops netns fault vm manager migrate bench-smoke sanitize fuzz)
# meson runs a suite it does not know as nothing, and passes
known=$(meson introspect --tests "$build" |
	python3 -c 'import json, sys; print(" ".join(sorted({s.split(":")[-1]
		for t in json.load(sys.stdin) for s in t["suite"]})))')
for s in "${suites[@]}"; do
	[[ " $known sanitize fuzz " == *" $s "* ]] ||
		{ echo "test.sh: unknown suite '$s' (suites: $known sanitize fuzz)" >&2; exit 2; }
done
args=()
need_guest=0
need_qemu=0
extra=()
for s in "${suites[@]}"; do
	# sanitize and fuzz are scripts of their own, with their own builds
	if [[ $s == sanitize || $s == fuzz ]]; then
		extra+=("$s")
		continue
	fi
	args+=(--suite "$s")
	# The vm, manager, ops and migrate suites boot a guest image: Debian's
	# kernel, busybox, the driver; the manager suite also its disk image
	# (disk.img); ops provisions NFs into idle VMs; the migrate suite and
	# ops' idle_reuse also need the patched QEMU.
	[[ $s != vm && $s != manager && $s != ops && $s != migrate ]] || need_guest=1
	[[ $s != migrate && $s != ops ]] || need_qemu=1
done
[[ $need_guest == 0 ]] || scripts/build-guest.sh
[[ $need_qemu == 0 ]] || scripts/build-qemu.sh

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
extra_passed=0
extra_failed=0
for s in "${extra[@]}"; do
	for ((i = 0; i < repeat; i++)); do
		if [[ $s == sanitize ]]; then
			rc=0
			scripts/sanitize.sh || rc=$?
		else
			rc=0
			scripts/fuzz.sh "${NETVM_FUZZ_SECONDS:-10}" || rc=$?
		fi
		if [[ $rc == 0 ]]; then
			extra_passed=$((extra_passed + 1))
		else
			extra_failed=$((extra_failed + 1))
			status=1
		fi
	done
done
rm -f "$build/meson-logs/testlog.json"
if [[ ${#args[@]} -gt 0 ]]; then
	meson test -C "$build" --print-errorlogs --num-processes 1 --repeat "$repeat" \
		"${args[@]}" || status=$?
else
	: >"$build/meson-logs/testlog.json"
fi
stop_spinner

# One closing line any CI can read.
if python3 - "$build/meson-logs/testlog.json" "$extra_passed" "$extra_failed" <<'PY'
import json, sys
# sanitize and fuzz runs count as one test each
passed, failed, skipped = int(sys.argv[2]), int(sys.argv[3]), 0
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
