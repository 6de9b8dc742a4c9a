#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KDIR WORKDIR OUTPUT — build netvm_uio.ko against kernel headers.
#
# Kbuild writes its objects beside the sources, so the sources are copied to
# WORKDIR first and the source tree stays clean; the module is then copied to
# OUTPUT. Used by meson.build (option guest_driver) and scripts/build-guest.sh.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: kbuild.sh KDIR WORKDIR OUTPUT" >&2
	exit 2
fi
kdir=$1
work=$2
out=$3
src=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$kdir/Makefile" ]; then
	echo "kbuild.sh: $kdir has no kernel Makefile; install the matching" \
		"linux-headers-<release> package" >&2
	exit 1
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
cp "$src/netvm_uio.c" "$src/Kbuild" "$work/"
make -s -C "$kdir" M="$work" modules
cp "$work/netvm_uio.ko" "$out"
