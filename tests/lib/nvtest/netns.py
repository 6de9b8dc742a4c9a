"""Network namespaces joined to the root namespace by veth pairs.

The root-namespace end of each pair becomes a core port (net_af_packet); it
gets no address and no IPv6, so the host itself never talks on it and all
traffic stays between the test's namespaces. Offloads are turned off on both
ends so that frames carry real checksums and never exceed the MTU.
"""

import os

from . import env as nvenv
from .proc import run

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
