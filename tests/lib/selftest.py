#!/usr/bin/env python3
"""lib_selftest: the shared test library (tests/lib/nvtest), checked without the core.

- pcap writer/reader round trip, cross-checked with scapy's reader, and the
  comparison catching a changed byte, a missing packet and a swap;
- the l3fwd model against packets built independently with scapy, its LPM
  against hand-picked answers, its verdicts against what the generator built;
- the telemetry client against a fake telemetry server;
- the raw attacher's layout constants against netvm_abi.h (compiled with cc);
- process control: SIGINT stop, and a process ignoring SIGINT killed with
  its whole group after the timeout;
- namespace pair set-up and teardown (root only).
"""

import os
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402

from nvtest import check, ctl, model, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Proc  # noqa: E402
from nvtest.telemetry import FakeServer, Telemetry, TelemetryError, nf_ids  # noqa: E402

PORT_MACS = {0: "02:70:63:61:70:00", 1: "02:70:63:61:70:01"}


def test_pcaps(env, chk):
    chk.section("pcap files")
    frames = [p.frame for p in traffic.mixed_traffic(seed=5)[:50]]
    path = env.path("rt.pcap")
    pcaps.write(path, frames)
    chk.eq(pcaps.read(path), frames, "pcap round trip keeps every byte and the order")
    chk.eq([bytes(p) for p in rdpcap(path)], frames, "scapy reads the same frames")
    pcaps.write(env.path("empty.pcap"), [])
    chk.eq(pcaps.read(env.path("empty.pcap")), [], "empty pcap reads as no packets")
    # a nanosecond, big-endian pcap as libpcap may write it
    ns = struct.pack(">IHHiIII", pcaps.MAGIC_NS, 2, 4, 0, 0, 65535, 1)
    ns += struct.pack(">IIII", 1, 999999999, 3, 3) + b"abc"
    with open(env.path("ns.pcap"), "wb") as f:
        f.write(ns)
    chk.eq(pcaps.read(env.path("ns.pcap")), [b"abc"], "nanosecond big-endian pcap")
    with open(env.path("trunc.pcap"), "wb") as f:
        f.write(ns[:-1])
    try:
        pcaps.read(env.path("trunc.pcap"))
        chk.ok(False, "truncated pcap is an error")
    except ValueError:
        chk.ok(True, "truncated pcap is an error")
    changed = list(frames)
    b = bytearray(changed[3])
    b[22] ^= 1
    changed[3] = bytes(b)
    msgs = pcaps.compare(frames, changed)
    chk.ok(len(msgs) == 1 and "packet 3" in msgs[0] and "TTL" in msgs[0],
           "compare names the packet and field of a changed TTL", str(msgs))
    chk.ok(pcaps.compare(frames, frames[:-1]) != [], "compare catches a missing packet")
    swapped = frames[:10] + [frames[11], frames[10]] + frames[12:]
    chk.ok(pcaps.compare(frames, swapped) != [], "compare catches two swapped packets")
    chk.eq(pcaps.compare(frames, list(frames)), [], "compare of equal lists is empty")


