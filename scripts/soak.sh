#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# soak.sh — rounds of kill -9 of NFs, attach/detach churn and forged
# descriptors under traffic; after each round the pool must be whole and the
# core alive (tests/soak/soak.py says exactly what a round does).
#
# Prints one line per round, then "N rounds in S s, M buffers lost (must be
# 0)"; exits non-zero on any lost buffer, a dead core or a failed check.
#
# Usage: scripts/soak.sh [--rounds N | --seconds S] [--vm]
#   --rounds N    run N rounds (default 3)
#   --seconds S   run rounds until S seconds have passed
#   --vm          also run a VM by netvm-manager (a guest bridge serving role 4,
#                 restart = "on-failure") and kill -9 its QEMU under traffic
#                 every round: restarted, receiving, its buffers reclaimed;
#                 needs the guest image of scripts/build-guest.sh
# Environment:
#   NETVM_BUILD=DIR       build directory (default build); scripts/setup.sh builds it
#   NETVM_GUEST_DIR=DIR   guest image for --vm (default build/guest)
# Needs root and hugepages, as scripts/test.sh.
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${NETVM_BUILD:-build}
case "$BUILD" in
/*) ;;
*) BUILD="$TREE/$BUILD" ;;
esac

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

args=()
vm=0
length=
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds|--seconds)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case "$2" in
		''|*[!0-9]*) bad=1 ;;
		*[1-9]*) bad=0 ;;
		*) bad=1 ;;
		esac
		if [ "$bad" = 1 ]; then
			echo "soak: error: $1 needs a whole number of at least 1, not '$2'" >&2
			exit 2
		fi
		if [ -n "$length" ]; then
			echo "soak: error: $length and $1: give one of --rounds and --seconds, once" >&2
			exit 2
		fi
		length=$1
		args+=("$1" "$2")
		shift 2
		;;
	--vm) args+=("$1"); vm=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; echo "soak: error: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

if [ "$vm" = 1 ]; then
	GUEST=${NETVM_GUEST_DIR:-build/guest}
	case "$GUEST" in
	/*) ;;
	*) GUEST="$TREE/$GUEST" ;;
	esac
	for f in vmlinux initramfs.cpio.gz accel; do
		if [ ! -f "$GUEST/$f" ]; then
			echo "soak: error: --vm needs the guest image: $GUEST/$f is missing;" \
				"run scripts/build-guest.sh" >&2
			exit 1
		fi
	done
fi

NETVM_BUILD="$BUILD" "$TREE/scripts/setup.sh"
# Debian's python3: the tests need its scapy.
exec /usr/bin/python3 "$TREE/tests/soak/soak.py" --build-dir "$BUILD" --source-dir "$TREE" \
	"${args[@]}"
