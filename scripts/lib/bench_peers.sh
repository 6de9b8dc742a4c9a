#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_peers.sh — suite 'peers' of scripts/bench.sh: 64-byte round-trip
# packet rates, NetVM against DPDK-only setups.
#
# Setups (docs/benchmarks.md draws them); CPU 0 plays the switch, CPU 1 the NF:
#   testpmd-io  dpdk-testpmd io forwarding between two net_null ports on one
#               forwarding core (CPU 0): the no-NF limit
#   ring        one dpdk-testpmd, lcore A (CPU 0): net_null -> net_ring0,
#               lcore B (CPU 1): net_ring0 -> net_ring1, lcore A: net_ring1 ->
#               net_null; every packet crosses between the CPUs twice
#   memif       switch testpmd (CPU 0): net_null <-> net_memif server; NF
#               testpmd (CPU 1): memif client, zero-copy, sends all back
#   memif-copy  as memif, without zero-copy (the client copies every packet)
#   memif-macswap  as memif, the NF testpmd forwarding with "macswap"
#   vhost       switch testpmd (CPU 0): net_null <-> net_vhost (vhost-user
#               server); NF testpmd (CPU 1): virtio_user, sends all back
#   netvm       netvm-core on CPU 0 (--single-lcore) with two net_null ports,
#               netvm-bridge (role 1, port 0 <-> port 1) on CPU 1
#   netvm-macswap  as netvm with netvm-macswap (the bridge, swapping MACs)
#   netvm-unread, netvm-macswap-unread  as netvm and netvm-macswap with
#               core.rx_parse = "when_needed": the core hands frames on
#               without reading them
#   netvm-b     as netvm with the core and bridge of NETVM_BUILD_B: two builds
#               A/B in one run (only when NETVM_BUILD_B is set)
#   netvm-macswap-b  as netvm-macswap with NETVM_BUILD_B's binaries
#   netvm-unread-b, netvm-macswap-unread-b  as netvm-unread and
#               netvm-macswap-unread with NETVM_BUILD_B's binaries
# Rate = packets/s sent on the sink port(s) of the path, i.e. packets that
# made the whole round trip. Trials are interleaved: round t runs trial t of
# every setup, in an order that changes from round to round (a Williams
# design: over the rounds each setup follows each other one alike). Every
# trial forwards for a warm-up period before its measured window. The
# cache-line round trip and the load average (the witness of the host's load)
# are taken before the first round, after each round; a trial gets the
# witness nearest to it. The table shows each setup's median, min-max and
# spread, which trials the host disturbed, then netvm's rate over each other
# setup's (and netvm-macswap's over memif-macswap's), as the ratio of the
# medians and round by round.
#
# Usage: scripts/bench.sh peers (or this script with NETVM_BENCH_DIR set)
# Environment:
#   NETVM_BENCH_TRIALS=K     trials per setup = rounds (default 3)
#   NETVM_BENCH_SECONDS=S    measured seconds per trial (default 5)
#   NETVM_BENCH_WARMUP=W     seconds of forwarding before each measured
#                            window (default 2)
#   NETVM_BENCH_CASES=LIST   setups to run (default: all, "testpmd-io ring
#                            memif memif-copy memif-macswap vhost netvm
#                            netvm-macswap netvm-unread netvm-macswap-unread")
#   NETVM_BENCH_OUT=DIR      results parent directory (default bench-results)
#   NETVM_BENCH_DIR=DIR      exact results directory (bench.sh sets it)
#   NETVM_BUILD=DIR          NetVM build directory (default build)
#   NETVM_BUILD_B=DIR        a second build (setup netvm-b; the report gives
#                            netvm ÷ netvm-b round by round)
#   NETVM_BENCH_PLACEMENT=P  core.placement of the netvm setups ("load", the
#                            core's default, or "hash": no flow table)
# Output: the table on stdout; raw logs, per-trial JSON and summary.json in
# <results parent>/<timestamp>/. Needs root and hugepages (scripts/setup.sh).
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIB="$TREE/scripts/lib"
# shellcheck source-path=SCRIPTDIR source=bench_common.sh
. "$LIB/bench_common.sh"
# shellcheck source-path=SCRIPTDIR source=testpmd_ctl.sh
. "$LIB/testpmd_ctl.sh"

