#!/usr/bin/env bash
# The NetVM demo: the core engine and the L3 forwarder NF on virtual devices,
# with the default configuration. Does all set-up itself (scripts/setup.sh).
#
#   scripts/demo.sh
#
# Port 0 replays generated traffic in a loop (net_pcap, 10.0.1.0/24 ->
# 10.0.2.0/24), port 1 is a null device that discards what it is sent
# (net_null, receiving nothing). The core engine classifies
# every packet to role 1 (configs/default.conf); netvm-l3fwd routes it with
# configs/default.routes, rewriting MACs and TTL in place in the shared pool,
# and the core sends it out of port 1. Counters are printed every second,
# then the final ones.
#
# With --vm (or NETVM_DEMO_VM=1) netvm-l3fwd runs inside a QEMU VM started by
# netvm-manager instead of as a host process (scripts/build-guest.sh is run
# first to build the guest image); the same traffic, the VM's counters as the
# core counts them, then a clean stop. The VM runs under KVM when
# build-guest.sh could boot the image with it on this machine (its verdict is
# in build/guest/accel), under TCG otherwise, forwarding far fewer packets.
#
#   scripts/demo.sh --vm
#
# With --netns, real applications instead: two network namespaces joined by
# veth pairs to the core's net_af_packet ports, the NF between them (l3fwd
# by default; bridge; firewall in the chain firewall -> l3fwd), then ping,
# a curl download checked by sha256 and an iperf3 run
# (scripts/lib/demo_netns.sh, docs/quickstart.md). Exit status 0 when every
# step worked.
#
#   scripts/demo.sh --netns [--nf l3fwd|bridge|firewall]
#
# Environment: NETVM_DEMO_SECONDS (default 5), NETVM_BUILD (default build),
# NETVM_DEMO_VM (1: as --vm), NETVM_GUEST_DIR (guest image, default build/guest),
# NETVM_DEMO_IPERF_SECONDS (--netns: the iperf3 run, default 5),
# NETVM_SKIP_SETUP (1: do not run scripts/setup.sh). A value that is not one
# of these (NETVM_DEMO_SECONDS=abc, NETVM_DEMO_VM=yes) is refused, exit 2,
# before anything starts.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${NETVM_BUILD:-build}
secs=${NETVM_DEMO_SECONDS:-5}
vm=${NETVM_DEMO_VM:-0}
netns=0
nf=l3fwd
nf_given=0
usage="usage: scripts/demo.sh [--vm | --netns [--nf l3fwd|bridge|firewall]]"
while [[ $# -gt 0 ]]; do
	case $1 in
	--vm) vm=1 ;;
	--netns) netns=1 ;;
	--nf)
		[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }
		nf=$2
		nf_given=1
		shift
		;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
	shift
done
# the environment's values are checked before anything starts (a bad one
# would otherwise end the demo half-way, its core and NF already running)
[[ $vm == 0 || $vm == 1 ]] || { echo "demo: NETVM_DEMO_VM=$vm: 0 or 1" >&2; exit 2; }
[[ $secs =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	{ echo "demo: NETVM_DEMO_SECONDS=$secs: a number of seconds (5, 0.5)" >&2; exit 2; }
[[ ${NETVM_DEMO_IPERF_SECONDS:-5} =~ ^[1-9][0-9]{0,4}$ ]] || {
	echo "demo: NETVM_DEMO_IPERF_SECONDS=$NETVM_DEMO_IPERF_SECONDS: whole seconds," \
		"1..99999" >&2
	exit 2
}
case $nf in
l3fwd | bridge | firewall) ;;
*) echo "demo: --nf $nf: not l3fwd, bridge or firewall" >&2; exit 2 ;;
esac
[[ $nf_given == 0 || $netns == 1 ]] || { echo "demo: --nf goes with --netns" >&2; exit 2; }
if [[ $vm == 1 && $netns == 1 ]]; then
	echo "demo: --vm and --netns do not go together" >&2
	exit 2
fi

if [[ ${NETVM_SKIP_SETUP:-0} != 1 ]]; then
	scripts/setup.sh
fi
guest=${NETVM_GUEST_DIR:-build/guest}
if [[ $vm == 1 ]]; then
	scripts/build-guest.sh
fi

