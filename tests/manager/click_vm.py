#!/usr/bin/env python3
"""click_vm: the Click IP router of make-ip-conf.pl in a VM that netvm-manager runs.

  nvA-<pid> 18.26.4.2/24 via 18.26.4.92            nvB-<pid> 1.0.0.2/8 via 1.0.0.1
        │ veth                                              │ veth
  host end = port 0 (eth0) ─┐                  ┌─ port 1 (eth1) = host end
                            └─ core (role 1) ──┘
                                   │ rings
          VM "click" started by netvm-manager (launcher qemu):
          booted from the guest's disk.img, netvm-click --transport uio
          -r 1 -- -f /etc/netvm/router.click --port eth0=0 --port eth1=1
          (the configuration written into the guest by the manager's
          `files`, through fw_cfg: it is too long for the kernel command line)

The same router and the same checks as tests/netns/click_router.py (its
docstring says what they are), with netvm-click in the guest instead of a
host process: ARP both ways without static neighbours, ping both ways, curl,
traceroute's hop 1 from the router, Destination Net Unreachable for an
unrouted address, and the handlers, which the guest prints on its console
with its statistics every second (a guest NF is never signalled).

Needs root, hugepages, iproute2, ethtool, curl, ss, traceroute and the guest
image: exits 77 (skipped) when scripts/build-guest.sh has not built it, and
fails when the image predates netvm-click (run scripts/build-guest.sh again).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "netns"))

import mgrtest  # noqa: E402
from click_router import (AF_PACKET_ARGS, DEFAULT_ROUTE, HANDLERS, client_checks,  # noqa: E402
                          handler_checks, namespaces, require_tools, router_config,
                          run_in)
from nvtest.proc import parse_click_handlers as handler_values  # noqa: E402
from firewall_vm import console_tail, image_has, read_text  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402

ROLE = 1
VM = "click"
CONF_GUEST = "/etc/netvm/router.click"
NF = (f"/bin/netvm-click --transport uio -r {ROLE} --stats 1 -- -f {CONF_GUEST} "
      "--port eth0=0 --port eth1=1 " + " ".join(f"-h {h}" for h in HANDLERS))
BOOT_TIMEOUT = 90
# a pool a VM can map: 4095 buffers + the header slot = 16 MiB, a power of two
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; ring_size = 512; }};
roles = ( {{ id = {ROLE}; name = "router"; }} );
rules = ( {{ in_port = 0; role = {ROLE}; }}, {{ in_port = 1; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""


def vm_config(disk, conf):
    """The one VM: netvm-click over UIO, its configuration written into the guest.

    It boots the guest's disk image, so that its NF command and files come
    through fw_cfg: the configuration is too long for the kernel command line."""
    return (f'  {{ name = "{VM}"; role = {ROLE}; queues = 1; vcpus = 1; memory = 256;\n'
            f'    disk = "{disk}";\n'
            f'    files = [ "{CONF_GUEST}:{conf}" ];\n'
            f'    nf = "{NF}"; launcher = "qemu"; restart = "never"; }}')


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("click_vm", 280, __doc__)
    chk = check.Checker("click_vm")
    _, initrd = mgrtest.guest_image(env)
    disk, = mgrtest.guest_image(env, ("disk.img",))
    if not image_has(initrd, "bin/netvm-click"):
        chk.fatal("the guest image has /bin/netvm-click",
                  f"{initrd} predates it: run scripts/build-guest.sh again")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    require_tools(chk)

    chk.section("namespaces (no static neighbours), core, the VM")
    a, b = namespaces(env, chk)
    conf = router_config(env, env.source_dir)
    if conf is None:
        chk.fatal("the generated configuration has the default route", DEFAULT_ROUTE)
    core = Core(env, "ckv", CONFIG, [f"net_af_packet0,iface={a.host_if},{AF_PACKET_ARGS}",
                                     f"net_af_packet1,iface={b.host_if},{AF_PACKET_ARGS}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    mgr = mgrtest.Manager(env, core, [vm_config(disk, conf)])
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    console = os.path.join(mgr.state_dir, f"{VM}.console")
    ok, vm = mgr.wait_vm(VM, lambda v: v["state"] == "running", BOOT_TIMEOUT)
    if not chk.ok(ok, f"netvmctl vm list shows {VM} running", f"last seen {vm}"
                  + mgr.tail() + console_tail(console)):
        env.done(chk)
    nf_id = vm.get("nf_id")
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_role") == ROLE and
                               s.get(f"nf{nf_id}_live") == 1, 10)
    chk.ok(ok, f"the core has the VM's instance {nf_id} as role {ROLE}, live",
           f"role {st.get(f'nf{nf_id}_role')}, live {st.get(f'nf{nf_id}_live')}")
    size = os.path.getsize(conf)
    chk.ok(f"netvm-init: wrote {CONF_GUEST} ({size} bytes)" in read_text(console),
           f"console: the guest wrote {CONF_GUEST}, all {size} bytes", console_tail(console))
    # the first packets may meet a guest just started: a few tries until B answers
    for _ in range(5):
        r = run_in(a, [nvenv.which("ping"), "-c", "1", "-W", "2", b.addr], timeout=10)
        if r.returncode == 0:
            break

    client_checks(env, chk, a, b)

    chk.section("handlers (the guest's console)")
    time.sleep(3)  # two more statistics blocks
    h = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        h = handler_values(read_text(console).replace("\r", ""))
        if h.get("unr.sent") == 3:
            break
        time.sleep(1)
    handler_checks(chk, h)

    chk.section("shutdown")
    rc, out = mgr.netvmctl("vm", "stop", VM)
    chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok") is True, "vm stop succeeds",
           str(out))
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