TRIALS=${NETVM_BENCH_TRIALS:-3}
SECS=${NETVM_BENCH_SECONDS:-5}
WARMUP=${NETVM_BENCH_WARMUP:-2}
ALL_CASES="testpmd-io ring memif memif-copy memif-macswap vhost netvm netvm-macswap"
ALL_CASES="$ALL_CASES netvm-unread netvm-macswap-unread"
BUILD=$(bench_abspath "${NETVM_BUILD:-build}")
BUILD_B=${NETVM_BUILD_B:+$(bench_abspath "$NETVM_BUILD_B")}
PLACEMENT=${NETVM_BENCH_PLACEMENT:-}
case "$PLACEMENT" in
""|load|hash) ;;
*) bench_die "NETVM_BENCH_PLACEMENT: '$PLACEMENT' is not load or hash" ;;
esac
PLACE_CONF=${PLACEMENT:+ placement = \"$PLACEMENT\";}
[ -n "$BUILD_B" ] && ALL_CASES="$ALL_CASES netvm-b netvm-macswap-b netvm-unread-b netvm-macswap-unread-b"
CASES=${NETVM_BENCH_CASES:-$ALL_CASES}
OUT=${NETVM_BENCH_DIR:-$(bench_abspath "${NETVM_BENCH_OUT:-bench-results}")/$(date +%Y%m%d-%H%M%S)}
SW_CPU=0 # the switch side: testpmd forwarding core, netvm-core
NF_CPU=1 # the NF side
CORE_BIN="$BUILD/core/netvm-core"
BRIDGE_BIN="$BUILD/apps/bridge/netvm-bridge"
MACSWAP_BIN="$BUILD/apps/macswap/netvm-macswap"

bench_check_args "$@"
for case in $CASES; do
	case "$case" in
	testpmd-io|ring|memif|memif-copy|memif-macswap|vhost|netvm|netvm-macswap) ;;
	netvm-unread|netvm-macswap-unread) ;;
	netvm-b|netvm-macswap-b|netvm-unread-b|netvm-macswap-unread-b)
		[ -n "$BUILD_B" ] || bench_die "setup $case needs NETVM_BUILD_B (a second build)" ;;
	*) bench_die "unknown setup '$case' in NETVM_BENCH_CASES ($ALL_CASES)" ;;
	esac
done
bench_check_machine
mkdir -p "$OUT"
RUN=$(mktemp -d -t netvm-bench.XXXXXX)
PFX="nvb$$-" # DPDK file prefix stem: every process of this run starts with it
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

printf '{"date": "%s", "trials": %d, "seconds": %d, "warmup_seconds": %d}\n' \
	"$(date +%Y-%m-%dT%H:%M:%S%z)" "$TRIALS" "$SECS" "$WARMUP" >"$OUT/run.json"

# report CASE TRIAL ARGS...: turn a trial's logs into CASE.TRIAL.trial.json
# and print its rate.
report() {
	local case=$1 trial=$2
	shift 2
	python3 "$LIB/bench_report.py" "$@" --case "$case" --trial "$trial" \
		--out "$OUT/$case.$trial.trial.json"
}

run_testpmd_io() {
	local t=$1
	local log="$OUT/testpmd-io.$t.log"
	tp_start io "$log" -l "$SW_CPU,$NF_CPU" --main-lcore "$NF_CPU" \
		--file-prefix "${PFX}io" --vdev net_null0 --vdev net_null1 -- \
		--nb-cores=1
	TP_AFFINITY="$OUT/testpmd-io.$t.affinity" tp_trial io io || true
	report testpmd-io "$t" testpmd --log "$log" --sink 0,1 --cycles "fwd=$log" \
		--affinity "$OUT/testpmd-io.$t.affinity"
}

run_ring() {
	local t=$1
	local log="$OUT/ring.$t.log"
	# Ports: 0 net_null, 1 net_ring0, 2 net_ring1 (a net_ring port gives back
	# on RX what it was sent). Chained over the order 1,2,0 the streams are
	# 1->2, 2->0, 0->1; the first forwarding lcore (B) gets the first one.
	tp_start ring "$log" --lcores "0@$NF_CPU,1@$NF_CPU,2@$SW_CPU" \
		--main-lcore 0 --file-prefix "${PFX}ring" \
		--vdev net_null0 --vdev net_ring0 --vdev net_ring1 -- \
		--nb-cores=2 --port-topology=chained --portlist=1,2,0
	TP_AFFINITY="$OUT/ring.$t.affinity" tp_trial ring ring || true
	report ring "$t" testpmd --log "$log" --sink 0 --cycles "all=$log" \
		--affinity "$OUT/ring.$t.affinity"
}

