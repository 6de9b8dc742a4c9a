#!/usr/bin/env python3
"""chain3_vm: a service chain of three VMs, firewall -> Click -> l3fwd, zero copy.

  nvA-<pid> 10.0.1.2/24 (inside)                          nvB-<pid> 10.0.2.2/24 (outside)
        │ veth                                                     │ veth
  host end = port 0 ─┐                                 ┌─ port 1 = host end
                     └─ core: chain fw-click-router ───┘
                          firewall (role 3) -> click (role 2) -> router (role 1)
                             │ rings            │ rings            │ rings
          VM "fw": netvm-firewall   VM "click": netvm-click   VM "l3fwd": netvm-l3fwd
          --rules (configs/         CHAIN_CLICK below: counts   --mode lpm --routes
          firewall.rules)           what comes, TTL - 1, then   (the namespaces' MACs)
                                    ToChain

The chain of the NetVM paper: every NF in its own VM that netvm-manager
runs (launcher qemu), each VM booted from its own copy of the guest's
disk.img (QEMU locks an image it writes, so three VMs cannot share one), its
NF command and files through fw_cfg. Every VM maps the same pool, so a
packet crosses the three guests without being copied. The firewall's rules
say "allow = next": what it lets through goes to the Click VM, whose
configuration ends in ToChain, so it goes on to the router.

  start     the three VMs run; the core has their instances as roles 3, 2
            and 1, live; each console shows its file written whole
  through   curl from A fetches a page from an HTTP server in B:80; 3 pings
            A -> B are answered, each reply with ttl=62: B sends it with 64,
            Click's DecIPTTL and l3fwd each take 1 (63 without the Click
            VM's work); nf<I>_rx of each of the three instances grew; the
            Click NF's rx (`netvmctl vm cmd click stats`) is the core's
            nf<I>_rx, and so is the Counter's count (its handler, printed
            with the NF's statistics on the VM's console every second: the
            `stats` command answers netlib's counters, not the handlers)
  zero copy the core's cross_pool_copies is 0: one pool for all three VMs
  refused   curl from B to an HTTP server in A:80 gets nothing: the firewall
            drops its SYNs (the core's drop_nf_drop grows), so neither the
            Click VM nor the l3fwd VM receives anything
  stop      netvmctl vm stop click: the VM is stopped, its QEMU gone, every
            buffer free or held by the other two; curl A -> B gets nothing
            now: the core drops at the chain's second role, which has no
            instance (drop_no_instance); the firewall still receives
  shutdown  the manager stops the other two VMs: pool0_free == pool0_total

Needs root, hugepages, iproute2, ethtool, curl, ss, ping and the guest image
(disk.img): exits 77 (skipped) when scripts/build-guest.sh has not built it,
and fails when the image predates netvm-click or netvm-firewall.
"""

import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))
sys.path.insert(0, os.path.join(HERE, "..", "netns"))

import mgrtest  # noqa: E402
from nvtest.proc import parse_click_handlers as handler_values  # noqa: E402
from firewall_netns import PAGE, curl, http_server, run_in  # noqa: E402
from firewall_vm import console_tail, image_has, read_text, retry  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from traffic import pool_whole  # noqa: E402

FW_ROLE, CLICK_ROLE, L3FWD_ROLE = 3, 2, 1
RULES_GUEST = "/etc/netvm/firewall.rules"
CLICK_GUEST = "/etc/netvm/chain.click"
ROUTES_GUEST = "/etc/netvm/routes"
HANDLERS = ["cnt.count", "ttl.drops"]
VMS = {
    "fw": (FW_ROLE, RULES_GUEST,
           f"/bin/netvm-firewall --transport uio -r {FW_ROLE} -- --rules {RULES_GUEST}"),
    "click": (CLICK_ROLE, CLICK_GUEST,
              f"/bin/netvm-click --transport uio -r {CLICK_ROLE} --stats 1 -- -f {CLICK_GUEST} "
              "--port eth0=0 --port eth1=1 " + " ".join(f"-h {h}" for h in HANDLERS)),
    "l3fwd": (L3FWD_ROLE, ROUTES_GUEST,
              f"/bin/netvm-l3fwd --transport uio -r {L3FWD_ROLE} -- --mode lpm "
              f"--routes {ROUTES_GUEST}"),
}
# three guests under TCG on a small machine boot side by side: ~5-10 s each alone
BOOT_TIMEOUT = 150
TRIES = 3
PINGS = 3
TTL_B = 64  # what B's kernel sends
TTL_SEEN = 62  # after Click's DecIPTTL and l3fwd's TTL - 1

