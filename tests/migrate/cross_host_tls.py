#!/usr/bin/env python3
"""cross_host_tls: vm migrate --to tcp:HOST:PORT with the VM's stream in TLS (manager.migrate_tls).

The two simulated hosts and keys of cross_host_tcp.py; both managers also
have manager.migrate_tls. Certificates made here with openssl: a CA; B's
directory holds its certificate, B's server certificate (for
127.0.0.1) and key and the RFC 7919 Diffie-Hellman group, A's the CA's certificate and a client certificate and
key. A packet socket on the loopback device (apart from QEMU and the
managers) keeps the first bytes of every connection to B's migrate_ports.
(Configurations refused for manager.migrate_tls: migrate_port.py.)

  ownca    A's client certificate and key from another CA than its
           ca-cert.pem: A's QEMU refuses them (QMP object-add), vm migrate
           exits 1 naming the file that failed validation, no connection to
           B's QEMU; the VM runs on at A in the same QEMU and routes
  wrongca  A's ca-cert.pem also holds that other CA, so A's QEMU takes its
           certificate: B's QEMU refuses the client in the handshake; vm
           migrate exits 1, the VM runs on at A and routes; the stream that
           B's QEMU refused began with a TLS handshake record. B's directory
           lacks dh-params.pem for this attempt only: manager B logs that
           QEMU generates its own, once (the other moves have it)
  move     A's files replaced by the good ones (QEMU reads them again for
           every move, no restart): the move of cross_host.py under ping
           floods succeeds; every stream to B began with a TLS record and
           none with QEMU's stream magic "QEVM" (cross_host_tcp.py sees
           "QEVM" in clear)
  again    at B, `vm migrate l3fwd` on the one host: the QEMU that came in
           with TLS sends its stream in clear over the unix socket (each
           move sets the stream's credentials afresh) and the VM routes
  stop     vm stop at B: every buffer back

Needs root, hugepages, openssl, the guest image (scripts/build-guest.sh)
and the patched QEMU built with GnuTLS (scripts/build-qemu.sh): exits 77
(skipped) without them.
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hosts  # noqa: E402
import migtest  # noqa: E402
import traffic  # noqa: E402

VM = hosts.VM
PORTS = 4


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("cross_host_tls", 300, __doc__)
    if shutil.which("openssl") is None:
        print("cross_host_tls: skipped: no openssl (scripts/setup.sh installs it)")
        sys.exit(77)
    port, lo = migtest.free_port(), migtest.free_range(PORTS)
    key = env.path("mig.key")
    migtest.write_key(key, os.urandom(32))
    dirs = migtest.x509_dirs(env)
    a_dir = env.path("tls-a")
    shutil.copytree(dirs["rogue"], a_dir)

    chk.section("two hosts; both managers with manager.migrate_tls")
    h = hosts.start(env, chk, kernel, initrd, qemu,
                    extra_a=f'migrate_key = "{key}"; migrate_tls = "{a_dir}";',
                    extra_b=f'migrate_listen = "127.0.0.1:{port}"; migrate_key = "{key}"; '
                    f'migrate_ports = [ {lo}, {lo + PORTS - 1} ]; '
                    f'migrate_tls = "{dirs["server"]}";')
    uri = f"tcp:127.0.0.1:{port}"

    chk.section("ownca: A's client certificate from another CA than A's ca-cert.pem")
    sniff = migtest.StreamSniffer(lo, lo + PORTS - 1)
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", uri, json_out=False)
    first = sniff.stop()
    chk.ok(rc == 1 and f"the move to {uri} failed, the VM runs on here" in out and
           f"its QEMU refused the TLS credentials of {a_dir}" in out and
           "client-cert.pem failed validation" in out,
           "ownca: vm migrate exits 1: A's QEMU refuses its own certificate", out.strip())
    chk.eq(first, [], "ownca: no connection to B's QEMU")
    hosts.runs_on_at_a(chk, h, "ownca")

    chk.section("wrongca: B's QEMU refuses a client certificate of another CA")
    with open(os.path.join(a_dir, "ca-cert.pem"), "ab") as f, open(dirs["rogue_ca"], "rb") as r:
        f.write(r.read())
    dh = os.path.join(dirs["server"], "dh-params.pem")
    os.rename(dh, dh + ".aside")   # this once: B's QEMU generates its own
    sniff = migtest.StreamSniffer(lo, lo + PORTS - 1)
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", uri, json_out=False)
    first = sniff.stop()
    os.rename(dh + ".aside", dh)
    chk.ok(rc == 1 and f"the move to {uri} failed, the VM runs on here" in out,
           "wrongca: vm migrate exits 1, the VM runs on at A", out.strip()[-600:])
    chk.eq(h.mgr_b.stdout().count(f"{dirs['server']} has no dh-params.pem"), 1,
           "wrongca: manager B says that QEMU generates Diffie-Hellman parameters "
           "without dh-params.pem")
    hosts.runs_on_at_a(chk, h, "wrongca")
    chk.ok(len(first) > 0 and all(migtest.tls_record(b) for _, b in first),
           f"wrongca: the stream to B began with a TLS handshake ({len(first)} connection(s))",
           str(first))

    chk.section("move: good credentials, the VM moves to core B over TLS")
    for f in ("ca-cert.pem", "client-cert.pem", "client-key.pem"):
        shutil.copy(os.path.join(dirs["client"], f), os.path.join(a_dir, f))
    sniff = migtest.StreamSniffer(lo, lo + PORTS - 1)
    moved = hosts.case_move(chk, h, uri)
    first = sniff.stop()
    chk.ok(len(first) > 0 and all(migtest.tls_record(b) for _, b in first) and
           not any(migtest.QEMU_STREAM_MAGIC in b for _, b in first),
           f"move: every stream to B began with a TLS record, none with QEMU's magic in clear "
           f"({len(first)} connection(s))", str(first))
    chk.eq(h.mgr_b.stdout().count("has no dh-params.pem"), 1,
           "move: no word of Diffie-Hellman parameters with dh-params.pem there")

    chk.section("again: the QEMU that came in with TLS migrates on host B, in clear")
    if moved is not None:
        rc, rep = h.mgr_b.netvmctl("vm", "migrate", VM)
        chk.ok(rc == 0 and isinstance(rep, dict) and rep.get("ok") is True and
               rep.get("old_pid") == moved["pid"], f"again: vm migrate {VM} at B succeeds "
               "(the stream on one host in clear, not with the credentials of the move)",
               str(rep)[:600] + h.mgr_b.tail())
        done, now = h.mgr_b.wait_vm(VM, lambda v: v["state"] == "running" and
                                    v.get("pid") == rep.get("pid"), hosts.RUNNING_S)
        if chk.ok(done, f"again: manager B shows {VM} running in the new QEMU", str(now)):
            traffic.ping_both(chk, h.core_b, now, h.c, h.d, "again")
    hosts.finish(env, chk, h, moved)


if __name__ == "__main__":
    main()
