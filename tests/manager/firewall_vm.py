#!/usr/bin/env python3
"""firewall_vm: the stateful firewall in a VM that netvm-manager runs, real clients.

  nvA-<pid> 10.0.1.2/24 (inside)                     nvB-<pid> 10.0.2.2/24 (outside)
        │ veth                                                │ veth
  host end = port 0 ─┐                            ┌─ port 1 = host end
   (net_af_packet)   └─ core: chain firewall (role 2) -> l3fwd (role 1) ─┘
                             │ rings (role 2)                  │ rings (role 1)
          VM "fw" started by netvm-manager (launcher qemu):    netvm-l3fwd, a host
          netvm-firewall --transport uio -r 2 -- --rules       process
          /etc/netvm/firewall.rules (configs/firewall.rules,
          written into the guest by the manager's `files`)

The chain is configs/fw-chain.conf's (every packet visits the firewall, then
the router) with a pool a VM can map (a power of two); the rules are the
example shipped: "the inside may open TCP 22/80/443 and UDP 53 to the
outside, nothing may come in except replies".

  start     the VM runs, the core has its instance as role 2; its console
            shows the rules file written whole and the firewall's counters
            (it prints them every second: a guest NF is never signalled, so
            it prints none at exit)
  allowed   curl from A fetches a page from an HTTP server in B:80; a UDP
            query from A to B:53 gets its answer; the VM's instance received
            them; the firewall counts the connections allowed_new, the
            replies established, and rules 1 and 2 matched
  refused   curl from B to an HTTP server in A:80 gets nothing; a TCP
            connection from B to a listener in A:22 times out; a UDP
            datagram from B to A:53 gets no answer; the core's
            drop_nf_drop grows by at least those 3 packets and the
            firewall's no_match by at least 3
  commands  through netvmctl vm cmd, into the guest's firewall over its
            control channel: rules show names the file and its 3 rules;
            rules load of the file plus "in 1 allow tcp and dst port 80":
            curl B -> A:80 now fetches the page; a file with an error is
            refused (its NAME:LINE:COLUMN) and the page still comes; the
            shipped file loaded again: curl B -> A:80 gets nothing. The
            guest firewall's counters show in the core's telemetry
            (/netvm/nf_counters) as its console prints them
  stop      netvmctl vm stop: the VM is stopped, its QEMU gone, the core has
            every buffer back (free + held by l3fwd == total); then nothing
            passes A -> B any more: the core drops it, the chain's first
            role having no instance (drop_no_instance)

Needs root, hugepages, iproute2, ethtool, curl, ss and the guest image:
exits 77 (skipped) when scripts/build-guest.sh has not built it, and fails
when the image predates netvm-firewall (run scripts/build-guest.sh again).
"""

import gzip
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))
sys.path.insert(0, os.path.join(HERE, "..", "netns"))

import mgrtest  # noqa: E402
from firewall_netns import (PAGE, UDP_CLIENT, UDP_SERVER, curl, http_server,  # noqa: E402
                            listening, run_in)
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import COUNTER_LINE, Nf, Proc  # noqa: E402
from traffic import pool_whole  # noqa: E402

FW_ROLE = 2
L3FWD_ROLE = 1
VM = "fw"
RULES_GUEST = "/etc/netvm/firewall.rules"
NF = (f"/bin/netvm-firewall --transport uio -r {FW_ROLE} --stats 1 -- "
      f"--rules {RULES_GUEST}")
BOOT_TIMEOUT = 90  # start to guest NF attached and running (TCG: ~5 s)
TRIES = 3  # the allowed requests: the first ones may meet a guest just started

# accepts TCP connections on a port (A:22 in the test) and closes them
TCP_LISTENER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
while True:
    s.accept()[0].close()
"""
# one TCP connection attempt: prints connected, timeout or the error
TCP_CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
    print("connected")
except socket.timeout:
    print("timeout")
except OSError as exc:
    print(exc)
"""