work=$(mktemp -d /tmp/netvm-demo.XXXXXX)
core_pid=
nf_pid=
nf2_pid=
mgr_pid=
netns_cleanup() { :; }
cleanup() {
	[[ -n $nf2_pid ]] && kill -INT "$nf2_pid" 2>/dev/null || true
	[[ -n $nf_pid ]] && kill -INT "$nf_pid" 2>/dev/null || true
	[[ -n $mgr_pid ]] && kill -TERM "$mgr_pid" 2>/dev/null && wait "$mgr_pid" 2>/dev/null || true
	[[ -n $core_pid ]] && kill -INT "$core_pid" 2>/dev/null || true
	netns_cleanup # its servers too, before waiting for every child
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $netns == 1 ]]; then
	# shellcheck source=scripts/lib/demo_netns.sh
	. scripts/lib/demo_netns.sh
	demo_netns "$nf"
	exit
fi

# The L3 forwarder in a VM: netvm-manager attaches it to the core as role 1
# and boots the guest image with the route file written into it.
demo_vm() {
	local msock=$work/manager.sock guest_abs accel
	guest_abs=$(cd "$guest" && pwd)
	accel=$(cut -d: -f1 "$guest/accel")
	cat > "$work/manager.conf" <<-EOF
		manager = { socket = "$msock"; state_dir = "$work/vms"; accel = "$accel"; };
		core = { socket = "$sock"; file_prefix = "netvm-demo"; };
		vms = ( { name = "l3fwd"; role = 1; queues = 1; vcpus = 1; memory = 256;
		  kernel = "$guest_abs/vmlinux"; initrd = "$guest_abs/initramfs.cpio.gz";
		  files = [ "/etc/routes:$PWD/configs/default.routes" ];
		  nf = "/bin/netvm-l3fwd --transport uio -r 1 -- --mode lpm --routes /etc/routes";
		  launcher = "qemu"; restart = "never"; } );
	EOF
	if [[ $accel == kvm ]]; then
		echo "== starting netvm-manager: netvm-l3fwd (role 1) in a QEMU VM (KVM)"
	else
		echo "== starting netvm-manager: netvm-l3fwd (role 1) in a QEMU VM"
		echo "   ($(cat "$guest/accel"): the guest runs under TCG, emulated, and"
		echo "    forwards far fewer packets than the host-process demo)"
	fi
	"$build/manager/netvm-manager" -c "$work/manager.conf" > "$work/manager.out" 2>&1 &
	mgr_pid=$!
	local state=
	for _ in $(seq 300); do
		state=$("$build/manager/netvmctl" -s "$msock" vm list 2>/dev/null |
			awk '$1 == "l3fwd" { print $2 }') || true
		[[ $state == running ]] && break
		kill -0 "$mgr_pid" 2>/dev/null || break
		sleep 0.2
	done
	if [[ $state != running ]]; then
		echo "demo: the VM did not start (state '$state'):" >&2
		tail -n 20 "$work/manager.out" "$work/vms/l3fwd.console" >&2 2>/dev/null || true
		exit 1
	fi
	echo "== VM running; forwarding for $secs s"
	sleep "$secs"
	echo "== the VM's NF as the core counts it (netvmctl stats)"
	"$build/manager/netvmctl" -s "$msock" stats || true
	echo "== stopping"
	kill -TERM "$mgr_pid"
	wait "$mgr_pid" || true
	mgr_pid=
}

/usr/bin/python3 scripts/lib/gen_traffic.py "$work/traffic.pcap" --flows 512 --size 64

echo "== starting the core engine (configs/default.conf)"
"$build/core/netvm-core" -l 0 --file-prefix netvm-demo --no-pci \
	--vdev "net_pcap0,rx_pcap=$work/traffic.pcap,tx_pcap=/dev/null,infinite_rx=1" \
	--vdev "net_null0,no-rx=1" \
	--log-level=lib.eal:error \
	-- -c configs/default.conf --wait-nfs 1 &
core_pid=$!

sock=$(sed -n 's/^ *socket *= *"\(.*\)";.*/\1/p' configs/default.conf)
for _ in $(seq 50); do
	[[ -S $sock ]] && break
	kill -0 "$core_pid" 2>/dev/null || { echo "demo: the core engine did not start" >&2; exit 1; }
	sleep 0.2
done

if [[ $vm == 1 ]]; then
	demo_vm
else
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
fi
echo "== core engine final counters"
kill -INT "$core_pid"
wait "$core_pid" || { echo "demo: the core engine reported an error" >&2; exit 1; }
core_pid=
