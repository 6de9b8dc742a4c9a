"""The guest image of scripts/build-guest.sh: where it is and how QEMU runs it.

build-guest.sh writes DIR/accel: "kvm" when it booted the image under KVM on
this machine, "tcg" otherwise, and why ("tcg: no /dev/kvm", "tcg: /dev/kvm
opens but KVM fails to run the guest ..."). Every test that boots the image
takes its accelerator from there rather than from whether /dev/kvm exists: on
some hosts /dev/kvm opens and KVM still cannot run a guest.
"""

import os

from nvtest import env as nvenv

QEMU = "qemu-system-x86_64"


def guest_dir(source_dir=None):
    """The image's directory: NETVM_GUEST_DIR, default build/guest of the tree."""
    gdir = os.environ.get("NETVM_GUEST_DIR", "build/guest")
    if not os.path.isabs(gdir):
        root = source_dir or os.path.normpath(
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
        gdir = os.path.join(root, gdir)
    return gdir


def missing(gdir, names=("vmlinux", "initramfs.cpio.gz")):
    """What is missing to boot @names of the image in @gdir (a path, or QEMU), or None."""
    for name in tuple(names) + ("accel",):
        if not os.path.isfile(os.path.join(gdir, name)):
            return os.path.join(gdir, name)
    return None if nvenv.which(QEMU) else QEMU


def accel_line(gdir):
    """build-guest.sh's verdict for this machine, e.g. "tcg: no /dev/kvm"."""
    with open(os.path.join(gdir, "accel"), encoding="utf-8") as f:
        return f.read().strip()


def accel(gdir):
    """"kvm" or "tcg": what QEMU runs the image with on this machine.

    Raises ValueError when DIR/accel says neither (run build-guest.sh again).
    """
    line = accel_line(gdir)
    word = line.split(":", 1)[0]
    if word not in ("kvm", "tcg"):
        raise ValueError(f"{gdir}/accel: '{line}' is neither kvm nor tcg")
    return word
