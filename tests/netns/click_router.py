#!/usr/bin/env python3
"""click_router: real clients through the Click IP router of make-ip-conf.pl.

  nvA-<pid> 18.26.4.2/24 via 18.26.4.92            nvB-<pid> 1.0.0.2/8 via 1.0.0.1
        │ veth                                              │ veth
  host end = port 0 (eth0) ─┐                  ┌─ port 1 (eth1) = host end
                            └─ core ⇄ netvm-click ─┘

netvm-click runs tests/click/conf/generated/make-ip-conf.default.click, the
two-interface router that Click's make-ip-conf.pl writes (eth0 18.26.4.92,
eth1 1.0.0.1, with their MACs), bound with --port eth0=0 --port eth1=1. The
namespaces get addresses in the configuration's subnets and the router's
addresses as gateways, and no static neighbour entries: the router answers
their ARP queries (ARPResponder) and resolves theirs (ARPQuerier).

The configuration is used as generated except for its default route, which
sends everything else to a gateway 18.26.4.1 that does not exist (Click drops
what matches no route, so no configuration of make-ip-conf.pl answers an
unknown destination with an ICMP error). The copy used here replaces it by
output 3 of the routing table, feeding `unr :: ICMPError(18.26.4.92,
unreachable, net)` back into the table.

  ping        A -> B and B -> A, 5 of 5 each
  curl        A fetches a page from an HTTP server in B
  traceroute  from A to B: hop 1 is 18.26.4.92 (ICMP time exceeded made by
              DecIPTTL + ICMPError), hop 2 is B
  unreachable a ping from A to 5.5.5.5 is answered "Destination Net
              Unreachable" from 18.26.4.92
  handlers    (-h) ar0 answered A, both ARPQueriers asked and learnt,
              dropped nothing, one expired TTL on eth1's path (traceroute's
              hop 1 probe), exactly 3 unreachable errors
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf, Proc, parse_click_handlers  # noqa: E402

CLICK_BIN = "apps/click/netvm-click"
AF_PACKET_ARGS = "framesz=2048,blocksz=4096"
CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; }, { in_port = 1; role = 1; } );
default = { action = "drop"; };
"""
ROUTER_A = "18.26.4.92"
ROUTER_B = "1.0.0.1"
DEFAULT_ROUTE = "0.0.0.0/0.0.0.0 18.26.4.1 1);"
UNREACHABLE = "\nrt[3] -> unr :: ICMPError(18.26.4.92, unreachable, net) -> rt;\n"
HANDLERS = ["ar0.replies", "ar1.replies", "arpq0.queries", "arpq0.responses",
            "arpq1.queries", "arpq1.responses", "arpq0.drops", "arpq1.drops",
            "dt0.drops", "dt1.drops", "unr.sent", "todevice0.count", "todevice1.count"]
PAGE = "click router test page\n"
HTTP_SERVER = """
import http.server, os, socketserver, sys
class Server(http.server.HTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = sys.argv[1], 80
os.chdir(sys.argv[2])
Server((sys.argv[1], 80), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


run_in = nvnetns.run_in


def listening(ns, port, timeout=10.0):
    """Wait until something in @ns listens on TCP @port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = run_in(ns, ["ss", "-Hlnt", f"sport = :{port}"], timeout=5)
        if f":{port}" in r.stdout:
            return True
        time.sleep(0.1)
    return False


def router_config(env, source_dir):
    """The generated router with the unreachable route; its path, or None."""
    src = os.path.join(source_dir, "tests", "click", "conf", "generated",
                       "make-ip-conf.default.click")
    with open(src) as f:
        text = f.read()
    if DEFAULT_ROUTE not in text:
        return None
    text = text.replace(DEFAULT_ROUTE, "0.0.0.0/0.0.0.0 3);") + UNREACHABLE
    path = env.path("router.click")
    with open(path, "w") as f:
        f.write(text)
    return path


def ping(chk, src, dst, count=5):
    r = run_in(src, [nvenv.which("ping"), "-c", str(count), "-W", "2", "-i", "0.3", dst],
               timeout=40)
    last = " / ".join(r.stdout.strip().splitlines()[-2:])
    return chk.ok(r.returncode == 0 and " 0% packet loss" in r.stdout,
                  f"ping {src.addr} -> {dst}: {count} of {count} replies",
                  f"{last} {r.stderr.strip()}")


def namespaces(env, chk):
    """Namespaces A and B in the configuration's subnets, no static neighbours; (a, b)."""
    pid = os.getpid()
    a = nvnetns.NsLink(env, f"nvA-{pid}", f"nva{pid}h", f"nva{pid}n", "18.26.4.2/24", ROUTER_A)
    b = nvnetns.NsLink(env, f"nvB-{pid}", f"nvb{pid}h", f"nvb{pid}n", "1.0.0.2/8", ROUTER_B)
    try:
        a.create()
        b.create()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("namespaces and veth pairs set up", f"{exc}: {getattr(exc, 'stderr', '')}")
    return a, b


