#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# fuzz.sh — run the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
#
# Configures a clang build with -Dfuzz=true and ASan+UBSan when it is
# missing, builds the targets only, replays each target's corpus (the seeds
# and every input that once broke it), then fuzzes each one for SECONDS.
# New inputs found go to BUILD/fuzz-corpus/TARGET (kept between runs, never
# in the tree); a crash, leak, sanitizer report, broken property or hang
# (one input running over 10 s, in the replay as in the fuzzing) stops that
# target, its input is left in BUILD/fuzz-artifacts/ and the script exits 1.
# Prints executions per target and a summary line.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS   fuzzing time per target (default 20; 0: replay the corpus only)
#   TARGET    cfg mgr_cfg mgr_mig_auth routes hdr cls msg validate filter click click_pkt
#             (default: all)
# Environment:
#   NETVM_FUZZ_BUILD=DIR   build directory (default build-fuzz, relative to the tree)
set -euo pipefail

TARGETS_ALL="cfg mgr_cfg mgr_mig_auth routes hdr cls msg validate filter click click_pkt"
# Seconds one input may run, replayed or fuzzed, before it counts as a hang.
HANG_SECS=10
# Debian packages for the clang build (libFuzzer is in libclang-rt-dev).
PACKAGES="clang libclang-rt-dev"

TREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${NETVM_FUZZ_BUILD:-build-fuzz}
case "$BUILD" in
/*) ;;
*) BUILD="$TREE/$BUILD" ;;
esac

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
	echo "fuzz: error: $*" >&2
	exit 1
}

secs=20
if [ $# -gt 0 ]; then
	case "$1" in
	-h|--help) usage; exit 0 ;;
	''|*[!0-9]*) ;;
	*) secs=$1; shift ;;
	esac
fi
targets=${*:-$TARGETS_ALL}
for t in $targets; do
	case " $TARGETS_ALL " in
	*" $t "*) ;;
	*) usage >&2; die "unknown target '$t' (targets: $TARGETS_ALL)" ;;
	esac
done

# The base packages, hugepages are not needed; clang is.
"$TREE/scripts/setup.sh" --no-build >/dev/null
missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "fuzz: installing:$missing"
	$SUDO apt-get update -q >/dev/null || die "apt-get update failed"
	# shellcheck disable=SC2086 # one word per package
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
		die "apt-get install failed for:$missing"
fi

mkdir -p "$BUILD"
log="$BUILD/fuzz-build.log"
if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
	CC=clang meson setup "$BUILD" "$TREE" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized -Dguest_driver=disabled \
		>"$log" 2>&1 || { cat "$log" >&2; die "meson setup $BUILD failed"; }
fi
ninja_targets=
for t in $targets; do
	ninja_targets="$ninja_targets tests/fuzz/fuzz_$t"
done
# shellcheck disable=SC2086 # one word per target
ninja -C "$BUILD" -j2 $ninja_targets >"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "build failed (full log: $log)"; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
# Leaks inside a library we cannot fix (the file says which and why).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TREE/tests/fuzz/lsan.supp}
mkdir -p "$BUILD/fuzz-artifacts"
status=0
summary=
for t in $targets; do
	exe="$BUILD/tests/fuzz/fuzz_$t"
	seeds="$TREE/tests/fuzz/corpus/$t"
	work="$BUILD/fuzz-corpus/$t"
	out="$BUILD/fuzz-artifacts/$t.log"
	mkdir -p "$work"
	# Every input that once broke a target must still pass.
	if ! "$exe" -runs=0 -timeout="$HANG_SECS" -artifact_prefix="$BUILD/fuzz-artifacts/$t-" \
		"$seeds" >"$out" 2>&1; then
		tail -n 30 "$out" >&2
		echo "fuzz: $t: the tree's corpus fails (log: $out)" >&2
		summary="$summary$(printf '%-9s corpus FAILED' "$t")\n"
		status=1
		continue
	fi
	if [ "$secs" -eq 0 ]; then
		summary="$summary$(printf '%-9s corpus ok (%s inputs)' "$t" "$(ls "$seeds" | wc -l)")\n"
		continue
	fi
	rc=0
	"$exe" -max_total_time="$secs" -timeout="$HANG_SECS" -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$t-" \
		"$work" "$seeds" >"$out" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
	found=$(ls "$work" | wc -l)
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|property broken|runtime error|Test unit written' "$out" >&2 || true
		echo "fuzz: $t: FAILED (exit $rc; log: $out)" >&2
		summary="$summary$(printf '%-9s %6s s %10s execs  FAILED, input in %s' "$t" "$secs" \
			"${execs:-?}" "$BUILD/fuzz-artifacts/")\n"
		status=1
	else
		summary="$summary$(printf '%-9s %6s s %10s execs  %5s corpus inputs  ok' "$t" "$secs" \
			"${execs:-?}" "$found")\n"
	fi
done
printf "fuzz: per target:\n$summary"
if [ $status -eq 0 ]; then
	echo "fuzz: all $(echo $targets | wc -w) targets passed"
else
	echo "fuzz: some targets failed"
fi
exit $status
