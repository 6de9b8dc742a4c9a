# shellcheck shell=bash
# scripts/demo.sh --netns: real applications through the core engine and an
# NF. Sourced by scripts/demo.sh (set -euo pipefail, cwd the source tree,
# $build, $work set; the caller's EXIT trap calls netns_cleanup).
#
#   netvm-demo-a  10.0.1.2/24                          netvm-demo-b  10.0.2.2/24
#        │ nvdemo-a-ns (veth)                               │ nvdemo-b-ns (veth)
#   nvdemo-a = port 0 ─┐                         ┌─ port 1 = nvdemo-b
#     (net_af_packet)  └── netvm-core ⇄ NF(s) ───┘   (net_af_packet)
#
# l3fwd routes between the two subnets (each namespace's gateway 10.0.x.1
# is a static neighbour entry at the core port's MAC: l3fwd answers no
# ARP); bridge joins one subnet (B is 10.0.1.3/24, ARP passes through);
# firewall runs configs/firewall.rules in the chain firewall -> l3fwd
# (configs/fw-chain.conf). Then ping, a curl download checked by sha256 and
# an iperf3 run, from A to B; with l3fwd also a ping -6 between
# 2001:db8:1::2/64 and 2001:db8:2::2/64 (addresses without duplicate address
# detection, static neighbour entries: l3fwd does no neighbour discovery).
# docs/quickstart.md explains each step.

NS_A=netvm-demo-a
NS_B=netvm-demo-b
IF_A=nvdemo-a
IF_B=nvdemo-b
netns_made=0

netns_cleanup() {
	[[ $netns_made == 1 ]] || return 0
	local ns pid
	for ns in "$NS_A" "$NS_B"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	ip link del "$IF_A" 2>/dev/null || true
	ip link del "$IF_B" 2>/dev/null || true
}

# netns_link NS HOST-IF CIDR [GATEWAY]: a namespace behind a veth pair,
# offloads off on both ends, the host end without address or IPv6.
netns_link() {
	local ns=$1 hif=$2 cidr=$3 gw=${4:-} nif=$2-ns
	ip netns add "$ns"
	ip link add "$hif" type veth peer name "$nif"
	ip link set "$nif" netns "$ns"
	echo 1 > "/proc/sys/net/ipv6/conf/$hif/disable_ipv6"
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	# veth computes TCP/UDP checksums late (offload): af_packet would pass
	# the packets on without them, and the receiver would drop them
	ethtool -K "$hif" tx off rx off tso off gso off gro off >/dev/null
	ip netns exec "$ns" ethtool -K "$nif" tx off rx off tso off gso off gro off >/dev/null
	ip link set "$hif" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$nif" up
	ip -n "$ns" addr add "$cidr" dev "$nif"
	if [[ -n $gw ]]; then
		ip -n "$ns" route add default via "$gw" dev "$nif"
	fi
}

# netns_ipv6 NS IF CIDR GATEWAY MAC: IPv6 on in NS, address CIDR without
# DAD, default route via GATEWAY, which is at MAC (a static entry).
netns_ipv6() {
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 \
		"net.ipv6.conf.$2.disable_ipv6=0"
	ip -n "$1" -6 addr add "$3" dev "$2" nodad
	ip -n "$1" -6 route add default via "$4" dev "$2"
	ip -n "$1" -6 neigh replace "$4" lladdr "$5" dev "$2" nud permanent
}