def require_tools(chk):
    for prog in ("ip", "ethtool", "ping", "curl", "ss", "traceroute"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found (scripts/setup.sh installs it)")


def client_checks(env, chk, a, b):
    """ping, ARP, curl, traceroute and the unreachable destination through the router."""
    chk.section("ping and ARP")
    ping(chk, a, b.addr)
    ping(chk, b, a.addr)
    for ns, gw, mac in ((a, ROUTER_A, "00:00:c0:3b:71:ef"), (b, ROUTER_B, "00:00:c0:ca:68:ef")):
        r = subprocess.run([nvnetns.tool("ip"), "-n", ns.ns, "neigh", "show", gw],
                           capture_output=True, text=True)
        chk.ok(mac in r.stdout.lower(), f"{ns.ns} resolved {gw} by ARP to {mac}",
               r.stdout.strip())

    chk.section("curl")
    root = env.path("www")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE)
    srv = Proc(env, "http-b", b.exec_argv([sys.executable, "-c", HTTP_SERVER, b.addr, root]))
    srv.start()
    chk.ok(listening(b, 80), "HTTP server listens in B:80")
    r = run_in(a, [nvenv.which("curl"), "-s", "--connect-timeout", "3", "-m", "10",
                   f"http://{b.addr}/index.html"], timeout=20)
    chk.ok(r.returncode == 0 and r.stdout == PAGE, "curl A -> B fetches the page",
           f"rc={r.returncode} out={r.stdout[:80]!r} {r.stderr[-200:]}")
    srv.stop(timeout=5)

    chk.section("traceroute")
    r = run_in(a, [nvenv.which("traceroute"), "-n", "-N", "1", "-q", "1", "-w", "2",
                   "-m", "4", b.addr], timeout=40)
    hops = {}
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[0].isdigit():
            hops[int(f[0])] = f[1]
    chk.eq(hops.get(1), ROUTER_A, "traceroute hop 1 is the router (ICMP time exceeded)")
    chk.eq(hops.get(2), b.addr, "traceroute hop 2 is B")
    if hops.get(1) != ROUTER_A:
        print(r.stdout, r.stderr, flush=True)

    chk.section("unknown destination")
    r = run_in(a, [nvenv.which("ping"), "-c", "3", "-W", "2", "-i", "0.3", "5.5.5.5"],
               timeout=30)
    chk.ok(f"From {ROUTER_A}" in r.stdout and "Destination Net Unreachable" in r.stdout,
           "ping 5.5.5.5: 'Destination Net Unreachable' from the router",
           r.stdout.strip()[-300:])


def handler_checks(chk, h):
    """The router's -h values @h after client_checks()."""
    print(f"  handlers: {h}", flush=True)
    chk.ge(h.get("ar0.replies"), 1, "ar0 answered A's ARP query for 18.26.4.92")
    # B usually learns 1.0.0.1 from arpq1's query for B (A pings first), so
    # ar1 may answer nothing; the kernel's later reachability probes it answers
    chk.ge(h.get("arpq0.responses"), 1, "arpq0 learnt A's address from a reply")
    chk.ge(h.get("arpq1.responses"), 1, "arpq1 learnt B's address from a reply")
    chk.ge(h.get("arpq0.queries"), 1, "arpq0 asked")
    chk.ge(h.get("arpq1.queries"), 1, "arpq1 asked")
    chk.eq(h.get("arpq0.drops"), 0, "arpq0 dropped nothing")
    chk.eq(h.get("arpq1.drops"), 0, "arpq1 dropped nothing")
    chk.eq(h.get("dt1.drops"), 1, "dt1 expired exactly traceroute's TTL-1 probe")
    chk.eq(h.get("dt0.drops"), 0, "dt0 expired nothing")
    chk.eq(h.get("unr.sent"), 3, "unr sent exactly the 3 unreachable errors")
    # 5 pings each way, their replies, curl's segments, traceroute's answers
    chk.ge(h.get("todevice0.count"), 10 + 3 + 2, "todevice0 sent the replies and errors to A")
    chk.ge(h.get("todevice1.count"), 10 + 2, "todevice1 sent to B")


def main():
    env = nvenv.setup("click_router", timeout=380, description=__doc__)
    chk = check.Checker("click_router")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, CLICK_BIN])
    require_tools(chk)

    chk.section("namespaces (no static neighbours)")
    a, b = namespaces(env, chk)
    conf = router_config(env, env.source_dir)
    if conf is None:
        chk.fatal("the generated configuration has the default route", DEFAULT_ROUTE)

    chk.section("core and netvm-click (make-ip-conf.default.click)")
    core = Core(env, "ckr", CONFIG, [f"net_af_packet0,iface={a.host_if},{AF_PACKET_ARGS}",
                                     f"net_af_packet1,iface={b.host_if},{AF_PACKET_ARGS}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    args = ["-f", conf, "--port", "eth0=0", "--port", "eth1=1"]
    for h in HANDLERS:
        args += ["-h", h]
    ck = Nf(env, core, CLICK_BIN, 1, args, name="click")
    err = ck.start_attached()
    if not chk.ok(err is None, "netvm-click attaches (role 1)", err or ""):
        env.done(chk)

    client_checks(env, chk, a, b)

    chk.section("handlers")
    rc, _ = ck.stop_counters()
    chk.eq(rc, 0, "netvm-click exits 0")
    handler_checks(chk, parse_click_handlers(ck.stdout()))
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