def test_model(chk):
    chk.section("l3fwd model")
    lpm = model.LpmTable(traffic.LPM_ROUTES)
    answers = {
        "10.1.7.5": (1, "02:00:00:00:01:07"),     # /24 inside the /16
        "10.1.8.5": (1, "02:00:00:00:01:01"),
        "10.1.255.255": (1, "02:00:00:00:01:01"),
        "10.3.0.5": (0, "02:00:00:00:03:03"),
        "10.3.0.127": (0, "02:00:00:00:03:03"),   # last address before the /25
        "10.3.0.128": (1, "02:00:00:00:03:80"),
        "10.3.1.1": None,
        "172.31.255.254": (1, "02:00:00:00:ac:10"),
        "172.32.0.1": None,
        "9.255.255.255": None,
    }
    for dst, want in answers.items():
        frame = bytes(Ether() / IP(src="10.0.0.1", dst=dst) / UDP())
        chk.eq(lpm.lookup(model.parse(frame)), want, f"LPM lookup {dst}")

    src = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:fe") / \
        IP(src="10.0.0.1", dst="10.1.7.9", ttl=64, id=77, flags="DF") / \
        UDP(sport=1000, dport=2000) / (b"p" * 40)
    want = Ether(src=PORT_MACS[1], dst="02:00:00:00:01:07") / \
        IP(src="10.0.0.1", dst="10.1.7.9", ttl=63, id=77, flags="DF") / \
        UDP(sport=1000, dport=2000) / (b"p" * 40)
    verdict, port, out = model.l3fwd(bytes(src), lpm, PORT_MACS)
    chk.eq((verdict, port), ("forwarded", 1), "model forwards a routable packet to port 1")
    chk.eq(out, bytes(want), "model rewrite == scapy-built packet (MACs, TTL-1, checksum)")
    bad = bytearray(bytes(src))
    bad[24] ^= 0xff
    chk.eq(model.l3fwd(bytes(bad), lpm, PORT_MACS)[0], "bad_cksum", "bad checksum verdict")
    for ttl, want_v in ((0, "ttl_expired"), (1, "ttl_expired"), (2, "forwarded")):
        f = bytes(Ether() / IP(src="10.0.0.1", dst="10.1.0.1", ttl=ttl) / UDP())
        chk.eq(model.l3fwd(f, lpm, PORT_MACS)[0], want_v, f"TTL {ttl} verdict")
    flows = model.FlowTable([(("10.0.0.1", "10.1.0.1", 17, 5, 6), 0, "02:00:00:00:00:aa")])
    hit = bytes(Ether() / IP(src="10.0.0.1", dst="10.1.0.1") / UDP(sport=5, dport=6))
    miss = bytes(Ether() / IP(src="10.0.0.1", dst="10.1.0.1") / UDP(sport=5, dport=7))
    chk.eq(model.l3fwd(hit, flows, PORT_MACS)[:2], ("forwarded", 0), "hash mode hit")
    chk.eq(model.l3fwd(miss, flows, PORT_MACS)[0], "no_route", "hash mode miss")
    to5 = model.FlowTable([(("10.0.0.1", "10.1.0.1", 17, 5, 6), 5, "02:00:00:00:00:aa")])
    chk.eq(model.l3fwd(hit, to5, PORT_MACS)[0], "bad_port", "route to a missing port")

    pkts = traffic.mixed_traffic()
    wrong = []
    for p in pkts:
        want_v = "forwarded" if p.kind == "icmp" else p.kind
        got_v = model.l3fwd(p.frame, lpm, PORT_MACS)[0]
        if got_v != want_v:
            wrong.append((p.kind, got_v, p.frame[:40].hex()))
    chk.eq(wrong, [], "model verdict == what the generator built, for every input packet")
    kinds = {p.kind for p in pkts}
    chk.ok(kinds >= {"forwarded", "ttl_expired", "no_route", "bad_cksum", "malformed",
                     "not_ip", "icmp"}, "generator makes every kind of packet", str(kinds))
    sizes = [len(p.frame) for p in pkts if p.kind == "forwarded"]
    chk.ok(min(sizes) == 64 and max(sizes) == 1500, "flow packets span 64..1500 bytes",
           f"{min(sizes)}..{max(sizes)}")
    protos = {p.tuple5[2] for p in pkts if p.tuple5}
    chk.ok({6, 17} <= protos, "TCP and UDP flows", str(protos))
    order_ok = True
    last = {}
    for p in pkts:
        if p.flow is not None:
            if p.seq != last.get(p.flow, -1) + 1:
                order_ok = False
            last[p.flow] = p.seq
    chk.ok(order_ok, "generator keeps every flow in sequence order")
    chk.ok(len(pkts) < 2048, "input fits one NF ring (2048 slots)", str(len(pkts)))