# configs/fw-chain.conf's roles, chain and rules; 4095 buffers + the header
# slot = 4096 x 4 KiB = 16 MiB, a power of two (QEMU maps the pool as a BAR);
# net_af_packet needs buffers above 2048 bytes.
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; ring_size = 512; }};
roles = (
	{{ id = {L3FWD_ROLE}; name = "router"; }},
	{{ id = {FW_ROLE}; name = "firewall"; }}
);
chains = ( {{ name = "fw-router"; roles = [ {FW_ROLE}, {L3FWD_ROLE} ]; }} );
rules = (
	{{ in_port = 0; chain = "fw-router"; }},
	{{ in_port = 1; chain = "fw-router"; }}
);
default = {{ action = "drop"; }};
"""


def vm_config(kernel, initrd, rules):
    """The one VM: the firewall over UIO, its rules file written into the guest."""
    return (f'  {{ name = "{VM}"; role = {FW_ROLE}; queues = 1; vcpus = 1; memory = 256;\n'
            f'    kernel = "{kernel}"; initrd = "{initrd}";\n'
            f'    files = [ "{RULES_GUEST}:{rules}" ];\n'
            f'    nf = "{NF}"; launcher = "qemu"; restart = "never"; }}')


def image_has(initrd, name):
    """Whether the initramfs at @initrd holds a file named @name (e.g. "bin/x")."""
    with gzip.open(initrd, "rb") as f:
        data = f.read()
    # cpio newc: each member's name follows its header, NUL-terminated
    return (b"./" + name.encode() + b"\0") in data or (name.encode() + b"\0") in data


def read_text(path):
    """The text of @path, "" when unreadable."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def counter_blocks(console):
    """The complete counter blocks the guest NF printed on @console, oldest first.

    A block starts with netlib's "rx N" line; it is complete once the next
    block has started (so none is read while the serial line still writes it)."""
    blocks, cur = [], None
    for line in console.split("\n")[:-1]:
        m = COUNTER_LINE.match(line.strip("\r").strip())
        if not m:
            continue
        if m.group(1) == "rx":
            if cur is not None:
                blocks.append(cur)
            cur = {}
        if cur is not None:
            cur[m.group(1)] = int(m.group(2))
    return blocks


def wait_counters(path, pred, timeout):
    """Wait for a complete counter block on the console at @path with pred(block);
    (True, block) or (False, the last complete block, {} when none)."""
    deadline = time.monotonic() + timeout
    while True:
        blocks = counter_blocks(read_text(path))
        last = blocks[-1] if blocks else {}
        if blocks and pred(last):
            return True, last
        if time.monotonic() >= deadline:
            return False, last
        time.sleep(0.2)


def console_tail(path, n=25):
    """The last @n lines of the console at @path, for failure messages."""
    lines = read_text(path).replace("\r", "").splitlines()[-n:]
    return "\n      ".join(["", f"--- console {path}:"] + lines)


def retry(fn, good, tries=TRIES):
    """Call fn() until good(result), at most @tries times; (result, calls made)."""
    for i in range(1, tries + 1):
        r = fn()
        if good(r) or i == tries:
            return r, i


def vm_cmd(mgr, *words, data=None):
    """netvmctl vm cmd VM WORDS (with @data as -f -): (exit status, stdout, stderr)."""
    argv = [mgr.ctl, "-s", mgr.sock, "-t", "30"] + (["-f", "-"] if data is not None else [])
    res = subprocess.run(argv + ["vm", "cmd", VM] + list(words), input=data,
                         capture_output=True, timeout=60)
    return res.returncode, res.stdout.decode(errors="replace"), res.stderr.decode(
        errors="replace")


