# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_common.sh — shell helpers for the peers suite (bench_peers.sh):
# argument and machine checks, and the bookkeeping that stops every process
# a run started and removes its DPDK files (hugepage files, runtime
# directories) on exit.
# Sourced, not run. Expects TREE (and TRIALS, SECS, WARMUP for the argument
# check); uses PFX and RUN once they are set.

BENCH_PIDS=""

bench_die() {
	echo "bench: error: $*" >&2
	exit 1
}

# Print the absolute form of a path given relative to the tree.
bench_abspath() {
	case "$1" in
	/*) echo "$1" ;;
	*) echo "$TREE/$1" ;;
	esac
}

bench_check_args() {
	case "${1:-}" in
	"") ;;
	-h|--help)
		sed -n '/^# bench_peers.sh/,/^set -euo/p' "$TREE/scripts/lib/bench_peers.sh" |
			sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) bench_die "unknown argument '$1' (settings are environment variables, see --help)" ;;
	esac
	case "$TRIALS$SECS$WARMUP" in
	*[!0-9]*) bench_die "NETVM_BENCH_TRIALS, NETVM_BENCH_SECONDS and NETVM_BENCH_WARMUP must be whole numbers" ;;
	esac
	if [ "$TRIALS" -lt 1 ] || [ "$SECS" -lt 2 ]; then
		bench_die "need NETVM_BENCH_TRIALS >= 1 and NETVM_BENCH_SECONDS >= 2"
	fi
}

# Fail early, with what to do, when the machine cannot run the setups.
bench_check_machine() {
	local tool free busy
	[ "$(id -u)" -eq 0 ] || bench_die "run as root (DPDK needs hugepages and physical addresses)"
	for tool in dpdk-testpmd python3 cc taskset timeout pkg-config; do
		command -v "$tool" >/dev/null || bench_die "$tool not found: run scripts/setup.sh"
	done
	[ "$(nproc)" -ge 2 ] || bench_die "needs 2 CPUs, this machine has $(nproc)"
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
	[ "$free" -ge 256 ] ||
		bench_die "only $free free 2 MiB hugepages (need 256): run scripts/setup.sh"
	busy=$(bench_cpu_busy)
	if [ "$busy" -ge 20 ]; then
		echo "bench: warning: the CPUs are ${busy}% busy before starting:" \
			"other work is running, figures will be noisy" >&2
	fi
}

# Print how busy the CPUs are (percent, all CPUs together) over half a second.
bench_cpu_busy() {
	local _c u1 n1 s1 i1 w1 q1 sq1 st1 u2 n2 s2 i2 w2 q2 sq2 st2 busy total
	read -r _c u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
	sleep 0.5
	read -r _c u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
	busy=$(((u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1)))
	total=$((busy + (i2 + w2) - (i1 + w1)))
	echo $((total > 0 ? busy * 100 / total : 0))
}

# Remember a background process so that bench_cleanup stops it.
bench_track() {
	BENCH_PIDS="$BENCH_PIDS $1"
}

bench_untrack() {
	local p keep=""
	for p in $BENCH_PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	BENCH_PIDS=$keep
}

# Send signal $2 to process $1 and to all its descendants, children first.
bench_signal_tree() {
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		bench_signal_tree "$child" "$2"
	done
	kill -"$2" "$1" 2>/dev/null || true
}

# Stop a tracked process: SIGINT (DPDK processes then print their totals),
# SIGKILL to it and its descendants if it is still there after 10 s; reap it.
bench_stop() {
	local pid=$1 _
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && bench_signal_tree "$pid" KILL
	wait "$pid" 2>/dev/null || true
	bench_untrack "$pid"
}

# Wait up to $2 seconds for the file or socket $1 to exist, giving up early if
# process $3 (optional) ends; 1 if it did not appear.
bench_wait_file() {
	local _
	for _ in $(seq $(($2 * 10))); do
		[ -e "$1" ] && return 0
		if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# bench_affinity FILE LABEL PID: append one line per thread of PID and of
# its descendants to FILE: "LABEL PID/TID COMM CPUS" (CPUS: the thread's
# allowed CPU list, e.g. 0 or 0-1).
bench_affinity() {
	local file=$1 label=$2 pid=$3 task comm cpus child
	for task in /proc/"$pid"/task/*; do
		[ -r "$task/status" ] || continue
		comm=$(tr ' ' '_' <"$task/comm" 2>/dev/null) || continue
		cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$task/status" 2>/dev/null)
		echo "$label $pid/${task##*/} $comm ${cpus:-?}" >>"$file"
	done
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		bench_affinity "$file" "$label" "$child"
	done
}

bench_cleanup() {
	local pid
	for pid in $BENCH_PIDS; do
		bench_stop "$pid"
	done
	if [ -n "${PFX:-}" ]; then
		rm -f /dev/hugepages/"$PFX"*
		rm -rf /var/run/dpdk/"$PFX"*
	fi
	if [ -n "${RUN:-}" ]; then
		rm -rf "$RUN"
	fi
}