def test_telemetry(env, chk):
    chk.section("telemetry client")
    path = env.path("tel.sock")
    counter = {"n": 0}

    def stats():
        counter["n"] += 1
        return {"port0_rx": counter["n"], "nf3_role": 1, "nf4_role": 2, "nfs_attached": 2}

    srv = FakeServer(path, {"/netvm/stats": stats, "/bad": [1, 2]})
    try:
        tel = Telemetry(path)
        s1 = tel.stats()
        s2 = tel.stats()
        chk.eq((s1["port0_rx"], s2["port0_rx"]), (1, 2), "two stats calls on one connection")
        chk.eq(tel.info.get("max_output_len"), 16384, "greeting parsed")
        chk.eq(nf_ids(s2), [3, 4], "nf ids from nf<I>_role")
        chk.eq(nf_ids(s2, role=2), [4], "nf ids of one role")
        chk.eq(tel.command("/bad"), [1, 2], "raw command reply")
        srv.replies["/netvm/stats"] = {"port0_rx": "7"}
        try:
            tel.stats()
            chk.ok(False, "non-integer counter is an error")
        except TelemetryError:
            chk.ok(True, "non-integer counter is an error")
        srv.replies["/netvm/stats"] = None
        try:
            tel.stats()
            chk.ok(False, "a null reply (unknown command) is an error")
        except TelemetryError:
            chk.ok(True, "a null reply (unknown command) is an error")
        srv.replies["/netvm/stats"] = stats
        ok, last = tel.wait_for(lambda s: s["port0_rx"] >= 6, timeout=5)
        chk.ok(ok and last["port0_rx"] >= 6, "wait_for polls until the predicate holds")
        ok, _ = tel.wait_for(lambda s: False, timeout=0.3)
        chk.ok(not ok, "wait_for gives up at its timeout")
        tel.close()
    finally:
        srv.stop()
    try:
        Telemetry(path).stats()
        chk.ok(False, "absent socket raises TelemetryError")
    except TelemetryError:
        chk.ok(True, "absent socket raises TelemetryError")


ABI_PROBE = r"""
#include <stddef.h>
#include <stdio.h>
#include "netvm_abi.h"
#define P(s, f) printf(#s "." #f " %zu\n", offsetof(struct s, f))
int main(void)
{
	P(nvm_desc, buf); P(nvm_desc, data_off); P(nvm_desc, len); P(nvm_desc, action);
	P(nvm_desc, port); P(nvm_desc, arg); P(nvm_desc, hash);
	P(nvm_ring, prod); P(nvm_ring, cons); P(nvm_ring, size); P(nvm_ring, mask);
	P(nvm_ring, slots);
	P(nvm_pool_hdr, region_size); P(nvm_pool_hdr, bufs_off); P(nvm_pool_hdr, buf_stride);
	P(nvm_pool_hdr, buf_count); P(nvm_pool_hdr, headroom); P(nvm_pool_hdr, nb_ports);
	P(nvm_pool_hdr, ports);
	P(nvm_priv_hdr, region_size); P(nvm_priv_hdr, nf_id); P(nvm_priv_hdr, role);
	P(nvm_priv_hdr, nb_queues); P(nvm_priv_hdr, ring_size); P(nvm_priv_hdr, alloc_size);
	P(nvm_priv_hdr, pool_id); P(nvm_priv_hdr, queues); P(nvm_priv_hdr, nf_state);
	P(nvm_priv_hdr, sleeping); P(nvm_priv_hdr, ctl_size); P(nvm_priv_hdr, ctl_off);
	P(nvm_priv_hdr, stats_off); P(nvm_priv_hdr, stats_slots);
	P(nvm_pipe, prod); P(nvm_pipe, cons); P(nvm_pipe, data);
	P(nvm_stats, seq); P(nvm_stats, count); P(nvm_stats, slots);
	printf("ctl_magic %u\nctl_max %u\n", NVM_CTL_MAGIC, NVM_CTL_MAX_LEN);
	printf("hello %lld\nversion %u\npool_magic %u\npriv_magic %u\n",
	       (long long)NVM_HELLO_MAGIC, NVM_ABI_VERSION, NVM_POOL_MAGIC, NVM_PRIV_MAGIC);
	printf("msg_pool %lld\nmsg_error %lld\n", (long long)NVM_MSG_POOL, (long long)NVM_MSG_ERROR);
	printf("act %d %d %d %d %d\n", NVM_ACT_DROP, NVM_ACT_OUT, NVM_ACT_TO_ROLE, NVM_ACT_NEXT,
	       NVM_ACT_MAX);
	return 0;
}
"""


