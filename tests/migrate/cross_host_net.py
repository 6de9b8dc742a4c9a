#!/usr/bin/env python3
"""cross_host_net: vm migrate --to tcp: across a network link, manager B in a network namespace.

The two simulated hosts of cross_host.py (hosts.py), but host B has a
network of its own: manager B, and so every QEMU it starts, runs in a
network namespace joined to the root namespace (host A's side) by a veth
pair, A at 10.77.X.1/30 on its end, B at 10.77.X.2/30 on the other. Manager B
listens for migration requests on 10.77.X.2 (manager.migrate_listen), its
QEMU takes the stream there (manager.migrate_ports); both managers hold the
same key file. Nothing of host B's network is reachable from A but through
the link (its address is not A's, its loopback is not A's).

  unreachable  with the link down, vm migrate --to tcp:10.77.X.2:PORT exits
               1 saying it cannot reach the destination; the VM runs on at A
               in the same QEMU and routes
  move         the link up: the move of cross_host.py with all its checks
               (ping floods on both hosts, the request names B's instance,
               the VM runs under manager B and routes, the NF re-attached,
               canaries on both pools, every buffer back at A); the stream
               crossed the link (A's end sent more than 16 MiB during the
               move: a booted guest's pages; the requests are a few KiB) and B's
               QEMU took it on 10.77.X.2, on a port of migrate_ports
  stop         vm stop at B: every buffer back

Prints the move's figures, the bytes that crossed the link and the data
path's gap. Needs root, hugepages, iproute2, the guest image
(scripts/build-guest.sh) and the patched QEMU (scripts/build-qemu.sh): exits
77 (skipped) without the image or the QEMU.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts  # noqa: E402
import migtest  # noqa: E402

VM = hosts.VM
PORTS = 4            # QEMU's incoming ports at B
STREAM_MIN = 16 << 20  # a booted 256 MiB guest's stream: tens of MB of non-zero pages


def ip(*args, check=True):
    """Run ip(8); its CompletedProcess."""
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


class Link:
    """Host B's network namespace and the veth pair to host A (the root namespace)."""

    def __init__(self, env):
        pid = os.getpid()
        self.ns = f"nvHB-{pid}"
        self.a_if, self.b_if = f"nvhb{pid}a", f"nvhb{pid}b"
        net = 4 * (pid % 64)                    # a /30 of its own per test process
        self.a_addr = f"10.77.{pid // 64 % 256}.{net + 1}"
        self.b_addr = f"10.77.{pid // 64 % 256}.{net + 2}"
        ip("netns", "add", self.ns)
        env.add_cleanup(self.destroy)
        ip("link", "add", self.a_if, "type", "veth", "peer", "name", self.b_if)
        ip("link", "set", self.b_if, "netns", self.ns)
        ip("addr", "add", f"{self.a_addr}/30", "dev", self.a_if)
        ip("-n", self.ns, "addr", "add", f"{self.b_addr}/30", "dev", self.b_if)
        ip("-n", self.ns, "link", "set", "lo", "up")
        ip("-n", self.ns, "link", "set", self.b_if, "up")
        self.up()

    def up(self):
        ip("link", "set", self.a_if, "up")

    def down(self):
        ip("link", "set", self.a_if, "down")

    def tx_bytes(self):
        """Bytes A's end has sent to B."""
        with open(f"/sys/class/net/{self.a_if}/statistics/tx_bytes") as f:
            return int(f.read())

    def destroy(self):
        """Delete the namespace and the link (cleanup; quiet when gone)."""
        for pid in ip("netns", "pids", self.ns, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        ip("link", "del", self.a_if, check=False)
        ip("netns", "del", self.ns, check=False)


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("cross_host_net", 300, __doc__)
    port, lo = migtest.free_port(), migtest.free_range(PORTS)
    key = env.path("mig.key")
    migtest.write_key(key, os.urandom(32))
    try:
        link = Link(env)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("host B's network namespace and its link to A",
                  f"{exc}: {getattr(exc, 'stderr', '')}")
    uri = f"tcp:{link.b_addr}:{port}"

    chk.section(f"two hosts; manager B in namespace {link.ns}, listening on {link.b_addr}")
    h = hosts.start(env, chk, kernel, initrd, qemu, extra_a=f'migrate_key = "{key}";',
                    extra_b=f'migrate_listen = "{link.b_addr}:{port}"; '
                    f'migrate_key = "{key}"; migrate_ports = [ {lo}, {lo + PORTS - 1} ];',
                    netns_b=link.ns)
    chk.ok(os.readlink(f"/proc/{h.mgr_b.pid}/ns/net") != os.readlink("/proc/self/ns/net"),
           "manager B runs in a network namespace of its own")

    chk.section("unreachable: the link down")
    link.down()
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", uri, json_out=False)
    link.up()
    chk.ok(rc == 1 and link.b_addr in out, f"unreachable: vm migrate --to {uri} exits 1 "
           "naming the destination", out.strip())
    hosts.runs_on_at_a(chk, h, "unreachable")

    chk.section(f"move: the VM moves to core B over the link ({uri})")
    sent0 = link.tx_bytes()
    moved = hosts.case_move(chk, h, uri)
    crossed = link.tx_bytes() - sent0
    print(f"  link: {crossed / 1e6:.1f} MB sent from A to B during the move", flush=True)
    chk.gt(crossed, STREAM_MIN, f"move: the stream crossed the link (more than "
           f"{STREAM_MIN >> 20} MiB: the requests alone are a few KiB)")
    m = re.search(r"waiting for a migration on tcp:([0-9.]+):(\d+)", h.mgr_b.stdout())
    chk.ok(m is not None and m.group(1) == link.b_addr and lo <= int(m.group(2)) < lo + PORTS,
           f"move: B's QEMU took the stream on {link.b_addr}, on a port of migrate_ports "
           f"({lo}..{lo + PORTS - 1})", m.group(0) if m else h.mgr_b.tail(5))
    hosts.finish(env, chk, h, moved)


if __name__ == "__main__":
    main()
