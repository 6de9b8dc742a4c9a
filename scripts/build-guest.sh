#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-guest.sh — build the guest image NetVM NFs run in under QEMU.
#
# The guest is Debian's 6.1 kernel, booted as an uncompressed ELF (PVH entry,
# no bootloader, seconds under TCG), and a busybox initramfs holding the UIO
# driver for ivshmem (guest-uio-driver/), the probe tool, the NFs linked
# statically, and an /init that writes the files of netvm.file= parameters,
# runs the command of the kernel parameter netvm.run= and powers off (without
# netvm.run=, both come from QEMU's firmware config: opt/netvm/run and
# opt/netvm/file<N>). The same kernel (bzImage) and initramfs also go into a
# bootable disk image, for VMs booted from a disk. Steps:
#   1. packages: qemu-system-x86 busybox-static cpio gcc make xz-utils meson
#      ninja-build dkms dosfstools mtools syslinux syslinux-common and
#      linux-headers-<release> of the guest kernel, when missing (dkms: the vm
#      suite checks the driver's DKMS configuration)
#   2. kernel: apt-get download linux-image-<release>, unpack vmlinuz, uio.ko
#      and qemu_fw_cfg.ko, extract vmlinux from vmlinuz (the XZ stream after
#      the decompressor)
#   3. netvm_uio.ko against the headers, nvm_uio_probe and the VM tests' tool
#      guest_garbage linked statically; netvm-l3fwd, netvm-bridge,
#      netvm-firewall and netvm-click built with -Dstatic_nf=true in their own
#      meson build directory (nf-build/)
#   4. initramfs.cpio.gz (cpio newc, gzip)
#   5. disk.img: a raw FAT image without partition table (mkfs.vfat, files
#      copied with mcopy: no loop device, no mount) holding vmlinuz, the
#      initramfs and syslinux.cfg, made bootable by `syslinux --install`
#   6. accel: whether this machine's KVM runs the guest. /dev/kvm may open
#      and still fail (a nested host whose KVM cannot emulate what the guest
#      kernel does): the image is booted once with -accel kvm and must reach
#      its /init within 30 s. The answer, "kvm" or "tcg" and why, goes to
#      DIR/accel; the tests and the demo pass it to QEMU and to
#      netvm-manager (manager.accel). Checked again when the kernel, the
#      host's boot or its /dev/kvm changes
# Steps 1-3 are skipped when their output is there and up to date; a second
# run only rebuilds what changed and repacks the initramfs. Run it as root
# (apt-get, device nodes).
#
# Usage: scripts/build-guest.sh
# Environment:
#   NETVM_GUEST_DIR=DIR        output directory (default build/guest, relative to the tree)
#   NETVM_GUEST_KERNEL=REL     guest kernel release, e.g. 6.1.0-28-amd64 (default: the one
#                              already built, else the newest 6.1.0-N-amd64 in the archive)
#   NETVM_GUEST_EXTRA="src:dst ..."  more files for the initramfs, e.g. a static NF of
#                              one's own: "build-static/apps/my/my-nf:/bin/my-nf"
#                              (netvm-l3fwd, netvm-bridge, netvm-firewall and
#                              netvm-click are always in /bin)
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GUEST=${NETVM_GUEST_DIR:-build/guest}
case "$GUEST" in
/*) ;;
*) GUEST="$TREE/$GUEST" ;;
esac
EXTRA=${NETVM_GUEST_EXTRA:-}

PACKAGES="qemu-system-x86 busybox-static cpio gcc make xz-utils meson ninja-build dkms
	dosfstools mtools syslinux syslinux-common"
BUSYBOX=/bin/busybox
DRIVER="$TREE/guest-uio-driver"
INIT="$TREE/scripts/lib/guest/init"
AGENT="$TREE/scripts/lib/guest/agent"
NF_BUILD="$GUEST/nf-build"
# NFs of the image: meson target -> path in the guest.
NF_TARGETS="apps/l3fwd/netvm-l3fwd apps/bridge/netvm-bridge apps/firewall/netvm-firewall
	apps/click/netvm-click"

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "build-guest: error: $*" >&2
	exit 1
}

say() {
	echo "build-guest: $*"
}

for arg in "$@"; do
	case "$arg" in
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$arg'" ;;
	esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get installs packages; the initramfs needs /dev/console)"
mkdir -p "$GUEST"
log="$GUEST/build.log"
: >"$log"

# --- 1. packages ------------------------------------------------------------

missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

apt_install() {
	say "installing: $*"
	apt-get update -q >>"$log" 2>&1 ||
		die "apt-get update failed (is the package archive reachable?); see $log"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
		>>"$log" 2>&1 || die "apt-get install $* failed; see $log"
}

# The guest kernel release: asked for, already built, or the newest in the archive
# that has both an image and headers.
kernel_releases() {
	apt-cache search --names-only "^linux-$1-6\\.1\\.0-[0-9]+-amd64\$" |
		sed -n "s/^linux-$1-\\(6\\.1\\.0-[0-9]*-amd64\\) .*/\\1/p" | sort
}

