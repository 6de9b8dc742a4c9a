"""One pcap replay through the core engine and NFs, as the functional tests run it.

Port 0 replays the input pcap, port 1 replays an empty one; both capture what
they transmit. The NFs attach (the core holds RX until they have, with
--wait-nfs), the replay runs until every input packet is accounted for
(transmitted or counted as a drop), then NFs and core are stopped with SIGINT
and everything they printed and wrote is collected in a PcapRun.
"""

import time
from collections import Counter, defaultdict

from . import pcaps
from .proc import Core, Nf
from .model import L3FWD_DROPS, expected_output, flow_key
from .telemetry import drops

CONFIG_HEAD = """# written by the functional tests
core = {
  pool_buffers = 4096;
  ring_size = 2048;
};
"""


class NfSpec:
    """An NF to start: program (relative to the build dir), role, app options."""

    def __init__(self, binary, role, app_args=(), label=None):
        self.binary = binary
        self.role = role
        self.app_args = list(app_args)
        self.label = label


class PcapRun:
    """What one replay produced."""

    def __init__(self):
        self.started = False     # core and every NF started and attached
        self.ok = False          # ... and the replay drained
        self.live = {}           # telemetry snapshot after draining, NFs attached
        self.final = {}          # the core's stat lines
        self.core_rc = None
        self.nf_rc = []          # exit status per NF, in start order
        self.nf_counters = []    # printed counters per NF
        self.nf_ids = []         # instance id per NF
        self.out = {}            # port -> list of frames transmitted
        self.port_macs = {}      # port -> MAC the core printed
        self.core = None


def accounted(stats):
    """Packets finished: transmitted on some port or dropped for some reason."""
    tx = sum(v for k, v in stats.items()
             if k.startswith("port") and k.endswith("_tx") and k[4:-3].isdigit())
    return tx + sum(drops(stats).values())


def wait_drained(core, n_in, timeout=60.0, settle=10.0):
    """Wait until port 0 received @n_in packets and all of them are accounted for.

    Returns (drained, stats). If the counts stop moving for @settle seconds
    without adding up, gives up early with drained False."""
    deadline = time.monotonic() + timeout
    last = None
    last_change = time.monotonic()
    stats = {}
    while time.monotonic() < deadline:
        stats = core.stats()
        if stats.get("port0_rx") == n_in and accounted(stats) == n_in:
            # NFs may still count their last burst: let one more poll through
            time.sleep(0.2)
            return True, core.stats()
        if stats != last:
            last = stats
            last_change = time.monotonic()
        elif time.monotonic() - last_change > settle and stats.get("port0_rx") == n_in:
            return False, stats
        if not core.alive():
            return False, stats
        time.sleep(0.05)
    return False, stats


def replay(env, chk, tag, config, frames, nf_specs, wait_nfs=None, split_lcores=False,
           core_extra=""):
    """Replay @frames through a core configured with @config and NFs @nf_specs.

    @split_lcores: RX and TX loops on lcores 0 and 1 instead of --single-lcore.
    @core_extra: more keys of the core group ("k = v;\n")."""
    res = PcapRun()
    in_pcap = env.path(f"{tag}-in.pcap")
    empty_pcap = env.path(f"{tag}-empty.pcap")
    out_pcap = {0: env.path(f"{tag}-out0.pcap"), 1: env.path(f"{tag}-out1.pcap")}
    pcaps.write(in_pcap, frames)
    pcaps.write(empty_pcap, [])
    vdevs = [f"net_pcap0,rx_pcap={in_pcap},tx_pcap={out_pcap[0]}",
             f"net_pcap1,rx_pcap={empty_pcap},tx_pcap={out_pcap[1]}"]
    head = CONFIG_HEAD.replace("core = {\n", "core = {\n" + core_extra)
    core = Core(env, tag, head + config, vdevs,
                lcores="0,1" if split_lcores else "0", single_lcore=not split_lcores,
                wait_nfs=len(nf_specs) if wait_nfs is None else wait_nfs)
    res.core = core
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts", err or ""):
        return res
    nfs = []
    for spec in nf_specs:
        nf = Nf(env, core, spec.binary, spec.role, spec.app_args, name=spec.label)
        err = nf.start_attached()
        if not chk.ok(err is None, f"{tag}: {nf.name} attaches as role {spec.role}", err or ""):
            stop_all(res, core, nfs + [nf])
            return res
        nfs.append(nf)
    res.nf_ids = [nf.id for nf in nfs]
    res.started = True
    drained, res.live = wait_drained(core, len(frames))
    res.ok = chk.ok(drained, f"{tag}: all {len(frames)} input packets received and accounted for",
                    f"port0_rx={res.live.get('port0_rx')}, tx+drops={accounted(res.live)}, "
                    f"counters={res.live}")
    stop_all(res, core, nfs)
    for port, path in out_pcap.items():
        try:
            res.out[port] = pcaps.read(path)
        except (OSError, ValueError) as exc:
            chk.ok(False, f"{tag}: port {port} capture readable", str(exc))
            res.out[port] = None
    res.port_macs = {p: mac for p, (_drv, mac) in core.port_macs().items()}
    return res


