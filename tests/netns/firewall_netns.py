#!/usr/bin/env python3
"""firewall_netns: real clients through the chain firewall -> l3fwd.

  nvA-<pid> 10.0.1.2/24 (inside)                     nvB-<pid> 10.0.2.2/24 (outside)
        │ veth                                                │ veth
  host end = port 0 ─┐                            ┌─ port 1 = host end
                     └─ core: chain firewall (role 2) -> l3fwd (role 1) ─┘

The core runs configs/fw-chain.conf and the firewall configs/firewall.rules,
the examples shipped: "the inside may open TCP 22/80/443 and UDP 53 to the
outside, nothing may come in except replies".

  allowed   curl from A fetches a page from an HTTP server in B on port 80;
            a UDP query from A to B:53 gets its answer, one to B:80 does not
            (the rule opens TCP to 80)
  refused   curl from B to an HTTP server in A (port 80) and to A:22 time
            out; a UDP datagram from B to A:53 gets no answer; the firewall
            counts them as matching no rule
  reload    an iperf3 run from A to B:443 completes while the rules are
            reloaded 5 times; the core's drop_nf_drop (every packet an NF
            dropped) does not move from before the first reload to after the
            last, while iperf3 still runs; its retransmits are printed. (At
            the end of a run the receiver may reset the connection with data
            still in flight: those segments arrive at a closed connection and
            are dropped as ct_invalid, which is why the window ends before.)
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf, Proc  # noqa: E402

AF_PACKET_ARGS = "framesz=2048,blocksz=4096"
PAGE = "firewall test page\n"
# http.server's own server looks its address up in the DNS before it
# listens, which in a namespace without DNS waits for the resolver's timeouts
HTTP_SERVER = """
import http.server, os, socketserver, sys
class Server(http.server.HTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = sys.argv[1], 80
os.chdir(sys.argv[2])
Server((sys.argv[1], 80), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
UDP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 53))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"answer:" + data, peer)
"""
UDP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"query", (sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 53))
try:
    print(s.recv(2048).decode())
except socket.timeout:
    print("timeout")
"""


run_in = nvnetns.run_in


def listening(ns, proto, port, timeout=10.0):
    """Wait until something in @ns listens on @proto (t or u) @port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = run_in(ns, ["ss", f"-Hln{proto}", f"sport = :{port}"], timeout=5)
        if f":{port}" in r.stdout:
            return True
        time.sleep(0.1)
    return False


def http_server(env, ns, name):
    """python's http.server on port 80 in @ns serving PAGE; the Proc, listening."""
    root = env.path(f"www-{name}")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write(PAGE)
    srv = Proc(env, f"http-{name}", ns.exec_argv([sys.executable, "-c", HTTP_SERVER, ns.addr, root]))
    srv.start()
    return srv, listening(ns, "t", 80)


def curl(ns, url):
    return run_in(ns, [nvenv.which("curl"), "-s", "--connect-timeout", "3", "-m", "10", url],
                  timeout=20)


