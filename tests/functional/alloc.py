#!/usr/bin/env python3
"""alloc: NF-created packets (nl_pkt_alloc) go out, and every buffer comes back.

nf_dup (tests/functional/nf_dup.c) copies every packet into a fresh buffer,
marks the copy (Ethernet source MAC 02:00:00:00:00:99), emits it out of
port 1, then returns the original out of port 1. A copy is on the ring to the
core as soon as it is emitted; originals follow when the burst is returned.
So port 1's capture must be, exactly, a sequence of blocks "copies of input
packets i..j in order, then the originals i..j in order" covering the whole
input in order: nothing missing, nothing extra, nothing reordered.

Replayed twice: --single-lcore with the default alloc ring, and RX/TX on two
lcores with the smallest alloc ring (16), where the NF often waits for the
core to refill it. Then, with port 0 replaying a pcap endlessly, nf_dup is
killed with SIGKILL while it holds buffers (rx ring, alloc ring, copies):
the core must take them all back — pool0_free == pool0_total at exit.
Last, nf_dup sends its copies to role 2 (--to-role), served by two bridges
with placement by flow hash: the copies of the input's many flows must reach
both (the core reads a made packet's headers when it goes to a role).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import CONFIG_HEAD, PcapRun, accounted, stop_all  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

NF_DUP_BIN = "tests/functional/nf_dup"
MARK_MAC = bytes.fromhex("020000000099")
ROLE = 1

CONFIG = """rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def marked(frame):
    """The copy nf_dup makes of @frame: source MAC replaced by the mark."""
    return frame[:6] + MARK_MAC + frame[12:]


def is_copy(frame):
    return len(frame) >= 12 and frame[6:12] == MARK_MAC


def split_blocks(inp, out):
    """Parse @out as blocks [copies of inp[i:j]] + [inp[i:j]] covering @inp in order.

    Returns (block sizes, None) or (block sizes so far, message at the first mismatch)."""
    sizes = []
    i = pos = 0
    while pos < len(out):
        m = 0
        while pos + m < len(out) and is_copy(out[pos + m]):
            m += 1
        if m == 0:
            return sizes, (f"output packet {pos}: expected the copy of input packet {i} "
                           f"(a block starts with copies), got an unmarked packet")
        if i + m > len(inp):
            return sizes, (f"output packets {pos}..{pos + m - 1}: {m} copies, but only "
                           f"{len(inp) - i} input packets are left")
        for k in range(m):
            exp = marked(inp[i + k])
            if out[pos + k] != exp:
                return sizes, (f"output packet {pos + k} (copy {k} of a block of {m}): "
                               f"not the copy of input packet {i + k}: "
                               f"{pcaps.diff_one(exp, out[pos + k])}")
        for k in range(m):
            at = pos + m + k
            if at >= len(out):
                return sizes, (f"output ends at packet {at}: the original of input packet "
                               f"{i + k} should follow its block's copies")
            if out[at] != inp[i + k]:
                return sizes, (f"output packet {at}: expected the original of input packet "
                               f"{i + k} (unchanged): {pcaps.diff_one(inp[i + k], out[at])}")
        sizes.append(m)
        i += m
        pos += 2 * m
    if i != len(inp):
        return sizes, f"output covers input packets 0..{i - 1} of {len(inp)}"
    return sizes, None


def wait_done(core, n_in, n_out, timeout=60.0, settle=10.0):
    """Wait until port 0 received @n_in packets and @n_out are accounted for.

    Returns (done, stats); gives up early when nothing moved for @settle seconds."""
    deadline = time.monotonic() + timeout
    last, last_change, stats = None, time.monotonic(), {}
    while time.monotonic() < deadline and core.alive():
        stats = core.stats()
        if stats.get("port0_rx") == n_in and accounted(stats) == n_out:
            time.sleep(0.2)
            return True, core.stats()
        if stats != last:
            last, last_change = stats, time.monotonic()
        elif time.monotonic() - last_change > settle:
            break
        time.sleep(0.05)
    return False, stats


def replay_dup(env, chk, tag, frames, core_extra, split_lcores):
    """Replay @frames through core + nf_dup; a PcapRun (res.ok: all copies accounted)."""
    res = PcapRun()
    in_pcap, empty = env.path(f"{tag}-in.pcap"), env.path(f"{tag}-empty.pcap")
    out_pcap = {0: env.path(f"{tag}-out0.pcap"), 1: env.path(f"{tag}-out1.pcap")}
    pcaps.write(in_pcap, frames)
    pcaps.write(empty, [])
    head = CONFIG_HEAD.replace("core = {\n", "core = {\n" + core_extra)
    core = Core(env, tag, head + CONFIG,
                [f"net_pcap0,rx_pcap={in_pcap},tx_pcap={out_pcap[0]}",
                 f"net_pcap1,rx_pcap={empty},tx_pcap={out_pcap[1]}"],
                lcores="0,1" if split_lcores else "0", single_lcore=not split_lcores,
                wait_nfs=1)
    res.core = core
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts", err or ""):
        return res
    nf = Nf(env, core, NF_DUP_BIN, ROLE, name="nf_dup")
    err = nf.start_attached()
    if not chk.ok(err is None, f"{tag}: nf_dup attaches as role {ROLE}", err or ""):
        stop_all(res, core, [nf])
        return res
    res.nf_ids = [nf.id]
    res.started = True
    t0 = time.monotonic()
    res.ok, res.live = wait_done(core, len(frames), 2 * len(frames))
    chk.ok(res.ok, f"{tag}: {len(frames)} packets in, {2 * len(frames)} accounted for "
           f"({time.monotonic() - t0:.1f} s)",
           f"port0_rx={res.live.get('port0_rx')}, tx+drops={accounted(res.live)}, "
           f"counters={res.live}")
    stop_all(res, core, [nf])
    for port, path in out_pcap.items():
        try:
            res.out[port] = pcaps.read(path)
        except (OSError, ValueError) as exc:
            chk.ok(False, f"{tag}: port {port} capture readable", str(exc))
            res.out[port] = None
    return res


