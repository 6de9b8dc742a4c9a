#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-qemu.sh — build qemu-system-x86_64 with NetVM's patch series
# (qemu-patches/*.patch, docs/qemu-patches.md) from Debian's QEMU source.
#
# Steps:
#   1. packages: the build dependencies (libglib2.0-dev libpixman-1-dev
#      libgnutls28-dev dpkg-dev git meson ninja-build gcc make python3
#      pkg-config) and qemu-system-x86, when missing
#   2. source: Debian's `qemu` source package of the version of the installed
#      qemu-system-x86 (its firmware is the one the patched binary uses),
#      fetched with apt-get source through a private sources list with deb-src
#      entries (the system's apt configuration is not touched), unpacked with
#      Debian's own patches applied and recorded in a git repository kept
#      beside it (DIR/src.git: QEMU's configure must not see a .git of its own)
#   3. patches: the source reset to Debian's and qemu-patches/*.patch applied
#      in name order (git am); a reset only touches the files that differ, so
#      a changed series recompiles only what it changes
#   4. build: configure for x86_64-softmmu only (TCG and KVM), every optional
#      feature off but GnuTLS (the TLS of migration streams,
#      manager.migrate_tls), no documentation, no firmware blobs (Debian's
#      qemu-system-data and seabios provide them at run time), then make
#   5. DIR/bin/qemu-system-x86_64 (what manager.qemu names) and DIR/stamp
# When DIR/stamp holds the same source version, series hash and configure
# options, nothing is done: a second run returns at once. Prints how long the
# build took. Run it as root (apt-get).
#
# Usage: scripts/build-qemu.sh [--print-binary]
#   --print-binary      print the binary's path if it is built and up to date
#                       (exit 0), else exit 1; builds nothing
# Environment:
#   NETVM_QEMU_DIR=DIR       output directory (default build/qemu, relative to the tree)
#   NETVM_QEMU_VERSION=V     Debian source version, e.g. 1:7.2+dfsg-7+deb12u18
#                            (default: the installed qemu-system-x86's source version)
#   NETVM_QEMU_JOBS=N        parallel compile jobs (default: the number of CPUs)
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${NETVM_QEMU_DIR:-build/qemu}
case "$DIR" in
/*) ;;
*) DIR="$TREE/$DIR" ;;
esac
PATCHES="$TREE/qemu-patches"
JOBS=${NETVM_QEMU_JOBS:-$(nproc)}
PACKAGES="libglib2.0-dev libpixman-1-dev libgnutls28-dev dpkg-dev git meson ninja-build gcc
	make python3 pkg-config qemu-system-x86"
# Only what NetVM's VMs use: x86_64 guests under TCG or KVM, and TLS for
# migration streams between hosts.
CONFIGURE_OPTS="--target-list=x86_64-softmmu --meson=meson --disable-docs
	--without-default-features --enable-tcg --enable-kvm --enable-gnutls --disable-install-blobs
	--disable-werror --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"
# shellcheck disable=SC2086 # the options on one line, as words
OPTS_LINE=$(printf '%s ' $CONFIGURE_OPTS)
GIT_ID=(-c user.name=netvm-build -c user.email=netvm-build@localhost)
shopt -s nullglob
SERIES=("$PATCHES"/*.patch)
shopt -u nullglob

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "build-qemu: error: $*" >&2
	exit 1
}

say() {
	echo "build-qemu: $*"
}

print_only=0
for arg in "$@"; do
	case "$arg" in
	--print-binary) print_only=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$arg'" ;;
	esac
done

case "$JOBS" in
''|*[!0-9]*|0) die "NETVM_QEMU_JOBS must be a number of jobs, not '$JOBS'" ;;
esac

# The version wanted: asked for, or the installed qemu-system-x86's source.
version() {
	if [ -n "${NETVM_QEMU_VERSION:-}" ]; then
		echo "$NETVM_QEMU_VERSION"
		return
	fi
	dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null || true
}

# What the binary is built from: source version, patch series, options.
series_key() {
	local f
	{
		echo "version $1"
		echo "options $OPTS_LINE"
		for f in "${SERIES[@]}"; do
			echo "patch $(basename "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
		done
	} | sha256sum | cut -d' ' -f1
}

BIN="$DIR/bin/qemu-system-x86_64"
VERSION=$(version)
up_to_date() {
	[ -n "$VERSION" ] && [ -x "$BIN" ] && [ -f "$DIR/stamp" ] &&
		[ "$(cat "$DIR/stamp")" = "$VERSION $(series_key "$VERSION")" ]
}

if [ $print_only = 1 ]; then
	up_to_date || exit 1
	echo "$BIN"
	exit 0
fi
if up_to_date; then
	say "up to date: $BIN (qemu $VERSION, ${#SERIES[@]} patches)"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get installs the build dependencies)"
started=$(date +%s)
mkdir -p "$DIR"
log="$DIR/build.log"
: >"$log"

# --- 1. packages ------------------------------------------------------------

missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	apt-get update -q >>"$log" 2>&1 ||
		die "apt-get update failed (is the package archive reachable?); see $log"
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		>>"$log" 2>&1 || die "apt-get install$missing failed; see $log"
	VERSION=$(version)
fi
[ -n "$VERSION" ] || die "no QEMU version: qemu-system-x86 is not installed and" \
	"NETVM_QEMU_VERSION is not set"
case "$VERSION" in
*[!A-Za-z0-9.+:~-]*) die "NETVM_QEMU_VERSION='$VERSION' is not a Debian version" ;;
esac

# --- 2. source --------------------------------------------------------------

SRC="$DIR/src"
GIT=(git "${GIT_ID[@]}" --git-dir="$DIR/src.git" --work-tree="$SRC")
if [ ! -f "$DIR/src.version" ] || [ "$(cat "$DIR/src.version")" != "$VERSION" ] ||
	! "${GIT[@]}" rev-parse -q --verify refs/tags/debian >/dev/null 2>&1; then
	say "fetching Debian's qemu $VERSION source"
	apt_dir="$DIR/apt"
	rm -rf "$apt_dir" "$SRC" "$DIR/src.git" "$DIR/obj" "$DIR/src.version"
	mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
		"$apt_dir/dl"
	# The system's own sources with deb-src added, in a private apt state.
	cat >"$apt_dir/parts/debian.sources" <<-EOF
		Types: deb deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb deb-src
		URIs: http://deb.debian.org/debian-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/parts"
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
	apt-get "${apt_opts[@]}" update -q >>"$log" 2>&1 ||
		die "apt-get update with deb-src entries failed; see $log"
	(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" source --download-only -q \
		"qemu=$VERSION") >>"$log" 2>&1 ||
		die "apt-get source qemu=$VERSION failed (set NETVM_QEMU_VERSION to a version" \
			"the archive has: apt-cache showsrc qemu); see $log"
	dpkg-source -x "$apt_dir"/dl/qemu_*.dsc "$SRC" >>"$log" 2>&1 ||
		die "dpkg-source -x failed; see $log"
	# dpkg-source leaves a copy of the upstream tarball beside the tree
	rm -rf "$SRC/.pc" "$apt_dir/dl" "$DIR"/qemu_*.orig.tar.*
	"${GIT[@]}" init -q >>"$log" 2>&1
	"${GIT[@]}" add -A >>"$log" 2>&1
	"${GIT[@]}" commit -q -m "qemu $VERSION: Debian's source with Debian's patches" \
		>>"$log" 2>&1 || die "git commit of the source failed; see $log"
	"${GIT[@]}" tag debian
	echo "$VERSION" >"$DIR/src.version"
fi

# --- 3. patches -------------------------------------------------------------

"${GIT[@]}" checkout -q --detach debian >>"$log" 2>&1
"${GIT[@]}" reset -q --hard debian >>"$log" 2>&1
n=0
for p in "${SERIES[@]}"; do
	"${GIT[@]}" am -q --whitespace=nowarn "$p" >>"$log" 2>&1 || {
		"${GIT[@]}" am --abort >/dev/null 2>&1 || true
		die "$(basename "$p") does not apply to qemu $VERSION; see $log"
	}
	n=$((n + 1))
done
say "qemu $VERSION with $n patches from qemu-patches/"

# --- 4. build ---------------------------------------------------------------

OBJ="$DIR/obj"
if [ ! -f "$OBJ/build.ninja" ] || [ "$(cat "$OBJ/netvm-options" 2>/dev/null)" != "$OPTS_LINE" ]; then
	say "configuring (x86_64-softmmu only)"
	mkdir -p "$OBJ"
	# shellcheck disable=SC2086
	(cd "$OBJ" && ../src/configure $CONFIGURE_OPTS) >>"$log" 2>&1 ||
		die "configure failed; see $log"
	echo "$OPTS_LINE" >"$OBJ/netvm-options"
fi
say "compiling with $JOBS jobs (6 to 15 minutes on 2 CPUs the first time)"
nice -n 10 make -C "$OBJ" -j"$JOBS" qemu-system-x86_64 >>"$log" 2>&1 ||
	die "make failed; see $log"

# --- 5. the binary ----------------------------------------------------------

mkdir -p "$DIR/bin"
install -m 0755 "$OBJ/qemu-system-x86_64" "$BIN.new"
mv -f "$BIN.new" "$BIN"
"$BIN" -device ivshmem-plain,help 2>/dev/null | grep -q x-shared-no-migrate ||
	[ $n = 0 ] || die "$BIN has no ivshmem property x-shared-no-migrate; see $log"
echo "$VERSION $(series_key "$VERSION")" >"$DIR/stamp"
say "built $BIN in $(($(date +%s) - started)) s"
