#!/usr/bin/env python3
"""cross_host_tcp: netvmctl vm migrate NAME --to tcp:HOST:PORT between authenticated managers.

The two simulated hosts of cross_host.py (hosts.py), but manager B listens
for migration requests on 127.0.0.1 (manager.migrate_listen, a free port),
its QEMU's stream on a port of manager.migrate_ports (4 free ports), and
both managers hold a key file (manager.migrate_key, mode 0600); manager A
starts with a key that is not B's. (The port's protocol, its refusals and
peers that stall: migrate_port.py.)

  wrongkey  `vm migrate l3fwd --to tcp:127.0.0.1:PORT` with A's wrong key:
            exit 1 saying the destination refused it (authentication
            failed); the VM runs on at A in the same QEMU and routes; B logs
            the refusal with the peer's address and started nothing
  tlswanted A's key file replaced by B's key (read again for every request:
            no restart); a destination written here (migtest.FakeDestination)
            whose answer to `vm receive` wants the stream in TLS: A, without
            manager.migrate_tls, refuses the move before its NF parks, saying
            so, and asks it to stop the VM; the VM routes on at A
  nostream  a client of the test (migtest.PortClient, B's key) asks B for
            `vm receive l3fwd` and sends no stream, as a source that never
            got the answer: at boot_timeout_s (25 s here) B stops the VM and
            does not restart it (its restart = "on-failure" does not apply:
            the VM runs at A), and it stays stopped past the restart back-off
  move      a silent peer connected to B's port, then the move
            of cross_host.py over TCP: ping floods on both hosts, the request
            succeeds and names B's instance, the VM runs under manager B and
            routes, the NF re-attached, canaries on both pools, every buffer
            back at A; B's QEMU took the stream on a port of migrate_ports;
            a packet socket on the loopback device saw the stream begin with
            QEMU's magic "QEVM" in clear (cross_host_tls.py: not with TLS)
  stop      vm stop at B: every buffer back

Prints the move's figures and the data path's gap. Needs root, hugepages,
the guest image (scripts/build-guest.sh) and the patched QEMU
(scripts/build-qemu.sh): exits 77 (skipped) without them.
"""

import json
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts  # noqa: E402
import migtest  # noqa: E402

VM = hosts.VM
PORTS = 4            # QEMU's incoming ports at B
BOOT_TIMEOUT_S = 25  # manager B's boot_timeout_s: how long a received VM waits for its stream


def case_wrong_key(chk, h, port):
    """A source whose key is not B's: refused with a clear message, the VM stays at A."""
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", f"tcp:127.0.0.1:{port}",
                               json_out=False)
    chk.ok(rc == 1 and f"the move to tcp:127.0.0.1:{port} failed, the VM runs on here" in out
           and "refused the request: authentication failed" in out,
           "wrongkey: vm migrate exits 1: the destination refused the key", out.strip())
    hosts.runs_on_at_a(chk, h, "wrongkey")
    found = migtest.wait_log(h.mgr_b, "its HMAC does not match this manager's key", 10)
    line = [ln for ln in h.mgr_b.stdout().splitlines() if "its HMAC does not match" in ln]
    chk.ok(found and "migration port: request from 127.0.0.1:" in line[0],
           "wrongkey: manager B logs the refusal with the peer's address", h.mgr_b.tail(5))
    chk.eq(h.mgr_b.vm(VM).get("state"), "stopped", "wrongkey: manager B started nothing")


def case_tls_wanted(chk, h, secret):
    """A destination (written here) that wants the stream in TLS, from A without
    manager.migrate_tls: refused before the NF parks, the VM asked to stop there."""
    fake = migtest.FakeDestination(secret, lambda req: (
        {"ok": True, "incoming": "tcp:127.0.0.1:1", "port": 1, "tls": True, "pid": 1,
         "nf_id": 0, "pool_size": 1, "priv_size": 1} if req.startswith("vm receive") else
        {"ok": True}))
    uri = f"tcp:127.0.0.1:{fake.port}"
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", uri, json_out=False)
    fake.stop()
    chk.ok(rc == 1 and f"the move to {uri} failed, the VM runs on here" in out and
           "the destination takes streams with TLS only (its manager.migrate_tls): set "
           "manager.migrate_tls here too" in out, "tlswanted: vm migrate exits 1: the "
           "destination wants TLS, this manager has no migrate_tls", out.strip())
    chk.eq(fake.requests, [f"vm receive {VM}", f"vm stop {VM}"],
           "tlswanted: the source asked the destination to stop the VM it started")
    hosts.runs_on_at_a(chk, h, "tlswanted")


