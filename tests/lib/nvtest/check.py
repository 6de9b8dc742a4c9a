"""Pass/fail bookkeeping: every check prints one line, the script ends with a summary."""

import sys


class Checker:
    """Counts checks; a failed check is reported, never raised, so a run reports them all."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.failures = []

    def ok(self, cond, what, detail=""):
        """Record check @what; @detail is printed when it fails. Returns @cond as a bool."""
        if cond:
            self.passed += 1
            print(f"  ok    {what}", flush=True)
            return True
        self.failed += 1
        self.failures.append(what)
        msg = f"  FAIL  {what}"
        if detail:
            msg += f": {detail}"
        print(msg, flush=True)
        return False

    def eq(self, actual, expected, what):
        """Check actual == expected, printing both when they differ."""
        return self.ok(actual == expected, what,
                       f"got {actual!r}, expected {expected!r}")

    def ge(self, actual, bound, what):
        """Check actual >= bound (a missing value, None, fails)."""
        return self.ok(actual is not None and actual >= bound, what,
                       f"got {actual!r}, expected >= {bound!r}")

    def gt(self, actual, bound, what):
        """Check actual > bound (a missing value, None, fails)."""
        return self.ok(actual is not None and actual > bound, what,
                       f"got {actual!r}, expected > {bound!r}")

    def fatal(self, what, detail=""):
        """Record a failure that makes the rest of the test pointless and stop."""
        self.ok(False, what, detail)
        self.finish()

    def section(self, title):
        """Print a heading for the checks that follow."""
        print(f"-- {title}", flush=True)

    def finish(self):
        """Print the summary and exit: 0 when every check passed, 1 otherwise."""
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        if self.failed:
            for what in self.failures:
                print(f"  failed: {what}", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)
