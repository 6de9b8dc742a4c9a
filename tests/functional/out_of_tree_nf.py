#!/usr/bin/env python3
"""out_of_tree_nf: an NF builds outside the tree with `pkg-config --cflags --libs netlib`.

Installs the build with `meson install --destdir` into the work directory,
then, using only what was installed (pkg-config with PKG_CONFIG_LIBDIR and
PKG_CONFIG_SYSROOT_DIR pointing into it):
  - every public header of netlib/include is installed and compiles on its
    own with netlib.pc's Cflags (-std=c11 -Werror), nothing else installs
    by accident (no nvm_attach/nvm_ctl archives, no test programs);
  - a bridge-like NF written here (NL_NF_MAIN, nl_out) compiles and links
    against libnetlib.a, its headers come from the installed tree and not
    from the sources, and it prints netlib's usage and its own on --help
    (exit 0);
  - the same NF does not compile without netlib.pc's flags (the checks
    above can fail). Needs cc and pkg-config; no root, no hugepages.
"""

import glob
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

NF_SOURCE = r"""/* An NF outside the NetVM tree: port 0 <-> port 1. */
#include <stdlib.h>

#include "netlib.h"
#include "nl_hdr.h"

static int
oot_pkt(struct nl_pkt *pkt, void *state)
{
	(void)state;
	return nl_out(pkt, pkt->in_port ^ 1);
}

static const struct nl_nf oot = {
	.name = "oot-bridge",
	.usage = "  (no options) oot-bridge-usage-marker\n",
	.pkt = oot_pkt,
};

NL_NF_MAIN(oot)
"""

# Installed files that may appear, relative to the prefix (fnmatch-free:
# a prefix of the path or an exact name).
ALLOWED_DIRS = ("bin/netvm", "include/netvm/", "share/bash-completion/completions/netvmctl",
                "share/netvm/", "share/doc/netvm/", "lib/systemd/system/netvm")