def stop_all(res, core, nfs):
    """SIGINT the NFs (collecting counters), then the core (collecting its stat lines)."""
    for nf in nfs:
        rc, counters = nf.stop_counters()
        res.nf_rc.append(rc)
        res.nf_counters.append(counters)
    res.core_rc, res.final = core.stop_stats()


def check_counters(chk, tag, res, exp, n_in, l3fwd_idx):
    """Check exit statuses, the core's counters and l3fwd's against model @exp.

    @l3fwd_idx: positions (in start order) of the l3fwd NFs; their printed
    counters are summed."""
    chk.eq(res.core_rc, 0, f"{tag}: core exits 0 on SIGINT")
    for i, rc in enumerate(res.nf_rc):
        chk.eq(rc, 0, f"{tag}: NF {i} exits 0 on SIGINT")
    total = res.final.get("pool0_total")
    chk.ok(total is not None and total > 0 and res.final.get("pool0_free") == total,
           f"{tag}: no buffer leaked (final pool0_free == pool0_total)",
           f"pool0_free={res.final.get('pool0_free')}, pool0_total={total}")
    chk.ok(0 in res.port_macs and 1 in res.port_macs,
           f"{tag}: core printed 'port P: <driver> MAC ..' for ports 0 and 1",
           f"found {res.port_macs}")
    live = res.live
    nf_drops = sum(exp.count(v) for v in L3FWD_DROPS)
    chk.eq(live.get("port0_rx"), n_in, f"{tag}: port0_rx")
    chk.eq(live.get("drop_malformed"), exp.count("malformed"),
           f"{tag}: drop_malformed (malformed IPv4 rejected at RX)")
    chk.eq(live.get("drop_nf_drop"), nf_drops, f"{tag}: drop_nf_drop (l3fwd's drops)")
    chk.eq(live.get("port0_tx"), len(exp.per_port[0]), f"{tag}: port0_tx")
    chk.eq(live.get("port1_tx"), len(exp.per_port[1]), f"{tag}: port1_tx")
    other = {k: v for k, v in drops(live).items() if k not in ("malformed", "nf_drop") and v}
    chk.eq(other, {}, f"{tag}: no other drop counter moved")
    if other.get("no_instance"):
        print(f"  note: drop_no_instance {other['no_instance']}: the core took packets in before "
              "its datapath had the NF (--wait-nfs should prevent that)", flush=True)
    chk.eq(res.final.get("port0_rx"), n_in, f"{tag}: final stat port0_rx")
    summed = {}
    for i in l3fwd_idx:
        if i < len(res.nf_counters):
            for k, v in res.nf_counters[i].items():
                summed[k] = summed.get(k, 0) + v
    for name in ("forwarded",) + L3FWD_DROPS:
        chk.eq(summed.get(name), exp.count(name), f"{tag}: l3fwd counter {name}")
    chk.eq(summed.get("malformed"), 0, f"{tag}: l3fwd counter malformed (core dropped them first)")


def expected_of(chk, tag, res, frames, table):
    """The model's Expected for @frames through l3fwd with @table, once the
    replay @res started and the core printed both ports' MACs; else None."""
    if not res.started:
        return None
    if not chk.ok(set(res.port_macs) >= {0, 1}, f"{tag}: port MACs known for the model",
                  f"core printed {res.port_macs}"):
        return None
    return expected_output(frames, table, res.port_macs)


def check_flow_output(chk, tag, res, exp):
    """Check each port's output against model @exp where several instances
    shared the work: the model's packets as a multiset, and every flow's
    packets in input order."""
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        want = Counter(exp.per_port[port])
        chk.ok(Counter(got) == want,
               f"{tag}: port {port} output is the model's multiset "
               f"({len(exp.per_port[port])} packets)",
               f"{len(got)} packets, {sum((Counter(got) - want).values())} unexpected, "
               f"{sum((want - Counter(got)).values())} missing")
        flows = defaultdict(list)
        for f in got:
            flows[(port, flow_key(f))].append(f)
        wanted = {k: v for k, v in exp.per_flow.items() if k[0] == port}
        bad = [k for k, v in wanted.items() if flows.get(k) != v]
        chk.ok(not bad, f"{tag}: port {port}: every flow in input order "
               f"({len(wanted)} flows)", f"{len(bad)} flows differ, e.g. {bad[:3]}")
