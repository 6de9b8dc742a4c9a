#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench.sh — NetVM benchmark suites (docs/benchmarks.md).
#
# Usage: scripts/bench.sh SUITE      (no SUITE: peers, as before)
#   rate     forwarded vs offered rate, netvm-pktgen <-> memif <-> core + l3fwd,
#            and a zero-loss rate by binary search (RFC 2544-style, not compliant)
#   size     forwarding rate by frame size, 64..9000 (jumbo pool)
#   chain    chains of 1..N bridge NFs (NETVM_BENCH_CHAIN_MAX, default 3)
#   latency  p50/p99/p99.9 latency by offered load
#   cycles   per-stage cycles per packet from the core's counters
#   peers    64 B round trip: NetVM against testpmd io, net_ring, memif;
#            interleaved rounds, the host's load witnessed between them
#   firewall 64 B rate of core + firewall (10/1000/10000 rules, 1/64K flows)
#            against core + bridge in the same run (not part of 'all')
#   click    64 B rate of core + the Click IP router (configs/click-router.click)
#            against core + l3fwd (LPM, the same routes) in the same run, and
#            each Click element's cycles per packet (not part of 'all')
#   fib      a 200 000-route table: load time, one route added/deleted, lookups,
#            against rte_lpm, then IPv6 against rte_lpm6 (tests/bench/bench-fib;
#            not part of 'all')
#   dos      the DoS response (tests/ops/dos.py, and dos_idle.py with the filter in
#            an idle VM when the guest image is built) per trial: attack start to
#            mitigation and legitimate packets lost; median, min, max (not
#            part of 'all')
#   scale    how cost grows: rate and cycles per packet against 1..100 000 rules,
#            1..100 000 flows (1M with the generator), 1..16 instances, chains of
#            1..8, 10..1M l3fwd routes, 64..9000 B, each against its first point;
#            the core alone on a replayed pcap (not part of 'all')
#   profile  perf record (cpu-clock) of netvm-core in the peers netvm setup:
#            the top functions per stage (not part of 'all')
#   instr    instructions per packet of netvm-core's datapath under callgrind
#            (drop, bridge round trip; testpmd-io, the ports' floor without
#            NetVM): exact, whatever the load (not in 'all')
#   provision  decision to first forwarded packet of an NF started by a VM's cold
#            boot, by a restore from a template + provisioning, and by provisioning
#            into an idle VM (scripts/lib/provision_bench.py; needs the guest image
#            of scripts/build-guest.sh; not part of 'all')
#   all      every suite, then report.md (paper figures and link limits beside)
# Environment:
#   NETVM_BENCH_TRIALS=K       trials per point (default 3)
#   NETVM_BENCH_SECONDS=S      seconds per trial (default 2; peers, profile: 5, peers
#                              at least 2; instr: 20)
#   NETVM_BENCH_WARMUP=W       peers: seconds of forwarding before each trial's
#                              window (default 2)
#   NETVM_BENCH_POINTS=N       points per sweep (default: all of them)
#   NETVM_BENCH_SEARCH_STEPS=N zero-loss search steps (default 6)
#   NETVM_BENCH_LOSS_TOL=R     loss ratio the zero-loss search accepts (default 0)
#   NETVM_BENCH_CHAIN_MAX=N    longest chain (default 3)
#   NETVM_BENCH_NF_SLEEP_US=U  NFs block on the doorbell after U us idle (default 0: never)
#   NETVM_BENCH_CASES="C ..."  setups of 'peers'; of 'instr': drop bridge
#                              bridge-unread bridge-udp bridge-flows bridge-flows-2
#                              testpmd-io
#   NETVM_BENCH_TESTPMD_BURST=N peers: burst of every testpmd (default 64, the core's)
#   NETVM_BENCH_SCALE="S ..."  sweeps of 'scale' (default: rules flows instances
#                              chain routes size)
#   NETVM_BENCH_SCALE_MAX=N    'scale': largest rule, flow and route count (default: all)
#   NETVM_BENCH_SCALE_SOURCE=S 'scale': traffic of the sweeps: pcap (default: a
#                              pcap replayed into the core alone) or pktgen
#                              (the generator)
#   NETVM_BENCH_PKTGEN_CPU=C   CPU of the generator (default 1, beside the NFs)
#   NETVM_BENCH_OUT=DIR        results parent directory (default bench-results)
#   NETVM_BUILD=DIR            NetVM build directory (default build)
#   NETVM_BUILD_B=DIR          peers: a second build, setup netvm-b (A/B in one run)
#   NETVM_BENCH_PLACEMENT=P    peers: core.placement of the netvm setups, load or hash
#                              (default: the core's, load)
# Output: bench-results/<timestamp>/<suite>/ holds <suite>.json, <suite>.md,
# PNG plots and the logs; 'all' adds report.md. Needs root, hugepages and
# gnuplot (scripts/setup.sh).
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIB="$TREE/scripts/lib"
SUITES="peers rate size chain latency cycles"

