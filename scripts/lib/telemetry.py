#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal client of a DPDK process's telemetry socket (protocol v2).

The socket is /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 for root
(XDG_RUNTIME_DIR/dpdk/<file-prefix>/ otherwise, /tmp/dpdk/<file-prefix>/
without XDG_RUNTIME_DIR), AF_UNIX SOCK_SEQPACKET. On
connect the server sends one JSON greeting holding max_output_len; each
command is one message and gets one JSON reply {"<command>": value}.

Usage:
  telemetry.py -f PREFIX [-n COUNT] [-i SECONDS] COMMAND
      print COUNT replies, SECONDS apart, one JSON line each:
      {"t": <monotonic seconds>, "reply": <value of the reply>}
      (COUNT >= 1; a command the process does not have, not in the reply
      to "/", is an error, exit 1, rather than a null reply)
  telemetry.py -f PREFIX --until KEY=MIN [--timeout SECONDS] COMMAND
      wait until the socket answers and reply[KEY] >= MIN (exit 1 on timeout,
      saying the last value seen; a value that is not an integer never meets MIN;
      a command the process does not have is an error at once, exit 1)
"""

import argparse
import json
import os
import socket
import sys
import time


def socket_path(prefix):
    """Path of the telemetry socket of the DPDK process with this file prefix,
    as DPDK's EAL makes it: by the real uid, XDG_RUNTIME_DIR or else /tmp
    (not TMPDIR) for a user other than root."""
    if os.getuid() == 0:
        base = "/var/run/dpdk"
    else:
        base = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    return os.path.join(base, prefix, "dpdk_telemetry.v2")


class Telemetry:
    """One connection; raises OSError or ValueError when the server misbehaves."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.connect(path)
            greeting = json.loads(self.sock.recv(4096).decode())
        except (OSError, ValueError):
            self.sock.close()
            raise
        self.max_len = int(greeting.get("max_output_len", 16384))

    def query(self, command):
        """Send one command; return the value of its reply (None if unknown)."""
        self.sock.send(command.encode())
        reply = json.loads(self.sock.recv(self.max_len).decode())
        return reply.get(command.split(",", 1)[0])

    def known(self, command):
        """Whether the process has @command (its name, before the first ","):
        the reply to "/" lists them. An unknown command's reply is null, as
        is a known one's for some parameters (an NF id not attached)."""
        names = self.query("/")
        return not isinstance(names, list) or command.split(",", 1)[0] in names

    def close(self):
        self.sock.close()


class UnknownCommand(Exception):
    """The process has no such command: no reply will ever have the key."""


def wait_until(path, command, key, minimum, timeout, seen=None):
    """Poll until reply[key] >= minimum; return the reply, or None on timeout.

    Raises UnknownCommand as soon as the process answers that it has no
    @command. With @seen (a dict), seen[key] is left holding the last value read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            tel = Telemetry(path)
            try:
                if not tel.known(command):
                    raise UnknownCommand(command.split(",", 1)[0])
                while time.monotonic() < deadline:
                    reply = tel.query(command)
                    if isinstance(reply, dict):
                        value = reply.get(key)
                        if seen is not None:
                            seen[key] = value
                        # a name (a string), a list or null is no count
                        if (isinstance(value, int) and not isinstance(value, bool) and
                                value >= minimum):
                            return reply
                    time.sleep(0.1)
            finally:
                tel.close()
        except (OSError, ValueError):
            time.sleep(0.1)
    return None


def main():
    ap = argparse.ArgumentParser(description="Query a DPDK telemetry socket.")
    ap.add_argument("-f", "--file-prefix", required=True)
    ap.add_argument("-n", "--count", type=int, default=1)
    ap.add_argument("-i", "--interval", type=float, default=1.0)
    ap.add_argument("--until", metavar="KEY=MIN")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("command")
    args = ap.parse_args()
    if args.count < 1:
        ap.error(f"-n {args.count}: COUNT is at least 1")
    if not 0 <= args.interval < float("inf"):
        ap.error(f"-i {args.interval:g}: SECONDS is a finite number >= 0")
    if not 0 < args.timeout < float("inf"):
        ap.error(f"--timeout {args.timeout:g}: SECONDS is a finite number > 0")
    path = socket_path(args.file_prefix)

    if args.until:
        key, _, minimum = args.until.partition("=")
        if not key:
            ap.error(f"--until {args.until}: KEY is empty")
        try:
            minimum = int(minimum or 1)
        except ValueError:
            ap.error(f"--until {args.until}: MIN is not an integer")
        seen = {}
        try:
            reply = wait_until(path, args.command, key, minimum, args.timeout, seen)
        except UnknownCommand as e:
            print(f"telemetry: {path}: no command {e} (\"/\" lists them)", file=sys.stderr)
            return 1
        if reply is None:
            print(f"telemetry: {path}: no reply with {key} >= {minimum} "
                  f"within {args.timeout:g} s (last {key}: {json.dumps(seen.get(key))})",
                  file=sys.stderr)
            return 1
        return 0

    try:
        tel = Telemetry(path)
    except (OSError, ValueError) as e:
        print(f"telemetry: {path}: {e}", file=sys.stderr)
        return 1
    try:
        if not tel.known(args.command):
            print(f"telemetry: {path}: no command {args.command.split(',', 1)[0]} "
                  "(\"/\" lists them)", file=sys.stderr)
            return 1
        start = time.monotonic()
        for i in range(args.count):
            # Keep a fixed schedule so the query time does not add up.
            delay = start + i * args.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic()
            reply = tel.query(args.command)
            t = (t + time.monotonic()) / 2
            print(json.dumps({"t": t, "reply": reply}), flush=True)
    except (OSError, ValueError) as e:
        print(f"telemetry: {path}: {e}", file=sys.stderr)
        return 1
    finally:
        tel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
