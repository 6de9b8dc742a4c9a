#!/usr/bin/env bash
# The NetVM demo: the core engine and the L3 forwarder NF on virtual devices,
# with the default configuration. Does all set-up itself (scripts/setup.sh).
#
#   scripts/demo.sh
#
# Port 0 replays generated traffic in a loop (net_pcap, 10.0.1.0/24 ->
# 10.0.2.0/24), port 1 transmits into /dev/null. The core engine classifies
# every packet to role 1 (configs/default.conf); netvm-l3fwd routes it with
# configs/default.routes, rewriting MACs and TTL in place in the shared pool,
# and the core sends it out of port 1. Counters are printed every second,
# then the final ones.
#
# Environment: NETVM_DEMO_SECONDS (default 5), NETVM_BUILD (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${NETVM_BUILD:-build}
secs=${NETVM_DEMO_SECONDS:-5}

scripts/setup.sh

work=$(mktemp -d /tmp/netvm-demo.XXXXXX)
core_pid=
nf_pid=
cleanup() {
	[[ -n $nf_pid ]] && kill -INT "$nf_pid" 2>/dev/null || true
	[[ -n $core_pid ]] && kill -INT "$core_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 scripts/lib/gen_traffic.py "$work/traffic.pcap" --flows 512 --size 64

echo "== starting the core engine (configs/default.conf)"
"$build/core/netvm-core" -l 0 --file-prefix netvm-demo --no-pci \
	--vdev "net_pcap0,rx_pcap=$work/traffic.pcap,tx_pcap=/dev/null,infinite_rx=1" \
	--vdev "net_pcap1,tx_pcap=/dev/null" \
	--log-level=lib.eal:error \
	-- -c configs/default.conf --wait-nfs 1 &
core_pid=$!

sock=$(sed -n 's/^ *socket *= *"\(.*\)";.*/\1/p' configs/default.conf)
for _ in $(seq 50); do
	[[ -S $sock ]] && break
	kill -0 "$core_pid" 2>/dev/null || { echo "demo: the core engine did not start" >&2; exit 1; }
	sleep 0.2
done

echo "== starting netvm-l3fwd (role 1, configs/default.routes) on CPU 1"
taskset -c 1 "$build/apps/l3fwd/netvm-l3fwd" -r 1 -- --mode lpm --routes configs/default.routes \
	> "$work/l3fwd.out" &
nf_pid=$!

sleep "$secs"
echo "== stopping"
kill -INT "$nf_pid"
wait "$nf_pid" || true
nf_pid=
echo "== netvm-l3fwd counters"
cat "$work/l3fwd.out"
echo "== core engine final counters"
kill -INT "$core_pid"
wait "$core_pid" || { echo "demo: the core engine reported an error" >&2; exit 1; }
core_pid=