def case_no_stream(chk, h, port, secret):
    """`vm receive` asked of B by a client of the test that then sends no stream (a
    source that never got the answer): at boot_timeout_s B stops the VM and does not
    restart it, whatever its restart policy."""
    ok, refused, text = migtest.PortClient(port, secret).ask(f"vm receive {VM}".encode())
    answer = json.loads(text) if ok and not refused else {}
    chk.ok(answer.get("ok") is True and answer.get("port"), "nostream: B answers vm receive "
           "(its VM waits for a stream)", text)
    t0 = time.monotonic()
    done, vm = h.mgr_b.wait_vm(VM, lambda v: v["state"] not in ("starting", "booting"),
                               BOOT_TIMEOUT_S + 30)
    waited = time.monotonic() - t0
    chk.ok(done and vm.get("state") == "stopped" and "not restarted: it was waiting for a "
           "migration that did not complete here" in h.mgr_b.stdout(), f"nostream: B stopped "
           f"the VM after boot_timeout_s ({waited:.0f} s), not restarted", str(vm) +
           h.mgr_b.tail())
    starts = vm.get("starts")
    time.sleep(4)   # past restart_backoff_ms: a restart would have begun
    now = h.mgr_b.vm(VM)
    chk.ok(now.get("state") == "stopped" and now.get("starts") == starts,
           f"nostream: still stopped at B (restart = \"on-failure\" not applied)", str(now))
    hosts.runs_on_at_a(chk, h, "nostream")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("cross_host_tcp", 300, __doc__)
    port, lo = migtest.free_port(), migtest.free_range(PORTS)
    key_a, key_b = env.path("a.key"), env.path("b.key")
    secret = os.urandom(32)
    migtest.write_key(key_a, os.urandom(32))
    migtest.write_key(key_b, secret)

    chk.section("two hosts; manager B listens on 127.0.0.1 for migrations")
    h = hosts.start(env, chk, kernel, initrd, qemu, extra_a=f'migrate_key = "{key_a}";',
                    extra_b=f'migrate_listen = "127.0.0.1:{port}"; migrate_key = "{key_b}"; '
                    f'migrate_ports = [ {lo}, {lo + PORTS - 1} ]; '
                    f'boot_timeout_s = {BOOT_TIMEOUT_S};')

    chk.section("wrongkey: a source manager with another key")
    case_wrong_key(chk, h, port)

    migtest.write_key(key_a, secret)
    chk.section("tlswanted: a destination that wants the stream in TLS")
    case_tls_wanted(chk, h, secret)

    chk.section("nostream: B receives, no stream comes")
    case_no_stream(chk, h, port, secret)

    chk.section("move: the VM moves to core B over TCP during the floods")
    silent = socket.create_connection(("127.0.0.1", port), timeout=20)
    sniff = migtest.StreamSniffer(lo, lo + PORTS - 1)
    moved = hosts.case_move(chk, h, f"tcp:127.0.0.1:{port}")
    first = sniff.stop()
    silent.close()
    chk.ok(len(first) > 0 and all(b.startswith(migtest.QEMU_STREAM_MAGIC) for _, b in first),
           f"move: the stream to B began with QEMU's magic \"QEVM\" in clear (no "
           f"manager.migrate_tls; {len(first)} connection(s))", str(first))
    m = re.search(r"waiting for a migration on tcp:127\.0\.0\.1:(\d+)", h.mgr_b.stdout())
    chk.ok(m is not None and lo <= int(m.group(1)) < lo + PORTS,
           f"move: B's QEMU took the stream on a port of migrate_ports ({lo}..{lo + PORTS - 1})",
           m.group(0) if m else h.mgr_b.tail(5))
    hosts.finish(env, chk, h, moved)


if __name__ == "__main__":
    main()
