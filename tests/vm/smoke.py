#!/usr/bin/env python3
"""vm smoke: a QEMU guest reads and writes host memory through ivshmem and netvm_uio.

Boots the guest image of scripts/build-guest.sh (vmlinux + initramfs) under
QEMU (KVM or TCG, as build-guest.sh found this machine: DIR/accel); the
guest's /init loads netvm_uio and runs nvm_uio_probe. Cases:

  plain     one ivshmem-plain device on a hugetlbfs file holding known bytes
            at offset 0 and near its end: the guest must print them, and the
            reply it writes must be in the file (zero copy, both ways)
  two       two ivshmem-plain devices of different sizes, different magics:
            the guest must tell them apart by the bytes at offset 0 (each
            magic goes with its own size) and write each its own reply
  doorbell  an ivshmem-doorbell device served by tests/vm/ivshmem_server.py:
            the guest masks its interrupt, writes, rings the host (doorbell
            register, map 0); the host sees the write while the guest runs,
            writes back and raises the guest's MSI-X interrupt; the guest must
            get it only once it unmasks, and then see the host's bytes

Expected bytes are random, made here; the files are removed at the end, and
QEMU is killed on any failure. Needs root (hugetlbfs) and the guest image:
exits 77 (skipped) when scripts/build-guest.sh has not been run.
"""

import mmap
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

from ivshmem_server import GUEST_ID, HOST_ID, IvshmemServer  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

SKIP = 77
BOOT_TIMEOUT = 90  # seconds for one guest run, boot to power-off (TCG: ~5)
PAGE = 4096
MIB = 1 << 20
HUGE_DIR = "/dev/hugepages"
PROBE = "/bin/nvm_uio_probe"
MASKED_WAIT_MS = 3000  # the guest waits this long with its interrupt masked
LINE_RE = re.compile(r"^(uio\d+): (.*)$")


class Guest:
    """The guest image and how to boot it."""

    def __init__(self, env):
        gdir = nvguest.guest_dir(env.source_dir)
        self.dir = gdir
        self.kernel = os.path.join(gdir, "vmlinux")
        self.initrd = os.path.join(gdir, "initramfs.cpio.gz")
        self.qemu = nvenv.which(nvguest.QEMU)
        self.accel = None  # "kvm" or "tcg", read once nothing is missing

    def missing(self):
        """What is missing to boot the guest, or None."""
        return nvguest.missing(self.dir)


class Run:
    """What one guest run printed, by UIO device."""

    def __init__(self, returncode, text):
        self.returncode = returncode
        self.text = text
        self.devs = {}     # "uio0" -> {"name": ..., "map1": ..., ...}
        self.order = []    # device names in printed order
        self.events = {}   # "uio0" -> ["dump 0x.. hex", "wrote ...", ...]
        self.status = None  # exit status of the guest command (netvm-init)
        for raw in text.splitlines():
            line = raw.strip("\r\x1b").strip()
            m = LINE_RE.match(line)
            if m and "=" in m.group(2).split()[0]:
                fields = dict(f.split("=", 1) for f in m.group(2).split() if "=" in f)
                self.devs[m.group(1)] = fields
                self.order.append(m.group(1))
            elif m:
                self.events.setdefault(m.group(1), []).append(m.group(2))
            elif line.startswith("netvm-init: exit status "):
                self.status = int(line.split()[-1])

    def by_head(self, head):
        """The device whose map 1 starts with the bytes @head (hex), or None."""
        for name in self.order:
            if self.devs[name].get("head", "").startswith(head):
                return name
        return None

    def tail(self, n=25):
        """The last @n lines of the console, for failure messages."""
        return "\n    " + "\n    ".join(self.text.splitlines()[-n:])


def hugefile(env, size, writes):
    """A hugetlbfs file of @size bytes with @writes {offset: bytes}; removed at exit."""
    path = os.path.join(HUGE_DIR, env.unique("vm"))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    env.add_cleanup(lambda: os.unlink(path))
    try:
        os.ftruncate(fd, size)
        # hugetlbfs has no write(2): the bytes go in through a mapping.
        with mmap.mmap(fd, size) as mem:
            for off, data in writes.items():
                mem[off:off + len(data)] = data
    finally:
        os.close(fd)
    return path


