#!/usr/bin/env python3
"""pktgen: netvm-pktgen takes the options docs/benchmarks.md gives, and only those.

netvm-pktgen runs on a net_ring port that loops back what it sends, as the
bench-smoke suite runs it. A bad option value must end it by itself, before
any traffic, with a non-zero status, a message naming the option on stderr
and nothing on stdout (where the result line goes). A good command line runs
and prints one JSON line (strict JSON: no NaN, no Infinity).
"""

import json
import os
import signal
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import check_help_before_eal  # noqa: E402

PKTGEN_BIN = "apps/pktgen/netvm-pktgen"

# (app options, what the message must name): each must be refused
REFUSED = [
    (["-R", "0"], "--rate"),  # not "no rate": that is without -R
    (["-R", "nan"], "--rate"),
    (["-R", "inf"], "--rate"),
    (["-R", "1e308k"], "--rate"),
    (["-R", "0x10"], "--rate"),  # decimal numbers: no hex, no sign, no space
    (["-R", "+5k"], "--rate"),
    (["-T", " 1"], "--seconds"),
    (["--drain-ms", "0X1p4"], "--drain-ms"),
    (["-p", "nan"], "--rate-pct"),
    (["-p", "50", "--link-gbps", "inf"], "--link-gbps"),
    (["-T", "nan"], "--seconds"),
    (["-T", "inf"], "--seconds"),
    (["-T", "1e30"], "--seconds"),
    (["--drain-ms", "nan"], "--drain-ms"),
    (["--drain-ms", "1e30"], "--drain-ms"),
    (["--link-timeout", "nan"], "--link-timeout"),
    (["--link-timeout", "1e30"], "--link-timeout"),
    (["-f", "0x10"], "--flows"),
    (["-s", "0x40"], "--size"),
    (["-t", "-0"], "--tx-port"),
    (["--sport", " 80"], "--sport"),
    (["--dst-mac", "0x2:0:0:0:0:1"], "--dst-mac"),
    (["--dst-mac", " 2:0:0:0:0:1"], "--dst-mac"),
    (["--dst-mac", "+2:0:0:0:0:1"], "--dst-mac"),
    (["--dst-mac", "002:0:0:0:0:1"], "--dst-mac"),
    (["--dst-mac", "2:0:0:0:0:1:"], "--dst-mac"),
    (["--dst-mac", "2:0:0:0:0"], "--dst-mac"),
    (["-R", "1k", "-p", "50"], "--rate-pct"),
    (["-p", "50", "-R", "1k"], "--rate-pct"),
    (["-R", "1k", "--link-gbps", "40"], "--link-gbps"),
    # the source address of flow i is --src-ip + i, and does not wrap
    (["--src-ip", "255.255.255.254", "-f", "3"], "--flows"),
    # what --pcap replays is the capture's frames as they are
    (["--pcap", "PCAP", "-f", "4"], "--flows"),
    (["--pcap", "PCAP", "-s", "128"], "--size"),
    (["--dst-mac", "02:00:00:00:00:09", "--pcap", "PCAP"], "--dst-mac"),
    (["--pcap", "PCAP", "--src-ip", "10.9.9.9"], "--src-ip"),
    (["--pcap", "PCAP", "--dport", "9"], "--dport"),
]


def run_pktgen(env, args, timeout=30, wrap=(), vdevs=None, signals=()):
    """Run netvm-pktgen (under the command @wrap) on a net_ring loopback port (or
    the ports @vdevs) with app options @args, sent each (delay, signal) of
    @signals that many seconds after the one before (the first: after its
    start) while it runs; (exit status or None on a timeout, stdout, stderr)."""
    prefix = env.unique("pg")
    env.add_cleanup(lambda: nvenv.remove_prefix_files(prefix))
    cmd = list(wrap) + [env.binary(PKTGEN_BIN), "-l", "1", "--file-prefix", prefix, "--no-pci"]
    for vdev in vdevs or ["net_ring0"]:
        cmd += ["--vdev", vdev]
    cmd += ["--log-level", "3", "--"] + (["-r", "0"] if vdevs is None else []) + args
    env_vars = dict(os.environ)
    if wrap and "ASAN_OPTIONS" in env_vars:
        # a sanitized build under strace: LeakSanitizer cannot run under ptrace
        env_vars["ASAN_OPTIONS"] += ":detect_leaks=0"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env_vars)
    try:
        for delay, sig in signals:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(sig)
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, out, err
    finally:
        nvenv.remove_prefix_files(prefix)
    return proc.returncode, out, err