die() {
	echo "bench: error: $*" >&2
	exit 1
}

abspath() {
	case "$1" in
	/*) echo "$1" ;;
	*) echo "$TREE/$1" ;;
	esac
}

suite=${1:-peers}
case "$suite" in
-h|--help)
	sed -n '/^# bench.sh/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
all|peers|rate|size|chain|latency|cycles|firewall|click|fib|dos|provision|scale|profile|instr) ;;
*) die "unknown suite '$suite' (all $SUITES firewall click fib dos provision scale profile instr; --help)" ;;
esac
[ $# -le 1 ] || die "one suite at a time (settings are environment variables, see --help)"
[ "$(id -u)" -eq 0 ] || die "run as root (DPDK needs hugepages and physical addresses)"
command -v gnuplot >/dev/null || die "gnuplot not found: run scripts/setup.sh"
export NETVM_BUILD
NETVM_BUILD=$(abspath "${NETVM_BUILD:-build}")
OUT=$(abspath "${NETVM_BENCH_OUT:-bench-results}")/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

# run_suite NAME: one suite into $OUT/NAME; its exit status.
run_suite() {
	local dir="$OUT/$1"
	mkdir -p "$dir"
	if [ "$1" = fib ]; then
		"$NETVM_BUILD/tests/bench/bench-fib" -t "${NETVM_BENCH_TRIALS:-3}" \
			>"$dir/fib.txt" 2>"$dir/fib.log" && cat "$dir/fib.txt"
	elif [ "$1" = dos ]; then
		python3 "$LIB/bench_dos.py" "$dir"
	elif [ "$1" = scale ]; then
		(cd "$LIB" && python3 bench_scale.py "$dir")
	elif [ "$1" = profile ] || [ "$1" = instr ]; then
		(cd "$LIB" && python3 "bench_$1.py" "$dir")
	elif [ "$1" = provision ]; then
		NETVM_BENCH_DIR=$dir /usr/bin/python3 "$LIB/provision_bench.py" \
			--build-dir "$NETVM_BUILD" >"$dir/provision.log" 2>&1 &&
			cat "$dir/provision.md" || { tail -30 "$dir/provision.log" >&2; false; }
	elif [ "$1" = peers ]; then
		NETVM_BENCH_DIR=$dir "$LIB/bench_peers.sh" &&
			python3 "$LIB/bench_page.py" peers "$dir"
	else
		(cd "$LIB" && python3 bench_suites.py "$1" "$dir")
	fi
}

rc=0
if [ "$suite" = all ]; then
	for s in $SUITES; do
		run_suite "$s" || { echo "bench: suite $s failed" >&2; rc=1; }
	done
	python3 "$LIB/bench_page.py" all "$OUT"
	echo "bench: report in $OUT/report.md"
else
	run_suite "$suite" || rc=1
fi
exit $rc