# run_pair CASE TRIAL FWD SWITCH-VDEV NF-VDEV: switch testpmd (CPU 0) with
# net_null and SWITCH-VDEV, whose socket the NF testpmd (CPU 1) joins with
# NF-VDEV, forwarding everything back in mode FWD. SOCK in the vdev
# arguments stands for the socket's path.
run_pair() {
	local case=$1 t=$2 fwd=$3
	local sw="$OUT/$case.$t.switch.log" nf="$OUT/$case.$t.nf.log"
	local sock="$RUN/$case.sock"
	local sw_vdev=${4//SOCK/$sock} nf_vdev=${5//SOCK/$sock}
	rm -f "$sock"
	tp_start sw "$sw" -l "$SW_CPU,$NF_CPU" --main-lcore "$NF_CPU" \
		--file-prefix "${PFX}sw" --vdev net_null0 --vdev "$sw_vdev" -- \
		--nb-cores=1
	# The NF fails to probe until the switch's socket exists.
	if tp_wait_prompt sw 0; then
		TP_FWD=$fwd tp_start nf "$nf" -l "$SW_CPU,$NF_CPU" \
			--main-lcore "$SW_CPU" --single-file-segments \
			--file-prefix "${PFX}nf" --vdev "$nf_vdev" -- \
			--nb-cores=1 --port-topology=loop
		TP_AFFINITY="$OUT/$case.$t.affinity" tp_trial sw nf sw || true
	else
		tp_quit sw
	fi
	report "$case" "$t" testpmd --log "$sw" --sink 0 \
		--cycles "switch=$sw" --cycles "nf=$nf" --affinity "$OUT/$case.$t.affinity"
}

MEMIF="socket=SOCK,socket-abstract=no"

run_memif() {
	run_pair memif "$1" io "net_memif0,role=server,$MEMIF" \
		"net_memif0,role=client,$MEMIF,zero-copy=yes"
}

run_memif_copy() {
	run_pair memif-copy "$1" io "net_memif0,role=server,$MEMIF" \
		"net_memif0,role=client,$MEMIF"
}

run_memif_macswap() {
	run_pair memif-macswap "$1" macswap "net_memif0,role=server,$MEMIF" \
		"net_memif0,role=client,$MEMIF,zero-copy=yes"
}

run_vhost() {
	run_pair vhost "$1" io "net_vhost0,iface=SOCK,queues=1" \
		"virtio_user0,path=SOCK"
}

# run_nf CASE TRIAL NF-BINARY [CORE-BINARY [CORE-SETTINGS]]: netvm-core
# (CPU 0, CORE_BIN by default; CORE-SETTINGS added to its core group) with
# two net_null ports, NF-BINARY (role 1) on CPU 1.
run_nf() {
	local case=$1 t=$2 nf_bin=$3 core_bin=${4:-$CORE_BIN} extra=${5:-}
	local core_log="$OUT/$case.$t.core.log" nf_log="$OUT/$case.$t.nf.log"
	local samples="$OUT/$case.$t.telemetry.jsonl" conf="$RUN/netvm.conf"
	local sock="$RUN/core.sock" prefix="${PFX}nv" core bridge note=""
	local affinity="$OUT/$case.$t.affinity"
	cat >"$conf" <<-EOF
		core = { socket = "$sock"; pool_buffers = 8192;$PLACE_CONF$extra };
		default = { role = 1; };
	EOF
	rm -f "$sock"
	"$core_bin" -l "$SW_CPU" --file-prefix "$prefix" --no-pci \
		--vdev net_null0,size=64 --vdev net_null1,size=64 -- \
		-c "$conf" -s "$sock" --single-lcore --stats 0 --wait-nfs 1 \
		</dev/null >"$core_log" 2>&1 &
	core=$!
	bench_track "$core"
	if bench_wait_file "$sock" 15 "$core"; then
		taskset -c "$NF_CPU" "$nf_bin" -s "$sock" -r 1 </dev/null >"$nf_log" 2>&1 &
		bridge=$!
		bench_track "$bridge"
		if python3 "$LIB/telemetry.py" -f "$prefix" --until nfs_attached=1 \
			--timeout 15 /netvm/stats 2>"$RUN/telemetry.err"; then
			sleep "$WARMUP"
			bench_affinity "$affinity" core "$core"
			bench_affinity "$affinity" nf "$bridge"
			# The sampler sits on the NF's CPU, as testpmd's main lcore
			# does in the switch processes.
			taskset -c "$NF_CPU" python3 "$LIB/telemetry.py" -f "$prefix" \
				-n $((SECS + 1)) -i 1 \
				/netvm/stats >"$samples" 2>"$RUN/telemetry.err" ||
				note="telemetry failed: $(head -n1 "$RUN/telemetry.err")"
		else
			note="no NF attached within 15 s ($(head -n1 "$RUN/telemetry.err"))"
		fi
		# The core first: its final counters cover the whole trial, and
		# the bridge then sees the connection close.
		bench_stop "$core"
		bench_stop "$bridge"
	else
		note="netvm-core did not open $sock"
		bench_stop "$core"
	fi
	report "$case" "$t" netvm --samples "$samples" --core-log "$core_log" \
		--affinity "$affinity" ${note:+--note "$note"}
}

run_netvm() {
	run_nf netvm "$1" "$BRIDGE_BIN"
}

run_netvm_macswap() {
	run_nf netvm-macswap "$1" "$MACSWAP_BIN"
}

run_netvm_unread() {
	run_nf netvm-unread "$1" "$BRIDGE_BIN" "$CORE_BIN" ' rx_parse = "when_needed";'
}

run_netvm_macswap_unread() {
	run_nf netvm-macswap-unread "$1" "$MACSWAP_BIN" "$CORE_BIN" ' rx_parse = "when_needed";'
}

run_netvm_b() {
	run_nf netvm-b "$1" "$BUILD_B/apps/bridge/netvm-bridge" "$BUILD_B/core/netvm-core"
}

run_netvm_macswap_b() {
	run_nf netvm-macswap-b "$1" "$BUILD_B/apps/macswap/netvm-macswap" \
		"$BUILD_B/core/netvm-core"
}

run_netvm_unread_b() {
	run_nf netvm-unread-b "$1" "$BUILD_B/apps/bridge/netvm-bridge" \
		"$BUILD_B/core/netvm-core" ' rx_parse = "when_needed";'
}

run_netvm_macswap_unread_b() {
	run_nf netvm-macswap-unread-b "$1" "$BUILD_B/apps/macswap/netvm-macswap" \
		"$BUILD_B/core/netvm-core" ' rx_parse = "when_needed";'
}

# witness LABEL: the cache-line round trip and load average, now, into
# witness.jsonl (printed too).
witness() {
	python3 "$LIB/bench_machine.py" witness "$RUN" "$OUT/witness.jsonl" "$1" ||
		echo "  witness $1: not measured"
}

RUN_CASES=""
for case in $CASES; do
	nf_bin=""
	case "$case" in
	netvm|netvm-unread) nf_bin=$BRIDGE_BIN ;;
	netvm-macswap|netvm-macswap-unread) nf_bin=$MACSWAP_BIN ;;
	netvm-b|netvm-unread-b) nf_bin=$BUILD_B/apps/bridge/netvm-bridge ;;
	netvm-macswap-b|netvm-macswap-unread-b) nf_bin=$BUILD_B/apps/macswap/netvm-macswap ;;
	esac
	core_bin=$CORE_BIN
	case "$case" in *-b) core_bin=$BUILD_B/core/netvm-core ;; esac
	if [ -n "$nf_bin" ] && { [ ! -x "$core_bin" ] || [ ! -x "$nf_bin" ]; }; then
		echo "not built: $core_bin or $nf_bin (run scripts/setup.sh)" \
			>"$OUT/$case.skipped"
		echo "  $case: skipped, $(cat "$OUT/$case.skipped")"
		continue
	fi
	RUN_CASES="$RUN_CASES $case"
done

echo "bench: $TRIALS round(s), each one trial of every setup (${WARMUP} s warm-up +" \
	"${SECS} s measured); results in $OUT"
witness before
for t in $(seq 1 "$TRIALS"); do
	# shellcheck disable=SC2086 # the list of setups is split on purpose
	order=$(python3 "$LIB/bench_report.py" order "$t" $RUN_CASES)
	echo "round $t: $order"
	for case in $order; do
		start=$(date +%s.%N)
		"run_${case//-/_}" "$t"
		printf '{"case": "%s", "trial": %d, "round": %d, "start": %s, "end": %s}\n' \
			"$case" "$t" "$t" "$start" "$(date +%s.%N)" >>"$OUT/schedule.jsonl"
	done
	witness "after round $t"
done

echo
python3 "$LIB/bench_report.py" summary "$OUT"
