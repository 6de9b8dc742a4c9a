#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-deb.sh — build NetVM's Debian packages (netvm, netvm-dev,
# netvm-guest-dkms) from the committed tree.
#
# Clones the tree's HEAD (uncommitted changes are not packaged) into a work
# directory, installs the missing build dependencies of debian/control
# (mk-build-deps from devscripts/equivs, as root or through sudo), runs
# `dpkg-buildpackage -b -us -uc` there and copies the .deb files to the
# output directory. The package build runs no tests (they need root and
# hugepages); tests/functional/out_of_tree_nf.py checks what netvm-dev holds.
#
# Usage: scripts/build-deb.sh [--no-deps]
#   --no-deps            do not install build dependencies (dpkg-checkbuilddeps
#                        still checks them)
# Environment:
#   NETVM_DEB_DIR=DIR    where the .deb files go (default build/deb, relative to the tree)
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${NETVM_DEB_DIR:-build/deb}
case "$OUT" in
/*) ;;
*) OUT="$TREE/$OUT" ;;
esac

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "build-deb: error: $*" >&2
	exit 1
}

say() {
	echo "build-deb: $*"
}

DEPS=1
for arg in "$@"; do
	case "$arg" in
	--no-deps) DEPS=0 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$arg'" ;;
	esac
done

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

command -v git >/dev/null || die "git is not installed"
[ -f "$TREE/debian/control" ] || die "$TREE/debian/control is missing"
git -C "$TREE" rev-parse --verify -q HEAD >/dev/null || die "$TREE is not a git tree with a commit"
if [ -n "$(git -C "$TREE" status --porcelain)" ]; then
	say "warning: uncommitted changes are not packaged (the build uses HEAD)"
fi

# --- tools and build dependencies ----------------------------------------------

missing_packages() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

if [ "$DEPS" -eq 1 ]; then
	tools=$(missing_packages dpkg-dev debhelper devscripts equivs fakeroot build-essential |
		tr '\n' ' ')
	if [ -n "$tools" ] || ! (cd "$TREE" && dpkg-checkbuilddeps >/dev/null 2>&1); then
		if [ -n "$SUDO" ]; then
			command -v sudo >/dev/null || die "not root and sudo is not installed"
		fi
		say "installing the build dependencies"
		$SUDO apt-get update -q >/dev/null ||
			die "apt-get update failed (is the package archive reachable?)"
		if [ -n "$tools" ]; then
			# shellcheck disable=SC2086 # one word per package
			$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends $tools >/dev/null ||
				die "apt-get install $tools failed"
		fi
		deps_dir=$(mktemp -d)
		trap 'rm -rf "$deps_dir"' EXIT
		# mk-build-deps writes netvm-build-deps_*.deb into the current directory.
		(cd "$deps_dir" && $SUDO mk-build-deps --install --remove \
			--tool 'apt-get -y -q --no-install-recommends' "$TREE/debian/control") \
			>"$deps_dir/mk-build-deps.log" 2>&1 || {
			tail -n 20 "$deps_dir/mk-build-deps.log" >&2
			die "installing the build dependencies of debian/control failed"
		}
	fi
fi
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage is missing (apt-get install dpkg-dev)"
(cd "$TREE" && dpkg-checkbuilddeps) || die "build dependencies missing (run without --no-deps)"

# --- build ----------------------------------------------------------------------

work=$(mktemp -d)
trap 'rm -rf "$work" ${deps_dir:+"$deps_dir"}' EXIT
git clone -q "$TREE" "$work/netvm" || die "git clone of $TREE failed"
say "dpkg-buildpackage -b -us -uc in $work/netvm (log: $work/build.log)"
if ! (cd "$work/netvm" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	mkdir -p "$OUT"
	cp "$work/build.log" "$OUT/build.log"
	die "dpkg-buildpackage failed; log in $OUT/build.log"
fi

mkdir -p "$OUT"
debs=("$work"/*.deb)
[ -e "${debs[0]}" ] || die "dpkg-buildpackage made no .deb"
cp "${debs[@]}" "$OUT/"
cp "$work/build.log" "$OUT/build.log"
for deb in "${debs[@]}"; do
	say "$OUT/$(basename "$deb")"
done
say "install: apt-get install $OUT/netvm_*.deb (and netvm-dev, netvm-guest-dkms as needed)"
