#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench-smoke: every suite of scripts/bench.sh with a tiny budget (dos: one trial).

Checks that each suite ends well and leaves well-formed results: the JSON
parses and has the keys docs/benchmarks.md lists, forwarded rates are above
zero, plots are PNG files, tables are Markdown tables. No speed threshold.
First, netvm-pktgen alone over a net_ring loopback port: at a paced
1 Mpps for 1 s every frame it sends must come back, in order.

    smoke.py --build-dir BUILD      (root, hugepages, gnuplot; exit 77 if missing)
    smoke.py --build-dir BUILD --provision   only the provision suite, one trial
                                    each (it boots VMs; exit 77 without the guest image)
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BUDGET = {"NETVM_BENCH_TRIALS": "1", "NETVM_BENCH_SECONDS": "1", "NETVM_BENCH_POINTS": "2",
          "NETVM_BENCH_SEARCH_STEPS": "2", "NETVM_BENCH_CHAIN_MAX": "2"}
# The peers setups the smoke run measures: PEERS_ROUNDS interleaved rounds,
# one trial of 1 s warm-up + 2 s each per round.
PEERS_CASES = ("memif-copy", "memif-macswap", "vhost", "netvm", "netvm-macswap",
               "netvm-macswap-unread")
PEERS_ROUNDS = 2
PEERS_RATIOS = ("netvm / memif copy", "netvm / vhost-user virtio",
                "netvm macswap / memif zc macswap", "netvm macswap unread / memif zc macswap",
                "netvm macswap unread / netvm macswap")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == PNG_MAGIC
    except OSError:
        return False