def test_abi(env, chk):
    chk.section("raw attacher layout vs netvm_abi.h")
    cc = nvenv.which("cc") or nvenv.which("gcc")
    inc = os.path.join(env.source_dir, "netlib", "include")
    if cc is None or not os.path.exists(os.path.join(inc, "netvm_abi.h")):
        chk.ok(False, "C compiler and netvm_abi.h available", f"cc={cc}, include={inc}")
        return
    src = env.path("abi_probe.c")
    exe = env.path("abi_probe")
    with open(src, "w") as f:
        f.write(ABI_PROBE)
    r = subprocess.run([cc, "-std=gnu11", "-I", inc, "-o", exe, src],
                       capture_output=True, text=True)
    if not chk.ok(r.returncode == 0, "ABI probe compiles", r.stderr[-500:]):
        return
    got = {}
    for line in subprocess.run([exe], capture_output=True, text=True).stdout.splitlines():
        key, _, val = line.partition(" ")
        got[key] = val
    r = rawnf
    want = {
        "nvm_desc.buf": 0, "nvm_desc.data_off": 4, "nvm_desc.len": 6, "nvm_desc.action": 8,
        "nvm_desc.port": 9, "nvm_desc.arg": 10, "nvm_desc.hash": 12,
        "nvm_ring.prod": r.RING_PROD, "nvm_ring.cons": r.RING_CONS,
        "nvm_ring.size": r.RING_SIZE, "nvm_ring.mask": r.RING_MASK,
        "nvm_ring.slots": r.RING_SLOTS,
        "nvm_pool_hdr.region_size": 8, "nvm_pool_hdr.bufs_off": 16,
        "nvm_pool_hdr.buf_stride": 24, "nvm_pool_hdr.buf_count": 28,
        "nvm_pool_hdr.headroom": 32, "nvm_pool_hdr.nb_ports": 44,
        "nvm_pool_hdr.ports": r.POOL_PORTS_OFF,
        "nvm_priv_hdr.region_size": 8, "nvm_priv_hdr.nf_id": 16, "nvm_priv_hdr.role": 20,
        "nvm_priv_hdr.nb_queues": 22, "nvm_priv_hdr.ring_size": 24,
        "nvm_priv_hdr.alloc_size": 28, "nvm_priv_hdr.pool_id": 32,
        "nvm_priv_hdr.queues": r.PRIV_QUEUES_OFF, "nvm_priv_hdr.nf_state": r.PRIV_NF_STATE_OFF,
        "nvm_priv_hdr.sleeping": r.PRIV_SLEEPING_OFF,
        "nvm_priv_hdr.ctl_size": 36, "nvm_priv_hdr.ctl_off": 40, "nvm_priv_hdr.stats_off": 48,
        "nvm_priv_hdr.stats_slots": 56,
        "nvm_pipe.prod": ctl.PIPE_PROD, "nvm_pipe.cons": ctl.PIPE_CONS,
        "nvm_pipe.data": ctl.PIPE_DATA, "nvm_stats.seq": 0, "nvm_stats.count": 4,
        "nvm_stats.slots": ctl.STATS_SLOTS, "ctl_magic": ctl.CTL_MAGIC,
        "ctl_max": ctl.CTL_MAX_LEN,
        "hello": r.HELLO_MAGIC, "version": r.ABI_VERSION, "pool_magic": r.POOL_MAGIC,
        "priv_magic": r.PRIV_MAGIC, "msg_pool": r.MSG_POOL, "msg_error": r.MSG_ERROR,
    }
    bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != str(v)}
    chk.eq(bad, {}, "every offset and constant the raw attacher uses matches the header")
    chk.eq(got.get("act"), f"{r.ACT_DROP} {r.ACT_OUT} {r.ACT_TO_ROLE} {r.ACT_NEXT} {r.ACT_MAX}",
           "action numbers")
    # the Struct layouts give the same field offsets
    chk.eq(rawnf.PRIV_HDR.size, 60, "private header struct covers magic..stats_slots")
    chk.eq(rawnf.POOL_HDR.size, 48, "pool header struct covers magic..nb_ports")