def read_at(path, off, n):
    """@n bytes at @off of file @path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, n, off)
    finally:
        os.close(fd)


def plain_args(ident, path, size, slot):
    """QEMU arguments of an ivshmem-plain device on file @path in PCI @slot."""
    return ["-object", f"memory-backend-file,id={ident},mem-path={path},"
            f"size={size},share=on",
            "-device", f"ivshmem-plain,memdev={ident},addr={slot:#x}"]


def boot(env, guest, tag, dev_args, command, while_running=None):
    """Boot the guest with @dev_args running @command; returns a Run.

    @while_running(proc) is called once QEMU is started (it may talk to the
    guest); the guest is then given BOOT_TIMEOUT seconds in all to power off,
    and killed if it has not.
    """
    log = env.path(f"{tag}.console")
    cmd = [guest.qemu, "-accel", guest.accel, "-machine", "pc", "-m", "256",
           "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", guest.kernel, "-initrd", guest.initrd,
           "-append", f'console=ttyS0 panic=-1 quiet netvm.run="{command}"'] + dev_args
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def kill():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    env.add_cleanup(kill)
    deadline = time.monotonic() + BOOT_TIMEOUT
    if while_running is not None:
        while_running(proc, deadline)
    try:
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill()
        rc = None
    with open(log, errors="replace") as f:
        return Run(rc, f.read())


def check_run(chk, tag, run, nb_devs):
    """Checks common to every run; False when the output is not worth reading further."""
    if not chk.ok(run.returncode == 0, f"{tag}: guest powered off, QEMU exit status 0",
                  f"QEMU status {run.returncode} (None: killed after {BOOT_TIMEOUT} s)"
                  + run.tail()):
        return False
    chk.ok(run.status == 0, f"{tag}: probe exit status 0 in the guest",
           f"status {run.status}" + run.tail())
    return chk.eq(len(run.devs), nb_devs, f"{tag}: UIO devices the guest lists")


def case_plain(env, chk, guest):
    """One ivshmem-plain device: read host bytes, write a reply the host reads."""
    chk.section("plain: one ivshmem-plain device on a 4 MiB hugetlbfs file")
    size, far, reply_off = 4 * MIB, 4 * MIB - 16, 2 * MIB + 64
    head, tail, reply = os.urandom(16), os.urandom(16), os.urandom(16)
    path = hugefile(env, size, {0: head, far: tail})
    run = boot(env, guest, "plain", plain_args("m0", path, size, 0x10),
               f"{PROBE} --dump {far:#x} --write {reply_off:#x}={reply.hex()}")
    if not check_run(chk, "plain", run, 1):
        return
    dev = run.order[0]
    info = run.devs[dev]
    chk.eq(info.get("name"), "netvm_ivshmem", "plain: UIO device name")
    chk.eq(info.get("map0"), f"{PAGE:#x}", "plain: map 0 is BAR0 rounded up to a page")
    chk.eq(info.get("map1"), f"{size:#x}", "plain: map 1 is the whole file")
    chk.eq(info.get("irq"), "no", "plain: no interrupt on ivshmem-plain")
    chk.eq(info.get("head"), head.hex(), "plain: guest read the host's bytes at offset 0")
    chk.ok(f"dump {far:#x} {tail.hex()}" in run.events.get(dev, []),
           f"plain: guest read the host's bytes at {far:#x}", str(run.events.get(dev)))
    chk.eq(read_at(path, reply_off, 16).hex(), reply.hex(),
           "plain: host reads the guest's reply in the file")
    chk.eq(read_at(path, 0, 16).hex(), head.hex(), "plain: the rest of the file unchanged")


def case_two(env, chk, guest):
    """Two ivshmem-plain devices the guest tells apart by the bytes at offset 0."""
    chk.section("two: two ivshmem-plain devices, 4 and 8 MiB, different magics")
    sizes = {"a": 4 * MIB, "b": 8 * MIB}
    magic = {k: os.urandom(16) for k in sizes}
    reply = {k: os.urandom(16) for k in sizes}
    reply_off = 1 * MIB
    paths = {k: hugefile(env, sizes[k], {0: magic[k]}) for k in sizes}
    args = (plain_args("ma", paths["a"], sizes["a"], 0x10)
            + plain_args("mb", paths["b"], sizes["b"], 0x11))
    # Each reply is tagged with its file's first 8 bytes: only that device takes it.
    writes = " ".join(f"--write {magic[k][:8].hex()}@{reply_off:#x}={reply[k].hex()}"
                      for k in sizes)
    run = boot(env, guest, "two", args, f"{PROBE} {writes}")
    if not check_run(chk, "two", run, 2):
        return
    for k in sizes:
        dev = run.by_head(magic[k].hex())
        if not chk.ok(dev is not None, f"two: guest sees magic {k} at offset 0 of a device",
                      run.tail()):
            continue
        chk.eq(run.devs[dev].get("map1"), f"{sizes[k]:#x}",
               f"two: the device with magic {k} has file {k}'s size")
        events = run.events.get(dev, [])
        chk.ok(events.count(f"wrote 16 bytes at {reply_off:#x}") == 1 and
               events.count(f"skipped write at {reply_off:#x}: tag differs") == 1,
               f"two: {dev} took reply {k} and refused the other", str(events))
        chk.eq(read_at(paths[k], reply_off, 16).hex(), reply[k].hex(),
               f"two: file {k} holds reply {k}")


def case_doorbell(env, chk, guest):
    """An ivshmem-doorbell device: live writes both ways, doorbell and MSI-X interrupt."""
    chk.section("doorbell: ivshmem-doorbell (MSI-X, 1 vector) with the host as peer")
    size, guest_off, host_off, flag_off = 1 * MIB, 0x1000, 0x2000, 0x3000
    head, from_guest, from_host = os.urandom(16), os.urandom(16), os.urandom(16)
    flag = os.urandom(16)  # written by the host once the interrupt is sent
    shm = os.memfd_create("netvm-vm-doorbell")
    env.add_cleanup(lambda: os.close(shm))
    os.ftruncate(shm, size)
    os.pwrite(shm, head, 0)
    sock = env.path("ivshmem.sock")
    server = IvshmemServer(sock, shm, vectors=1)
    env.add_cleanup(server.close)
    server.start()
    seen = {}

    def host_side(proc, deadline):
        # The guest rings once it has written; reply while it waits for the interrupt.
        seen["rang"] = 0
        while not seen["rang"] and proc.poll() is None and time.monotonic() < deadline:
            seen["rang"] = server.wait_doorbell(0.2)
        if seen["rang"]:
            seen["guest_bytes"] = os.pread(shm, 16, guest_off)
            os.pwrite(shm, from_host, host_off)
            server.interrupt_guest(0)
            os.pwrite(shm, flag, flag_off)

    args = ["-chardev", f"socket,path={sock},id=bell",
            "-device", "ivshmem-doorbell,chardev=bell,vectors=1,addr=0x12"]
    command = (f"{PROBE} --irq off --write {guest_off:#x}={from_guest.hex()}"
               f" --ring {HOST_ID}:0 --wait-irq {MASKED_WAIT_MS} --dump {flag_off:#x}"
               f" --irq on --wait-irq 30000 --dump {host_off:#x}")
    run = boot(env, guest, "doorbell", args, command, host_side)
    chk.ok(server.error is None, "doorbell: ivshmem server handshake", str(server.error))
    if not check_run(chk, "doorbell", run, 1):
        return
    dev = run.order[0]
    info, events = run.devs[dev], run.events.get(dev, [])
    chk.eq(info.get("ivpos"), str(GUEST_ID), "doorbell: IVPosition is the id the server gave")
    chk.eq(info.get("irq"), "yes", "doorbell: the device has an interrupt")
    chk.eq(info.get("map1"), f"{size:#x}", "doorbell: map 1 is the server's memory")
    chk.eq(info.get("head"), head.hex(), "doorbell: guest read the host's bytes")
    chk.ok(seen.get("rang", 0) >= 1, "doorbell: the guest's doorbell reached the host",
           run.tail())
    chk.eq(seen.get("guest_bytes", b"").hex(), from_guest.hex(),
           "doorbell: host saw the guest's write while the guest ran")
    chk.ok(f"irq none after {MASKED_WAIT_MS} ms" in events,
           "doorbell: no interrupt while masked", str(events))
    chk.ok(f"dump {flag_off:#x} {flag.hex()}" in events,
           "doorbell: the host had sent the interrupt before the guest unmasked",
           f"the host answered later than {MASKED_WAIT_MS} ms: {events}")
    unmasked = events[events.index("irq on"):] if "irq on" in events else []
    chk.ok("irq count=1" in unmasked,
           "doorbell: the interrupt reached the guest on unmask", str(events))
    chk.ok(f"dump {host_off:#x} {from_host.hex()}" in events,
           "doorbell: guest saw the host's write after the interrupt", str(events))


def main():
    """Run the cases; exit 0 when every check passed, 77 when there is no guest image."""
    env = nvenv.setup("vm_smoke", 280, __doc__)
    chk = check.Checker("vm_smoke")
    guest = Guest(env)
    missing = guest.missing()
    if missing:
        print(f"vm_smoke: skipped: {missing} is missing; run scripts/build-guest.sh "
              f"(NETVM_GUEST_DIR={guest.dir})", flush=True)
        env.failed = False
        sys.exit(SKIP)
    guest.accel = nvguest.accel(guest.dir)
    nvenv.require_root(chk)
    mounted, _, free = nvenv.hugepage_status()
    if not mounted or free < 8:
        chk.fatal("hugepages available", f"need hugetlbfs on {HUGE_DIR} with 8 free 2 MiB "
                  f"pages, have {free} (run scripts/setup.sh)")
    print(f"vm_smoke: {nvguest.accel_line(guest.dir)}; kernel {guest.kernel}", flush=True)
    for case in (case_plain, case_two, case_doorbell):
        start = time.monotonic()
        case(env, chk, guest)
        print(f"  ({time.monotonic() - start:.1f} s)", flush=True)
    env.done(chk)


if __name__ == "__main__":
    main()
