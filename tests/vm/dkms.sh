#!/usr/bin/env bash
# dkms: the guest driver's DKMS configuration builds the module for the guest
# kernel whose headers scripts/build-guest.sh installed, as an operator would
# in their own image. The module is built under a version of our own and
# removed again, whatever happens.
set -euo pipefail
src=$(cd "$(dirname "$0")/../../guest-uio-driver" && pwd)
ver="test$$"
fail() { echo "dkms: FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
command -v dkms >/dev/null || fail "dkms is not installed (scripts/build-guest.sh installs it)"
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 | sed 's|.*/linux-headers-||')
[[ -n $kver && -d /lib/modules/$kver/build ]] ||
	fail "no guest kernel headers (run scripts/build-guest.sh)"
cleanup() {
	dkms remove "netvm_uio/$ver" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/netvm_uio-$ver"
}
trap cleanup EXIT
mkdir "/usr/src/netvm_uio-$ver"
cp "$src"/netvm_uio.c "$src"/Kbuild "/usr/src/netvm_uio-$ver/"
sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$src/dkms.conf" >"/usr/src/netvm_uio-$ver/dkms.conf"
dkms add "netvm_uio/$ver" >/dev/null || fail "dkms add"
dkms build "netvm_uio/$ver" -k "$kver" >/tmp/dkms-$$.log 2>&1 || { cat /tmp/dkms-$$.log; rm -f /tmp/dkms-$$.log; fail "dkms build for $kver"; }
rm -f /tmp/dkms-$$.log
ko=$(find "/var/lib/dkms/netvm_uio/$ver/$kver" -name netvm_uio.ko | head -n 1)
[[ -n $ko ]] || fail "no netvm_uio.ko for $kver"
modinfo "$ko" | grep -q '^alias:.*v00001AF4d00001110' || fail "$ko does not claim the ivshmem device 1af4:1110"
echo "dkms: ok: built $ko"
echo "1 passed, 0 failed"