REL=${NETVM_GUEST_KERNEL:-}
if [ -z "$REL" ] && [ -f "$GUEST/kernel.version" ] && [ -f "$GUEST/vmlinux" ]; then
	REL=$(cat "$GUEST/kernel.version")
fi
if [ -z "$REL" ]; then
	if [ -z "$(kernel_releases image)" ]; then
		apt-get update -q >>"$log" 2>&1 || true
	fi
	REL=$(comm -12 <(kernel_releases image) <(kernel_releases headers) | sort -V | tail -n 1)
	[ -n "$REL" ] || die "no linux-image-6.1.0-N-amd64 with matching headers in the archive;" \
		"set NETVM_GUEST_KERNEL to a release that has both"
fi
case "$REL" in
*[!A-Za-z0-9.+-]*|'') die "NETVM_GUEST_KERNEL='$REL' is not a kernel release like 6.1.0-28-amd64" ;;
esac
KDIR=/usr/src/linux-headers-$REL

# shellcheck disable=SC2086 # one word per package
missing=$(missing_packages $PACKAGES "linux-headers-$REL")
# shellcheck disable=SC2086
[ -z "$missing" ] || apt_install $missing
[ -f "$KDIR/Makefile" ] || die "$KDIR/Makefile is missing although linux-headers-$REL is installed"
say "packages: present; guest kernel $REL"

# --- 2. kernel --------------------------------------------------------------

# Prints the offsets of the XZ magic (FD 37 7A 58 5A 00) in file $1.
xz_offsets() {
	LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" | cut -d: -f1
}