def run_replay(env, chk, tag, frames, core_extra="", split_lcores=False):
    """One replay and every check on it."""
    chk.section(f"{tag}: " + ("RX and TX lcores apart" if split_lcores else "--single-lcore") +
                (f", {core_extra.strip()}" if core_extra else ""))
    n = len(frames)
    res = replay_dup(env, chk, tag, frames, core_extra, split_lcores)
    if not res.started:
        return
    live, final, nf_id = res.live, res.final, res.nf_ids[0]
    chk.eq(res.core_rc, 0, f"{tag}: core exits 0 on SIGINT")
    chk.eq(res.nf_rc, [0], f"{tag}: nf_dup exits 0 on SIGINT")
    chk.eq(live.get("port1_tx"), 2 * n, f"{tag}: port1_tx == 2 x input (original + copy)")
    chk.eq(live.get("port0_tx"), 0, f"{tag}: port0_tx == 0")
    chk.eq(live.get(f"nf{nf_id}_rx"), n, f"{tag}: nf{nf_id}_rx == input packets")
    chk.eq(live.get(f"nf{nf_id}_tx"), 2 * n,
           f"{tag}: nf{nf_id}_tx == originals + copies returned to the core")
    chk.ge(live.get(f"nf{nf_id}_allocs"), n,
           f"{tag}: nf{nf_id}_allocs >= copies made ({n})")
    moved = {k: v for k, v in drops(live).items() if v}
    chk.eq(moved, {}, f"{tag}: no drop counter moved")
    nfc = res.nf_counters[0] if res.nf_counters else {}
    chk.eq(nfc.get("dup_copies"), n, f"{tag}: nf_dup counter dup_copies == input packets")
    for name in ("dup_alloc_fail", "dup_too_big", "dup_emit_fail"):
        chk.eq(nfc.get(name), 0, f"{tag}: nf_dup counter {name} == 0")
    chk.eq(nfc.get("alloc_ok"), n, f"{tag}: netlib counter alloc_ok == copies made")
    print(f"  nl_pkt_alloc() found the alloc ring empty {nfc.get('alloc_fail')} times "
          f"(nf_dup waited for the core to refill it)", flush=True)
    chk.eq(nfc.get("tx"), 2 * n, f"{tag}: netlib counter tx == originals + copies")
    chk.eq(final.get("port1_tx"), 2 * n, f"{tag}: final stat port1_tx")
    total = final.get("pool0_total")
    chk.ok(total is not None and total > 0 and final.get("pool0_free") == total,
           f"{tag}: final pool0_free == pool0_total (allocated buffers all came back)",
           f"pool0_free={final.get('pool0_free')}, pool0_total={total}")
    chk.eq(res.out.get(0), [], f"{tag}: port 0 transmitted nothing")
    out = res.out.get(1)
    if out is None:
        return
    sizes, err = split_blocks(frames, out)
    print(f"  port 1: {len(out)} packets in {len(sizes)} blocks (copies then originals), "
          f"block sizes {min(sizes, default=0)}..{max(sizes, default=0)}", flush=True)
    chk.ok(err is None, f"{tag}: port 1 holds every input packet and its marked copy, "
           f"in input order, each block's copies before its originals ({2 * n} packets)",
           err or "")


