"""Network namespaces joined to the root namespace by veth pairs.

The root-namespace end of each pair becomes a core port (net_af_packet); it
gets no address and no IPv6, so the host itself never talks on it and all
traffic stays between the test's namespaces. Offloads are turned off on both
ends so that frames carry real checksums and never exceed the MTU.
"""

import json
import os
import subprocess
import time

from . import env as nvenv
from .proc import Proc, run

OFFLOADS_OFF = ["tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"]


def tool(name):
    """Full path of a required tool; raises FileNotFoundError naming its package."""
    path = nvenv.which(name)
    if path is None:
        pkg = {"ip": "iproute2", "ethtool": "ethtool", "ping": "iputils-ping",
               "iperf3": "iperf3"}.get(name, name)
        raise FileNotFoundError(f"{name} not found (install the Debian package {pkg})")
    return path


def read_mac(ifname, ns=None):
    """MAC address of interface @ifname (in namespace @ns), lower case."""
    argv = [tool("ip")] + (["-n", ns] if ns else []) + ["-o", "link", "show", "dev", ifname]
    out = run(argv).stdout.split()
    return out[out.index("link/ether") + 1].lower()


def _write_sysctl(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError:
        pass


class NsLink:
    """A namespace @ns with address @cidr behind gateway @gw, reached by a veth pair."""

    def __init__(self, env, ns, host_if, ns_if, cidr, gw):
        self.env = env
        self.ns = ns
        self.host_if = host_if
        self.ns_if = ns_if
        self.cidr = cidr
        self.addr = cidr.split("/")[0]
        self.gw = gw
        self.addr6 = None
        self.host_mac = None
        self.ns_mac = None

    def exec_argv(self, argv):
        """@argv run inside the namespace."""
        return [tool("ip"), "netns", "exec", self.ns] + list(argv)

    def create(self):
        """Create namespace and veth pair, configure both ends. Raises on any failure."""
        ip = tool("ip")
        ethtool = tool("ethtool")
        run([ip, "netns", "add", self.ns])
        self.env.add_cleanup(self.destroy)
        run([ip, "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if])
        run([ip, "link", "set", self.ns_if, "netns", self.ns])
        # the host end carries no host traffic: no IPv6 (no ND, no MLD), no address
        _write_sysctl(f"/proc/sys/net/ipv6/conf/{self.host_if}/disable_ipv6", "1")
        run(self.exec_argv(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]),
            check=False)
        run(self.exec_argv(["sysctl", "-q", "-w", f"net.ipv6.conf.{self.ns_if}.disable_ipv6=1"]),
            check=False)
        run([ethtool, "-K", self.host_if] + OFFLOADS_OFF)
        run(self.exec_argv([ethtool, "-K", self.ns_if] + OFFLOADS_OFF))
        run([ip, "link", "set", self.host_if, "up"])
        run([ip, "-n", self.ns, "link", "set", "lo", "up"])
        run([ip, "-n", self.ns, "link", "set", self.ns_if, "up"])
        run([ip, "-n", self.ns, "addr", "add", self.cidr, "dev", self.ns_if])
        run([ip, "-n", self.ns, "route", "add", "default", "via", self.gw, "dev", self.ns_if])
        self.host_mac = read_mac(self.host_if)
        self.ns_mac = read_mac(self.ns_if, self.ns)

    def set_gateway_mac(self, mac):
        """Static neighbour entry: the gateway is at @mac (the core port's MAC)."""
        run([tool("ip"), "-n", self.ns, "neigh", "replace", self.gw, "lladdr", mac,
             "dev", self.ns_if, "nud", "permanent"])

    def add_ipv6(self, cidr6, gw6, gw_mac):
        """Give the namespace side IPv6 address @cidr6 (no duplicate address
        detection: the forwarder carries no multicast to answer it), a default
        route via @gw6 and a static neighbour entry: @gw6 is at @gw_mac (the
        core port's MAC; l3fwd does no neighbour discovery)."""
        ip = tool("ip")
        run(self.exec_argv(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"]))
        run(self.exec_argv(["sysctl", "-q", "-w", f"net.ipv6.conf.{self.ns_if}.disable_ipv6=0"]))
        run([ip, "-n", self.ns, "-6", "addr", "add", cidr6, "dev", self.ns_if, "nodad"])
        run([ip, "-n", self.ns, "-6", "route", "add", "default", "via", gw6, "dev", self.ns_if])
        run([ip, "-n", self.ns, "-6", "neigh", "replace", gw6, "lladdr", gw_mac,
             "dev", self.ns_if, "nud", "permanent"])
        self.addr6 = cidr6.split("/")[0]

    def exists(self):
        """True while the namespace exists."""
        return os.path.exists(f"/var/run/netns/{self.ns}")

    def destroy(self):
        """Delete the namespace (and with it the veth pair); quiet when already gone."""
        ip = tool("ip")
        pids = run([ip, "netns", "pids", self.ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        run([ip, "netns", "del", self.ns], check=False)
        run([ip, "link", "del", self.host_if], check=False)


def make_pair(env):
    """Namespaces A (10.0.1.2/24 via 10.0.1.1) and B (10.0.2.2/24 via 10.0.2.1), created."""
    pid = os.getpid()
    a = NsLink(env, f"nvA-{pid}", f"nva{pid}h", f"nva{pid}n", "10.0.1.2/24", "10.0.1.1")
    b = NsLink(env, f"nvB-{pid}", f"nvb{pid}h", f"nvb{pid}n", "10.0.2.2/24", "10.0.2.1")
    a.create()
    b.create()
    return a, b


def run_in(ns, argv, timeout):
    """Run @argv in namespace @ns; a CompletedProcess, returncode -1 on timeout."""
    try:
        return subprocess.run(ns.exec_argv(argv), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, -1, exc.stdout or "", "timeout")


def ping(chk, src, dst_addr, size=None):
    """Check that 5 pings (of @size bytes) from namespace @src to @dst_addr
    (IPv4 or IPv6) all get a reply; returns the check's result."""
    extra = ["-s", str(size)] if size else []
    r = run_in(src, [tool("ping"), "-c", "5", "-W", "2", "-i", "0.2"] + extra + [dst_addr],
               timeout=30)
    last = " / ".join(r.stdout.strip().splitlines()[-2:])
    what = f" of {size} bytes" if size else ""
    return chk.ok(r.returncode == 0 and " 0% packet loss" in r.stdout,
                  f"ping{what} {src.ns} -> {dst_addr}: 5 of 5 replies",
                  f"{last} {r.stderr.strip()}")


def iperf3(env, chk, client, server, addr, seconds=3):
    """Check that an iperf3 TCP run of @seconds from namespace @client to a
    server in namespace @server bound at @addr (IPv4 or IPv6) completes;
    returns the received bits/s, or None."""
    srv = Proc(env, "iperf3-server", server.exec_argv([tool("iperf3"), "-s", "-1", "-B", addr]))
    srv.start()
    deadline = time.monotonic() + 10
    listening = False
    while time.monotonic() < deadline and not listening:
        r = run_in(server, ["ss", "-Hltn", "sport = :5201"], timeout=5)
        listening = "5201" in r.stdout
        if not listening:
            time.sleep(0.1)
    chk.ok(listening, f"iperf3 server listens in {server.ns} at {addr}")
    r = run_in(client, [tool("iperf3"), "-c", addr, "-t", str(seconds), "-J",
                        "--connect-timeout", "5000"], timeout=40 + seconds)
    bps = None
    try:
        bps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError, TypeError):
        pass
    chk.ok(r.returncode == 0 and bps is not None and bps > 0,
           f"iperf3 {client.ns} -> {addr} completes with > 0 bits/s",
           f"rc={r.returncode} bps={bps} {r.stderr.strip()[-300:]} {r.stdout[-300:]}")
    srv.stop(timeout=5)
    return bps
