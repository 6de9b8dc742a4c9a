#!/usr/bin/env python3
"""cross_host_tcp: netvmctl vm migrate NAME --to tcp:HOST:PORT between authenticated managers.

The two simulated hosts of cross_host.py (hosts.py), but manager B listens
for migration requests on 127.0.0.1 (manager.migrate_listen, a free port),
its QEMU's stream on a port of manager.migrate_ports (4 free ports), and
both managers hold a key file (manager.migrate_key, mode 0600); manager A
starts with a key that is not B's.

  protocol  a client written here (Python's hmac, apart from the manager's
            code) speaks the migration port's protocol with B's key: `vm
            list` is answered with a MAC that verifies and lists the VM
            stopped; `vm start` is refused (not a request the port takes) and
            the VM stays stopped; a line that is not a signed request gets an
            unauthenticated refusal ("- {...}") and B logs it
  silent    ten TCP peers connect to B's migration port and say nothing
            (more than the 8 it lets wait): `netvmctl -s B vm list` still
            answers; every one of them is closed by B (the extra ones at
            once, the rest after the handshake's time-out), which logs it;
            a new connection is greeted again
  wrongkey  `vm migrate l3fwd --to tcp:127.0.0.1:PORT` with A's wrong key:
            exit 1 saying the destination refused it (authentication
            failed); the VM runs on at A in the same QEMU and routes; B logs
            the refusal with A's address and started nothing
  move      A's key file replaced by B's key (read again on every request:
            no restart), a silent peer connected to B's port, then the move
            of cross_host.py over TCP: ping floods on both hosts, the request
            succeeds and names B's instance, the VM runs under manager B and
            routes, the NF re-attached, canaries on both pools, every buffer
            back at A; B's QEMU listened on a port of migrate_ports
  stop      vm stop at B: every buffer back

Prints the move's figures and the data path's gap. Needs root, hugepages,
the guest image (scripts/build-guest.sh) and the patched QEMU
(scripts/build-qemu.sh): exits 77 (skipped) without them.
"""

import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts  # noqa: E402
import migtest  # noqa: E402

VM = hosts.VM
SILENT = 10          # silent peers: more than the 8 connections B lets wait
CLOSED_S = 30        # a silent peer closed by B within this (its time-out is 5 s)
PORTS = 4            # QEMU's incoming ports at B


