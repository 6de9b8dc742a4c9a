#!/usr/bin/env python3
"""pool_region: the core says when rounding its pool region up wastes more than a quarter of it.

The pool region holds a header in the place of one buffer, then the
buffers, and is rounded up to a power of two (docs/config.md). With
2048-byte buffers on 2 MiB pages, pool_buffers = 3000 and 3200 both take
an 8 MiB region, room for 4095 buffers:

  3000  1095 unused, 26.7 % of the room: the core says so, and that
        pool_buffers = 4095 would use the region fully
  3200  895 unused, 21.9 %: less than a quarter, no word
  4095  none unused (2^12 - 1): no word

The expected figures are worked out here from the sizes, not read from the core.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402

BUFFER_SIZE = 2048
REGION = 8 << 20  # the power of two each of the counts below rounds up to
ROOM = REGION // BUFFER_SIZE - 1  # the header takes one buffer's place
CONFIG = f"""core = {{
  pool_buffers = %d;
  buffer_size = {BUFFER_SIZE};
  ring_size = 256;
}};
rules = ( {{ in_port = 0; role = 1; }} );
default = {{ action = "drop"; }};
"""


def main():
    env = nvenv.setup("pool_region", 100, __doc__)
    chk = check.Checker("pool_region")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    for count in (3000, 3200, ROOM):
        core = Core(env, "pr", CONFIG % count, ["net_null0"])
        err = core.start_ready()
        if not chk.ok(err is None, f"pool_buffers {count}: the core starts", err or ""):
            continue
        out = core.stdout()
        region = f"pool 0: {count} buffers of {BUFFER_SIZE} bytes in a {REGION >> 20} MiB region"
        chk.ok(region in out, f"pool_buffers {count}: '{region}'", core.tail())
        unused = ROOM - count
        note = (f"pool 0: rounding left {unused} buffers' room unused: pool_buffers = {ROOM} "
                "would use the region fully")
        if unused * 4 > ROOM:
            chk.ok(note in out, f"pool_buffers {count}: {unused} of {ROOM} unused, more than "
                   "a quarter: the core says so", core.tail())
        else:
            chk.ok("rounding left" not in out, f"pool_buffers {count}: {unused} of {ROOM} "
                   "unused, a quarter or less: no word", core.tail())
        core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
