#!/usr/bin/env python3
"""manager_check: netvm-manager --check refuses what could never start, and warns.

Each configuration is given to `netvm-manager --check` (no VM is started):
  - a VM whose kernel, or one of whose files, is a directory: exit 1,
    FILE:LINE: KEY: PATH: Is a directory;
  - a VM whose files make the guest's kernel command line longer than it
    takes (2047 characters, files in base64): exit 1 naming the VM;
    a file that just fits: valid;
  - manager.qemu not installed while a VM of launcher "qemu" needs it:
    valid, with a warning naming manager.qemu; the same with a libvirt VM
    only: no warning;
  - a configuration file that cannot be read (/proc/self/mem): exit 1,
    "cannot read: Input/output error", not the end of the process from
    libconfig's reader; a directory: "cannot open: Is a directory";
  - a configuration given through a pipe is read.
Every run must end by itself with status 0 or 1, never by a signal.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Manager  # noqa: E402


def run_check(env, mgr, path, stdin=None):
    """netvm-manager --check -c @path: (status, stdout, stderr)."""
    r = subprocess.run([mgr, "--check", "-c", path], capture_output=True, text=True,
                       timeout=30, stdin=stdin, pass_fds=() if stdin is None else (stdin,))
    return r.returncode, r.stdout, r.stderr


def write(env, name, text):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    env = nvenv.setup("manager_check", 120, __doc__)
    chk = check.Checker("manager_check")
    nvenv.require_binaries(env, chk, [Manager.BIN])
    mgr = env.binary(Manager.BIN)
    write(env, "vmlinux", "not a kernel, only a file\n")
    os.mkdir(env.path("adir"))
    head = 'manager = { socket = "m.sock"; state_dir = "st"; };\n'

    chk.section("paths that are directories")
    p = write(env, "kdir.conf", head + 'vms = (\n  { name = "a"; role = 1;\n'
              '    kernel = "adir"; }\n);\n')
    rc, out, err = run_check(env, mgr, p)
    chk.ok(rc == 1 and f"{p}:4: vms[0].kernel: " in err and "adir: Is a directory" in err,
           "a kernel that is a directory: refused at its line", f"rc {rc}: {err}")
    p = write(env, "fdir.conf", head + 'vms = (\n  { name = "a"; role = 1; kernel = "vmlinux";\n'
              '    files = [ "/etc/x:adir" ]; }\n);\n')
    rc, out, err = run_check(env, mgr, p)
    chk.ok(rc == 1 and f"{p}:4: vms[0].files[0]: " in err and "Is a directory" in err,
           "a file that is a directory: refused at its line", f"rc {rc}: {err}")

    chk.section("the guest kernel's command line")
    # console=ttyS0 panic=-1 quiet (28) + " netvm.file=/etc/x:" (19) + base64
    for size, fits in ((1500, True), (1600, False)):
        with open(env.path("data.bin"), "wb") as f:
            f.write(os.urandom(size))
        p = write(env, f"big{size}.conf", head + 'vms = (\n  { name = "big"; role = 1; '
                  'kernel = "vmlinux";\n    files = [ "/etc/x:data.bin" ]; }\n);\n')
        rc, out, err = run_check(env, mgr, p)
        line = 28 + 19 + (size + 2) // 3 * 4
        if fits:
            chk.ok(rc == 0 and "configuration valid" in out,
                   f"a {size}-byte file ({line} characters of command line): valid",
                   f"rc {rc}: {out}{err}")
        else:
            chk.ok(rc == 1 and f"{p}:3: vm big: the kernel command line" in err
                   and "2047 characters" in err,
                   f"a {size}-byte file ({line} characters): refused, naming the VM",
                   f"rc {rc}: {err}")

    chk.section("QEMU not installed")
    qhead = ('manager = { socket = "m.sock"; state_dir = "st"; '
             'qemu = "/nonexistent/qemu-system-x86_64"; };\n')
    p = write(env, "noqemu.conf", qhead + 'vms = ( { name = "a"; role = 1; '
              'kernel = "vmlinux"; } );\n')
    rc, out, err = run_check(env, mgr, p)
    chk.ok(rc == 0 and "configuration valid" in out and f"{p}: warning: manager.qemu: "
           "'/nonexistent/qemu-system-x86_64' is not an executable file" in err,
           "valid, with a warning naming manager.qemu", f"rc {rc}: {out}{err}")
    p = write(env, "lvqemu.conf", qhead + 'vms = ( { name = "a"; role = 1; '
              'kernel = "vmlinux"; launcher = "libvirt"; } );\n')
    rc, out, err = run_check(env, mgr, p)
    chk.ok(rc in (0, 1) and "manager.qemu" not in err,
           "a libvirt VM alone: no QEMU warning", f"rc {rc}: {out}{err}")

    chk.section("files that are no ordinary configuration")
    rc, out, err = run_check(env, mgr, "/proc/self/mem")
    chk.ok(rc == 1 and "/proc/self/mem: cannot read: Input/output error" in err,
           "/proc/self/mem: cannot read, exit 1", f"rc {rc}: {err}")
    rc, out, err = run_check(env, mgr, env.path("adir"))
    chk.ok(rc == 1 and "cannot open: Is a directory" in err, "a directory: cannot open",
           f"rc {rc}: {err}")
    rfd, wfd = os.pipe()
    os.write(wfd, (head + 'vms = ( { name = "p"; role = 1; kernel = "'
                   + env.path("vmlinux") + '"; } );\n').encode())
    os.close(wfd)
    rc, out, err = run_check(env, mgr, f"/proc/self/fd/{rfd}", stdin=rfd)
    os.close(rfd)
    chk.ok(rc == 0 and "1 VM(s), configuration valid" in out, "a pipe: read to its end",
           f"rc {rc}: {out}{err}")
    env.done(chk)


if __name__ == "__main__":
    main()