ns_mac() {
	ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# The MAC the core printed for port $1 ("port P: DRIVER MAC xx:...").
core_mac() {
	sed -n "s/^port $1: [^ ]* MAC \([0-9a-fA-F:]*\)$/\1/p" "$work/core.out" | head -n 1 |
		tr 'A-F' 'a-f'
}

demo_netns() {
	local nf=$1 iperf_secs=${NETVM_DEMO_IPERF_SECONDS:-5} prefix=netvm-demo-netns
	local sock=$work/core.sock addr_b gw_a= gw_b= conf tool pkg http_pid iperf_pid
	for tool in ip:iproute2 ethtool:ethtool ping:iputils-ping curl:curl iperf3:iperf3 \
		sha256sum:coreutils; do
		pkg=${tool#*:} tool=${tool%%:*}
		command -v "$tool" >/dev/null ||
			{ echo "demo: $tool not found (Debian package $pkg; scripts/setup.sh)" >&2; exit 1; }
	done
	for ns in "$NS_A" "$NS_B"; do
		if [[ -e /var/run/netns/$ns ]]; then
			echo "demo: namespace $ns exists: another demo runs, or remove it (ip netns del $ns)" >&2
			exit 1
		fi
	done
	netns_made=1
	case $nf in
	bridge) addr_b=10.0.1.3 ;;
	*) addr_b=10.0.2.2 gw_a=10.0.1.1 gw_b=10.0.2.1 ;;
	esac
	echo "== namespaces $NS_A (10.0.1.2) and $NS_B ($addr_b), veth pairs $IF_A and $IF_B"
	netns_link "$NS_A" "$IF_A" 10.0.1.2/24 "$gw_a"
	netns_link "$NS_B" "$IF_B" "$addr_b/24" "$gw_b"

	if [[ $nf == firewall ]]; then
		conf=configs/fw-chain.conf
	else
		conf=$work/core.conf
		cat > "$conf" <<-EOF
			core = {
			  pool_buffers = 4096;
			  buffer_size = 4096; # a net_af_packet frame carries up to 2016 bytes
			  single_lcore = true;
			};
			rules = ( { in_port = 0; role = 1; }, { in_port = 1; role = 1; } );
			default = { action = "drop"; };
		EOF
	fi
	echo "== starting the core engine on $IF_A and $IF_B (net_af_packet, $conf)"
	"$build/core/netvm-core" -l 0 --file-prefix "$prefix" --no-pci \
		--vdev "net_af_packet0,iface=$IF_A" --vdev "net_af_packet1,iface=$IF_B" \
		--log-level=lib.eal:error \
		-- -c "$conf" -s "$sock" --single-lcore --wait-nfs 1 > "$work/core.out" 2>&1 &
	core_pid=$!
	for _ in $(seq 100); do
		[[ -S $sock ]] && break
		kill -0 "$core_pid" 2>/dev/null ||
			{ echo "demo: the core engine did not start:" >&2; cat "$work/core.out" >&2; exit 1; }
		sleep 0.1
	done
	[[ -S $sock ]] || { echo "demo: no attach socket $sock" >&2; exit 1; }
	grep '^port' "$work/core.out" | sed 's/^/   /'
	local mac0 mac1 ns_mac_a ns_mac_b
	mac0=$(core_mac 0) mac1=$(core_mac 1)
	ns_mac_a=$(ns_mac "$NS_A" "$IF_A-ns") ns_mac_b=$(ns_mac "$NS_B" "$IF_B-ns")

	case $nf in
	l3fwd | firewall)
		# l3fwd does no ARP: each namespace finds its gateway at the core
		# port's MAC by a static entry, and l3fwd's routes name the
		# namespaces' MACs
		echo "== gateway neighbour entries: 10.0.1.1 at $mac0, 10.0.2.1 at $mac1"
		ip -n "$NS_A" neigh replace 10.0.1.1 lladdr "$mac0" dev "$IF_A-ns" nud permanent
		ip -n "$NS_B" neigh replace 10.0.2.1 lladdr "$mac1" dev "$IF_B-ns" nud permanent
		printf '10.0.1.0/24 0 %s\n10.0.2.0/24 1 %s\n' "$ns_mac_a" "$ns_mac_b" > "$work/routes"
		if [[ $nf == l3fwd ]]; then
			echo "== IPv6: 2001:db8:1::2/64 and 2001:db8:2::2/64 (nodad), gateways" \
				"2001:db8:x::1 at the same MACs"
			netns_ipv6 "$NS_A" "$IF_A-ns" 2001:db8:1::2/64 2001:db8:1::1 "$mac0"
			netns_ipv6 "$NS_B" "$IF_B-ns" 2001:db8:2::2/64 2001:db8:2::1 "$mac1"
			printf '2001:db8:1::/64 0 %s\n2001:db8:2::/64 1 %s\n' "$ns_mac_a" \
				"$ns_mac_b" >> "$work/routes"
		fi
		echo "== starting netvm-l3fwd (role 1): $(tr '\n' ';' < "$work/routes")"
		"$build/apps/l3fwd/netvm-l3fwd" -s "$sock" -r 1 -- --mode lpm --routes "$work/routes" \
			> "$work/l3fwd.out" 2>&1 &
		nf_pid=$!
		if [[ $nf == firewall ]]; then
			echo "== starting netvm-firewall (role 2, configs/firewall.rules)"
			"$build/apps/firewall/netvm-firewall" -s "$sock" -r 2 -- \
				--rules configs/firewall.rules > "$work/firewall.out" 2>&1 &
			nf2_pid=$!
		fi
		;;
	bridge)
		echo "== starting netvm-bridge (role 1): port 0 <-> port 1, one subnet"
		"$build/apps/bridge/netvm-bridge" -s "$sock" -r 1 > "$work/bridge.out" 2>&1 &
		nf_pid=$!
		;;
	esac
	sleep 1
	kill -0 "$nf_pid" 2>/dev/null ||
		{ echo "demo: the NF exited:" >&2; cat "$work"/*.out >&2; exit 1; }

	local status=0 want got
	echo "== ping 10.0.1.2 -> $addr_b"
	ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 "$addr_b" || status=1
	if [[ $nf == l3fwd ]]; then
		echo "== ping -6 2001:db8:1::2 -> 2001:db8:2::2"
		ip netns exec "$NS_A" ping -6 -c 3 -i 0.2 -W 2 2001:db8:2::2 || status=1
	fi

	echo "== curl: a 4 MiB file from an HTTP server in $NS_B (port 80)"
	mkdir -p "$work/www"
	head -c 4194304 /dev/urandom > "$work/www/file.bin"
	want=$(sha256sum < "$work/www/file.bin" | cut -d' ' -f1)
	ip netns exec "$NS_B" /usr/bin/python3 -m http.server 80 --bind "$addr_b" \
		--directory "$work/www" > "$work/http.out" 2>&1 &
	http_pid=$!
	for _ in $(seq 100); do
		ip netns exec "$NS_B" ss -Hltn 'sport = :80' | grep -q ':80' && break
		sleep 0.1
	done
	got=$(ip netns exec "$NS_A" curl -sS --max-time 30 "http://$addr_b/file.bin" |
		sha256sum | cut -d' ' -f1) || true
	# stopped here and waited for quietly: bash reports a background job
	# killed later by the clean-up as "line N: PID Killed ..."
	kill "$http_pid" 2>/dev/null || true
	wait "$http_pid" 2>/dev/null || true
	echo "sha256 sent     $want"
	echo "sha256 received $got"
	if [[ $got == "$want" ]]; then
		echo "sha256: match"
	else
		echo "sha256: MISMATCH"
		sed 's/^/   http.server: /' "$work/http.out"
		status=1
	fi

	echo "== iperf3 $NS_A -> $NS_B, $iperf_secs s (port 443)"
	ip netns exec "$NS_B" iperf3 -s -1 -p 443 -B "$addr_b" > "$work/iperf3-server.out" 2>&1 &
	iperf_pid=$!
	for _ in $(seq 50); do
		ip netns exec "$NS_B" ss -Hltn 'sport = :443' | grep -q ':443' && break
		sleep 0.1
	done
	ip netns exec "$NS_A" iperf3 -c "$addr_b" -p 443 -t "$iperf_secs" --connect-timeout 5000 |
		tail -n 4 || status=1
	# one test (-1) ends the server; one that saw none is stopped
	kill "$iperf_pid" 2>/dev/null || true
	wait "$iperf_pid" 2>/dev/null || true

	echo "== the core engine's counters (non-zero; telemetry /netvm/stats)"
	/usr/bin/python3 scripts/lib/telemetry.py -f "$prefix" /netvm/stats |
		/usr/bin/python3 -c 'import json, sys
for k, v in json.loads(sys.stdin.readline())["reply"].items():
    if v and not k.startswith("cycles") and k != "stage_cycles_on":
        print(f"   {k} {v}")' || true
	echo "== stopping"
	kill -INT "$nf2_pid" "$nf_pid" 2>/dev/null || true
	wait "$nf_pid" "$nf2_pid" 2>/dev/null || true
	nf_pid= nf2_pid=
	kill -INT "$core_pid"
	wait "$core_pid" || { echo "demo: the core engine reported an error" >&2; status=1; }
	core_pid=
	if [[ $status != 0 ]]; then
		echo "demo: a step failed (above); the core's output:" >&2
		tail -n 30 "$work/core.out" >&2
	fi
	return "$status"
}