def run_to_role(env, chk, frames):
    """Copies sent to a role of two instances (nf_dup --to-role 2, two bridges,
    placement by flow hash): the core reads a copy's headers when it goes to the
    role, so the copies of many flows spread over both instances, as their
    originals' flows would (a made packet has no flow hash of its own)."""
    tag = "alloc-to-role"
    chk.section(f"{tag}: the copies go to role 2, two bridges, placement by flow hash")
    in_pcap, empty = env.path(f"{tag}-in.pcap"), env.path(f"{tag}-empty.pcap")
    pcaps.write(in_pcap, frames)
    pcaps.write(empty, [])
    head = CONFIG_HEAD.replace("core = {\n", 'core = {\n  placement = "hash";\n')
    core = Core(env, tag, head + CONFIG,
                [f"net_pcap0,rx_pcap={in_pcap}", f"net_pcap1,rx_pcap={empty},"
                 f"tx_pcap={env.path(f'{tag}-out1.pcap')}"], wait_nfs=3)
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts", err or ""):
        return
    nfs = [Nf(env, core, nvenv.BRIDGE_BIN, 2, name=f"bridge{i}") for i in range(2)]
    nfs.append(Nf(env, core, NF_DUP_BIN, ROLE, app_args=["--to-role", "2"], name="nf_dup"))
    for nf in nfs:
        err = nf.start_attached()
        if not chk.ok(err is None, f"{tag}: {nf.name} attaches", err or ""):
            stop_all(PcapRun(), core, nfs)
            return
    n = len(frames)
    ok, live = wait_done(core, n, 2 * n)
    chk.ok(ok, f"{tag}: {n} packets in, {2 * n} out of port 1", str(live))
    got = [live.get(f"nf{nf.id}_rx") for nf in nfs[:2]]
    chk.ok(sum(got) == n and min(got) > 0,
           f"{tag}: the {n} copies spread over both instances of role 2 ({got})",
           f"bridges' nf<I>_rx {got}")
    res = PcapRun()
    stop_all(res, core, nfs)
    chk.eq(res.core_rc, 0, f"{tag}: core exits 0 on SIGINT")


def run_kill(env, chk, frames):
    """nf_dup killed with SIGKILL mid-traffic: the core takes every buffer back."""
    tag = "alloc-kill"
    chk.section(f"{tag}: SIGKILL nf_dup while port 0 replays endlessly")
    flows = env.path(f"{tag}.pcap")
    pcaps.write(flows, frames)
    core = Core(env, tag, CONFIG_HEAD + CONFIG,
                [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"],
                wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts", err or ""):
        return
    nf = Nf(env, core, NF_DUP_BIN, ROLE, name="nf_dup")
    err = nf.start_attached()
    if not chk.ok(err is None, f"{tag}: nf_dup attaches", err or ""):
        return
    key_allocs, key_tx = f"nf{nf.id}_allocs", f"nf{nf.id}_tx"
    for key in (key_allocs, key_tx, "port1_tx"):
        ok, before, after = core.tel.wait_grows(key)
        chk.ok(ok and before > 0, f"{tag}: {key} grows while traffic runs",
               f"{before} -> {after}")
    secs = 1.5
    a = core.stats()
    time.sleep(secs)  # a rate to print, not a check
    b = core.stats()
    rate_tx = (b.get(key_tx, 0) - a.get(key_tx, 0)) / secs
    rate_alloc = (b.get(key_allocs, 0) - a.get(key_allocs, 0)) / secs
    print(f"  nf_dup returned {rate_tx / 1e3:.0f} k descriptors/s (originals + copies), "
          f"took {rate_alloc / 1e3:.0f} k fresh buffers/s", flush=True)
    held = b.get(f"nf{nf.id}_held")
    chk.gt(held, 0, f"{tag}: nf_dup holds buffers just before the kill (nf{nf.id}_held)")
    nf.send_signal(signal.SIGKILL)
    chk.ok(nf.wait(5) is not None, f"{tag}: nf_dup is dead")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                               f"nf{nf.id}_role" not in s, timeout=10)
    chk.ok(ok, f"{tag}: the core detaches the killed NF (nfs_attached 0, its counters gone)",
           f"nfs_attached={st.get('nfs_attached')}")
    ok, before, after = core.tel.wait_grows("drop_no_instance")
    chk.ok(ok, f"{tag}: traffic goes on, counted as drop_no_instance", f"{before} -> {after}")
    rc, final = core.stop_stats()
    chk.eq(rc, 0, f"{tag}: core exits 0 on SIGINT after the kill")
    total = final.get("pool0_total")
    chk.ok(total is not None and total > 0 and final.get("pool0_free") == total,
           f"{tag}: final pool0_free == pool0_total (the {held} buffers the NF held came back)",
           f"pool0_free={final.get('pool0_free')}, pool0_total={total}; core stderr:"
           f"{core.tail(5)}")
    chk.ok(not any(k.startswith(f"nf{nf.id}_") for k in final),
           f"{tag}: no stat line for the killed NF", f"{sorted(final)}")


def main():
    env = nvenv.setup("alloc", timeout=170, description=__doc__)
    chk = check.Checker("alloc")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, NF_DUP_BIN, nvenv.BRIDGE_BIN])
    # Every kind the core lets through (malformed IPv4 is dropped at RX), 64..1500 bytes.
    frames = [p.frame for p in traffic.mixed_traffic(seed=2024, nb_flows=120)
              if p.kind != "malformed"]
    chk.ok(len(frames) >= 300 and not any(is_copy(f) for f in frames),
           f"input: {len(frames)} packets (>= 300), none already carrying the mark MAC")
    run_replay(env, chk, "alloc", frames)
    run_replay(env, chk, "alloc-2lcores", frames, core_extra="  alloc_ring_size = 16;\n",
               split_lcores=True)
    run_to_role(env, chk, frames)
    run_kill(env, chk, frames[:64])
    env.done(chk)


if __name__ == "__main__":
    main()