def test_proc(env, chk):
    chk.section("process control")
    p = Proc(env, "sleeper", ["sh", "-c", "sleep 60 & wait"])
    p.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    rc = p.stop(signal.SIGTERM, timeout=5)
    chk.ok(rc is not None and time.monotonic() - t0 < 5, "a process stops on its signal",
           f"rc={rc}")
    p.kill()
    q = Proc(env, "stubborn", ["sh", "-c", "trap '' INT; sleep 60 & echo $! > "
                               + env.path("child.pid") + "; wait; sleep 60"])
    q.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    rc = q.stop(signal.SIGINT, timeout=1)
    chk.ok(rc is None and time.monotonic() - t0 < 4, "a process ignoring SIGINT is killed "
           "after the timeout", f"rc={rc}")
    child = int(open(env.path("child.pid")).read())
    time.sleep(0.2)
    alive = os.path.exists(f"/proc/{child}") and \
        open(f"/proc/{child}/stat").read().split()[2] != "Z"
    chk.ok(not alive, "its whole process group is killed too")


def test_netns(env, chk):
    chk.section("namespaces")
    if os.geteuid() != 0:
        chk.ok(True, "namespace test skipped (not root)")
        return
    try:
        a, b = nvnetns.make_pair(env)
    except Exception as exc:
        chk.ok(False, "namespace pair set up", str(exc))
        return
    chk.ok(a.exists() and b.exists(), "both namespaces exist")
    chk.ok(a.host_mac != a.ns_mac and len(a.host_mac) == 17, "veth MACs read",
           f"{a.host_mac} {a.ns_mac}")
    a.set_gateway_mac(a.host_mac)
    r = subprocess.run(["ip", "-n", a.ns, "neigh", "show", a.gw], capture_output=True, text=True)
    chk.ok(a.host_mac in r.stdout and "PERMANENT" in r.stdout, "static gateway neighbour",
           r.stdout)
    r = subprocess.run(["ip", "-n", a.ns, "-4", "addr", "show"], capture_output=True, text=True)
    chk.ok("10.0.1.2/24" in r.stdout, "address in namespace A", r.stdout)
    r = subprocess.run(["ethtool", "-k", a.host_if], capture_output=True, text=True)
    chk.ok("tcp-segmentation-offload: off" in r.stdout and
           "generic-receive-offload: off" in r.stdout, "offloads off on the host end")
    a.destroy()
    b.destroy()
    r = subprocess.run(["ip", "link", "show", a.host_if], capture_output=True, text=True)
    chk.ok(not a.exists() and not b.exists() and r.returncode != 0,
           "teardown removes namespaces and veth pairs")


def main():
    env = nvenv.setup("lib_selftest", timeout=100, description=__doc__)
    chk = check.Checker("lib_selftest")
    test_pcaps(env, chk)
    test_model(chk)
    test_telemetry(env, chk)
    test_abi(env, chk)
    test_proc(env, chk)
    test_netns(env, chk)
    env.done(chk)


if __name__ == "__main__":
    main()
