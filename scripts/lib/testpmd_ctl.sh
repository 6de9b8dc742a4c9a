# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd_ctl.sh — drive interactive dpdk-testpmd processes through FIFOs.
#
# Each testpmd runs with -i and reads its commands from a FIFO; a command is
# done when testpmd prints its next "testpmd> " prompt. This lets a trial
# measure an exact window ("show port stats" twice: the second shows packets/s
# since the first) and stop forwarding in every process before any of them
# closes its ports: a memif peer that disappears while the other side still
# forwards can crash it (seen with DPDK 22.11).
# Sourced, not run. Uses RUN, SECS, WARMUP (seconds of forwarding before the
# window, default 1), TP_AFFINITY (optional: file that gets the CPUs of every
# thread once warmed up) and bench_track/bench_stop/bench_affinity
# (bench_common.sh).

declare -A TP_PID TP_FD TP_LOG

# tp_start NAME LOG EAL-ARGS... -- APP-ARGS...: start testpmd NAME in io
# mode, or in the forwarding mode TP_FWD (e.g. macswap) if set, with bursts
# of NETVM_BENCH_TESTPMD_BURST packets (default 64: the core engine's).
tp_start() {
	local name=$1 log=$2 fifo="$RUN/$1.in" fd
	shift 2
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {fd}<>"$fifo" # read-write: opening does not block, no EOF
	timeout -s INT -k 5 $((SECS + 60)) stdbuf -oL dpdk-testpmd --no-pci "$@" \
		-i --forward-mode="${TP_FWD:-io}" --record-core-cycles \
		--burst="${NETVM_BENCH_TESTPMD_BURST:-64}" \
		<"$fifo" >"$log" 2>&1 &
	TP_PID[$name]=$!
	TP_FD[$name]=$fd
	TP_LOG[$name]=$log
	bench_track "$!"
}

# Number of prompts testpmd NAME has printed.
tp_prompts() {
	grep -o 'testpmd> ' "${TP_LOG[$1]}" 2>/dev/null | wc -l
}

# Wait until testpmd NAME has printed more than $2 prompts; 1 if it ended or
# took more than 20 s.
tp_wait_prompt() {
	local _
	for _ in $(seq 200); do
		[ "$(tp_prompts "$1")" -gt "$2" ] && return 0
		kill -0 "${TP_PID[$1]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# tp_all CMD NAME...: send CMD to every NAME at once, then wait for each.
tp_all() {
	local cmd=$1 name rc=0
	local -A before
	shift
	for name in "$@"; do
		before[$name]=$(tp_prompts "$name")
	done
	for name in "$@"; do
		echo "$cmd" >&"${TP_FD[$name]}"
	done
	for name in "$@"; do
		if ! tp_wait_prompt "$name" "${before[$name]}"; then
			echo "bench: testpmd $name did not finish '$cmd'" >>"${TP_LOG[$name]}"
			rc=1
		fi
	done
	return $rc
}

# tp_quit NAME...: quit each testpmd, force it after 10 s, forget it.
tp_quit() {
	local name fd _
	for name in "$@"; do
		fd=${TP_FD[$name]}
		{ echo quit >&"$fd"; } 2>/dev/null || true
	done
	for name in "$@"; do
		for _ in $(seq 100); do
			kill -0 "${TP_PID[$name]}" 2>/dev/null || break
			sleep 0.1
		done
		bench_stop "${TP_PID[$name]}"
		fd=${TP_FD[$name]}
		exec {fd}>&-
	done
}

# tp_trial MEASURED NAME...: with every NAME started by tp_start, wait for
# their prompts, start forwarding (in the order given), let it warm up for
# WARMUP seconds (then record every thread's CPUs in TP_AFFINITY if set), take "show port stats all" on MEASURED, SECS seconds apart, stop
# forwarding everywhere (testpmd then prints its cycles per packet) and quit.
# Returns 1 if a step failed; the logs say which.
tp_trial() {
	local measured=$1 name rc=0
	shift
	for name in "$@"; do
		tp_wait_prompt "$name" 0 || rc=1
	done
	if [ $rc -eq 0 ]; then
		for name in "$@"; do
			tp_all start "$name" || rc=1
		done
		sleep "${WARMUP:-1}"
		if [ -n "${TP_AFFINITY:-}" ]; then
			for name in "$@"; do
				bench_affinity "$TP_AFFINITY" "$name" "${TP_PID[$name]}"
			done
		fi
		tp_all "show port stats all" "$measured" || rc=1
		sleep "$SECS"
		tp_all "show port stats all" "$measured" || rc=1
		tp_all stop "$@" || rc=1
	fi
	tp_quit "$@"
	return $rc
}
