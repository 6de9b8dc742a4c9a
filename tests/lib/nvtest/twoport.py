"""A core with two ports the test writes into and captures, frame by frame.

Ports 0 and 1 are Injector veth pairs (nvtest.inject) with a Capture on the
test's end of each (nvtest.capture). send() waits until the core is through
with what it sent (sent out of a port or dropped, by its counters), so a test
that sends one frame at a time knows the order of the captures.
"""

import time

from .capture import Capture
from .inject import Injector
from .proc import Core
from .telemetry import drops


class TwoPorts:
    """netvm-core started with @config on two injectable, captured ports."""

    def __init__(self, env, chk, tag, config):
        self.env, self.chk = env, chk
        self.inj = [Injector(env, f"{tag}a"), Injector(env, f"{tag}b")]
        self.cap = [Capture(env, i) for i in self.inj]
        self.core = Core(env, tag, config, [self.inj[0].vdev(0), self.inj[1].vdev(1)])

    @staticmethod
    def through(st):
        """Frames the core has finished with: sent out of a port or dropped."""
        return st.get("port0_tx", 0) + st.get("port1_tx", 0) + sum(drops(st).values())

    def send(self, port, frames, what, timeout=20):
        """Send @frames into @port; wait until the core is through with all of them.

        A failure is recorded as a failed check; returns whether they came through."""
        st0 = self.core.stats()
        self.inj[port].send(frames)
        ok, st = self.core.tel.wait_for(
            lambda s: self.through(s) - self.through(st0) >= len(frames), timeout)
        if not ok:
            self.chk.ok(False, f"{what}: through the core",
                        f"{self.through(st) - self.through(st0)} of {len(frames)}; stats {st}")
        return ok

    def captured(self, expected_counts):
        """Wait for @expected_counts frames on ports 0 and 1; the captures, taken."""
        for port, n in enumerate(expected_counts):
            self.cap[port].wait_count(n, timeout=5)
        time.sleep(0.2)  # a frame too many would show up now
        return [c.take() for c in self.cap]