def result_of(chk, what, rc, out, err):
    """The JSON result of a run that must succeed, or None (a failed check)."""
    if not chk.eq(rc, 0, f"{what}: exit status 0") and err:
        print(err[-1500:])
    lines = out.strip().splitlines()
    try:
        return json.loads(lines[-1], parse_constant=lambda c: 1 / 0)
    except (ValueError, IndexError, ZeroDivisionError):
        chk.ok(False, f"{what}: one strict JSON line on stdout", f"stdout: {out[-400:]!r}")
        return None


def check_refused(env, chk, args, option):
    """@args must be refused with a message naming @option."""
    what = "pktgen " + " ".join(args)
    rc, out, err = run_pktgen(env, args + ["-T", "0.1"] if "-T" not in args else args,
                              timeout=20)
    chk.ok(rc is not None and rc > 0, f"{what}: refused (non-zero exit, by itself)",
           f"status {rc}, stdout {out[-200:]!r}")
    chk.ok(option in err and out.strip() == "", f"{what}: stderr names {option}, stdout empty",
           f"stderr {err[-300:]!r}, stdout {out[-200:]!r}")


def frame(size):
    """An Ethernet/IPv4/UDP frame of @size bytes (no FCS), zero payload."""
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, size - 14, 0, 0, 64, 17, 0, 0x0a000101,
                     0x0a000201)
    udp = struct.pack("!HHHH", 1024, 5001, size - 34, 0)
    return bytes.fromhex("020000000001" "020000000002" "0800") + ip + udp + bytes(size - 42)


def check_pcaps(env, chk):
    """--pcap: a capture of another link type is refused; every record is replayed."""
    raw = env.path("raw.pcap")
    pcaps.write(raw, [frame(64)[14:]] * 4)
    with open(raw, "r+b") as f:  # LINKTYPE_RAW: IPv4 packets without Ethernet
        f.seek(20)
        f.write(struct.pack("<I", 101))
    rc, out, err = run_pktgen(env, ["--pcap", raw, "-R", "1k", "-T", "0.1"])
    chk.ok(rc is not None and rc > 0 and out.strip() == "",
           "--pcap of raw IP packets (link type 101): refused", f"status {rc}, stdout {out!r}")
    chk.ok(raw in err and "not Ethernet" in err, "its message names the file and why",
           f"stderr {err[-300:]!r}")

    # Jumbo records, without -s: the buffers are sized for the longest record.
    big = env.path("big.pcap")
    pcaps.write(big, [frame(3000), frame(60), frame(9000), frame(60)])
    rc, out, err = run_pktgen(env, ["--pcap", big, "-R", "10k", "-T", "0.1"])
    res = result_of(chk, "--pcap of 3000, 60, 9000 and 60-byte records", rc, out, err)
    if res is not None:
        chk.eq(res["flows"], 3, "3 records replayed (the 9000-byte one is over 9000 B with FCS)")
        chk.eq(res["avg_size"], (3004 + 64 + 64) / 3, "avg_size: of the 3 records, FCS included")
        chk.ok(res["rx"] == res["sent"] > 0, "every frame comes back", str(res))
        chk.ok("1 record" in err and "9000" in err, "the skipped record is said on stderr",
               f"stderr {err[-300:]!r}")

    # Records cut short by the capture's snap length are sent as captured, said.
    cut = env.path("cut.pcap")
    with open(cut, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 100, 1))
        for i in range(3):
            f.write(struct.pack("<IIII", 0, i, 100, 1000) + frame(1000)[:100])
    rc, out, err = run_pktgen(env, ["--pcap", cut, "-R", "1k", "-T", "0.1"])
    res = result_of(chk, "--pcap of 3 records cut to 100 of 1000 bytes", rc, out, err)
    if res is not None:
        chk.ok(res["flows"] == 3 and res["avg_size"] == 104, "the 3 records, sent as captured",
               str(res))
        chk.ok("3 record(s) cut short" in err and "snap length (100)" in err,
               "the cut records are said on stderr", f"stderr {err[-300:]!r}")

    # Records shorter than 60 bytes (a capture taken before the NIC padded
    # them) take 64 B on a wire: the sizes, the -p rate and Gbit/s say so.
    short = env.path("short.pcap")
    pcaps.write(short, [frame(60)[:42]] * 4)
    rc, out, err = run_pktgen(env, ["--pcap", short, "-p", "1", "--link-gbps", "1",
                                    "-T", "0.1"])
    res = result_of(chk, "--pcap of 42-byte records, -p 1 --link-gbps 1", rc, out, err)
    if res is not None:
        chk.eq((res["avg_size"], res["target_pps"]), (64, round(1e7 / (84 * 8))),
               "avg_size 64 B, target_pps 1 % of 1 Gbit/s in 64 B frames")
        chk.ok(res["sent"] > 0 and
               abs(res["tx_gbps"] - res["sent"] * 64 * 8 / res["seconds"] / 1e9) < 1e-4,
               "tx_gbps counts 64 B a frame", str(res))