# The middle of the chain: count every packet the core delivers (from either
# port), decrement the TTL of IPv4 ones, hand everything on with ToChain.
CHAIN_CLICK = """// a stage of a service chain: counts, TTL - 1, next NF of the chain
FromDevice(eth0) -> cnt :: Counter;
FromDevice(eth1) -> cnt;
out :: ToChain;
cnt -> c :: Classifier(12/0800, -);
c[0] -> Strip(14) -> CheckIPHeader -> ttl :: DecIPTTL -> Unstrip(14) -> out;
c[1] -> out;
"""

# 4095 buffers + the header slot = 4096 x 4 KiB = 16 MiB, a power of two (QEMU
# maps the pool as a BAR); net_af_packet needs buffers above 2048 bytes.
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; ring_size = 512; }};
roles = (
	{{ id = {L3FWD_ROLE}; name = "router"; }},
	{{ id = {CLICK_ROLE}; name = "click"; }},
	{{ id = {FW_ROLE}; name = "firewall"; }}
);
chains = ( {{ name = "fw-click-router"; roles = [ {FW_ROLE}, {CLICK_ROLE}, {L3FWD_ROLE} ]; }} );
rules = (
	{{ in_port = 0; chain = "fw-click-router"; }},
	{{ in_port = 1; chain = "fw-click-router"; }}
);
default = {{ action = "drop"; }};
"""


def vm_config(name, disk, src):
    """One VM of the chain: its NF over UIO, its file written into the guest."""
    role, guest, nf = VMS[name]
    return (f'  {{ name = "{name}"; role = {role}; queues = 1; vcpus = 1; memory = 192;\n'
            f'    disk = "{disk}";\n'
            f'    files = [ "{guest}:{src}" ];\n'
            f'    nf = "{nf}"; launcher = "qemu"; restart = "never"; }}')


def click_rx(mgr):
    """(exit status, rx) of `netvmctl vm cmd click stats` (netlib's rx; None if missing)."""
    res = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", "30", "vm", "cmd", "click", "stats"],
                         capture_output=True, text=True, timeout=60)
    m = re.search(r"^rx (\d+)$", res.stdout, re.M)
    return res.returncode, int(m.group(1)) if m else None


def ping_ttls(ns, addr):
    """The ttl= of each reply of PINGS pings from @ns to @addr."""
    r = run_in(ns, [nvenv.which("ping"), "-n", "-c", str(PINGS), "-i", "0.3", "-W", "3", addr],
               timeout=30)
    return [int(t) for t in re.findall(r"ttl=(\d+)", r.stdout)]