def sanitize_flags(build_dir):
    """[-fsanitize=...] when @build_dir is configured with b_sanitize, else []."""
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            opts = {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError, KeyError):
        return []
    value = opts.get("b_sanitize", "none")
    return [] if value in ("none", "", None) else [f"-fsanitize={value}"]


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    env = nvenv.setup("out_of_tree_nf", timeout=90, description=__doc__)
    chk = check.Checker("out_of_tree_nf")
    for prog in ("meson", "cc", "pkg-config"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed")

    chk.section("meson install --destdir")
    dest = env.path("dest")
    rc, out, err = run(["meson", "install", "-C", env.build_dir, "--no-rebuild",
                        "--destdir", dest])
    if not chk.eq(rc, 0, "meson install succeeds"):
        chk.fatal("install", (out + err)[-2000:])
    pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "netlib.pc"), recursive=True)
    if not chk.eq(len(pcs), 1, "exactly one netlib.pc installed"):
        chk.fatal("netlib.pc", repr(pcs))
    pc_dir = os.path.dirname(pcs[0])
    libdir = os.path.dirname(pc_dir)
    # The prefix: netlib.pc's own, inside dest.
    with open(pcs[0]) as f:
        pc_text = f.read()
    prefix_line = [ln for ln in pc_text.splitlines() if ln.startswith("prefix=")]
    chk.eq(len(prefix_line), 1, "netlib.pc names its prefix")
    prefix = dest + prefix_line[0].split("=", 1)[1] if prefix_line else dest
    chk.ok(os.path.isdir(prefix), "the prefix of netlib.pc is where the files went", prefix)

    chk.section("installed files")
    inc = os.path.join(prefix, "include", "netvm")
    public = sorted(os.path.basename(h) for h in
                    glob.glob(os.path.join(env.source_dir, "netlib", "include", "*.h")))
    chk.ok(len(public) >= 2, "netlib/include has headers", repr(public))
    for h in public:
        chk.ok(os.path.isfile(os.path.join(inc, h)), f"include/netvm/{h} installed")
    archive = os.path.join(libdir, "libnetlib.a")
    chk.ok(os.path.isfile(archive), "libnetlib.a installed beside pkgconfig/")
    rc, out, _ = run(["ar", "t", archive])
    members = out.split()
    for obj in ("nvm_attach.c.o", "nvm_ctl.c.o", "nl_main.c.o"):
        chk.ok(any(m.endswith(obj) for m in members), f"libnetlib.a carries {obj}", repr(members))
    stray = []
    for root, _dirs, files in os.walk(prefix):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), prefix)
            if rel in (os.path.relpath(archive, prefix), os.path.relpath(pcs[0], prefix)):
                continue
            if not rel.startswith(ALLOWED_DIRS):
                stray.append(rel)
    outside = [p for p in glob.glob(os.path.join(dest, "**"), recursive=True)
               if os.path.isfile(p) and not p.startswith(prefix + os.sep)]
    chk.eq(stray, [], "nothing else is installed under the prefix")
    chk.eq(outside, [], "nothing is installed outside the prefix")

    chk.section("pkg-config netlib")
    pkenv = dict(os.environ, PKG_CONFIG_LIBDIR=pc_dir, PKG_CONFIG_SYSROOT_DIR=dest)
    pkenv.pop("PKG_CONFIG_PATH", None)
    rc, cflags, err = run(["pkg-config", "--cflags", "netlib"], env=pkenv)
    chk.eq(rc, 0, "pkg-config --cflags netlib" + (f" ({err.strip()})" if rc else ""))
    rc, libs, err = run(["pkg-config", "--libs", "netlib"], env=pkenv)
    chk.eq(rc, 0, "pkg-config --libs netlib" + (f" ({err.strip()})" if rc else ""))
    cflags, libs = cflags.split(), libs.split()
    chk.ok(f"-I{inc}" in cflags, "Cflags name include/netvm", repr(cflags))
    chk.ok("-lnetlib" in libs and "-lpthread" in libs, "Libs: -lnetlib -lpthread", repr(libs))
    rc, version, _ = run(["pkg-config", "--modversion", "netlib"], env=pkenv)
    chk.ok(rc == 0 and version.strip() != "", "netlib.pc has a version", version.strip())

    for h in public:
        src = env.path(f"hdr_{h}.c")
        with open(src, "w") as f:
            f.write(f'#include "{h}"\n#include "{h}"\nint hdr_dummy;\n')
        rc, _, err = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                          src] + cflags)
        chk.eq(rc, 0, f"{h} compiles on its own (twice)" + (f": {err.strip()[:400]}" if rc else ""))

    chk.section("the NF")
    src = env.path("oot_bridge.c")
    with open(src, "w") as f:
        f.write(NF_SOURCE)
    nf = env.path("oot-bridge")
    # a sanitizer build (scripts/sanitize.sh) installs an instrumented
    # libnetlib.a: its users link with the same -fsanitize, as any NF built
    # against such an installation would
    rc, _, err = run(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", nf, src]
                     + cflags + libs + sanitize_flags(env.build_dir))
    if not chk.eq(rc, 0, "cc oot_bridge.c $(pkg-config --cflags --libs netlib)"):
        chk.fatal("NF built", err.strip()[:2000])
    rc, deps, _ = run(["cc", "-std=c11", "-M", src] + cflags)
    dep_files = deps.replace("\\\n", " ").split()
    netlib_h = [d for d in dep_files if d.endswith("/netlib.h")]
    chk.ok(len(netlib_h) == 1 and os.path.realpath(netlib_h[0]).startswith(os.path.realpath(dest)),
           "netlib.h comes from the installed tree", repr(netlib_h))
    rc, out, err = run([nf, "--help"])
    chk.eq(rc, 0, "oot-bridge --help exits 0")
    chk.ok("usage:" in out and "--role" in out, "netlib's usage on stdout", out[:400] + err[:400])
    chk.ok("oot-bridge options:" in out and "oot-bridge-usage-marker" in out,
           "the NF's own usage follows", out[-400:])
    rc, _, _ = run([nf, "--no-such-option"])
    chk.ok(rc != 0, "an unknown option fails", f"exit {rc}")

    chk.section("without netlib.pc")
    rc, _, _ = run(["cc", "-std=c11", "-o", env.path("oot-plain"), src])
    chk.ok(rc != 0, "the NF does not build without pkg-config's flags")
    bare = env.path("bare-inc")
    shutil.copytree(inc, bare)
    os.remove(os.path.join(bare, "netvm_abi.h"))
    rc, _, _ = run(["cc", "-std=c11", "-fsyntax-only", f"-I{bare}", src])
    chk.ok(rc != 0, "nor with a header missing (netvm_abi.h)")
    env.done(chk)


if __name__ == "__main__":
    main()