def check_yield_drain(env, chk):
    """--yield also yields the CPU in the RX drain after TX (an NF on the CPU
    forwards the last frames then): 1 ms of TX, 300 ms of drain, counted by strace."""
    strace = nvenv.which("strace")
    if strace is None:
        print("  skip  --yield in the drain: no strace (scripts/setup.sh installs it)")
        return
    trace = env.path("yield.strace")
    rc, out, err = run_pktgen(env, ["-R", "1", "-T", "0.001", "--drain-ms", "300", "--yield"],
                              wrap=[strace, "-f", "-c", "-e", "trace=sched_yield", "-o", trace])
    if result_of(chk, "pktgen --yield under strace", rc, out, err) is None:
        return
    calls = 0
    with open(trace) as f:
        for line in f:
            fields = line.split()
            if fields and fields[-1] == "sched_yield":
                calls = int(fields[3])
    # thousands on an idle host; without the yield in the drain about 24 (the
    # TX loop's): 200 leaves room for a loaded host under strace
    chk.ok(calls >= 200, "--yield: sched_yield() all along the 300 ms drain",
           f"{calls} calls")


def stamped(seq, tsc):
    """A 64-byte frame that carries the generator's stamp: marker, @seq, @tsc."""
    f = frame(60)
    return f[:42] + struct.pack("!H", 0x4e56) + struct.pack("<QQ", seq, tsc) + f[60:]


def check_stale_stamps(env, chk):
    """Frames with the marker that this run did not send (a capture of an earlier
    run, a stray frame) are counted as received, not as stamped: they must not
    make sequence gaps, reordering or latency samples."""
    stale = env.path("stale.pcap")
    pcaps.write(stale, [stamped(1000000, 12345), stamped(2**64 - 1, 1), stamped(3, 2**63)])
    # RX on a net_pcap port that plays the capture once; TX on net_ring0.
    rc, out, err = run_pktgen(env, ["-t", "0", "-r", "1", "-R", "1k", "-T", "0.2"],
                              vdevs=["net_ring0", f"net_pcap1,rx_pcap={stale},"
                                     f"tx_pcap={env.path('tx.pcap')}"])
    res = result_of(chk, "pktgen, RX from a capture of stamped frames", rc, out, err)
    if res is not None:
        chk.eq(res["rx"], 3, "the 3 frames are received")
        chk.eq((res["marked"], res["seq_gaps"], res["out_of_order"],
                res["latency_ns"]["samples"]), (0, 0, 0, 0),
               "none of them is counted as stamped (marked, seq_gaps, out_of_order, samples)")
    # The same capture replayed by --pcap, back on net_ring0: no stamp counts.
    rc, out, err = run_pktgen(env, ["--pcap", stale, "-R", "1k", "-T", "0.2"])
    res = result_of(chk, "pktgen --pcap of stamped frames", rc, out, err)
    if res is not None:
        chk.ok(res["rx"] > 0 and res["marked"] == 0 and res["seq_gaps"] == 0 and
               res["latency_ns"]["samples"] == 0,
               "--pcap: the replayed frames' stamps are not counted (no latency)", str(res))