def main():
    env = nvenv.setup("firewall_netns", timeout=280, description=__doc__)
    chk = check.Checker("firewall_netns")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, nvenv.FIREWALL_BIN])
    for prog in ("ip", "ethtool", "iperf3", "curl", "ss"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")

    chk.section("namespaces")
    try:
        a, b = nvnetns.make_pair(env)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("namespaces and veth pairs set up", f"{exc}: {getattr(exc, 'stderr', '')}")
    a.set_gateway_mac(a.host_mac)
    b.set_gateway_mac(b.host_mac)
    routes = env.path("routes.txt")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")

    chk.section("core (configs/fw-chain.conf), firewall (configs/firewall.rules), l3fwd")
    core = Core(env, "fn", None, [f"net_af_packet0,iface={a.host_if},{AF_PACKET_ARGS}",
                                  f"net_af_packet1,iface={b.host_if},{AF_PACKET_ARGS}"],
                config_path=os.path.join(env.source_dir, "configs", "fw-chain.conf"))
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    fw = Nf(env, core, nvenv.FIREWALL_BIN, 2,
            ["--rules", os.path.join(env.source_dir, "configs", "firewall.rules")],
            name="firewall")
    err = fw.start_attached()
    if not chk.ok(err is None, "firewall attaches (role 2)", err or ""):
        env.done(chk)
    l3 = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = l3.start_attached()
    if not chk.ok(err is None, "l3fwd attaches (role 1)", err or ""):
        env.done(chk)

    chk.section("the inside opens connections")
    srv_b, up = http_server(env, b, "b")
    chk.ok(up, "HTTP server listens in B:80")
    r = curl(a, f"http://{b.addr}/index.html")
    chk.ok(r.returncode == 0 and r.stdout == PAGE, "curl A -> B:80 fetches the page",
           f"rc={r.returncode} out={r.stdout[:80]!r} {r.stderr[-200:]}")
    udp_b = Proc(env, "udp-b", b.exec_argv([sys.executable, "-c", UDP_SERVER, b.addr, "53"]))
    udp_b.start()
    chk.ok(listening(b, "u", 53), "UDP server listens in B:53")
    r = run_in(a, [sys.executable, "-c", UDP_CLIENT, b.addr, "53"], timeout=15)
    chk.eq(r.stdout.strip(), "answer:query", "a UDP query A -> B:53 gets its answer")
    # the inside may open TCP to 80, not UDP ("and" binds tighter than "or":
    # the port list of the rule is in parentheses)
    udp_b80 = Proc(env, "udp-b80", b.exec_argv([sys.executable, "-c", UDP_SERVER, b.addr, "80"]))
    udp_b80.start()
    chk.ok(listening(b, "u", 80), "UDP server listens in B:80")
    r = run_in(a, [sys.executable, "-c", UDP_CLIENT, b.addr, "80"], timeout=15)
    chk.eq(r.stdout.strip(), "timeout", "a UDP datagram A -> B:80 gets no answer (TCP only)")
    udp_b80.stop(timeout=5)

    chk.section("nothing comes in")
    srv_a, up = http_server(env, a, "a")
    chk.ok(up, "HTTP server listens in A:80")
    st0 = core.stats()
    r = curl(b, f"http://{a.addr}/index.html")
    chk.ok(r.returncode != 0 and r.stdout == "", "curl B -> A:80 gets nothing",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    r = curl(b, f"http://{a.addr}:22/")
    chk.ok(r.returncode != 0 and r.stdout == "", "curl B -> A:22 gets nothing",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    udp_a = Proc(env, "udp-a", a.exec_argv([sys.executable, "-c", UDP_SERVER, a.addr, "53"]))
    udp_a.start()
    chk.ok(listening(a, "u", 53), "UDP server listens in A:53")
    r = run_in(b, [sys.executable, "-c", UDP_CLIENT, a.addr, "53"], timeout=15)
    chk.eq(r.stdout.strip(), "timeout", "a UDP datagram B -> A:53 gets no answer")
    st1 = core.stats()
    # curl retries its SYN while it waits: at least one SYN each, and the datagram
    chk.ge(st1.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 3,
           "the firewall dropped them (core drop_nf_drop)")
    for p in (srv_a, srv_b, udp_a, udp_b):
        p.stop(timeout=5)

    chk.section("iperf3 A -> B:443 while the rules are reloaded")
    server = Proc(env, "iperf3-server", b.exec_argv([nvenv.which("iperf3"), "-s", "-1",
                                                      "-p", "443", "-B", b.addr]))
    server.start()
    chk.ok(listening(b, "t", 443), "iperf3 server listens in B:443")
    client = Proc(env, "iperf3-client", a.exec_argv([nvenv.which("iperf3"), "-c", b.addr,
                                                      "-p", "443", "-t", "12", "-J",
                                                      "--connect-timeout", "5000"]))
    client.start()
    reloaded = 0
    time.sleep(1)
    st0 = core.stats()
    for i in range(5):
        fw.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if fw.stderr().count("SIGHUP: reloaded") >= i + 1:
                reloaded += 1
                break
            time.sleep(0.05)
        time.sleep(0.3)
    st1 = core.stats()
    running = client.alive()
    rc = client.wait(60)
    chk.eq(reloaded, 5, "5 reloads during the run")
    result = {}
    try:
        result = json.loads(client.stdout())
    except ValueError:
        pass
    end = result.get("end", {})
    bps = end.get("sum_received", {}).get("bits_per_second")
    retrans = end.get("sum_sent", {}).get("retransmits")
    chk.ok(rc == 0 and bps, "iperf3 completes", f"rc={rc} {client.stdout()[-300:]}")
    chk.ok(running, "iperf3 was still running after the last reload")
    chk.eq(st1.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 0,
           "no packet dropped by an NF from the first reload to the last")
    if bps:
        print(f"  iperf3 through firewall + l3fwd: {bps / 1e6:.1f} Mbit/s, "
              f"{retrans} retransmits", flush=True)
    server.stop(timeout=5)

    chk.section("shutdown")
    rc, counters = fw.stop_counters()
    chk.eq(rc, 0, "firewall exits 0")
    chk.ge(counters.get("no_match"), 3, "firewall counted the refused packets no_match")
    chk.ge(counters.get("allowed_new"), 4, "and the connections it let open allowed_new")
    chk.ge(counters.get("established"), 100, "and their packets established")
    print(f"  firewall counters: { {k: v for k, v in counters.items() if v} }", flush=True)
    l3.stop_counters()
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
