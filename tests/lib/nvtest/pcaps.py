"""pcap files as lists of frames (bytes), and packet-by-packet comparison.

A small reader/writer of the classic pcap format (both byte orders,
microsecond and nanosecond magic) so that frames go through byte-exact:
net_pcap writes nanosecond pcaps, scapy writes microsecond ones.
"""

import struct

LINKTYPE_ETHERNET = 1
MAGIC_US = 0xa1b2c3d4
MAGIC_NS = 0xa1b23c4d


def write(path, frames, snaplen=65535):
    """Write @frames (iterable of bytes) to @path as an Ethernet pcap, 1 ms apart."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_US, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))
        for i, frame in enumerate(frames):
            sec, usec = divmod(i * 1000, 1000000)
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(bytes(frame))


def read(path):
    """Frames of pcap @path as a list of bytes. Raises ValueError on a bad or truncated file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than a pcap header")
    for endian in ("<", ">"):
        magic = struct.unpack_from(endian + "I", data, 0)[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise ValueError(f"{path}: not a pcap file (magic {data[:4].hex()})")
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != LINKTYPE_ETHERNET:
        raise ValueError(f"{path}: link type {linktype}, expected Ethernet")
    frames = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError(f"{path}: truncated record header at byte {off}")
        _sec, _frac, caplen, wirelen = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        if off + caplen > len(data):
            raise ValueError(f"{path}: truncated packet {len(frames)} at byte {off}")
        if caplen != wirelen:
            raise ValueError(f"{path}: packet {len(frames)} captured {caplen} of {wirelen} bytes")
        frames.append(data[off:off + caplen])
        off += caplen
    return frames


def field_name(offset):
    """What an offset of an untagged Ethernet/IPv4 frame holds, for messages."""
    names = [(0, 6, "dst MAC"), (6, 12, "src MAC"), (12, 14, "ethertype"),
             (22, 23, "IPv4 TTL"), (24, 26, "IPv4 header checksum")]
    for lo, hi, name in names:
        if lo <= offset < hi:
            return name
    return f"byte {offset}"


def diff_one(expected, actual):
    """A one-line description of how two frames differ; '' when equal."""
    if expected == actual:
        return ""
    if len(expected) != len(actual):
        return f"length {len(actual)}, expected {len(expected)}"
    first = next(i for i in range(len(expected)) if expected[i] != actual[i])
    return (f"{field_name(first)} differs (offset {first}: "
            f"got {actual[first:first + 6].hex()}, expected {expected[first:first + 6].hex()})")


def compare(expected, actual, limit=8):
    """Compare two frame lists in order; a list of messages, empty when identical."""
    msgs = []
    if len(expected) != len(actual):
        msgs.append(f"{len(actual)} packets, expected {len(expected)}")
    for i, (exp, act) in enumerate(zip(expected, actual)):
        d = diff_one(exp, act)
        if d:
            msgs.append(f"packet {i}: {d}")
            if len(msgs) >= limit:
                msgs.append("...")
                break
    return msgs
