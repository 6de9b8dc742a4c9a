#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sanitize.sh — run test suites on a build with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer (docs/fuzzing.md).
#
# Configures BUILD with -Db_sanitize=address,undefined when it is missing
# (gcc, like the main build: the core engine, netlib, the NFs, the manager
# and every test program are instrumented; DPDK's own libraries are not),
# builds it, and runs the suites with every report written to files; the
# run fails when a suite fails or when any process of any test left a
# report, even one whose test passed (a leak at exit, say).
#
# Usage: scripts/sanitize.sh [SUITE...]
#   SUITE   meson suites to run (default: unit functional fault)
# Environment:
#   NETVM_ASAN_BUILD=DIR   build directory (default build-asan, relative to the tree)
# Needs root and hugepages for the functional and fault suites, as test.sh.
set -euo pipefail

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${NETVM_ASAN_BUILD:-build-asan}
case "$BUILD" in
/*) ;;
*) BUILD="$TREE/$BUILD" ;;
esac

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "sanitize: error: $*" >&2
	exit 1
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
esac
suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(unit functional fault)

"$TREE/scripts/setup.sh" --no-build >/dev/null

mkdir -p "$BUILD"
log="$BUILD/sanitize-build.log"
if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
	meson setup "$BUILD" "$TREE" -Db_sanitize=address,undefined -Dbuildtype=debugoptimized \
		>"$log" 2>&1 || { cat "$log" >&2; die "meson setup $BUILD failed"; }
fi
ninja -C "$BUILD" -j2 >"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "build failed (full log: $log)"; }

reports="$BUILD/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# Every instrumented process the tests start inherits these: reports go to
# files named by tool and pid; the first error ends the process.
# DPDK maps hugepages at fixed addresses far from ASan's shadow; nothing to
# tune for it beyond keeping the default shadow layout.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
# Leaks inside a library we cannot fix (the file says which and why).
export LSAN_OPTIONS="log_path=$reports/lsan:print_suppressions=0:suppressions=$TREE/tests/fuzz/lsan.supp"

args=()
for s in "${suites[@]}"; do
	args+=(--suite "$s")
done
status=0
# Instrumented programs run about twice as slowly: twice the time limits.
meson test -C "$BUILD" --print-errorlogs --num-processes 1 --timeout-multiplier 2 \
	"${args[@]}" || status=$?

nreports=0
for f in "$reports"/*; do
	[ -e "$f" ] || continue
	# A report says ERROR (ASan, LSan) or "runtime error" (UBSan).
	grep -qE 'ERROR: |runtime error' "$f" || continue
	nreports=$((nreports + 1))
	echo "sanitize: report $f:" >&2
	head -n 40 "$f" >&2
done
if [ $nreports -gt 0 ]; then
	echo "sanitize: $nreports sanitizer report(s) in $reports" >&2
	status=1
fi
echo "sanitize: suites ${suites[*]}: $([ $status -eq 0 ] && echo passed || echo FAILED)," \
	"$nreports sanitizer reports"
exit $status
