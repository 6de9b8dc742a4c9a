#!/usr/bin/python3
"""Write a pcap of IPv4 UDP/TCP flows for the demo and the benchmarks.

gen_traffic.py OUT.pcap [--flows N] [--size BYTES] [--src NET] [--dst NET]
Flows go from hosts of --src to hosts of --dst (10.0.1.0/24 -> 10.0.2.0/24 by
default), one packet per flow, frames of --size bytes (Ethernet, no FCS).
"""
import argparse
import ipaddress
import sys

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, default=256)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--src", default="10.0.1.0/24")
    ap.add_argument("--dst", default="10.0.2.0/24")
    a = ap.parse_args()
    if not 60 <= a.size <= 1514:
        sys.exit("--size must be 60..1514")
    src = list(ipaddress.ip_network(a.src).hosts())
    dst = list(ipaddress.ip_network(a.dst).hosts())
    pkts = []
    for i in range(a.flows):
        l4 = (UDP if i % 2 else TCP)(sport=1024 + i % 60000, dport=80 + i % 7)
        p = Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") / IP(
            src=str(src[i % len(src)]), dst=str(dst[(i * 7) % len(dst)]), ttl=64) / l4
        pad = a.size - len(p)
        if pad > 0:
            p = p / Raw(b"\x00" * pad)
        pkts.append(p)
    wrpcap(a.out, pkts)


if __name__ == "__main__":
    main()