def free_port():
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_range(n):
    """The first of @n consecutive free TCP ports of 127.0.0.1."""
    for _ in range(200):
        lo = int.from_bytes(os.urandom(2), "little") % 20000 + 30000
        socks = []
        try:
            for port in range(lo, lo + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return lo
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


def write_key(path, data):
    """A key file of @data, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def mac(key, label, ns, nc, text):
    """HMAC-SHA256 of the protocol (manager/mgr_mig_auth.h), computed here, in hex."""
    return hmac.new(key, label + b"\0" + ns + nc + text, hashlib.sha256).hexdigest()


def recv_all(s, timeout):
    """Everything @s sends until it closes (or @timeout)."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    return data


def ask(port, key, req):
    """One request on B's migration port signed with @key: (MAC verified, answer text)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        hello = s.recv(200).decode()
        m = re.fullmatch(r"NETVM-MIGRATE 1 ([0-9a-f]{64})\n", hello)
        if not m:
            return False, f"greeting {hello!r}"
        ns, nc = bytes.fromhex(m.group(1)), os.urandom(32)
        s.sendall(f"{nc.hex()} {mac(key, b'netvm-migrate 1 request', ns, nc, req)} ".encode()
                  + req + b"\n")
        answer = recv_all(s, 20).decode().rstrip("\n")
    got, _, text = answer.partition(" ")
    return got == mac(key, b"netvm-migrate 1 answer", ns, nc, text.encode()), text


def case_protocol(chk, h, port, key):
    """The migration port's protocol, spoken by a client written apart from the manager."""
    ok, text = ask(port, key, b"vm list")
    try:
        vms = {v["name"]: v for v in json.loads(text).get("vms", [])}
    except ValueError:
        vms = {}
    chk.ok(ok and vms.get(VM, {}).get("state") == "stopped", "protocol: vm list over the "
           "migration port: its answer's MAC verifies, the VM is stopped at B", text[:300])
    ok, text = ask(port, key, f"vm start {VM}".encode())
    chk.ok(ok and '"ok":false' in text and "not one the migration port takes" in text,
           "protocol: vm start over the migration port is refused", text[:300])
    chk.eq(h.mgr_b.vm(VM).get("state"), "stopped", "protocol: the VM stays stopped at B")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.recv(200)
        s.sendall(b"vm list\n")
        text = recv_all(s, 20).decode()
    chk.ok(text.startswith("- ") and "authentication failed" in text,
           "protocol: an unsigned request gets an unauthenticated refusal", text[:300])
    chk.ok(wait_log(h.mgr_b, "refused: not a netvm-manager's migration request", 10),
           "protocol: manager B logs the refusal", h.mgr_b.tail(5))


def wait_log(mgr, text, timeout):
    """Wait until @mgr's output holds @text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in mgr.stdout():
            return True
        time.sleep(0.1)
    return False


def case_silent(chk, h, port):
    """Silent TCP peers do not hold manager B up; it closes them."""
    peers = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(SILENT)]
    try:
        res = subprocess.run([h.mgr_b.ctl, "-s", h.mgr_b.sock, "--json", "vm", "list"],
                             capture_output=True, text=True, timeout=60)
        answered = res.returncode == 0 and f'"name":"{VM}"' in res.stdout.replace(" ", "")
    except subprocess.TimeoutExpired:
        answered, res = False, None
    chk.ok(answered, f"silent: with {SILENT} silent peers on its migration port, manager B "
           "answers netvmctl vm list", (res.stdout + res.stderr)[:300] if res else "no answer")
    closed = 0
    for s in peers:
        recv_all(s, CLOSED_S)
        s.close()
        closed += 1
    # recv_all() returned for each: closed by B or timed out; tell them apart by B's log
    out = h.mgr_b.stdout()
    waited = out.count("closed: no whole request within")
    extra = out.count("connections are waiting for their request already")
    chk.ok(waited + extra == SILENT and extra >= SILENT - 8,
           f"silent: manager B closed every silent peer ({waited} after the time-out, "
           f"{extra} at once)", h.mgr_b.tail(12))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.settimeout(20)
        hello = s.recv(200)
    chk.ok(hello.startswith(b"NETVM-MIGRATE 1 "), "silent: a new connection is greeted",
           repr(hello))


def case_wrong_key(chk, h, port):
    """A source whose key is not B's: refused with a clear message, the VM stays at A."""
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", f"tcp:127.0.0.1:{port}",
                               json_out=False)
    chk.ok(rc == 1 and f"the move to tcp:127.0.0.1:{port} failed, the VM runs on here" in out
           and "refused the request: authentication failed" in out,
           "wrongkey: vm migrate exits 1: the destination refused the key", out.strip())
    hosts.runs_on_at_a(chk, h, "wrongkey")
    chk.ok(wait_log(h.mgr_b, "refused: its HMAC does not match this manager's key", 10),
           "wrongkey: manager B logs the refusal", h.mgr_b.tail(5))
    chk.ok("127.0.0.1:" in h.mgr_b.stdout().split("its HMAC does not match")[0].splitlines()[-1],
           "wrongkey: ... with the peer's address", h.mgr_b.tail(5))
    chk.eq(h.mgr_b.vm(VM).get("state"), "stopped", "wrongkey: manager B started nothing")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("cross_host_tcp", 300, __doc__)
    port, lo = free_port(), free_range(PORTS)
    key_a, key_b = env.path("a.key"), env.path("b.key")
    secret = os.urandom(32)
    write_key(key_a, os.urandom(32))
    write_key(key_b, secret)

    chk.section("two hosts; manager B listens on 127.0.0.1 for migrations")
    h = hosts.start(env, chk, kernel, initrd, qemu, extra_a=f'migrate_key = "{key_a}";',
                    extra_b=f'migrate_listen = "127.0.0.1:{port}"; migrate_key = "{key_b}"; '
                    f'migrate_ports = [ {lo}, {lo + PORTS - 1} ];')

    chk.section("protocol: the migration port, spoken by a client of its own")
    case_protocol(chk, h, port, secret)

    chk.section("silent: peers that connect and say nothing")
    case_silent(chk, h, port)

    chk.section("wrongkey: a source manager with another key")
    case_wrong_key(chk, h, port)

    chk.section("move: the VM moves to core B over TCP during the floods")
    write_key(key_a, secret)
    silent = socket.create_connection(("127.0.0.1", port), timeout=20)
    moved = hosts.case_move(chk, h, f"tcp:127.0.0.1:{port}")
    silent.close()
    m = re.search(r"waiting for a migration on tcp:127\.0\.0\.1:(\d+)", h.mgr_b.stdout())
    chk.ok(m is not None and lo <= int(m.group(1)) < lo + PORTS,
           f"move: B's QEMU took the stream on a port of migrate_ports ({lo}..{lo + PORTS - 1})",
           m.group(0) if m else h.mgr_b.tail(5))
    hosts.finish(env, chk, h, moved)


if __name__ == "__main__":
    main()
