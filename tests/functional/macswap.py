#!/usr/bin/env python3
"""macswap: every packet from port 0 leaves port 1 with its MAC addresses swapped.

The expected output is the input with bytes 0-5 and 6-11 exchanged, computed
here from the input frames; the malformed frames the core rejects at RX are
left out of it (the core's drop_malformed counts them).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, replay  # noqa: E402

CONFIG = """default = { role = 1; };
"""


def main():
    env = nvenv.setup("macswap", timeout=120, description=__doc__)
    chk = check.Checker("macswap")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.MACSWAP_BIN])
    frames = [p.frame for p in traffic.mixed_traffic(seed=99)]
    table = model.LpmTable(traffic.LPM_ROUTES)
    res = replay(env, chk, "macswap", CONFIG, frames,
                 [NfSpec(nvenv.MACSWAP_BIN, 1, [], "macswap")])
    if not res.started:
        env.done(chk)
    # Which frames the core drops at RX: the model's "malformed", which is the
    # core's RX check (pcap_l3fwd holds the two to the same count).
    kept = [f for f in frames if model.l3fwd(f, table, res.port_macs)[0] != "malformed"]
    expected = [f[6:12] + f[0:6] + f[12:] for f in kept]
    chk.eq(res.core_rc, 0, "core exits 0")
    chk.eq(res.final.get("drop_malformed"), len(frames) - len(kept),
           "the core dropped exactly the malformed frames at RX")
    diffs = pcaps.compare(expected, res.out.get(1) or [])
    chk.ok(not diffs, f"port 1 carries every frame the core accepted, MACs swapped "
           f"({len(expected)} packets, in order)", "; ".join(diffs[:5]))
    chk.eq(len(res.out.get(0) or []), 0, "nothing leaves port 0")
    chk.ok(res.final.get("pool0_free") == res.final.get("pool0_total"),
           "pool whole at exit", f"{res.final.get('pool0_free')} of {res.final.get('pool0_total')}")
    env.done(chk)


if __name__ == "__main__":
    main()
