#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The peers suite's bookkeeping, without running a setup.

scripts/lib/bench_report.py and bench_machine.py on hand-written inputs:
the round order (each setup follows every other one equally often), the
witness verdict (round trip over 2x the run's minimum, load average over the
CPU count), and a summary of a made-up run directory: per-round ratios,
spreads, the nearest witness of each trial, disturbed trials, pinning;
the ratio of two builds (NETVM_BUILD_B) and bench_peers.sh's refusal of a
build-B setup without a second build and of an unknown placement.
The expected figures are worked out here from the inputs, not read back from
the code under test.

    peers_report.py
"""

import collections
import json
import os
import subprocess
import sys
import tempfile

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIB = os.path.join(TREE, "scripts", "lib")
sys.path[:0] = [LIB, os.path.dirname(os.path.abspath(__file__))]

import bench_machine  # noqa: E402
import bench_report  # noqa: E402
from smoke import check, failures, load_json  # noqa: E402


def close(a, b):
    return a is not None and b is not None and abs(a - b) < 1e-3


def check_order():
    for n in (2, 3, 5, 8):
        cases = [f"s{i}" for i in range(n)]
        rounds = n if n % 2 == 0 else 2 * n
        follows = collections.Counter()
        every = True
        for r in range(1, rounds + 1):
            order = bench_report.round_order(cases, r)
            every &= sorted(order) == cases
            follows.update(zip(order, order[1:]))
        check(every, f"order, {n} setups: each round runs every setup once")
        want = 1 if n % 2 == 0 else 2
        check(len(follows) == n * (n - 1) and set(follows.values()) == {want},
              f"order, {n} setups: over {rounds} rounds each setup follows every "
              f"other one {want} time(s) ({dict(follows)})")
    check(bench_report.round_order(["a", "b", "c"], 1) != bench_report.round_order(
        ["a", "b", "c"], 2), "order: round 2 differs from round 1")


def witness(t, label, rtt, load):
    return {"t": t, "label": label, "loadavg": load,
            "cacheline_rtt_ns": None if rtt is None else
            {"median": rtt, "min": rtt, "max": rtt}}


def check_judge():
    cpus = 2
    ws = [witness(0, "before", 400, 1.0), witness(10, "after round 1", 801, 1.5),
          witness(20, "after round 2", 800, 2.0), witness(30, "after round 3", None, 2.5)]
    floor = bench_machine.judge(ws, cpus)
    check(floor == 400, f"judge: the run's minimum round trip is 400 ns ({floor})")
    check([w["disturbed"] for w in ws] == [False, True, False, True],
          "judge: disturbed = round trip > 2x 400 ns (801, not 800) or load > 2 CPUs "
          "(2.5, not 2.0) "
          f"({[w['disturbed'] for w in ws]}, {[w['why'] for w in ws]})")
    check(bench_machine.nearest(ws, 14) == 1 and bench_machine.nearest(ws, 16) == 2,
          "nearest: the witness closest in time")


def summarize(d, sched, ws, trials, what):
    """Write run directory @d's schedule, witness and run.json (@trials trials) and
    run bench_report.py summary on it; check it exits 0. Its CompletedProcess."""
    with open(os.path.join(d, "schedule.jsonl"), "w") as f:
        f.writelines(json.dumps(x) + "\n" for x in sched)
    with open(os.path.join(d, "witness.jsonl"), "w") as f:
        f.writelines(json.dumps(x) + "\n" for x in ws)
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump({"date": "now", "trials": trials, "seconds": 5, "warmup_seconds": 2}, f)
    r = subprocess.run([sys.executable, os.path.join(LIB, "bench_report.py"), "summary", d],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"{what} exits 0 ({r.stderr.strip()[-300:]})")
    return r


def write_trial(d, case, trial, pps, cpus="1", affinity=True):
    doc = {"case": case, "trial": trial, "rate_pps": pps, "cycles_per_pkt": {"fwd": pps / 1e5}}
    if affinity:
        path = os.path.join(d, f"{case}.{trial}.affinity")
        with open(path, "w") as f:
            f.write(f"sw 10/10 timeout 0-1\nsw 11/11 dpdk-testpmd {cpus}\n"
                    f"sw 11/12 rte-worker-0 0\n")
        doc["affinity"] = bench_report.affinity(path)
    with open(os.path.join(d, f"{case}.{trial}.trial.json"), "w") as f:
        json.dump(doc, f)


def check_summary():
    d = tempfile.mkdtemp(prefix="netvm-peers-report.")
    # Three rounds of memif and netvm; round 2 ran on a disturbed host (its
    # after-witness: round trip 5x the minimum), slowing both setups alike.
    rates = {"memif": [10e6, 4e6, 12e6], "netvm": [25e6, 8e6, 24e6]}
    sched = []
    t = 1000.0
    ws = [witness(t, "before", 500, 1.0)]
    for r in (1, 2, 3):
        for case in ("memif", "netvm") if r % 2 else ("netvm", "memif"):
            write_trial(d, case, r, rates[case][r - 1],
                        cpus="0-1" if (case, r) == ("memif", 3) else "1")
            sched.append({"case": case, "trial": r, "round": r, "start": t, "end": t + 10})
            t += 10
        ws.append(witness(t + 1, f"after round {r}", 2500 if r == 2 else 520, 1.0))
        t += 5
    r = summarize(d, sched, ws, 3, "summary")
    s = load_json(os.path.join(d, "summary.json"), "summary.json")
    if s is None:
        return
    check(s.get("warmup_seconds") == 2, "summary: warmup_seconds from run.json")
    memif, netvm = s["results"]["memif"], s["results"]["netvm"]
    rm = memif["rate_mpps"]
    check(close(rm["median"], 10) and close(rm["min"], 4) and close(rm["max"], 12)
          and close(rm["spread_pct"], 80.0), f"memif: 10 [4 - 12], spread 80 % ({rm})")
    cs = netvm.get("cycles_spread", {}).get("fwd", {})
    check(close(cs.get("median"), 240) and close(cs.get("spread_pct"), 70.8),
          f"netvm: cycles 240 [80 - 250], spread 70.8 % ({cs})")
    # Times (s after 1000): witnesses at 0, 21, 46 (disturbed), 71; trial
    # middles: memif 5, 40, 55; netvm 15, 30, 65. Nearest witness: memif
    # 0, 2, 2; netvm 1, 1, 3. So memif #2 and #3 are disturbed, no netvm one.
    by_trial = {x["trial"]: x for x in netvm["trials"]}
    check([by_trial[i].get("round") for i in (1, 2, 3)] == [1, 2, 3],
          "netvm: each trial carries its round")
    check([by_trial[i].get("witness") for i in (1, 2, 3)] == [1, 1, 3] and
          [x.get("witness") for x in sorted(memif["trials"], key=lambda x: x["trial"])]
          == [0, 2, 2], "each trial: the witness nearest to its middle")
    check(netvm.get("disturbed_trials") == [] and memif.get("disturbed_trials") == [2, 3],
          f"disturbed trials: memif #2, #3 ({netvm.get('disturbed_trials')}, "
          f"{memif.get('disturbed_trials')})")
    check(netvm.get("pinned") is True and memif.get("pinned") is False,
          f"pinned: netvm yes, memif no (a thread on 0-1) ({netvm.get('pinned')}, "
          f"{memif.get('pinned')})")
    key = "netvm / memif zero-copy"
    check(close(s["ratios"].get(key), 24 / 10), f"ratio of medians 2.4 ({s['ratios'].get(key)})")
    pr = s.get("ratios_per_round", {}).get(key) or {}
    vals = [x.get("value") for x in pr.get("rounds", [])]
    check(len(vals) == 3 and all(close(a, b) for a, b in zip(vals, (2.5, 2.0, 2.0))),
          f"per-round ratios 2.5, 2, 2 ({vals})")
    check(close(pr.get("median"), 2.0) and close(pr.get("min"), 2.0) and
          close(pr.get("max"), 2.5) and close(pr.get("spread_pct"), 25.0),
          f"per-round ratio: 2 [2 - 2.5], spread 25 % ({pr})")
    check(close(pr.get("median_undisturbed"), 2.5), "median of the undisturbed rounds: 2.5 "
          f"({pr.get('median_undisturbed')})")
    check([x["disturbed"] for x in pr.get("rounds", [])] == [False, True, True],
          "per-round ratios of rounds 2 and 3 marked disturbed (memif's trial was)")
    h = s.get("host", {})
    check(h.get("disturbed") is True and h.get("disturbed_witnesses") == ["after round 2"]
          and h.get("disturbed_trials") == ["memif#2", "memif#3"]
          and h.get("rtt_min_ns") == 500 and "HOST DISTURBED" in h.get("text", ""),
          f"host: disturbed at 'after round 2' ({h})")
    check([x["order"] for x in s.get("rounds", [])] ==
          [["memif", "netvm"], ["netvm", "memif"], ["memif", "netvm"]]
          and [x["witness_after"] for x in s["rounds"]] == [1, 2, 3],
          "rounds: their order and the witness after each")
    check(s["machine"].get("cacheline_rtt_ns", {}).get("median") == 500,
          "machine.cacheline_rtt_ns is the witness before the first round")
    check("DISTURBED" in r.stdout and "spread" in r.stdout, "the printed table says so")
    subprocess.run(["rm", "-rf", d], check=False)


def check_build_b():
    """Two builds A/B (NETVM_BUILD_B): the netvm / netvm (build B) ratio per
    round, and the suite's refusals of a setup or a setting it cannot run."""
    d = tempfile.mkdtemp(prefix="netvm-peers-report.")
    rates = {"netvm": [20e6, 9e6], "netvm-b": [16e6, 12e6]}
    sched, t = [], 1000.0
    ws = [witness(t, "before", 500, 1.0)]
    for r in (1, 2):
        for case in ("netvm", "netvm-b"):
            write_trial(d, case, r, rates[case][r - 1])
            sched.append({"case": case, "trial": r, "round": r, "start": t, "end": t + 10})
            t += 10
        ws.append(witness(t + 1, f"after round {r}", 510, 1.0))
        t += 5
    summarize(d, sched, ws, 2, "build B: summary")
    s = load_json(os.path.join(d, "summary.json"), "summary.json") or {}
    key = "netvm / netvm (build B)"
    vals = [x.get("value") for x in (s.get("ratios_per_round", {}).get(key) or {})
            .get("rounds", [])]
    check(len(vals) == 2 and close(vals[0], 1.25) and close(vals[1], 0.75),
          f"build B: per-round ratios 20/16 = 1.25 and 9/12 = 0.75 ({vals})")
    check(close(s.get("ratios", {}).get(key), 14.5 / 14),
          f"build B: ratio of medians 14.5 / 14 ({s.get('ratios', {}).get(key)})")
    subprocess.run(["rm", "-rf", d], check=False)
    peers = os.path.join(LIB, "bench_peers.sh")
    env = dict(os.environ, NETVM_BENCH_DIR=tempfile.mkdtemp(prefix="netvm-peers-args."))
    env.pop("NETVM_BUILD_B", None)
    # the placement is checked before the setups: with a broken check the
    # unknown setup stops the suite, with another message
    for extra, want in (({"NETVM_BENCH_CASES": "netvm-b"}, "setup netvm-b needs NETVM_BUILD_B"),
                        ({"NETVM_BENCH_PLACEMENT": "random", "NETVM_BENCH_CASES": "no-such"},
                         "NETVM_BENCH_PLACEMENT: 'random' is not load or hash")):
        p = subprocess.Popen(["bash", peers], env=dict(env, **extra), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            _, err = p.communicate()
            err = "still running after 60 s: it did not refuse " + err
        check(p.returncode == 1 and want in err,
              f"bench_peers.sh refuses {extra}: '{want}' (exit {p.returncode}: "
              f"{err.strip()[-200:]})")
    subprocess.run(["rm", "-rf", env["NETVM_BENCH_DIR"]], check=False)


def check_bursts():
    """A netvm trial's packets per burst, from two hand-written samples."""
    with tempfile.TemporaryDirectory() as d:
        first = {"port0_rx": 1000, "port0_rx_bursts": 20, "port1_rx": 0, "port1_rx_bursts": 0,
                 "port0_tx": 0, "port1_tx": 500, "nf0_tx": 700, "nf0_tx_bursts": 10}
        # over the window: ports 6400 + 3200 packets in 100 + 100 bursts (48 each);
        # the NF 9000 returns in 200 ring reads (45 each)
        last = dict(first, port0_rx=7400, port0_rx_bursts=120, port1_rx=3200,
                    port1_rx_bursts=100, port0_tx=4000, port1_tx=6000, nf0_tx=9700,
                    nf0_tx_bursts=210)
        samples = os.path.join(d, "s.jsonl")
        with open(samples, "w") as f:
            for t, reply in ((10.0, first), (12.0, last)):
                f.write(json.dumps({"t": t, "reply": reply}) + "\n")
        log, out = os.path.join(d, "core.log"), os.path.join(d, "t.json")
        with open(log, "w") as f:
            f.write("stat port0_tx 4000\n")
        r = subprocess.run([sys.executable, os.path.join(LIB, "bench_report.py"), "netvm",
                            "--case", "netvm", "--trial", "1", "--out", out,
                            "--samples", samples, "--core-log", log],
                           capture_output=True, text=True)
        trial = (load_json(out, "the netvm trial") if r.returncode == 0 else None) or {}
        b = trial.get("mean_burst", {})
        check(close(b.get("port_rx"), 48.0) and close(b.get("nf_return"), 45.0),
              f"a netvm trial's mean bursts: port RX 48, NF returns 45 (got {b}; "
              f"{r.stderr.strip() or 'no error'})")
        check(close(trial.get("rate_pps"), (4000 + 5500) / 2.0),
              f"... and its rate from the same samples (got {trial.get('rate_pps')})")


def main():
    check_bursts()
    check_order()
    check_judge()
    check_summary()
    check_build_b()
    print(f"peers_report: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