def check_dst_mac(env, chk):
    """--dst-mac in the short form (one hex digit a group, either case) is the
    frames' destination; TX on a net_pcap port that writes them to a capture."""
    empty, sent = env.path("empty.pcap"), env.path("mac.pcap")
    pcaps.write(empty, [])
    rc, out, err = run_pktgen(env, ["-t", "0", "-r", "1", "-R", "1k", "-T", "0.05",
                                    "--drain-ms", "0", "--dst-mac", "2:aB:0:0:C:f"],
                              vdevs=[f"net_pcap0,rx_pcap={empty},tx_pcap={sent}", "net_ring1"])
    if result_of(chk, "pktgen --dst-mac 2:aB:0:0:C:f", rc, out, err) is None:
        return
    try:
        macs = {f[:6].hex(":") for f in pcaps.read(sent)}
    except (OSError, ValueError) as exc:
        macs = {str(exc)}
    chk.eq(macs, {"02:ab:00:00:0c:0f"}, "every frame sent to 02:ab:00:00:0c:0f")


def check_flow_range(env, chk):
    """Flow i has source address and source port + i: the port wraps, the last
    address may be 255.255.255.255; TX on a net_pcap port that writes a capture."""
    empty, sent = env.path("empty-f.pcap"), env.path("flows.pcap")
    pcaps.write(empty, [])
    rc, out, err = run_pktgen(env, ["-t", "0", "-r", "1", "-R", "1k", "-T", "0.1",
                                    "--drain-ms", "0", "-f", "5", "--src-ip", "255.255.255.251",
                                    "--sport", "65534"],
                              vdevs=[f"net_pcap0,rx_pcap={empty},tx_pcap={sent}", "net_ring1"])
    if result_of(chk, "pktgen -f 5 --src-ip 255.255.255.251 --sport 65534", rc, out, err) is None:
        return
    try:
        got = {(".".join(str(b) for b in f[26:30]), struct.unpack("!H", f[34:36])[0])
               for f in pcaps.read(sent)}
    except (OSError, ValueError) as exc:
        got = {str(exc)}
    chk.eq(got, {(f"255.255.255.{251 + i}", (65534 + i) % 65536) for i in range(5)},
           "5 flows: the addresses up to 255.255.255.255, the ports 65534, 65535, 0, 1, 2")


IMIX = [0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0]  # the pattern, indexes into IMIX_LENS
IMIX_LENS = [60, 566, 1514]  # 64, 570 and 1518 B without the FCS


def check_imix_flows(env, chk):
    """-s imix with -f 12: every flow's frames go through the IMIX pattern in
    order (flow i from position i), so each flow gets 7:4:1 of the sizes, not
    one size (12 flows and 12 positions)."""
    empty, sent = env.path("empty-i.pcap"), env.path("imix.pcap")
    pcaps.write(empty, [])
    rc, out, err = run_pktgen(env, ["-t", "0", "-r", "1", "-R", "12k", "-T", "0.1",
                                    "--drain-ms", "0", "-f", "12", "-s", "imix"],
                              vdevs=[f"net_pcap0,rx_pcap={empty},tx_pcap={sent}", "net_ring1"])
    if result_of(chk, "pktgen -s imix -f 12", rc, out, err) is None:
        return
    per_flow = {}
    try:
        for f in pcaps.read(sent):
            per_flow.setdefault(struct.unpack("!H", f[34:36])[0] - 1024, []).append(len(f))
    except (OSError, ValueError) as exc:
        per_flow = {-1: str(exc)}
    chk.eq(sorted(per_flow), list(range(12)), "frames of the 12 flows")
    wrong = [i for i, lens in per_flow.items() if len(lens) < 12 or
             lens != [IMIX_LENS[IMIX[(i + k) % 12]] for k in range(len(lens))]]
    chk.ok(not wrong, "every flow's sizes follow the IMIX pattern, flow i from position i",
           f"flows {wrong}: {[per_flow[i][:12] for i in wrong[:3]]}")


