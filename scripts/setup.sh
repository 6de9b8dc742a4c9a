#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# setup.sh — make a Debian 12 machine ready to build and run NetVM.
#
# Installs the packages that are missing, reserves 2 MiB hugepages and mounts
# hugetlbfs on /dev/hugepages, then configures and builds the tree. Every step
# checks first and does nothing when the machine is already right, so a second
# run takes seconds. Run it as root, or as a user who may use sudo.
#
# Usage: scripts/setup.sh [--no-build]
#   --no-build           packages and hugepages only
# Environment:
#   NETVM_HUGEPAGES=N    2 MiB pages to have reserved (default 1024)
#   NETVM_BUILD=DIR      build directory (default build, relative to the tree)
set -euo pipefail

# Debian packages the project needs to build, test and benchmark.
PACKAGES="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc
	libnuma-dev libconfig-dev libcmocka-dev libpcap-dev python3 python3-scapy
	iperf3 iproute2 iputils-ping ethtool tcpdump gnuplot-nox traceroute curl systemd
	valgrind linux-perf gdb strace
	libjson-c-dev libssl-dev openssl libvirt-dev libvirt-daemon-system libvirt-clients qemu-system-x86
	python3-prometheus-client"

# promtool, which checks `netvmctl metrics` in the tests, is in Debian's
# prometheus package only; installed, that package enables and starts a
# Prometheus server. Only the tool is taken out of it, into this path.
PROMTOOL=/usr/local/bin/promtool

HUGEPAGES=${NETVM_HUGEPAGES:-1024}
HP_DIR=/sys/kernel/mm/hugepages/hugepages-2048kB
HP_MOUNT=/dev/hugepages

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${NETVM_BUILD:-build}
case "$BUILD" in
/*) ;;
*) BUILD="$TREE/$BUILD" ;;
esac

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "setup: error: $*" >&2
	exit 1
}

say() {
	echo "setup: $*"
}

DO_BUILD=1
for arg in "$@"; do
	case "$arg" in
	--no-build) DO_BUILD=0 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$arg'" ;;
	esac
done

case "$HUGEPAGES" in
''|*[!0-9]*) die "NETVM_HUGEPAGES must be a number of pages, not '$HUGEPAGES'" ;;
esac

# Privileged commands go through sudo when we are not root; the build does not.
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "not root and sudo is not installed"
	SUDO=sudo
fi

# --- packages ---------------------------------------------------------------

installed_now=0
missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	$SUDO apt-get update -q >/dev/null ||
		die "apt-get update failed (is the package archive reachable?)"
	# shellcheck disable=SC2086 # one word per package
	$SUDO env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q $missing >/dev/null ||
		die "apt-get install failed for:$missing"
	installed_now=1
	say "packages: installed$missing"
else
	say "packages: all present"
fi
if ! command -v promtool >/dev/null; then
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # the directory is known now
	trap "rm -rf '$tmp'" EXIT
	(cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) ||
		die "apt-get download prometheus failed (its promtool is needed by the tests)"
	dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool ||
		die "no usr/bin/promtool in the prometheus package"
	$SUDO install -D -m 0755 "$tmp/usr/bin/promtool" "$PROMTOOL" ||
		die "cannot install $PROMTOOL"
	rm -rf "$tmp"
	trap - EXIT
	say "promtool: $PROMTOOL, from the prometheus package (its server is not installed)"
fi

# --- hugepages --------------------------------------------------------------

[ -d "$HP_DIR" ] || die "this kernel has no 2 MiB hugepages ($HP_DIR missing)"
before=$(cat "$HP_DIR/nr_hugepages")
if [ "$before" -lt "$HUGEPAGES" ]; then
	echo "$HUGEPAGES" | $SUDO tee "$HP_DIR/nr_hugepages" >/dev/null ||
		die "cannot write $HP_DIR/nr_hugepages"
	now=$(cat "$HP_DIR/nr_hugepages")
	if [ "$now" -lt "$HUGEPAGES" ]; then
		# Fragmented memory: compact it once and ask again.
		echo 1 | $SUDO tee /proc/sys/vm/compact_memory >/dev/null || true
		echo "$HUGEPAGES" | $SUDO tee "$HP_DIR/nr_hugepages" >/dev/null || true
		now=$(cat "$HP_DIR/nr_hugepages")
	fi
	[ "$now" -ge "$HUGEPAGES" ] ||
		die "asked the kernel for $HUGEPAGES hugepages of 2 MiB, got $now;" \
			"free memory or set NETVM_HUGEPAGES lower"
	hp_msg="$now x 2 MiB reserved (was $before)"
else
	hp_msg="$before x 2 MiB already reserved"
fi

fstype=$(findmnt -n -o FSTYPE --target "$HP_MOUNT" 2>/dev/null || true)
if ! mountpoint -q "$HP_MOUNT" 2>/dev/null; then
	$SUDO mkdir -p "$HP_MOUNT"
	$SUDO mount -t hugetlbfs -o pagesize=2M nodev "$HP_MOUNT" ||
		die "cannot mount hugetlbfs on $HP_MOUNT"
	say "hugepages: $hp_msg; mounted hugetlbfs on $HP_MOUNT"
elif [ "$fstype" != hugetlbfs ]; then
	die "$HP_MOUNT is mounted but is $fstype, not hugetlbfs; unmount it and run again"
else
	say "hugepages: $hp_msg; $HP_MOUNT is mounted"
fi

# --- build ------------------------------------------------------------------

if [ "$DO_BUILD" -eq 0 ]; then
	say "build: skipped (--no-build)"
	exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
	meson setup "$BUILD" "$TREE" >"$log" 2>&1 ||
		{ cat "$log" >&2; die "meson setup $BUILD failed"; }
	build_msg="configured $BUILD"
elif [ "$installed_now" -eq 1 ] || [ ! -f "$BUILD/build.ninja" ]; then
	# New packages may turn on parts that were off when it was configured.
	meson setup --reconfigure "$BUILD" "$TREE" >"$log" 2>&1 ||
		{ cat "$log" >&2; die "meson setup --reconfigure $BUILD failed"; }
	build_msg="reconfigured $BUILD"
else
	build_msg="$BUILD already configured"
fi

ninja -C "$BUILD" >"$BUILD/ninja.log" 2>&1 ||
	{ tail -n 40 "$BUILD/ninja.log" >&2; die "build failed (full log: $BUILD/ninja.log)"; }
say "build: $build_msg; ninja: ok"