def is_table(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return False
    return "\n|---" in text and text.count("\n| ") >= 2


def pktgen_loopback(build):
    """netvm-pktgen on a net_ring port: 1 Mpps x 1 s, everything back in order."""
    prefix = f"nvsmoke{os.getpid()}"
    cmd = [os.path.join(build, "apps/pktgen/netvm-pktgen"), "-l", "1",
           "--file-prefix", prefix, "--no-pci", "--vdev", "net_ring0",
           "--", "-r", "0", "-R", "1M", "-T", "1"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
        for path in glob.glob(f"/dev/hugepages/{prefix}*"):
            os.unlink(path)
    if not check(r.returncode == 0, "pktgen loopback exits 0"):
        print(r.stderr[-2000:])
        return
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        check(False, f"pktgen prints one JSON line (got {r.stdout[:200]!r})")
        return
    check(900_000 <= res["offered"] <= 1_001_000,
          f"pktgen offers 1 Mpps x 1 s (offered {res['offered']})")
    check(res["rx"] == res["sent"] and res["marked"] == res["sent"],
          f"every frame comes back stamped (sent {res['sent']}, rx {res['rx']}, "
          f"marked {res['marked']})")
    check(res["seq_gaps"] == 0 and res["out_of_order"] == 0, "no gap, no reordering")
    lat = res["latency_ns"]
    check(0 < lat["p50"] <= lat["p99"] <= lat["p999"] <= lat["max"] + 16,
          f"latency percentiles ordered ({lat})")


def run_suite(name, out, extra_env=None):
    env = dict(os.environ, **BUDGET, NETVM_BENCH_OUT=out)
    env.update(extra_env or {})
    r = subprocess.run([os.path.join(TREE, "scripts/bench.sh"), name], env=env,
                       capture_output=True, text=True, timeout=300)
    ok = check(r.returncode == 0, f"bench.sh {name} exits 0")
    if not ok:
        print(r.stdout[-2000:] + r.stderr[-2000:])
    dirs = sorted(glob.glob(os.path.join(out, "*", name)))
    check(bool(dirs), f"{name}: results folder")
    return dirs[-1] if dirs else None


def check_generated(name, d):
    try:
        with open(os.path.join(d, name + ".json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"{name}.json parses ({e})")
        return
    for key in ("suite", "machine", "settings", "points", "plots", "note"):
        check(key in doc, f"{name}.json has '{key}'")
    m = doc.get("machine", {})
    check(all(k in m for k in ("cpu_model", "cpus", "cpu_mhz", "dpdk")),
          f"{name}: machine recorded ({m})")
    pts = doc.get("points", [])
    check(len(pts) >= 1, f"{name}: {len(pts)} point(s)")
    for p in pts:
        check(p.get("trials", 0) >= 1 and p["rx_mpps"]["median"] > 0,
              f"{name} {p.get('x')}: forwarded rate > 0 ({p.get('rx_mpps')})")
        for key in ("offered_mpps", "loss_ratio", "latency_ns", "cycles_rx", "raw"):
            check(key in p, f"{name} {p.get('x')}: has '{key}'")
    check(len(doc.get("plots", [])) >= 1, f"{name}: plots listed")
    for png in doc.get("plots", []):
        check(is_png(os.path.join(d, png)), f"{name}: {png} is a PNG")
    check(is_table(os.path.join(d, name + ".md")), f"{name}.md holds a table")
    if name == "rate":
        z = doc.get("zero_loss", {})
        check(len(z.get("steps", [])) == 2 and z.get("rate_mpps", -1) >= 0
              and "not RFC 2544 compliant" in z.get("label", ""),
              f"rate: zero-loss search recorded ({z.get('rate_mpps')})")
    if name == "latency" and pts:
        check(pts[0]["latency_ns"]["p50"]["median"] > 0, "latency: p50 > 0")
    if name == "cycles" and pts:
        check(pts[0]["cycles_rx"]["median"] > 0 and pts[0]["cycles_tx"]["median"] > 0,
              "cycles: core RX and TX stage cycles > 0")
        stages = ("nic_core", "core_nf", "nf_app", "nf_io", "nf_core", "core_nic")
        check(all(pts[0]["cycles_" + k]["median"] > 0 for k in stages),
              "cycles: every stage of the path (core and NF) has cycles > 0: " +
              str({k: pts[0]["cycles_" + k]["median"] for k in stages}))


SCALE_SWEEPS = ("rules", "flows", "instances", "chain", "routes", "size")
SCALE_PCAP = SCALE_SWEEPS  # the core alone by default


def load_json(path, what):
    """The JSON document at path, or None after a failed check named what."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"{what} parses ({e})")
        return None


def check_scale(d):
    """scale: two points per sweep, each with a cost and its ratios to the first."""
    doc = load_json(os.path.join(d, "scale.json"), "scale.json")
    if doc is None:
        return
    for sweep in SCALE_SWEEPS:
        pts = [p for p in doc.get("points", []) if p.get("sweep") == sweep]
        if not check(len(pts) == 2, f"scale {sweep}: 2 points ({[p.get('n') for p in pts]})"):
            continue
        check(pts[0]["n"] < pts[1]["n"], f"scale {sweep}: points grow ({pts[0]['n']}, {pts[1]['n']})")
        check(pts[0]["rate_vs_first"] == 1.0 and pts[0]["cost_vs_first"] == 1.0,
              f"scale {sweep}: the first point is the baseline")
        check(all(p["cost"]["median"] > 0 for p in pts),
              f"scale {sweep}: cycles per packet > 0 ({[p['cost']['median'] for p in pts]})")
        check(isinstance(pts[1]["rate_vs_first"], float) and pts[1]["rate_vs_first"] > 0,
              f"scale {sweep}: rate against the first point ({pts[1]['rate_vs_first']})")
        png = "scale_size.png" if sweep == "size" else f"scale_{sweep}.png"
        check(png in doc.get("plots", []), f"scale {sweep}: {png} listed")
        want = "pcap" if sweep in SCALE_PCAP else "pktgen"
        check(all(p.get("source") == want for p in pts), f"scale {sweep}: traffic from {want}")
        if want == "pcap":
            # the frames went port 0 -> NF -> out, and no more left than came
            core = [r["core"] for p in pts for r in p["raw"]]
            check(core and all(0 < c.get("port0_tx", 0) + c.get("port1_tx", 0)
                               <= c.get("port0_rx", 0) for c in core),
                  f"scale {sweep}: the core forwarded the pcap's frames "
                  f"({[(c.get('port0_rx'), c.get('port1_tx')) for c in core]})")
    check(len(doc.get("shape", [])) == len(SCALE_SWEEPS), "scale: one shape line per sweep")
    check(doc.get("settings", {}).get("source") == "pcap", "scale: the pcap source by default")
    m = doc.get("machine", {})
    check("cacheline_rtt_ns_before" in m and "cacheline_rtt_ns_after" in m,
          "scale: cache-line round trip recorded before and after")


def check_peers(d):
    s = load_json(os.path.join(d, "summary.json"), "peers summary.json")
    if s is None:
        return
    witnesses = s.get("witness", [])
    check(len(witnesses) == PEERS_ROUNDS + 1 and all(
        isinstance(w.get("loadavg"), (int, float)) and "cacheline_rtt_ns" in w
        and isinstance(w.get("disturbed"), bool) for w in witnesses),
        f"peers: a witness before the first round and after each of {PEERS_ROUNDS} "
        f"({len(witnesses)})")
    check([w.get("label") for w in witnesses[1:]] ==
          [f"after round {r}" for r in range(1, PEERS_ROUNDS + 1)],
          "peers: witnesses labelled by round")
    rounds = s.get("rounds", [])
    check(len(rounds) == PEERS_ROUNDS and
          all(sorted(r.get("order", [])) == sorted(PEERS_CASES) for r in rounds),
          f"peers: {PEERS_ROUNDS} rounds, each running every setup once")
    check(len({tuple(r.get("order", [])) for r in rounds}) == len(rounds),
          "peers: each round runs the setups in another order")
    host = s.get("host", {})
    check(isinstance(host.get("disturbed"), bool) and host.get("text"),
          f"peers: the host verdict is given ({host.get('text')})")
    for case in PEERS_CASES:
        e = s.get("results", {}).get(case, {})
        check(e.get("status") == "ok" and (e.get("rate_mpps") or {}).get("median", 0) > 0,
              f"peers: {case} ok with a rate > 0 ({e.get('status')}, {e.get('rate_mpps')})")
        check(isinstance((e.get("rate_mpps") or {}).get("spread_pct"), (int, float)),
              f"peers: {case} rate has its spread %")
        trials = e.get("trials", [])
        check(sorted(t.get("round") for t in trials) == list(range(1, PEERS_ROUNDS + 1))
              and all(isinstance(t.get("witness"), int) and
                      0 <= t["witness"] < len(witnesses) for t in trials),
              f"peers: {case}: one trial per round, each with its nearest witness")
        check(e.get("pinned") is True,
              f"peers: {case}: every thread of the setup on one CPU ({e.get('pinned')})")
        if case.startswith("netvm"):
            # the core's last counters of each trial: frames handed on unread
            # in the unread setups only, there every frame received but
            # those the NF's full ring (or its budget) turned away
            finals = [load_json(os.path.join(d, f"{case}.{t}.trial.json"),
                                f"{case} trial {t}") for t in range(1, PEERS_ROUNDS + 1)]
            finals = [(f or {}).get("core_final") or {} for f in finals]
            unread = "-unread" in case

            def handed(f):
                return (f["port0_rx"] + f.get("port1_rx", 0) - f.get("drop_nf_ring_full", 0)
                        - f.get("drop_nf_budget", 0))
            seen = [(f.get("rx_unread"), f.get("port0_rx"), f.get("drop_nf_ring_full"))
                    for f in finals]
            check(all(f.get("port0_rx", 0) > 0 and f.get("rx_unread") ==
                      (handed(f) if unread else 0) for f in finals),
                  f"peers: {case}: rx_unread is " +
                  ("every frame received but those dropped as nf_ring_full or nf_budget"
                   if unread else "0") +
                  f" ({seen})")
    ratios = s.get("ratios", {})
    per_round = s.get("ratios_per_round", {})
    for key in PEERS_RATIOS:
        check(isinstance(ratios.get(key), (int, float)) and ratios[key] > 0,
              f"peers: ratio '{key}' > 0 ({ratios.get(key)})")
        pr = per_round.get(key) or {}
        values = [x.get("value") for x in pr.get("rounds", [])]
        check(len(values) == PEERS_ROUNDS and all(
            isinstance(v, (int, float)) and v > 0 for v in values)
            and pr.get("min") <= pr.get("median") <= pr.get("max")
            and isinstance(pr.get("spread_pct"), (int, float)),
            f"peers: ratio '{key}' per round, with median and spread ({pr})")
    check(is_png(os.path.join(d, "peers.png")), "peers: peers.png is a PNG")
    check(is_table(os.path.join(d, "peers.md")), "peers.md holds a table")


def check_dos(d):
    """bench.sh dos (one trial): figures present, mitigations seen, table written."""
    try:
        with open(os.path.join(d, "dos.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"dos.json parses ({e})")
        return
    s = doc.get("summary", {})
    for key in ("src_mitigation_s", "syn_mitigation_s"):
        check(s.get(key) is not None and s[key]["median"] > 0,
              f"dos: {key} measured ({s.get(key)})")
    for key in ("src_legit_lost", "syn_legit_lost"):
        check(s.get(key) is not None and s[key]["min"] >= 0, f"dos: {key} counted ({s.get(key)})")
    if doc.get("trials") and "idle_mitigation_s" in doc["trials"][0]:  # the guest image is built
        check(s.get("idle_mitigation_s") is not None and s["idle_mitigation_s"]["median"] > 0
              and s.get("idle_provision_ms") is not None,
              f"dos: the idle-VM filter measured ({s.get('idle_mitigation_s')})")
    check(len(doc.get("trials", [])) == 1 and "machine" in doc, "dos: one trial, machine recorded")
    check(is_table(os.path.join(d, "dos.md")), "dos: dos.md is a table")


def check_provision(d):
    """provision.json: each way of starting has its trials and a positive time
    (no speed threshold)."""
    try:
        with open(os.path.join(d, "provision.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        check(False, f"provision.json parses ({e})")
        return
    cases = doc.get("cases", {})
    for name in ("cold", "restore", "idle"):
        c = cases.get(name, {})
        check(len(c.get("ms", [])) >= 1 and c.get("median", 0) > 0 and
              c["min"] <= c["median"] <= c["max"], f"provision: {name} timed ({c})")
    check(doc.get("poll_ms", 0) > 0, f"provision: the egress poll period ({doc.get('poll_ms')})")
    check(is_table(os.path.join(d, "provision.md")), "provision.md holds a table")


def smoke_provision(build):
    """bench.sh provision with one trial of each way."""
    sys.path.insert(0, os.path.join(TREE, "tests", "lib"))
    from nvtest import guest as nvguest
    what = nvguest.missing(nvguest.guest_dir(TREE))
    if what:
        print(f"skip: the provision suite needs the guest image: {what} (scripts/build-guest.sh)")
        return 77
    out = tempfile.mkdtemp(prefix="netvm-bench-smoke.")
    d = run_suite("provision", out)
    if d:
        check_provision(d)
    if not failures:
        shutil.rmtree(out, ignore_errors=True)
    else:
        print(f"results kept in {out}")
    print(f"bench-smoke provision: {len(failures)} failure(s)")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--provision", action="store_true",
                    help="only the provision suite (VMs under QEMU)")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    free = 0
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            free = int(f.read())
    except OSError:
        pass
    if os.geteuid() != 0 or free < 256 or not shutil.which("gnuplot"):
        print("skip: needs root, 256 free 2 MiB hugepages and gnuplot (scripts/setup.sh)")
        return 77
    for rel in ("apps/pktgen/netvm-pktgen", "core/netvm-core", "apps/l3fwd/netvm-l3fwd",
                "apps/bridge/netvm-bridge", "apps/macswap/netvm-macswap"):
        if not check(os.access(os.path.join(build, rel), os.X_OK), f"{rel} is built"):
            return 1
    os.environ["NETVM_BUILD"] = build
    if args.provision:
        return smoke_provision(build)
    out = tempfile.mkdtemp(prefix="netvm-bench-smoke.")
    try:
        pktgen_loopback(build)
        for name in ("rate", "size", "chain", "latency", "cycles"):
            d = run_suite(name, out)
            if d:
                check_generated(name, d)
        d = run_suite("scale", out, {"NETVM_BENCH_SCALE_MAX": "1000"})
        if d:
            check_generated("scale", d)
            check_scale(d)
        d = run_suite("peers", out, {"NETVM_BENCH_SECONDS": "2", "NETVM_BENCH_WARMUP": "1",
                                       "NETVM_BENCH_TRIALS": str(PEERS_ROUNDS),
                                       "NETVM_BENCH_CASES": " ".join(PEERS_CASES)})
        if d:
            check_peers(d)
        d = run_suite("dos", out)
        if d:
            check_dos(d)
    finally:
        if not failures:
            shutil.rmtree(out, ignore_errors=True)
        else:
            print(f"results kept in {out}")
    print(f"bench-smoke: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