def check_payload(env, chk):
    """The bytes after the stamp are zero, whatever the buffer held before: TX
    and RX on one net_pcap port that receives 2000 other frames first and
    writes what is sent to a capture."""
    other, sent = env.path("other.pcap"), env.path("payload.pcap")
    pcaps.write(other, [b"\xff" * 12 + b"\x88\xb5" + b"not-ours-" * 40] * 2000)
    rc, out, err = run_pktgen(env, ["-t", "0", "-r", "0", "-R", "20k", "-T", "0.2",
                                    "--drain-ms", "0", "-s", "imix"],
                              vdevs=[f"net_pcap0,rx_pcap={other},tx_pcap={sent}"])
    res = result_of(chk, "pktgen -s imix, receiving other frames", rc, out, err)
    if res is None:
        return
    try:
        frames = pcaps.read(sent)
    except (OSError, ValueError) as exc:
        chk.ok(False, "the capture of what was sent is readable", str(exc))
        return
    chk.ok(res["rx"] == 2000 and len(frames) == res["sent"] > 0,
           "the 2000 other frames received, every frame sent captured", str(res))
    dirty = [len(f) for f in frames if any(f[60:])]
    chk.eq(dirty[:5], [], "the frames sent are zero after the stamp "
           f"({len(dirty)} of {len(frames)} are not; their sizes)")


def check_sigint(env, chk):
    """SIGINT while waiting for SIGUSR1 ends the generator with status 1 and no
    result; SIGINT during TX ends the run early with the result of what was sent."""
    out_file = env.path("sig.json")
    rc, out, err = run_pktgen(env, ["-R", "1k", "-T", "1", "--wait-signal", "-o", out_file],
                              signals=[(3, signal.SIGINT)])
    chk.ok(rc == 1, "SIGINT before TX (--wait-signal): exit status 1",
           f"status {rc}, stderr {err[-300:]!r}")
    chk.ok(out.strip() == "" and not os.path.exists(out_file) and
           not os.path.exists(out_file + ".tmp"), "SIGINT before TX: no result, no file",
           f"stdout {out[-300:]!r}")
    chk.ok("before sending" in err, "SIGINT before TX: said on stderr", f"stderr {err[-300:]!r}")
    rc, out, err = run_pktgen(env, ["-R", "10k", "-T", "600"], signals=[(3, signal.SIGINT)],
                              timeout=60)
    res = result_of(chk, "pktgen -T 600, SIGINT during TX", rc, out, err)
    if res is not None:
        chk.ok(0 < res["sent"] < 600 * 10000 and res["rx"] == res["sent"],
               "SIGINT during TX: the result counts what was sent", str(res))


def check_stopped_at_end(env, chk):
    """A generator that loses its CPU just before the end of TX (here: stopped
    by SIGSTOP from 1 s before the end to 1.5 s after it) still offers rate x
    time frames: what was due by the end goes out when it runs again."""
    # TX starts at SIGUSR1, 2 s after the start (net_ring's link is up by then)
    rc, out, err = run_pktgen(env, ["-R", "1k", "-T", "2", "--wait-signal"],
                              signals=[(2, signal.SIGUSR1), (1, signal.SIGSTOP),
                                       (2.5, signal.SIGCONT)])
    res = result_of(chk, "pktgen -R 1k -T 2, stopped across the end of TX", rc, out, err)
    if res is not None:
        chk.ok(1999 <= res["offered"] <= 2000 and res["rx"] == res["sent"] == res["offered"],
               "1k x 2 s offered, sent and back", str(res))
        chk.ok(abs(res["seconds"] - 2) < 0.001 and abs(res["offered_pps"] - 1000) <= 1,
               "seconds is -T, offered_pps the rate", str(res))