if [ ! -f "$GUEST/vmlinux" ] || [ ! -f "$GUEST/vmlinuz" ] || [ ! -f "$GUEST/uio.ko" ] ||
	[ ! -f "$GUEST/qemu_fw_cfg.ko" ] ||
	[ "$(cat "$GUEST/kernel.version" 2>/dev/null)" != "$REL" ]; then
	rm -rf "$GUEST/pkg"
	mkdir -p "$GUEST/pkg"
	# apt-get download writes into the current directory.
	(cd "$GUEST/pkg" && apt-get download "linux-image-$REL" >>"$log" 2>&1) ||
		die "apt-get download linux-image-$REL failed; see $log"
	# Only three files of the package are needed: the kernel, the UIO core
	# module and the firmware config driver (neither module depends on another).
	dpkg-deb --fsys-tarfile "$GUEST"/pkg/linux-image-"$REL"_*.deb |
		tar -x -C "$GUEST/pkg" --wildcards "./boot/vmlinuz-$REL" \
			"*/modules/$REL/kernel/drivers/uio/uio.ko" \
			"*/modules/$REL/kernel/drivers/firmware/qemu_fw_cfg.ko" ||
		die "cannot unpack vmlinuz, uio.ko and qemu_fw_cfg.ko from linux-image-$REL"
	vmlinuz="$GUEST/pkg/boot/vmlinuz-$REL"
	uio_ko=$(find "$GUEST/pkg" -name uio.ko | head -n 1)
	[ -n "$uio_ko" ] || die "linux-image-$REL has no uio.ko"
	fw_cfg_ko=$(find "$GUEST/pkg" -name qemu_fw_cfg.ko | head -n 1)
	[ -n "$fw_cfg_ko" ] || die "linux-image-$REL has no qemu_fw_cfg.ko"
	rm -f "$GUEST/vmlinux.tmp"
	for off in $(xz_offsets "$vmlinuz"); do
		tail -c +"$((off + 1))" "$vmlinuz" | xz -dc --single-stream \
			>"$GUEST/vmlinux.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$GUEST/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			break
		fi
		rm -f "$GUEST/vmlinux.tmp"
	done
	[ -f "$GUEST/vmlinux.tmp" ] || die "no XZ-compressed ELF kernel found in $vmlinuz"
	mv "$GUEST/vmlinux.tmp" "$GUEST/vmlinux"
	cp "$vmlinuz" "$GUEST/vmlinuz"
	cp "$uio_ko" "$GUEST/uio.ko"
	cp "$fw_cfg_ko" "$GUEST/qemu_fw_cfg.ko"
	echo "$REL" >"$GUEST/kernel.version"
	rm -rf "$GUEST/pkg"
	kernel_msg="extracted from linux-image-$REL"
else
	kernel_msg="up to date"
fi
say "kernel: $kernel_msg"

# --- 3. module, tools and NFs --------------------------------------------------

# True when file $1 is missing or older than any of the others.
stale() {
	local out=$1 f
	shift
	[ -f "$out" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}

if stale "$GUEST/netvm_uio.ko" "$DRIVER/netvm_uio.c" "$DRIVER/Kbuild" "$KDIR/Makefile" ||
	[ "$(cat "$GUEST/module.version" 2>/dev/null)" != "$REL" ]; then
	"$DRIVER/kbuild.sh" "$KDIR" "$GUEST/kbuild" "$GUEST/netvm_uio.ko" >>"$log" 2>&1 ||
		die "building netvm_uio.ko against $KDIR failed; see $log"
	echo "$REL" >"$GUEST/module.version"
	module_msg="built"
else
	module_msg="up to date"
fi

PROBE_SRC="$DRIVER/tools/nvm_uio_probe.c"
ABI_H="$TREE/netlib/include/netvm_abi.h"
if stale "$GUEST/nvm_uio_probe" "$PROBE_SRC" "$ABI_H"; then
	gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -static -I"$TREE/netlib/include" \
		-o "$GUEST/nvm_uio_probe" "$PROBE_SRC" >>"$log" 2>&1 ||
		die "building nvm_uio_probe failed; see $log"
	probe_msg="built"
else
	probe_msg="up to date"
fi

GARBAGE_SRC="$TREE/tests/vm/guest_garbage.c"
RING_H="$TREE/netlib/include/nvm_ring.h"
if stale "$GUEST/guest_garbage" "$GARBAGE_SRC" "$ABI_H" "$RING_H"; then
	gcc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -static -I"$TREE/netlib/include" \
		-o "$GUEST/guest_garbage" "$GARBAGE_SRC" >>"$log" 2>&1 ||
		die "building guest_garbage failed; see $log"
	garbage_msg="built"
else
	garbage_msg="up to date"
fi
say "module: $module_msg; probe: $probe_msg; guest_garbage: $garbage_msg"

# The NFs: the tree's own meson build, linked statically (the guest has no
# shared libraries), without the core engine, the tests or the module.
if [ ! -f "$NF_BUILD/build.ninja" ]; then
	meson setup "$NF_BUILD" "$TREE" --buildtype=release -Dstatic_nf=true \
		-Dcore=disabled -Dtests=disabled -Dguest_driver=disabled >>"$log" 2>&1 ||
		die "meson setup of $NF_BUILD failed; see $log"
fi
# shellcheck disable=SC2086 # one word per target
ninja -C "$NF_BUILD" $NF_TARGETS >>"$log" 2>&1 ||
	die "building the static NFs in $NF_BUILD failed; see $log"
say "NFs: $(for t in $NF_TARGETS; do basename "$t"; done | tr '\n' ' ')(static, $NF_BUILD)"

# --- 4. initramfs -------------------------------------------------------------

root="$GUEST/initramfs.d"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,lib/modules}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$INIT" "$root/init"
chmod 755 "$root/init"
cp "$AGENT" "$root/bin/netvm-agent"
chmod 755 "$root/bin/netvm-agent"
cp "$GUEST/uio.ko" "$GUEST/netvm_uio.ko" "$GUEST/qemu_fw_cfg.ko" "$root/lib/modules/"
cp "$GUEST/nvm_uio_probe" "$GUEST/guest_garbage" "$root/bin/"
for t in $NF_TARGETS; do
	cp "$NF_BUILD/$t" "$root/bin/"
