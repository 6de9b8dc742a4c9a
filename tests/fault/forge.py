#!/usr/bin/env python3
"""forge: an NF returning buffers it never held, against a full rx ring, frees nothing twice.

RX and TX run on two lcores (the default). Port 0 replays a pcap endlessly:
dst 10.1/16 to a well-behaved bridge (role 1, out of port 1), dst 10.3/16
to a raw NF (tests/lib/nvtest/rawnf.py, role 3) that never reads its rx
ring, so the ring stays full and every packet for it is refused there,
while it sprays its tx ring with DROP descriptors naming every buffer index
of the pool in turn. The RX lcore must never let a buffer it is about to
refuse look like the raw NF's: the TX lcore would take it back while the RX
lcore frees it (a double free: nf<I>_held wrapping below zero, buffers
handed out twice, buffers missing at exit).

While the spray runs (NETVM_FORGE_SECS seconds, 15 by default; set it to
minutes for a soak run), the raw NF's nf<I>_held must never exceed what
its rx and alloc rings hold, and the bridge must keep forwarding. Then the raw NF
closes and the core must exit 0 with every buffer back in the pool.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.rawnf import ACT_DROP, DESC, RING_SLOTS  # noqa: E402

SECS = float(os.environ.get("NETVM_FORGE_SECS", "15"))
RAW_ROLE = 3
RING = 64
ALLOC = 16
HOLD = RING + ALLOC  # all it is ever given: it never reads its rx or alloc ring
CONFIG = f"""core = {{
  pool_buffers = 2048;
  ring_size = {RING};
  alloc_ring_size = {ALLOC};
}};
rules = (
  {{ dst = "10.1.0.0/16"; role = 1; }},
  {{ dst = "10.3.0.0/16"; role = 3; }}
);
default = {{ action = "drop"; }};
"""


def spray(raw, blob, pos, count):
    """Fill the raw NF's tx ring with DROP descriptors for buffers pos, pos+1...

    @blob holds the packed descriptors of every buffer index, twice over, so
    a run never wraps inside it. Returns the next position."""
    tx = raw.tx
    prod = tx.prod
    room = tx.size - ((prod - tx.cons) & 0xffffffff)
    if room == 0:
        return pos
    start = (prod & tx.mask)
    n = min(room, tx.size - start)  # up to the end of the slots, no wrap
    off = tx.off + RING_SLOTS + start * DESC.size
    raw.priv[off:off + n * DESC.size] = blob[pos * DESC.size:(pos + n) * DESC.size]
    tx.prod = prod + n
    return (pos + n) % count


def main():
    env = nvenv.setup("forge", timeout=SECS + 150, description=__doc__)
    chk = check.Checker("forge")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    gen = traffic.simple_flows(9, ["10.1.0.0/16", "10.3.0.0/16"], 128)
    flows = env.path("flows.pcap")
    pcaps.write(flows, [p.frame for p in gen])
    core = Core(env, "f", CONFIG,
                [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"],
                lcores="0,1", single_lcore=False, wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts (RX and TX lcores apart)", err or ""):
        env.done(chk)
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1")
    err = bridge.start_attached()
    if not chk.ok(err is None, "bridge attaches (role 1)", err or ""):
        env.done(chk)
    raw = rawnf.attach_running(env, chk, core.sock, RAW_ROLE)
    held_key = f"nf{raw.nf_id}_held"
    ok, st = core.tel.wait_for(lambda s: raw.rx.count() == RING and
                               s.get("drop_nf_ring_full", 0) > 0, timeout=10)
    chk.ok(ok, f"the raw NF's rx ring is full ({RING}) and refuses packets (nf_ring_full)",
           f"ring {raw.rx.count()}, drop_nf_ring_full {st.get('drop_nf_ring_full')}")

    chk.section(f"{SECS:.0f} s of DROP descriptors for every buffer index")
    count = raw.buf_count
    one = b"".join(DESC.pack(i, 0, 0, ACT_DROP, 0, 0, 0) for i in range(count))
    blob = one + one
    pos = sprayed = 0
    worst = 0
    bad = None
    end = time.monotonic() + SECS
    next_look = 0.0
    while time.monotonic() < end and bad is None:
        before = raw.tx.prod
        pos = spray(raw, blob, pos, count)
        sprayed += (raw.tx.prod - before) & 0xffffffff
        if time.monotonic() >= next_look:
            next_look = time.monotonic() + 0.1
            st = core.stats()
            held = st.get(held_key)
            if held is None or not core.alive():
                bad = f"core or its counters gone: {held_key}={held}, alive={core.alive()}"
            elif held > HOLD:
                bad = (f"{held_key}={held} (above the {HOLD} its rx and alloc rings hold: "
                       f"a buffer it never held was taken back or given twice)")
            else:
                worst = max(worst, held)
    st = core.stats()
    print(f"  sprayed {sprayed} descriptors ({sprayed / SECS / 1e3:.0f} k/s); "
          f"drop_not_owned {st.get('drop_not_owned')}, drop_nf_drop {st.get('drop_nf_drop')}, "
          f"largest {held_key} seen {worst}", flush=True)
    chk.ok(bad is None, f"{held_key} stays within 0..{HOLD} all along", bad or "")
    chk.ok(sprayed > 10 * count, f"the spray covered every buffer index many times "
           f"({sprayed} descriptors, {count} buffers)")
    a = st.get("port1_tx", 0)
    ok, st = core.tel.wait_for(lambda s: s.get("port1_tx", 0) > a, timeout=5)
    chk.ok(ok, "the bridge keeps forwarding", f"port1_tx {a} -> {st.get('port1_tx')}")

    chk.section("the raw NF closes")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, timeout=10)
    chk.ok(ok, "the core detaches it", f"nfs_attached={st.get('nfs_attached')}")
    bridge.stop_counters()
    core.stop_checked(chk)
    chk.ok("lost" not in core.stderr(), "the core's exit check finds no buffer lost",
           core.tail(5))
    env.done(chk)


if __name__ == "__main__":
    main()