def rx(st, nf):
    """nf<nf>_rx of the core's counters @st."""
    return st.get(f"nf{nf}_rx", 0)


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("chain3_vm", 380, __doc__)
    chk = check.Checker("chain3_vm")
    _, initrd = mgrtest.guest_image(env)
    disk, = mgrtest.guest_image(env, ("disk.img",))
    for nf in ("netvm-firewall", "netvm-click", "netvm-l3fwd"):
        if not image_has(initrd, f"bin/{nf}"):
            chk.fatal(f"the guest image has /bin/{nf}",
                      f"{initrd} predates it: run scripts/build-guest.sh again")
    for prog in ("curl", "ss"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")

    chk.section("namespaces, core (chain firewall -> click -> router), three VMs")
    a, b, core = mgrtest.net_core(env, chk, "c3", CONFIG)
    files = {
        "fw": os.path.join(env.source_dir, "configs", "firewall.rules"),
        "click": env.path("chain.click"),
        "l3fwd": env.path("routes"),
    }
    with open(files["click"], "w") as f:
        f.write(CHAIN_CLICK)
    with open(files["l3fwd"], "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")
    vms = []
    for name in VMS:
        copy = env.path(f"{name}-disk.img")
        shutil.copyfile(disk, copy)
        vms.append(vm_config(name, copy, files[name]))
    mgr = mgrtest.Manager(env, core, vms)
    start = time.monotonic()
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    console = {n: os.path.join(mgr.state_dir, f"{n}.console") for n in VMS}

    nf = {}
    for name, (role, guest, _) in VMS.items():
        ok, vm = mgr.wait_vm(name, lambda v: v["state"] == "running",
                             BOOT_TIMEOUT - (time.monotonic() - start))
        if not chk.ok(ok, f"netvmctl vm list shows {name} running", f"last seen {vm}"
                      + mgr.tail() + console_tail(console[name])):
            env.done(chk)
        nf[name] = vm.get("nf_id")
        size = os.path.getsize(files[name])
        chk.ok(f"netvm-init: wrote {guest} ({size} bytes)" in read_text(console[name]),
               f"console of {name}: the guest wrote {guest}, all {size} bytes",
               console_tail(console[name]))
    print(f"  (all three VMs ran their NFs {time.monotonic() - start:.1f} s after the "
          "manager started)", flush=True)
    ok, st = core.tel.wait_for(lambda s: all(
        s.get(f"nf{nf[n]}_role") == VMS[n][0] and s.get(f"nf{nf[n]}_live") == 1 for n in VMS),
        10)
    chk.ok(ok, "the core has the three instances as roles 3 (fw), 2 (click), 1 (l3fwd), live",
           " ".join(f"{n}: nf{nf[n]} role {st.get(f'nf{nf[n]}_role')} live "
                    f"{st.get(f'nf{nf[n]}_live')}" for n in VMS))
    chk.eq(len(set(nf.values())), 3, "three distinct instances")

    chk.section("through: A -> B across the three VMs")
    st0 = core.stats()
    srv_b, up = http_server(env, b, "b")
    chk.ok(up, "HTTP server listens in B:80")
    url_b = f"http://{b.addr}/index.html"
    r, n = retry(lambda: curl(a, url_b), lambda r: r.returncode == 0 and r.stdout == PAGE)
    chk.ok(r.returncode == 0 and r.stdout == PAGE, f"curl A -> B:80 fetches the page "
           f"(try {n} of {TRIES})", f"rc={r.returncode} out={r.stdout[:80]!r} "
           f"{r.stderr[-200:]}")
    ttls = ping_ttls(a, b.addr)
    chk.eq(ttls, [TTL_SEEN] * PINGS, f"{PINGS} pings A -> B answered, each reply with "
           f"ttl={TTL_SEEN} ({TTL_B} less Click's DecIPTTL and l3fwd's TTL - 1)")
    st1 = core.stats()
    # the HTTP exchange is at least 3 packets each way, the pings 3 each way
    for name in VMS:
        chk.ge(rx(st1, nf[name]) - rx(st0, nf[name]), 12,
               f"the {name} VM's instance received them (nf{nf[name]}_rx)")
    print("  nf_rx: " + ", ".join(f"{n} {rx(st1, nf[n]) - rx(st0, nf[n])}" for n in VMS),
          flush=True)
    # the handlers: netvm-click prints them with its statistics (--stats 1) on
    # its standard output, the guest's console; a `stats` command over the
    # control channel answers netlib's counters and the queue line, not them
    click = rx(st1, nf["click"])
    deadline = time.monotonic() + 10
    rc, got = click_rx(mgr)
    while (rc != 0 or got != click) and time.monotonic() < deadline:
        time.sleep(0.5)
        rc, got = click_rx(mgr)
    chk.ok(rc == 0 and got == click, "netvmctl vm cmd click stats: the Click NF's rx "
           f"is the core's nf{nf['click']}_rx ({click})", f"rc={rc} rx {got}")
    h = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        h = handler_values(read_text(console["click"]).replace("\r", ""))
        if h.get("cnt.count") == click:
            break
        time.sleep(0.5)
    chk.eq(h.get("cnt.count"), click, "console of click: the Counter counted every packet the "
           f"core delivered to the Click VM (cnt.count == nf{nf['click']}_rx)")
    chk.eq(h.get("ttl.drops"), 0, "console of click: DecIPTTL expired nothing (ttl.drops)")

    chk.section("zero copy")
    chk.eq(st1.get("cross_pool_copies"), 0, "the core's cross_pool_copies is 0: the three "
           "VMs map the same pool")

    chk.section("refused: nothing comes in from B")
    srv_a, up = http_server(env, a, "a")
    chk.ok(up, "HTTP server listens in A:80")
    st0 = core.stats()
    r = curl(b, f"http://{a.addr}/index.html")
    chk.ok(r.returncode != 0 and r.stdout == "", "curl B -> A:80 gets nothing",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    st1 = core.stats()
    chk.ge(st1.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 1,
           "the firewall VM drops its SYNs (the core's drop_nf_drop)")
    chk.ge(rx(st1, nf["fw"]) - rx(st0, nf["fw"]), 1, "the firewall VM received them")
    for name in ("click", "l3fwd"):
        chk.eq(rx(st1, nf[name]) - rx(st0, nf[name]), 0,
               f"the {name} VM received nothing (nf{nf[name]}_rx)")
    srv_a.stop(timeout=5)

    chk.section("stop: netvmctl vm stop click breaks the chain")
    pid = mgr.vm("click").get("pid")
    rc, out = mgr.netvmctl("vm", "stop", "click")
    chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok") is True, "vm stop click succeeds",
           str(out))
    chk.eq(mgr.vm("click").get("state"), "stopped", "vm list shows click stopped")
    chk.ok(isinstance(pid, int) and not mgrtest.pid_alive(pid), "its QEMU is gone",
           f"pid {pid}")
    chk.eq([mgr.vm(n).get("state") for n in ("fw", "l3fwd")], ["running", "running"],
           "fw and l3fwd still run")
    cid = nf["click"]
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, cid), 15)
    chk.ok(ok, "every buffer is back: pool0_free + held by fw and l3fwd == pool0_total",
           f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')} "
           f"nf{cid}_role={st.get(f'nf{cid}_role')}")
    st0 = core.stats()
    r = curl(a, url_b)
    chk.ok(r.returncode != 0 and r.stdout == "", "curl A -> B:80 gets nothing now",
           f"rc={r.returncode} out={r.stdout[:80]!r}")
    st1 = core.stats()
    chk.ge(st1.get("drop_no_instance", 0) - st0.get("drop_no_instance", 0), 1,
           "the core drops what the firewall passes on, role 2 having no instance "
           "(drop_no_instance)")
    chk.ge(rx(st1, nf["fw"]) - rx(st0, nf["fw"]), 1, "the firewall VM still receives")
    chk.eq(rx(st1, nf["l3fwd"]) - rx(st0, nf["l3fwd"]), 0, "the l3fwd VM receives nothing")
    srv_b.stop(timeout=5)

    chk.section("shutdown")
    chk.eq(mgr.stop(15, 60), 0, "netvm-manager exits 0 on SIGTERM (stopping fw and l3fwd)")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                               s.get("pool0_free") == s.get("pool0_total"), 15)
    chk.ok(ok, "no NF attached, pool0_free == pool0_total",
           f"nfs_attached {st.get('nfs_attached')}, free {st.get('pool0_free')} of "
           f"{st.get('pool0_total')}")
    print(f"  (the test ran {time.monotonic() - start:.1f} s from the manager's start)",
          flush=True)
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