done
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

for pair in $EXTRA; do
	src=${pair%%:*}
	dst=${pair#*:}
	if [ "$src" = "$pair" ] || [ -z "$src" ] || [ "${dst#/}" = "$dst" ]; then
		die "NETVM_GUEST_EXTRA entry '$pair' is not src:/absolute/dst"
	fi
	case "$src" in
	/*) ;;
	*) src="$TREE/$src" ;;
	esac
	[ -f "$src" ] || die "NETVM_GUEST_EXTRA: $src does not exist"
	if LC_ALL=C readelf -l "$src" 2>/dev/null | grep -q 'program interpreter'; then
		die "NETVM_GUEST_EXTRA: $src is dynamically linked; the guest has no shared" \
			"libraries (build it with -Dstatic_nf=true)"
	fi
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio -o -0 -H newc --quiet -R 0:0 | gzip -n -9) >"$GUEST/initramfs.cpio.gz.tmp" ||
	die "cannot pack the initramfs"
mv "$GUEST/initramfs.cpio.gz.tmp" "$GUEST/initramfs.cpio.gz"
rm -rf "$root"
say "initramfs: $(du -k "$GUEST/initramfs.cpio.gz" | cut -f1) KiB"

# --- 5. disk image ------------------------------------------------------------

# An unpartitioned FAT file system ("superfloppy") whose boot sector is
# syslinux's: SeaBIOS loads sector 0 of the virtio disk, syslinux loads the
# kernel and the initramfs. The command line names no NF: /init then reads it
# from fw_cfg, so one image serves every VM. mtools works on the image file
# itself (MTOOLS_SKIP_CHECK: the geometry of an image file is not a floppy's).
export MTOOLS_SKIP_CHECK=1
disk_tmp="$GUEST/disk.img.tmp"
rm -f "$disk_tmp"
kib=$(( ($(stat -c %s "$GUEST/vmlinuz") + $(stat -c %s "$GUEST/initramfs.cpio.gz")) / 1024 + 4096 ))
mkfs.vfat -C -n NETVM -i 4e564d31 "$disk_tmp" "$kib" >>"$log" 2>&1 ||
	die "mkfs.vfat of $disk_tmp failed; see $log"
syslinux --install "$disk_tmp" >>"$log" 2>&1 || die "syslinux --install $disk_tmp failed; see $log"
printf '%s\n' "DEFAULT netvm" "PROMPT 0" "TIMEOUT 0" "LABEL netvm" "  LINUX /vmlinuz" \
	"  INITRD /initrd.gz" "  APPEND console=ttyS0 panic=-1 quiet" >"$GUEST/syslinux.cfg"
{
	mcopy -i "$disk_tmp" "$GUEST/vmlinuz" ::/vmlinuz &&
		mcopy -i "$disk_tmp" "$GUEST/initramfs.cpio.gz" ::/initrd.gz &&
		mcopy -i "$disk_tmp" "$GUEST/syslinux.cfg" ::/syslinux.cfg
} >>"$log" 2>&1 || die "mcopy into $disk_tmp failed; see $log"
rm -f "$GUEST/syslinux.cfg"
mv "$disk_tmp" "$GUEST/disk.img"
say "disk: $(du -k "$GUEST/disk.img" | cut -f1) KiB (raw, syslinux)"

# --- 6. accelerator -----------------------------------------------------------

accel_check() {
	local out="$GUEST/accel.log" pid i
	if [ ! -e /dev/kvm ]; then
		echo "tcg: no /dev/kvm"
		return
	fi
	if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo "tcg: /dev/kvm is not readable and writable"
		return
	fi
	qemu-system-x86_64 -accel kvm -m 256 -nodefaults -no-user-config -display none \
		-serial stdio -no-reboot -kernel "$GUEST/vmlinux" -initrd "$GUEST/initramfs.cpio.gz" \
		-append 'console=ttyS0 panic=-1 quiet netvm.run=/bin/true' >"$out" 2>&1 &
	pid=$!
	# A failing KVM pauses the guest rather than ending QEMU: poll, then kill.
	for i in $(seq 150); do
		grep -q -e 'netvm-init: exit status' -e 'KVM internal error' "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if grep -q 'netvm-init: exit status' "$out"; then
		echo "kvm: the guest booted under KVM in $((i / 5)) s"
	elif grep -q 'KVM internal error' "$out"; then
		echo "tcg: /dev/kvm opens but KVM fails to run the guest (KVM internal error, $out)"
	else
		echo "tcg: /dev/kvm opens but the guest did not reach its /init under KVM in 30 s ($out)"
	fi
}
# The verdict holds for this kernel on this host until it reboots (or its
# /dev/kvm comes or goes): checked again only then.
accel_key="$REL $(cat /proc/sys/kernel/random/boot_id) $(ls -l /dev/kvm 2>&1 || true)"
if [ -f "$GUEST/accel" ] && [ "$(cat "$GUEST/accel.key" 2>/dev/null)" = "$accel_key" ]; then
	say "accel: $(cat "$GUEST/accel") (checked earlier since this host booted)"
else
	accel_check >"$GUEST/accel.tmp"
	mv "$GUEST/accel.tmp" "$GUEST/accel"
	printf '%s\n' "$accel_key" >"$GUEST/accel.key"
	say "accel: $(cat "$GUEST/accel")"
fi

say "kernel    $GUEST/vmlinux ($REL)"
say "initramfs $GUEST/initramfs.cpio.gz"
say "module    $GUEST/netvm_uio.ko"
say "disk      $GUEST/disk.img (vmlinuz + initramfs, syslinux)"
say "boot:     qemu-system-x86_64 -accel tcg -m 256 -nodefaults -display none -serial stdio -no-reboot" \
	"-kernel $GUEST/vmlinux -initrd $GUEST/initramfs.cpio.gz" \
	"-append 'console=ttyS0 panic=-1 quiet netvm.run=/bin/nvm_uio_probe'"
say "NFs:      /bin/netvm-l3fwd /bin/netvm-bridge /bin/netvm-firewall /bin/netvm-click (--transport uio);" \
	"files for them (routes, rules):" \
	"netvm.file=/PATH:BASE64 on the kernel command line (docs/guest.md)"
say "disk boot: qemu-system-x86_64 ... -drive file=$GUEST/disk.img,if=virtio,format=raw" \
	"-fw_cfg name=opt/netvm/run,string=/bin/nvm_uio_probe"