def check_help(env, chk):
    """--help, with no "--" or after it, prints the generator's usage and starts no DPDK."""
    prefix = env.unique("pgh")
    eal = ["--file-prefix", prefix, "--no-pci"]
    check_help_before_eal(env, chk, env.binary(PKTGEN_BIN), prefix,
                          (["--help"], ["-h"], eal + ["--", "--help"],
                           eal + ["--", "-T", "1", "-o", "-h.json", "-h"]),
                          ("usage: netvm-pktgen", "--rate-pct"))


def main():
    env = nvenv.setup("pktgen", timeout=190, description=__doc__)
    chk = check.Checker("pktgen")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [PKTGEN_BIN])

    chk.section("--help")
    check_help(env, chk)

    chk.section("a good command line: 10 kpps for 0.2 s, all back")
    rc, out, err = run_pktgen(env, ["-R", "10k", "-T", "0.2"])
    res = result_of(chk, "pktgen -R 10k -T 0.2", rc, out, err)
    if res is not None:
        chk.ok(1900 <= res["offered"] <= 2001, "offers 10 kpps x 0.2 s",
               f"offered {res['offered']}")
        chk.ok(res["rx"] == res["sent"] == res["marked"] == res["offered"],
               "every frame comes back stamped", str(res))

    chk.section("the frames due by the end of TX are all offered")
    check_stopped_at_end(env, chk)

    chk.section("whole numbers are decimal: -f 010 is 10 flows")
    rc, out, err = run_pktgen(env, ["-R", "10k", "-T", "0.1", "-f", "010"])
    res = result_of(chk, "pktgen -f 010", rc, out, err)
    if res is not None:
        chk.eq(res["flows"], 10, "-f 010: 10 flows")

    chk.section("--yield")
    check_yield_drain(env, chk)

    chk.section("--pcap")
    check_pcaps(env, chk)

    chk.section("SIGINT")
    check_sigint(env, chk)

    chk.section("--dst-mac")
    check_dst_mac(env, chk)

    chk.section("flow ranges")
    check_flow_range(env, chk)

    chk.section("IMIX within every flow")
    check_imix_flows(env, chk)

    chk.section("payload")
    check_payload(env, chk)

    chk.section("stamps this run did not send")
    check_stale_stamps(env, chk)

    chk.section("-o FILE")
    rc, out, err = run_pktgen(env, ["-R", "10k", "-T", "0.2", "-o", env.path("r.json")])
    chk.eq(rc, 0, "-o FILE: exit status 0")
    try:
        with open(env.path("r.json")) as f:
            res = json.load(f)
    except (OSError, ValueError) as exc:
        res = exc
    chk.ok(isinstance(res, dict) and res.get("rx") == res.get("offered"),
           "-o FILE: the result is in FILE", str(res))
    chk.ok(not os.path.exists(env.path("r.json.tmp")), "-o FILE: no FILE.tmp left")
    # A file that cannot be written is said before the traffic, not after it.
    bad = env.path("no-such-dir/r.json")
    rc, out, err = run_pktgen(env, ["-R", "10k", "-T", "60", "-o", bad], timeout=20)
    chk.ok(rc is not None and rc > 0, "-o in a missing directory: refused before 60 s of TX",
           f"status {rc}")
    chk.ok(bad in err, "its message names the file", f"stderr {err[-300:]!r}")

    chk.section("bad option values")
    good_pcap = env.path("good.pcap")
    pcaps.write(good_pcap, [frame(60)])
    for args, option in REFUSED:
        check_refused(env, chk, [good_pcap if a == "PCAP" else a for a in args], option)
    env.done(chk)


if __name__ == "__main__":
    main()