def commands_part(chk, mgr, core, nf_id, a, b, rules, console):
    """Rules changed in the guest through netvmctl vm cmd; counters in telemetry."""
    chk.section("commands: rules into the guest through netvmctl vm cmd")
    with open(rules, "rb") as f:
        shipped = f.read()
    rc, out, err = vm_cmd(mgr, "rules", "show")
    lines = out.splitlines()
    chk.ok(rc == 0 and lines and lines[0].endswith(f"from {RULES_GUEST}") and len(lines) == 4,
           "rules show: the guest's rules file and its 3 rules", f"rc={rc} {out} {err}")
    url_a = f"http://{a.addr}/index.html"
    opened = shipped + b"in 1 allow tcp and dst port 80\n"
    rc, out, err = vm_cmd(mgr, "rules", "load", "open80.rules", data=opened)
    chk.ok(rc == 0 and "4 rule(s)" in out and "from open80.rules" in out,
           "rules load of the file plus an inbound rule: exit 0, 4 rules",
           f"rc={rc} {out} {err}")
    r, n = retry(lambda: curl(b, url_a), lambda r: r.returncode == 0 and r.stdout == PAGE)
    chk.ok(r.returncode == 0 and r.stdout == PAGE,
           f"now curl B -> A:80 fetches the page (try {n} of {TRIES})",
           f"rc={r.returncode} {r.stderr[-200:]}")
    rc, out, err = vm_cmd(mgr, "rules", "load", "bad.rules",
                          data=opened + b"in 1 allow tcp and dst port http2\n")
    chk.ok(rc == 1 and "bad.rules:18:" in err and "http2" in err,
           "a file with an error is refused, naming bad.rules:18 and 'http2'", f"rc={rc} {err}")
    r = curl(b, url_a)
    chk.ok(r.returncode == 0 and r.stdout == PAGE, "the rules in force stay: the page comes",
           f"rc={r.returncode} {r.stderr[-200:]}")
    rc, out, err = vm_cmd(mgr, "rules", "load", "firewall.rules", data=shipped)
    chk.ok(rc == 0 and "3 rule(s)" in out, "the shipped file again", f"rc={rc} {out} {err}")
    r = curl(b, url_a)
    chk.ok(r.returncode != 0 and r.stdout == "", "curl B -> A:80 gets nothing again",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    # the guest NF's counters, published to the core's telemetry
    ok, tel = False, {}
    deadline = time.monotonic() + 20
    while not ok and time.monotonic() < deadline:
        tel = core.tel.command(f"/netvm/nf_counters,{nf_id}")
        block = counter_blocks(read_text(console))[-1]
        ok = (isinstance(tel, dict) and tel.get("allowed_new", 0) >= 3 and
              tel.get("commands", 0) >= 4 and
              all(tel.get(k) == block.get(k) for k in ("allowed_new", "no_match", "stray")))
        time.sleep(0.5)
    chk.ok(ok, "/netvm/nf_counters: the guest's counters (allowed_new >= 3, 4 commands), "
           "as its console prints them", f"telemetry {tel}")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("firewall_vm", 240, __doc__)
    chk = check.Checker("firewall_vm")
    kernel, initrd = mgrtest.guest_image(env)
    if not image_has(initrd, "bin/netvm-firewall"):
        chk.fatal("the guest image has /bin/netvm-firewall",
                  f"{initrd} predates it: run scripts/build-guest.sh again")
    nvenv.require_binaries(env, chk, [nvenv.L3FWD_BIN])
    for prog in ("curl", "ss"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")
    rules = os.path.join(env.source_dir, "configs", "firewall.rules")
    with open(rules, "rb") as f:
        rules_len = len(f.read())

    chk.section("namespaces, core (chain firewall -> l3fwd), l3fwd on the host, the VM")
    a, b, core = mgrtest.net_core(env, chk, "fv", CONFIG)
    routes = env.path("routes")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")
    l3 = Nf(env, core, nvenv.L3FWD_BIN, L3FWD_ROLE, ["--mode", "lpm", "--routes", routes],
            name="l3fwd")
    err = l3.start_attached()
    if not chk.ok(err is None, f"l3fwd attaches on the host (role {L3FWD_ROLE})", err or ""):
        env.done(chk)
    mgr = mgrtest.Manager(env, core, [vm_config(kernel, initrd, rules)])
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    console = os.path.join(mgr.state_dir, f"{VM}.console")

    start = time.monotonic()
    ok, vm = mgr.wait_vm(VM, lambda v: v["state"] == "running", BOOT_TIMEOUT)
    if not chk.ok(ok, f"netvmctl vm list shows {VM} running", f"last seen {vm}"
                  + mgr.tail() + console_tail(console)):
        env.done(chk)
    print(f"  (the VM ran its firewall {time.monotonic() - start:.1f} s after the manager "
          "started it)", flush=True)
    nf_id = vm.get("nf_id")
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_role") == FW_ROLE and
                               s.get(f"nf{nf_id}_live") == 1, 10)
    chk.ok(ok, f"the core has the VM's instance {nf_id} as role {FW_ROLE}, live",
           f"role {st.get(f'nf{nf_id}_role')}, live {st.get(f'nf{nf_id}_live')}")
    text = read_text(console)
    chk.ok(f"netvm-init: wrote {RULES_GUEST} ({rules_len} bytes)" in text,
           f"console: the guest wrote {RULES_GUEST}, all {rules_len} bytes of "
           "configs/firewall.rules", console_tail(console))
    ok, c0 = wait_counters(console, lambda c: "no_match" in c, 30)
    chk.ok(ok, "console: the guest firewall prints its counters",
           console_tail(console))

    chk.section("allowed: the inside opens connections")
    rx0 = core.stats().get(f"nf{nf_id}_rx", 0)
    srv_b, up = http_server(env, b, "b")
    chk.ok(up, "HTTP server listens in B:80")
    url = f"http://{b.addr}/index.html"
    r, n = retry(lambda: curl(a, url), lambda r: r.returncode == 0 and r.stdout == PAGE)
    chk.ok(r.returncode == 0 and r.stdout == PAGE, f"curl A -> B:80 fetches the page "
           f"(try {n} of {TRIES})", f"rc={r.returncode} out={r.stdout[:80]!r} "
           f"{r.stderr[-200:]}")
    udp_b = Proc(env, "udp-b", b.exec_argv([sys.executable, "-c", UDP_SERVER, b.addr]))
    udp_b.start()
    chk.ok(listening(b, "u", 53), "UDP server listens in B:53")
    r, n = retry(lambda: run_in(a, [sys.executable, "-c", UDP_CLIENT, b.addr], timeout=15),
                 lambda r: r.stdout.strip() == "answer:query")
    chk.eq(r.stdout.strip(), "answer:query", f"a UDP query A -> B:53 gets its answer "
           f"(try {n} of {TRIES})")
    # the HTTP exchange alone is at least 3 packets each way, the UDP one 1
    chk.ge(core.stats().get(f"nf{nf_id}_rx", 0) - rx0, 8,
           f"the VM's instance received them (nf{nf_id}_rx)")
    ok, c1 = wait_counters(console, lambda c: c.get("allowed_new", 0) >= 2 and
                           c.get("rule1_packets", 0) >= 1 and c.get("rule2_packets", 0) >= 1,
                           20)
    chk.ok(ok, "firewall counters: allowed_new >= 2, rule 1 (TCP) and rule 2 (UDP 53) "
           "matched", f"last block {c1}")
    chk.ge(c1.get("established", 0), 4, "firewall counters: the replies passed as "
           "established")

    chk.section("refused: nothing comes in")
    srv_a, up = http_server(env, a, "a")
    chk.ok(up, "HTTP server listens in A:80")
    udp_a = Proc(env, "udp-a", a.exec_argv([sys.executable, "-c", UDP_SERVER, a.addr]))
    udp_a.start()
    chk.ok(listening(a, "u", 53), "UDP server listens in A:53")
    ssh_a = Proc(env, "tcp22-a", a.exec_argv([sys.executable, "-c", TCP_LISTENER, a.addr,
                                              "22"]))
    ssh_a.start()
    chk.ok(listening(a, "t", 22), "a TCP listener in A:22")
    c2 = counter_blocks(read_text(console))[-1]
    st0 = core.stats()
    r = curl(b, f"http://{a.addr}/index.html")
    chk.ok(r.returncode != 0 and r.stdout == "", "curl B -> A:80 gets nothing",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    r = run_in(b, [sys.executable, "-c", TCP_CONNECT, a.addr, "22"], timeout=20)
    chk.eq(r.stdout.strip(), "timeout", "a TCP connection B -> A:22 (a listener there) "
           "times out")
    r = run_in(b, [sys.executable, "-c", UDP_CLIENT, a.addr], timeout=15)
    chk.eq(r.stdout.strip(), "timeout", "a UDP datagram B -> A:53 gets no answer")
    st1 = core.stats()
    # curl retries its SYN while it waits: at least one SYN each, and the datagram
    chk.ge(st1.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 3,
           "the core counts them dropped by an NF (drop_nf_drop)")
    ok, c3 = wait_counters(console, lambda c: c.get("no_match", 0) >=
                           c2.get("no_match", 0) + 3, 20)
    chk.ok(ok, "firewall counters: no_match grows by at least 3 (2 SYNs, 1 datagram)",
           f"before {c2.get('no_match')}, last block {c3}")
    print(f"  firewall counters in the VM: { {k: v for k, v in c3.items() if v} }",
          flush=True)
    commands_part(chk, mgr, core, nf_id, a, b, rules, console)
    for p in (srv_a, srv_b, udp_a, udp_b, ssh_a):
        p.stop(timeout=5)

    chk.section("stop: netvmctl vm stop")
    pid = vm.get("pid")
    rc, out = mgr.netvmctl("vm", "stop", VM)
    chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok") is True, "vm stop succeeds",
           str(out))
    chk.eq(mgr.vm(VM).get("state"), "stopped", "vm list shows the VM stopped")
    chk.ok(isinstance(pid, int) and not mgrtest.pid_alive(pid), "QEMU is gone after vm stop",
           f"pid {pid}")
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, nf_id), 15)
    chk.ok(ok, "the core has every buffer back (pool0_free + held by l3fwd == pool0_total)",
           f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')} "
           f"nf{nf_id}_role={st.get(f'nf{nf_id}_role')}")
    srv_b, up = http_server(env, b, "b2")
    st0 = core.stats()
    r = curl(a, url)
    chk.ok(up and r.returncode != 0 and r.stdout == "",
           "without the firewall, curl A -> B:80 gets nothing (the chain starts at role 2)",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    chk.ge(core.stats().get("drop_no_instance", 0) - st0.get("drop_no_instance", 0), 1,
           "the core drops its SYN for want of a role 2 instance (drop_no_instance)")
    srv_b.stop(timeout=5)

    chk.section("shutdown")
    l3.stop_counters()
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
