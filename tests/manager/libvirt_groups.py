#!/usr/bin/env python3
"""libvirt_groups: a libvirt VM of one trust group cannot open another group's pool.

Two VMs under libvirt: "a" serves role 2 (trust group default), "b" role 5
(trust group tenant-b, which has a pool of its own). A raw NF attached as
each role gives the identity (device, inode) of each group's pool. Then:

  - each domain's QEMU holds its own group's pool and not the other's;
  - no file in the hugepage directory is either pool (the pools are memfds:
    a QEMU gets its pool's fd from the manager and has no path to open);
  - a process with QEMU a's uid, gid and groups cannot open group b's pool
    under any name in the hugepage directory.

Before pools were memfds, every pool file was group kvm, mode 0660, and any
domain's QEMU could open every tenant's pool. Skipped (77) as manager_libvirt
is.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import manager_libvirt  # noqa: E402
import mgrtest  # noqa: E402
from nvtest import check, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402

ROLE_A, ROLE_B = 2, 5
CONFIG = f"""
core = {{ pool_buffers = 4095; buffer_size = 2048; ring_size = 256; }};
trust_groups = ( {{ name = "tenant-b"; roles = [ {ROLE_B} ]; }} );
default = {{ action = "drop"; }};
"""


def vm(name, role, kernel, initrd):
    nf = f"/bin/netvm-bridge --transport uio -r {role}"
    return (f'  {{ name = "{name}"; role = {role}; queues = 1; vcpus = 1; memory = 128;\n'
            f'    kernel = "{kernel}"; initrd = "{initrd}";\n'
            f'    nf = "{nf}"; launcher = "libvirt"; restart = "never"; }}')


def pool_id(core, role):
    """(st_dev, st_ino) of the pool the core gives an NF of @role."""
    raw = rawnf.RawNf(core.sock, role)
    try:
        st = os.fstat(raw.pool_fd)
        return st.st_dev, st.st_ino
    finally:
        raw.close()


def held(pid):
    """{(st_dev, st_ino)} of every fd of process @pid."""
    out = set()
    d = f"/proc/{pid}/fd"
    for n in os.listdir(d):
        try:
            st = os.stat(os.path.join(d, n))
        except OSError:
            continue
        out.add((st.st_dev, st.st_ino))
    return out


def creds(pid):
    """(uid, gid, groups) of process @pid."""
    uid = gid = None
    groups = []
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
            elif line.startswith("Gid:"):
                gid = int(line.split()[1])
            elif line.startswith("Groups:"):
                groups = [int(g) for g in line.split()[1:]]
    return uid, gid, groups


def opens_as(cred, paths):
    """The paths of @paths a process with @cred can open read-write."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        uid, gid, groups = cred
        ok = []
        try:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            for p in paths:
                try:
                    os.close(os.open(p, os.O_RDWR))
                    ok.append(p)
                except OSError:
                    pass
            os.write(w, "\n".join(ok).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return [p for p in data.decode().split("\n") if p]


def main():
    env = nvenv.setup("libvirt_groups", 280, __doc__)
    chk = check.Checker("libvirt_groups")
    kernel, initrd = mgrtest.guest_image(env)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    manager_libvirt.ensure_libvirtd(env)
    os.chmod(env.workdir, 0o711)
    names = {"a": f"ga{os.getpid()}", "b": f"gb{os.getpid()}"}
    for n in names.values():
        env.add_cleanup(lambda n=n: (manager_libvirt.virsh("destroy", f"netvm-{n}"),
                                     manager_libvirt.virsh("undefine", f"netvm-{n}")))
    core = Core(env, "lg", CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    pools = {"a": pool_id(core, ROLE_A), "b": pool_id(core, ROLE_B)}
    chk.ok(pools["a"] != pools["b"], "the two trust groups have different pools", str(pools))

    mgr = mgrtest.Manager(env, core, [vm(names["a"], ROLE_A, kernel, initrd),
                                      vm(names["b"], ROLE_B, kernel, initrd)])
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    pids = {}
    for k, n in names.items():
        ok, v = mgr.wait_vm(n, lambda v: v["state"] == "running", mgrtest.BOOT_TIMEOUT)
        chk.ok(ok, f"VM {k} ({n}) runs", f"last seen {v}" + mgr.tail())
        pids[k] = mgrtest.read_pid(f"/run/libvirt/qemu/netvm-{n}.pid")
    if None in pids.values():
        chk.fatal("libvirt's pidfiles name both QEMUs", str(pids))

    for k, other in (("a", "b"), ("b", "a")):
        fds = held(pids[k])
        chk.ok(pools[k] in fds, f"QEMU of VM {k} holds its trust group's pool")
        chk.ok(pools[other] not in fds, f"QEMU of VM {k} does not hold VM {other}'s pool")

    huge = [os.path.join(nvenv.HUGE_DIR, f) for f in os.listdir(nvenv.HUGE_DIR)]
    named = []
    for p in huge:
        try:
            st = os.stat(p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in pools.values():
            named.append(p)
    chk.eq(named, [], f"no file in {nvenv.HUGE_DIR} is a pool")
    cred = creds(pids["a"])
    chk.ok(cred[0] != 0, f"QEMU of VM a runs unprivileged (uid {cred[0]}, gid {cred[1]})")
    chk.eq(opens_as(cred, named + nvenv.pool_files(core.prefix)), [],
           "as QEMU a's uid, gid and groups, no pool file opens")

    mgr.stop(timeout=30)
    env.done(chk)


if __name__ == "__main__":
    main()
