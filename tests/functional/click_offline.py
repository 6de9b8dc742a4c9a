#!/usr/bin/env python3
"""click_offline: Click's fake IP router runs unmodified; language and element edges.

netvm-click --offline, no root, no core engine.

  fake-iprouter  tests/click/conf/fake-iprouter.click as Click ships it (its
                 DATA carries comments inside the \\<...> hex): every one of
                 its 600 000 UDP packets from 1.0.0.1 to 2.0.0.2 arrives on
                 interface 1, matches only the default route (output 1, via
                 18.26.4.1) and leaves by out0's Discard; nothing reaches the
                 other sinks (counts by reading the file, not by running it)
  hex comments   slash-star and slash-slash comments inside \\<...> are
                 skipped, a '>' or ',' inside them included
  Script         64-bit integers wrap: INT64_MIN mod / idiv -1 (a SIGFPE
                 before), add and neg past the ends
                 read and print of an empty value: an empty line, as Click's
                 read of a table or statistics: the lines, then an empty line
                 (Click's value ends in a newline, its read adds one)
                 a step write ends a wait TIME, and $? is the last write's status,
                 as Click's
  names          an element name component of digits alone is refused; an
                 anonymous compound takes arguments
  Print          CONTENTS NONE prints no bytes
  payload        ToIPSummaryDump writes the payload field FromIPSummaryDump read
  lengths        FromIPSummaryDump makes the headers (ip_hl, tcp_off) and notes the
                 rest of ip_len as extra length: IPPrint's SEQLEN, packet and IP
                 lengths, ToIPSummaryDump's ip_len and payload_len, before and
                 after Truncate
  dump fields    icmp_type by name, icmp_type_name, direction (> <), tcp_urp; no
                 checksum without CHECKSUM true, no TCP flag unless given
  dump writer    ToIPSummaryDump as Click's writers: link/paint names, TCP flags with C
                 and N, an ICMP payload from its header, $ quoted, ip_frag, ip_sum,
                 udp_len, icmp_flowid/seq/nextmtu, ip_capture_len; quoted field names
  dump options   ToIPSummaryDump's ip_opt (rr, ssrr, ts), tcp_opt, tcp_ntopt,
                 tcp_sack (a malformed list "?"), icmp_code_name, payload_md5_hex
                 (RFC 1321's vectors) and payload_md5, wire_len, eth_src/eth_dst;
                 FromIPSummaryDump builds those options, the Ethernet header,
                 aggregate, first_timestamp and wire_len
  sources        InfiniteSource, RatedSource, TimedSource send Click's default text;
                 LENGTH (DATASIZE) cuts or repeats DATA; BURST 0 refused in Click's words;
                 a RATE or BANDWIDTH out of the clock's range, nan or hex refused;
                 the keywords Click's sources lack (TimedSource's LENGTH, ...)
                 refused, InfiniteSource's STOP with END_CALL too, HEADROOM an integer;
                 as Click's, a pull RatedSource's active write starts no timer, a
                 source active again makes up no packets for its pause, a reset
                 after LIMIT starts it again, a pull one saves up only its bucket
  IPPrint        ICMP errors by type and code name (an unreachable with the quoted
                 destination, protocol and port), PAINT before the addresses,
                 CONTENTS hex laid out as Click's (checksums worked out here)
  ICMPError      as Click's: TTL 200, USE_FIX_ANNO false, no error for a destination
                 that is not unicast, an invalid source or an ICMP error; a TYPE
                 that is no error refused; the parameter problem pointer for code
                 0 only; handlers src, mtu, pmtu; a source route reversed into the
                 error, no redirect for a source-routed packet
  CheckIPHeader  source addresses checked only with BADSRC, GOODDST, INTERFACES or
                 the old positional list; Click's reasons and drop_details (DETAILS);
                 CheckIPHeader2 without the checksum
  Check*Header   CheckTCPHeader, CheckUDPHeader, CheckICMPHeader: Click's reasons and
                 messages, ICMP lengths by type, drop_details
  IPFragmenter   DF packets to output 1 with Click's line (first five); HONOR_DF false
                 clears DF; Click's MTU message
  filter errors  IPFilter/IPClassifier errors as Click words them: "pattern N: ",
                 "slot 'K' out of range", "unknown slot ID 'W'"
  small          SetIPChecksum, SetTCPChecksum, SetUDPChecksum (checked by the Check
                 elements), StripToNetworkHeader, PushNull, PullNull, AlignmentInfo
  UDPIPEncap     ports by number or name, as Click's: the well-known list, the
                 services database's UDP names
  ip fields      SetIPDSCP, MarkIPCE (FORCE), StoreIPAddress keep the checksum right;
                 ip_ecn and ip_dscp fields
  dump handlers  FromIPSummaryDump's active (DriverManager starts a second
                 source after the first stopped), stop and encap handlers
  ftp            FTPPortMapper's rewritten PORT command: TCPRewriter moves the
                 client's later sequence numbers and the server's acks from the
                 command's end on, not those before it; the server's acks without the
                 ACK flag and its SACK blocks moved back too, the checksum right
  options        -qh H, -qe CONFIG, -hH, --handler=H, --expression=E as Click's
                 driver takes them; an unknown global handler prints no header; a
                 second configuration refused; --help prints every option, exit 0
  count call     Counter COUNT_CALL / BYTE_COUNT_CALL write a handler as the count
                 reaches N, before the packet goes on; the count_call and
                 byte_count_call handlers set a new call
  queue full     a push InfiniteSource sleeps while its Queue is full (not a
                 SimpleQueue's, as Click's); capacity
                 written smaller drops the excess, larger wakes the source; the
                 first drop prints Click's overflow line; reset sends the packets
                 out of output 1, as Click's; Discard's BURST 0 and ACTIVE false as
                 Click's; ToDevice's positional BURST, DEVNAME keyword; Unqueue with a negative
                 BURST pulls until nothing comes back
  timing         FromIPSummaryDump TIMING true spaces packets as their timestamps
                 (--simtime); IPRewriter REPLY_ANNO PAINT, GUARANTEE
  patterns       rewriter patterns SADDR DADDR and SADDR DADDR SPORT; the patterns and
                 patternN handlers as Click writes them; nmappings counts those held
  full table     GUARANTEE 0: a new flow that would expire before every mapping is
                 refused (mapping_failures), else the one expiring first evicted
  dump protocols !proto, PROTO and ip_proto take protocol names; icmp_flowid and
                 icmp_seq read into echoes
  ping zeros     ICMPPingRewriter gives a reply of zeros checksum FFFF, not 0
  UDPRewriter    TCP and UDP flows mapped alike; TCP keywords refused
  route names    a route's NAME is the address, NAME:ipnet the prefix, NAME:bcast
                 the broadcast address; the table in the routes' order
  table          StaticIPLookup's routes as ADDR/LEN (ADDR/MASK for a mask
                 that is no prefix), as Click writes them
  Unstrip        past the headroom: dropped and counted
  pcap           a --from-pcap/--to-pcap device no element names is refused;
                 FromDevice counts its frames and types broadcast and multicast
                 ones (DropBroadcasts, ICMPError), as Click's
  simtime        the simulated clock moves on 1 µs per request of the time
  -h             a class name for the element prints every one with headers;
                 ports as Click writes it; an element name of 300 characters
                 is read, or said to match nothing
  Print          CONTENTS ASCII as Click lays it out; the active handler
  route errors   the routing tables' configuration errors in Click's words
  ToDump         SNAPLEN 0 no limit, the time for a packet without a timestamp,
                 filename/count/reset_counts, Click's ENCAP message; NANO
                 (nanosecond file and timestamps, read back by FromDump);
                 UNBUFFERED and a failed write (/dev/full: the header refused
                 at once, or the writing ended, said once); USE_ENCAP_FROM and
                 its errors; FromDump's SAMPLE (and sampling_prob),
                 START/START_AFTER/END/END_AFTER/INTERVAL, TIMING (pushed and
                 pulled), count, encap, filename, filesize, filepos, active
                 and stop
  ARPQuerier     insert, delete, clear, ipaddr and broadcast handlers; replies
                 learned only when Ethernet/IP from a unicast sender, responses
                 counting every frame of 42 bytes or more; a packet without the
                 destination-IP annotation dropped, said once; drops and stats's
                 packets killed counted apart, as Click's querier and table;
                 CAPACITY 0 no limit, unsigned capacities, TABLE refused
  Unqueue        active, limit, burst and reset handlers
  DecIPTTL       the active handler
  IPGWOptions    OTHERADDRS names from AddressInfo (a flag 3 Timestamp filled in)
  Counter        rate, byte_rate and bit_rate
  handlers       a rewriter's patternN and class handlers, drop_details,
                 Script's exported variables listed
  SIGNAL         Script TYPE SIGNAL as Click documents it: the script runs for its
                 signal, again after `end` for one that came during the run; after
                 `exit` or `error`, or while it waits, the signal's default action;
                 an unknown signal, none, or KILL refused
  PACKET         Script TYPE PACKET as Click's Script-01, Script-05 and Unqueue-01
                 tests: end, exit, return N, a Script with ports runs per packet,
                 $input, goto end/exit/error; Click's port errors
  Tee            N other than the outputs used refused in Click's words
  Classifier     VALUE and MASK of an even number of digits, equally long; "! "
                 before a clause; Click's messages
  IPPrint        no line for a packet without the IP header annotation, truncated-ip
                 for a header shorter than 20 bytes, CONTENTS and PAYLOAD not both, as
                 Click's
  dump header    ToIPSummaryDump's BANNER quoted as Click's cp_quote; 40 fields
                 written and read, none left out
  SetIPAddress   Click's IPADDR keyword, ANNO a keyword (DST_IP only), the addr
                 handler; FixIPSrc takes IPADDR alone
  Switch         an OUTPUT past the last output refused, a write past it -1, config
                 the current output, as Click's
  no arguments   Null, StripIPHeader and the other classes without arguments refuse
                 them, as Click's; Align's MODULUS and OFFSET checked as Click's
  SetTimestamp   FIRST true sets the first-timestamp annotation, not the timestamp
  big            a chain of 200 000 elements (the documented limit) parses and
                 runs (names are indexed: it took minutes at 100 000); one
                 more is refused
"""

import hashlib
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

CLICK = "apps/click/netvm-click"
INT64_MIN = -(2 ** 63)


def click(env, *args, timeout=120):
    """Run netvm-click --offline ARGS; (exit status, stdout, stderr); status None
    when it did not end within @timeout s (a hang is a failed check, not a crash)."""
    try:
        r = subprocess.run([env.binary(CLICK), "--offline"] + list(args), capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", f"netvm-click did not end within {timeout} s"
    return r.returncode, r.stdout, r.stderr


def handlers(text):
    """'NAME.HANDLER:\\nVALUE\\n\\n' blocks of -h into {NAME.HANDLER: VALUE}."""
    out = {}
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        if len(lines) >= 2 and lines[0].endswith(":"):
            out[lines[0][:-1]] = "\n".join(lines[1:])
    return out


def fake_iprouter(env, chk):
    conf = os.path.join(env.source_dir, "tests", "click", "conf", "fake-iprouter.click")
    rc, out, err = click(env, "-h", "*.count", conf)
    chk.eq(rc, 0, "fake-iprouter.click runs, exit 0")
    counts = handlers(out)
    chk.eq(counts.get("InfiniteSource@4.count"), "600000", "the source sent its LIMIT 600000")
    chk.eq(counts.get("Discard@6.count"), "600000",
           "all of them routed by the default route out of interface 0 (out0's Discard)")
    others = {k: v for k, v in counts.items()
              if k not in ("InfiniteSource@4.count", "Discard@6.count")}
    chk.ok(others and all(v == "0" for v in others.values()),
           f"the {len(others)} other sinks got nothing", str(others))
    chk.eq(err.strip(), "", "nothing on stderr")


def hex_comments(env, chk):
    conf = ("InfiniteSource(DATA \\<00 01 /* a comment, with > and , */ 02 // to the line's end > ,\n"
            " 03 04>, LIMIT 1, STOP true) -> Print(x, CONTENTS HEX) -> Discard")
    rc, out, err = click(env, "-e", conf)
    chk.ok(rc == 0 and err.strip() == "x:    5 | 00010203 04",
           "comments inside \\<...> are skipped", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-e", "InfiniteSource(DATA \\<00 /* open, LIMIT 1) -> Discard")
    chk.ok(rc != 0 and "unterminated" in err, "an unclosed comment inside \\<...> is an error",
           f"rc={rc} {err!r}")


def script_ints(env, chk):
    for expr, want in ((f"mod {INT64_MIN} -1", "0"),
                       (f"idiv {INT64_MIN} -1", str(INT64_MIN)),
                       (f"add {2 ** 63 - 1} 1", str(INT64_MIN)),
                       (f"neg {INT64_MIN}", str(INT64_MIN)),
                       (f"abs {INT64_MIN}", str(INT64_MIN)),
                       (f"mul {2 ** 62} 4", "0"),
                       ("idiv -7 2", "-3"),
                       ("mod -7 2", "-1")):
        rc, out, err = click(env, "-e", f"Script(print $({expr}))")
        chk.ok(rc == 0 and out.strip() == want, f"$({expr}) = {want}",
               f"rc={rc} out={out!r} err={err!r}")


def names(env, chk):
    for conf, bad in (("123 :: Idle", "123"), ("Idle -> a/1 :: Discard", "a/1")):
        rc, out, err = click(env, "-e", conf)
        chk.ok(rc != 0 and f"element name '{bad}' has all-digit component" in err,
               f"'{bad}' refused as an element name", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-e", "a1/2b :: Idle -> Discard")
    chk.ok(rc == 0 and err == "", "'a1/2b' is a name", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-e", "InfiniteSource(DATA \\<0102>, LIMIT 1, STOP true) "
                         "-> { $a | input -> Print($a) -> output }(hi) -> Discard")
    chk.ok(rc == 0 and err == "hi:    2 | 0102\n",
           "an anonymous compound takes its arguments: { $a | ... }(hi)", f"rc={rc} {err!r}")


def print_none(env, chk):
    rc, out, err = click(env, "-e", "InfiniteSource(DATA \\<0a0b0c>, LIMIT 2, STOP true) "
                         "-> Print(p, CONTENTS NONE) -> Discard")
    chk.ok(rc == 0 and err.splitlines() == ["p:    3", "p:    3"],
           "Print(CONTENTS NONE): the label and length, no bytes", f"rc={rc} {err!r}")
    # ASCII: a space before every group of 8 characters, the first one too (Click's)
    rc, out, err = click(env, "-e", "InfiniteSource(DATA \\<61626364 65666768 69 0a>, LIMIT 1,"
                         " STOP true) -> Print(p, CONTENTS ASCII) -> Discard")
    chk.eq((rc, err), (0, "p:   10 |  abcdefgh i.\n"), "Print(CONTENTS ASCII)'s groups")


def class_handlers(env, chk):
    conf = "InfiniteSource(LIMIT 3, STOP true) -> a :: Counter -> b :: Counter -> Discard"
    rc, out, err = click(env, "-h", "Counter.count", "-e", conf)
    chk.eq(out, "a.count:\n3\n\nb.count:\n3\n\n",
           "-h CLASS.HANDLER: every element of the class, each under its NAME.HANDLER header")
    rc, out, err = click(env, "-h", "a.count", "-e", conf)
    chk.eq(out, "3\n", "-h NAME.HANDLER: the value alone")
    # an element's name has no length limit, nor has -h's
    long_name = "n" * 300
    rc, out, err = click(env, "-h", f"{long_name}.count", "-e",
                         conf.replace("a :: Counter", f"{long_name} :: Counter"))
    chk.eq((rc, out), (0, "3\n"), "-h of a 300-character element name: its value")
    rc, out, err = click(env, "-h", f"{long_name}.count", "-e", conf)
    chk.ok(rc == 1 and f"no read handler matches '{long_name}.count'" in err,
           "-h of a 300-character name no element has: exit 1, says so", f"{rc} {err!r}")
    # ports as Click's Router::element_ports_string: KIND[~ agnostic] TAB -
    # TAB sources "NAME [P]" / destinations "[P] NAME", in element order
    conf = ("a :: InfiniteSource -> q :: Queue -> u :: Unqueue -> c :: Counter -> Discard; "
            "b :: InfiniteSource -> q; q[1] -> Discard")
    rc, out, err = click(env, "-q", "-e", conf, "-h", "q.ports", "-h", "u.ports",
                         "-h", "c.ports")
    chk.eq((rc, handlers(out)), (0, {
        "q.ports": "1 input\npush\t-\ta [0], b [0]\n2 outputs\npull\t-\t[0] u\n"
                   "push\t-\t[0] Discard@7",
        "u.ports": "1 input\npull\t-\tq [0]\n1 output\npush\t-\t[0] c",
        "c.ports": "1 input\npush~\t-\tu [0]\n1 output\npush~\t-\t[0] Discard@5"}),
        "ports: kinds, agnostic '~', no counts, connections")


def payload(env, chk):
    # FromIPSummaryDump reads a payload, ToIPSummaryDump writes it back
    data = ('!data ip_src ip_dst ip_proto sport dport payload\n'
            '1.0.0.1 2.0.0.2 T 10 80 "GET /\\r\\n\\"q\\" \\\\ \\001x"\n'
            '1.0.0.1 2.0.0.2 U 10 53 ""\n')
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> ToIPSummaryDump(-, FIELDS ip_proto payload "
            "payload_len)" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq(out.splitlines()[2:], ['T "GET /\\r\\n\\"q\\" \\\\ \\001x" 15', 'U "" 0'],
           "ToIPSummaryDump writes the payload FromIPSummaryDump read (escaped, quoted)")


def lengths(env, chk):
    # As Click: FromIPSummaryDump builds the headers (ip_hl and tcp_off bytes)
    # and notes the rest of ip_len as extra length. IPPrint's TCP line reads
    # SEQ:END(SEQLEN,PACKET,IP_LEN): SEQLEN = ip_len - ip_hl - tcp_off, plus
    # one for SYN and one for FIN; PACKET the bytes the packet holds.
    rows = [(1500, 40, 20, "A"), (1000, 20, 20, "SA"), (1000, 20, 40, "SF"),
            (1000, 32, 40, "A"), (41, 20, 20, "PA")]
    data = "!data src dst sport dport proto ip_len ip_hl tcp_off tcp_flags\n" + "".join(
        f"1.0.0.1 1.0.0.2 10 20 T {ln} {hl} {off} {fl}\n" for ln, hl, off, fl in rows)
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> IPPrint(TIMESTAMP false) -> "
            "ToIPSummaryDump(-, FIELDS ip_len ip_hl tcp_off payload_len)" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    want = []
    for ln, hl, off, fl in rows:
        seqlen = ln - hl - off + ("S" in fl) + ("F" in fl)
        shown = "".join(c for c in "SFRP" if c in fl) or "."
        ack = " ack 0" if "A" in fl else ""
        want.append(f"1.0.0.1.10 > 1.0.0.2.20: {shown} 0:{seqlen}({seqlen},{hl + off},{ln})"
                    f"{ack} win 0")
    chk.eq((rc, err.splitlines()), (0, want),
           "IPPrint: headers in the packet, ip_len's rest as extra length")
    chk.eq(out.splitlines()[2:], [f"{ln} {hl} {off} {ln - hl - off}" for ln, hl, off, _ in rows],
           "ToIPSummaryDump: ip_len, ip_hl, tcp_off and payload_len as read")
    # UDP with 10 bytes of payload (38 in all) cut to 30: the 8 bytes cut are
    # extra length, ip_len stays 38 (it was counted twice: 46)
    data = '!data proto sport dport payload\nU 1 2 "0123456789"\n'
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> Truncate(30) -> Print(MAXLENGTH 0) -> "
            "ToIPSummaryDump(-, FIELDS ip_len payload_len)" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.strip(), out.splitlines()[2:]), (0, "30", ["38 10"]),
           "after Truncate: 30 bytes held, ip_len and payload_len unchanged")


def dump_fields(env, chk):
    # icmp_type by name, icmp_type_name, direction as > and <, tcp_urp; as
    # Click, no checksum unless CHECKSUM true and no TCP flag unless given
    data = ("!data proto icmp_type direction\nI echo >\nI 11 <\n"
            "!data proto tcp_urp\nT 7\n")
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> Print(MAXLENGTH 12) -> "
            "ToIPSummaryDump(-, FIELDS icmp_type icmp_type_name direction tcp_flags tcp_urp)"
            % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()[2:]), (0, ["8 echo > - -", "11 timeexceeded < - -",
                                            "- - > . 7"]),
           "ICMP type names, direction, no TCP flag by default, tcp_urp")
    # ver/ihl 45, tos 0, length 28; id, fragment 0; ttl 100 (0x64), proto 1,
    # checksum 0000 (CHECKSUM false)
    chk.eq(err.splitlines()[0], "  28 | 4500001c 00000000 64010000",
           "no IP checksum without CHECKSUM true")


def cp_quote(data):
    """Click's cp_quote: double quotes; backslash before \\, " and $; \\t \\r \\n;
    other bytes outside 32..126 as three octal digits."""
    out = ""
    for b in data:
        c = chr(b)
        if c in '\\"$':
            out += "\\" + c
        elif c in "\t\r\n":
            out += {"\t": "\\t", "\r": "\\r", "\n": "\\n"}[c]
        elif b < 32 or b >= 127:
            out += "\\%03o" % b
        else:
            out += c
    return '"' + out + '"'


def dump_writer(env, chk):
    # ToIPSummaryDump as Click's field writers: link and paint keep their
    # names; TCP flags FSRPAUECN (NS the offset byte's low bit); an ICMP
    # packet's payload starts at the ICMP header (only TCP's and UDP's headers
    # are left out); $ quoted; ip_frag, ip_sum, udp_len, icmp_flowid, icmp_seq,
    # icmp_nextmtu, ip_capture_len, ts_usec1; quoted names with spaces, "frag"
    # for ip_frag; Click's message for an unknown field
    tcp = bytearray(l4_packet(6, struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 0x51, 0x92, 512, 0, 0)
                              + b"a$b", cksum_at=16))
    tcp[6:8] = struct.pack("!H", 0x4000)  # DF
    tcp[10:12] = b"\0\0"
    tcp[10:12] = struct.pack("!H", csum(bytes(tcp[:20])))
    echo = l4_packet(1, struct.pack("!BBHHH", 8, 0, 0, 0x0102, 0x0304) + b"\x01z\n\x7f",
                     cksum_at=2)
    udp = bytearray(l4_packet(17, struct.pack("!HHHH", 5, 6, 11, 0) + b"xyz"))
    udp[6:8] = struct.pack("!H", 0x2000)  # MF, offset 0: a first fragment
    udp[10:12] = b"\0\0"
    udp[10:12] = struct.pack("!H", csum(bytes(udp[:20])))
    needfrag = l4_packet(1, struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + bytes(28), cksum_at=2)
    srcs = "; ".join("InfiniteSource(DATA %s, LIMIT 1, STOP %s) -> CheckIPHeader -> d"
                     % (data_arg(bytes(p)), "true" if i == 3 else "false")
                     for i, p in enumerate((tcp, echo, udp, needfrag)))
    fields = ("link paint 'ip src' frag tcp_flags payload_len payload ip_sum udp_len icmp_flowid "
              "icmp_seq icmp_nextmtu ip_capture_len")
    rc, out, err = click(env, "-e", "d :: ToIPSummaryDump(-, FIELDS %s); %s" % (fields, srcs))
    def sum_of(pkt):
        return str(struct.unpack("!H", bytes(pkt[10:12]))[0])
    want = ["!IPSummaryDump 1.3",
            "!data link paint ip_src ip_frag tcp_flags payload_len payload ip_sum udp_len "
            "icmp_flowid icmp_seq icmp_nextmtu ip_capture_len",
            "0 0 1.0.0.1 ! SACN 3 %s %s - - - - %d" % (cp_quote(b"a$b"), sum_of(tcp), len(tcp)),
            "0 0 1.0.0.1 . - 12 %s %s - 258 772 - %d" % (cp_quote(echo[20:]), sum_of(echo),
                                                       len(echo)),
            "0 0 1.0.0.1 F - 3 %s %s 11 - - - %d" % (cp_quote(b"xyz"), sum_of(udp), len(udp)),
            "0 0 1.0.0.1 . - 36 %s %s - - - 1400 %d" % (cp_quote(needfrag[20:]),
                                                      sum_of(needfrag), len(needfrag))]
    chk.eq((rc, out.splitlines()), (0, want), "Click's field names, values and quoting")
    rc, out, err = click(env, "-q", "-e", "Idle -> ToIPSummaryDump(-, FIELDS ip_src bogus)")
    chk.ok(rc == 1 and "unknown content type 'bogus'" in err, "an unknown field as Click says it",
           err)


# RFC 1321, appendix A.5: the test suite's inputs and digests
MD5_SUITE = [
    (b"", "d41d8cd98f00b204e9800998ecf8427e"),
    (b"a", "0cc175b9c0f1b6a831c399e269772661"),
    (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
    (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
    (b"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"),
    (b"1234567890" * 8, "57edf4a22be3c955ac49da2e2107b67a"),
]


def md5_text(hexdigest):
    """Click's 22-character MD5 text: 6 bits a character, least significant first."""
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@"
    n = int.from_bytes(bytes.fromhex(hexdigest), "little")
    return "".join(chars[(n >> b) & 63] for b in range(0, 128, 6))


def dump_options(env, chk):
    # writer: IP options record route (one of three slots filled), strict
    # source route (pointer at the second address) and timestamps (one of
    # two, overflow 2); TCP options mss, nop, wscale, sackok, timestamp,
    # sack; a nop-nop-timestamp list alone (tcp_ntopt and tcp_sack "."); an
    # mss of length 3 ("?"); ICMP code names; payload MD5s; wire_len
    rr = bytes([7, 15, 8, 2, 3, 4, 5]) + bytes(8) + b"\0"
    ssrr_ts = (bytes([137, 11, 8, 1, 1, 1, 1, 2, 2, 2, 2]) +
               bytes([68, 12, 9, 0x20, 0, 0, 0, 5, 0, 0, 0, 0]) + b"\0")
    tcpopts = (bytes([2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10]) + struct.pack("!II", 5, 6) +
               bytes([5, 10]) + struct.pack("!II", 1, 10) + b"\0\0")

    def tcp(opts, payload=b""):
        return struct.pack("!HHIIBBHHH", 1, 2, 0, 0, (20 + len(opts)) // 4 << 4, 0x10, 0, 0,
                           0) + opts + payload
    pkts = [
        ip_packet("1.0.0.1", "2.0.0.2", 6, tcp(tcpopts, b"abc"), rr),
        ip_packet("1.0.0.1", "2.0.0.2", 6, tcp(bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2])),
                  ssrr_ts),
        ip_packet("1.0.0.1", "2.0.0.2", 6, tcp(bytes([2, 3, 0, 0]))),
        ip_packet("1.0.0.1", "2.0.0.2", 1, struct.pack("!BBHHH", 3, 4, 0, 0, 1400)),
        ip_packet("1.0.0.1", "2.0.0.2", 1, struct.pack("!BBHI", 11, 1, 0, 0)),
        ip_packet("1.0.0.1", "2.0.0.2", 1, struct.pack("!BBHI", 3, 99, 0, 0)),
    ]
    pkts += [ip_packet("1.0.0.1", "2.0.0.2", 17, struct.pack("!HHHH", 7, 9, 8 + len(m), 0) + m)
             for m, _ in MD5_SUITE]
    srcs = "; ".join("InfiniteSource(DATA %s, LIMIT 1, STOP %s) -> CheckIPHeader -> d"
                     % (data_arg(p), "true" if i == len(pkts) - 1 else "false")
                     for i, p in enumerate(pkts))
    fields = "ip_opt tcp_opt tcp_ntopt tcp_sack icmp_code_name payload_md5_hex wire_len"
    rc, out, err = click(env, "-e", "d :: ToIPSummaryDump(-, FIELDS %s); %s" % (fields, srcs))
    md5_empty = MD5_SUITE[0][1]
    want = ["rr{2.3.4.5}+2 mss1460;wscale7;sackok;ts5:6;sack1-10 mss1460;wscale7;sackok;sack1-10"
            " sackok;sack1-10 - %s %d" % (MD5_SUITE[2][1], len(pkts[0])),
            "ssrr{1.1.1.1^2.2.2.2};ts{5}+1++2 ts1:2 . . - %s %d" % (md5_empty, len(pkts[1])),
            ". ? ? ? - %s %d" % (md5_empty, len(pkts[2])),
            ". - - - needfrag %s 28" % hashlib.md5(pkts[3][20:]).hexdigest(),
            ". - - - reassembly %s 28" % hashlib.md5(pkts[4][20:]).hexdigest(),
            ". - - - 99 %s 28" % hashlib.md5(pkts[5][20:]).hexdigest()]
    want += [". - - - - %s %d" % (h, 28 + len(m)) for m, h in MD5_SUITE]
    chk.eq((rc, out.splitlines()[1:]), (0, ["!data " + fields] + want),
           "option texts, ICMP code names, MD5 (RFC 1321 suite), wire_len")
    rc, out, err = click(env, "-e", "InfiniteSource(DATA %s, LIMIT 1, STOP true) -> "
                         "CheckIPHeader -> ToIPSummaryDump(-, FIELDS payload_md5)" % data_arg(pkts[8]))
    chk.eq((rc, out.splitlines()[2:]), (0, [md5_text(MD5_SUITE[2][1])]),
           "payload_md5: Click's 22-character text")
    # Ethernet addresses from the header before the IP header; none without one
    frame = bytes.fromhex("0a0b0c0d0e0f" "010203040506" "0800") + pkts[3]
    rc, out, err = click(env, "-e", "InfiniteSource(DATA %s, LIMIT 2, STOP true) -> "
                         "MarkIPHeader(14) -> t :: Tee -> d :: ToIPSummaryDump(-, FIELDS eth_src "
                         "eth_dst wire_len); t[1] -> Strip(14) -> d" % data_arg(frame))
    chk.eq((rc, out.splitlines()[2:]), (0, ["01-02-03-04-05-06 0A-0B-0C-0D-0E-0F 42",
                                            "- - 28"] * 2),
           "eth_src and eth_dst as Click writes them")

    # reader: the options' bytes (padded with end-of-list), an Ethernet header
    # of type IP, ICMP code names by type; annotations and wire_len read back
    data = ("!data eth_src eth_dst src dst ip_opt tcp_sack tcp_opt\n"
            "0:1:2:3:4:a a-b-c-d-e-f 1.0.0.1 2.0.0.2 rr{}+1;ts.ip{1.0.0.1=!8320^}++5 - "
            "mss1460,nop,wscale7;sack1:2,sack3-4\n"
            "- - 1.0.0.1 2.0.0.2 ssrr{1.1.1.1,^2.2.2.2} sack5-6 nop;nop;ts7:8\n"
            "- - 1.0.0.1 2.0.0.2 bogus . tcp_ntopt_only_here\n"
            "!data proto icmp_type icmp_code_name\nI unreachable needfrag\nI timeexceeded 1\n")
    ipo = (bytes([7, 7, 4, 0, 0, 0, 0, 68, 12, 13, 0x51, 1, 0, 0, 1]) + struct.pack("!I", 8320 |
                                                                                   1 << 31))
    ipo += bytes(-len(ipo) % 4)
    tco = bytes([2, 4, 0x05, 0xb4, 1, 3, 3, 7, 5, 18]) + struct.pack("!IIII", 1, 2, 3, 4)
    tco += bytes(-len(tco) % 4)

    def made(opts, tcpo, src="1.0.0.1", dst="2.0.0.2"):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45 + len(opts) // 4, 0, 40 + len(opts) + len(tcpo),
                         0, 0, 100, 6, 0, bytes(map(int, src.split("."))),
                         bytes(map(int, dst.split(".")))) + opts
        return ip + struct.pack("!HHIIBBHHH", 0, 0, 0, 0, (20 + len(tcpo)) // 4 << 4, 0, 0, 0,
                                0) + tcpo
    want = [bytes.fromhex("0a0b0c0d0e0f" "00010203040a" "0800") + made(ipo, tco),
            made(bytes([137, 11, 8, 1, 1, 1, 1, 2, 2, 2, 2, 0]),
                 bytes([1, 1, 8, 10]) + struct.pack("!II", 7, 8)),
            made(b"", b""),
            bytes.fromhex("4500001c000000006401") + bytes(10) + bytes([3, 4]) + bytes(6),
            bytes.fromhex("4500001c000000006401") + bytes(10) + bytes([11, 1]) + bytes(6)]
    rc, out, err = click(env, "-e", "FromIPSummaryDump(DATA %s, STOP true) -> "
                         "Print(MAXLENGTH 200) -> Discard" % json.dumps(data))

    def hexline(b):
        h = b.hex()
        return "%4d | %s" % (len(b), " ".join(h[i:i + 8] for i in range(0, len(h), 8)))
    chk.eq((rc, err.splitlines()), (0, [hexline(b) for b in want]),
           "options, Ethernet header and ICMP codes built as the fields say")
    data = ("!data aggregate first_timestamp wire_len eth_src src ip_len\n"
            "7 12.5 100 - 1.0.0.1 -\n4294967295 3.000001 100 1:2:3:4:5:6 1.0.0.1 -\n"
            "- - 100 - 1.0.0.1 60\n")
    rc, out, err = click(env, "-e", "FromIPSummaryDump(DATA %s, STOP true) -> "
                         "ToIPSummaryDump(-, FIELDS aggregate first_timestamp wire_len ip_len)"
                         % json.dumps(data))
    # wire_len written as Click writes it: the packet's own bytes (IP and
    # TCP headers, 40; 54 with the Ethernet header), the extra length not
    # counted; ip_len from the wire_len read (100 less the Ethernet header)
    chk.eq((rc, out.splitlines()[2:]), (0, ["7 12.500000 40 100", "4294967295 3.000001 54 86",
                                            "0 0.000000 40 60"]),
           "aggregate, first_timestamp, wire_len read (ip_len before wire_len); wire_len "
           "written as the packet's own length")


CLICK_DATA = b"Random bullshit in a packet, at least 64 bytes long. Well, now it is."


def source_data(env, chk):
    # Click's sources send its 69-byte text by default; LENGTH cuts it or
    # repeats it; BURST below 1 is refused with Click's words
    for src in ("InfiniteSource(LIMIT 1, STOP true)", "RatedSource(LIMIT 1, STOP true)",
                "TimedSource(0.01, LIMIT 1, STOP true)"):
        rc, out, err = click(env, "--simtime", "-e", src + " -> Print(x, 200) -> Discard")
        chk.eq((rc, err.splitlines()), (0, [print_lines("x", CLICK_DATA)]),
               f"{src.split('(')[0]}: Click's default data")
    for n in (10, 150):
        rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 1, STOP true, LENGTH %d) -> "
                             "Print(x, 200) -> Discard" % n)
        chk.eq((rc, err.splitlines()), (0, [print_lines("x", (CLICK_DATA * 3)[:n])]),
               f"LENGTH {n}: the data cut or repeated")
    for src in ("InfiniteSource", "RatedSource"):
        rc, out, err = click(env, "--simtime", "-e", f"{src}(LIMIT 1, STOP true, DATASIZE 10) -> "
                             "Print(x, 200) -> Discard")
        chk.eq((rc, err.splitlines()), (0, [print_lines("x", CLICK_DATA[:10])]),
               f"{src}: DATASIZE, Click's older LENGTH")
    rc, out, err = click(env, "-q", "-e", "InfiniteSource(BURST 0) -> Discard")
    chk.ok(rc == 1 and "burst size must be >= 1" in err, "BURST 0 refused as Click says", err)
    # a RatedSource rate whose spacing the router clock cannot hold is refused
    # (RATE 1e-300 or inf sent at once), and so is a BANDWIDTH of nan or in hex
    for arg, msg in (("RATE 1e-300", "the rate must be between"),
                     ("RATE inf", "the rate must be between"),
                     ("BANDWIDTH 1e-300", "the rate must be between"),
                     ("BANDWIDTH nan", "BANDWIDTH: expected bandwidth, got 'nan'"),
                     ("BANDWIDTH 0x10", "BANDWIDTH: expected bandwidth, got '0x10'")):
        rc, out, err = click(env, "-q", "-e", f"RatedSource({arg}) -> Discard")
        chk.ok(rc == 1 and msg in err, f"RatedSource({arg}) refused", f"rc={rc} {err!r}")
    # the keywords each source has in Click, and InfiniteSource's STOP and END_CALL
    # apart, as Click's
    for src, msg in (("TimedSource(1, x, LENGTH 5)", "LENGTH: unknown argument"),
                     ("TimedSource(1, x, TIMESTAMP false)", "TIMESTAMP: unknown argument"),
                     ("TimedSource(1, x, END_CALL c.reset)", "END_CALL: unknown argument"),
                     ("RatedSource(x, 1, 1, true, TIMESTAMP false)", "TIMESTAMP: unknown argument"),
                     ("InfiniteSource(LIMIT 1, STOP true, END_CALL c.reset)",
                      "END_CALL and STOP are mutually exclusive"),
                     ("RatedSource(HEADROOM x)", "HEADROOM: expected integer"),
                     ("TimedSource(HEADROOM -1)", "HEADROOM must be 0..")):
        rc, out, err = click(env, "-q", "-e", f"{src} -> c :: Counter -> Discard")
        chk.ok(rc == 1 and msg in err, f"{src} refused", f"rc={rc} {err!r}")


def source_handlers(env, chk):
    # Click's data, limit, burst, length (and rate) handlers: reads give the
    # values as configured (length -1 when LENGTH is not given), and a write
    # changes the packets sent after it (COUNT_CALL writes after packet 1)
    def run(src, call, *hs):
        conf = ("s :: %s -> Counter(COUNT_CALL 1 %s) -> Print(x, 200) -> Discard"
                % (src, call))
        rc, out, err = click(env, "--simtime", "-e", conf, *[a for h in hs for a in ("-h", h)])
        return rc, out, err.splitlines()

    rc, out, lines = run("InfiniteSource(DATA abc, LIMIT 3, BURST 2, STOP true)", "s.data xyz",
                         "s.data", "s.limit", "s.burst", "s.length")
    chk.eq((rc, lines), (0, [print_lines("x", b"abc")] + [print_lines("x", b"xyz")] * 2),
           "InfiniteSource: a data write changes the packets after it")
    chk.eq(handlers(out), {"s.data": "xyz", "s.limit": "3", "s.burst": "2", "s.length": "-1"},
           "InfiniteSource: data, limit, burst, length read")
    rc, out, lines = run("InfiniteSource(DATA abc, LIMIT 2, STOP true)", "s.limit 4")
    chk.eq((rc, len(lines)), (0, 4), "InfiniteSource: a limit write raises the limit")
    rc, out, lines = run("InfiniteSource(DATA abc, LIMIT 3, STOP true)", "s.length 5", "s.length")
    chk.eq((rc, lines, out.strip()),
           (0, [print_lines("x", b"abc")] + [print_lines("x", b"abcab")] * 2, "5"),
           "InfiniteSource: a length write repeats DATA to the new length")
    rc, out, lines = run("InfiniteSource(DATA abc, LIMIT 2, STOP true)", "s.burst 0")
    chk.ok("burstsize parameter must be integer >= 1" in lines,
           "InfiniteSource: burst 0 refused with Click's words", lines)
    # RatedSource: as Click, a data write makes the packet of DATA alone
    rc, out, lines = run("RatedSource(DATA abc, RATE 1000, LIMIT 3, STOP true, LENGTH 5)",
                         "s.data wxyz", "s.rate", "s.limit", "s.length", "s.data")
    chk.eq((rc, lines), (0, [print_lines("x", b"abcab")] + [print_lines("x", b"wxyz")] * 2),
           "RatedSource: a data write changes the packets after it")
    chk.eq(handlers(out), {"s.rate": "1000", "s.limit": "3", "s.length": "5", "s.data": "wxyz"},
           "RatedSource: rate, limit, length, data read")
    rc, out, lines = run("RatedSource(DATA abc, LIMIT 3, STOP true)", "s.rate 500", "s.rate")
    chk.eq((rc, len(lines), out.strip()), (0, 3, "500"), "RatedSource: a rate write")
    rc, out, lines = run("RatedSource(DATA abc, RATE 2.5, LIMIT 1, STOP true)", "s.limit 1",
                         "s.rate")
    chk.eq((rc, out.strip()), (0, "2.5"), "RatedSource: a fractional RATE read as it is sent")
    rc, out, lines = run("TimedSource(0.01, DATA abc, LIMIT 2, STOP true)", "s.data q",
                         "s.data", "s.limit")
    chk.eq((rc, lines), (0, [print_lines("x", b"abc"), print_lines("x", b"q")]),
           "TimedSource: a data write changes the packets after it")
    chk.eq(handlers(out), {"s.data": "q", "s.limit": "2"}, "TimedSource: data, limit read")


def source_restart(env, chk):
    # as Click's: a pull RatedSource's active write starts no timer of its own
    # (every packet it makes is pulled); a source made active again goes on at
    # its rate from then on (Click's bucket of one token, a timer due now: no
    # packets made up for the pause); a reset starts a RatedSource or a
    # TimedSource that reached its LIMIT again
    def prints(conf, script, simtime=True):
        args = (["--simtime"] if simtime else []) + ["-e", f"{conf}; Script({script}, stop)"]
        rc, out, err = click(env, *args)
        return rc, out.split(), err

    rc, out, err = prints("r :: RatedSource(ACTIVE false) -> Unqueue -> c :: Counter -> Discard",
                          "wait 0.05, write r.active true, wait 0.3, print r.count, "
                          "print c.count", simtime=False)
    chk.ok(rc == 0 and len(out) == 2 and out[0] == out[1] and int(out[0]) > 0,
           "pull RatedSource: an active write makes only what is pulled", (rc, out, err))
    # a pull RatedSource saves up at most Click's token bucket (2 packets below
    # 200 a second) while nothing pulls: not the 10 of a second without pulls
    rc, out, err = prints("r :: RatedSource(RATE 10) -> u :: Unqueue(ACTIVE false) -> "
                          "c :: Counter -> Discard",
                          "wait 1, write u.active true, wait 0.25, print c.count",
                          simtime=False)
    chk.ok(rc == 0 and len(out) == 1 and 2 <= int(out[0]) <= 6,
           "pull RatedSource: no more than its bucket saved up while not pulled",
           (rc, out, err))
    for src in ("TimedSource(0.1)", "RatedSource(RATE 10)"):
        rc, out, err = prints(f"s :: {src} -> c :: Counter -> Discard",
                              "wait 1.05, print c.count, write s.active false, wait 2, "
                              "write s.active true, wait 0.52, print c.count")
        chk.ok(rc == 0 and len(out) == 2 and int(out[1]) - int(out[0]) == 6,
               f"{src}: active again, 6 packets in 0.52 s (no burst)", (rc, out, err))
        lim = src[:-1] + ", LIMIT 2)"
        rc, out, err = prints(f"s :: {lim} -> c :: Counter -> Discard",
                              "wait 1, print c.count, write s.reset, wait 1, print c.count, "
                              "print s.count")
        chk.eq((rc, out), (0, ["2", "4", "2"]), f"{lim}: a reset sends LIMIT more")


def rewriter_patterns(env, chk):
    # Click's patterns / patternN handlers: a pattern as Click unparses it
    # (SADDR SPORT DADDR DPORT, "-" unchanged, L-H a range, no "#"; SADDR DADDR
    # when no port is given), <drop>, <nochange>, <keep>, then " [N]" for N
    # mappings the input holds; nmappings sums those counts, as Click's
    conf = ("rw :: IPRewriter(pattern 8.0.0.2 1000-2000# - - 0 1, drop, pass 1, keep 0 1, "
            "pattern 9.9.9.9 - 1 0, pattern 1.1.1.1 2.2.2.2 99 0 1); "
            "InfiniteSource(DATA %s, LIMIT 1, STOP true) -> CheckIPHeader -> rw; "
            "Idle -> [1]rw; Idle -> [2]rw; Idle -> [3]rw; Idle -> [4]rw; Idle -> [5]rw; "
            "rw[0] -> Discard; rw[1] -> Discard" % data_arg(udp_packet("1.0.0.2", "2.0.0.2")))
    rc, out, err = click(env, "--simtime", "-e", conf, "-h", "rw.patterns", "-h", "rw.pattern0",
                         "-h", "rw.pattern5", "-h", "rw.nmappings", "-h", "rw.size")
    h = handlers(out)
    chk.eq((rc, h.get("rw.patterns")), (0, "8.0.0.2 1000-2000 - - [1]\n<drop>\n<nochange>\n"
                                           "<keep>\n9.9.9.9 -\n1.1.1.1 99 2.2.2.2 -"),
           "patterns: a line per input, as Click unparses them")
    chk.eq((h.get("rw.pattern0"), h.get("rw.pattern5"), h.get("rw.nmappings"), h.get("rw.size")),
           ("8.0.0.2 1000-2000 - - [1]", "1.1.1.1 99 2.2.2.2 -", "1", "1"),
           "pattern0, pattern5, nmappings, size")


def rewriter_pattern_write(env, chk):
    # Click's patternN write and IPRewriter's tcp_lookup: after the second
    # packet, input 0 takes a new pattern; the mapping it made is freed (its
    # flow and the flow's reply are unknown to tcp_lookup), its count starts
    # again, and the next packet of that flow is mapped by the new pattern
    data = ("!data src sport dst dport proto\n1.0.0.1 5 2.0.0.2 80 T\n1.0.0.1 6 2.0.0.2 80 T\n"
            "1.0.0.1 5 2.0.0.2 80 T\n")
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
            "rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 1, drop) -> "
            "Counter(COUNT_CALL 2 s.run) -> ToIPSummaryDump(-, FIELDS src sport dst dport);"
            " rw[1] -> Discard; Idle -> [1]rw;"
            " s :: Script(TYPE PASSIVE, write rw.pattern0 pattern 7.7.7.7 2000-2010# - - 0 1);"
            " DriverManager(pause, print rw.tcp_lookup 1.0.0.1 5 2.0.0.2 80,"
            " print rw.tcp_lookup 2.0.0.2 80 7.7.7.7 2000, print rw.tcp_lookup 1.0.0.1 6 2.0.0.2 80,"
            " print rw.tcp_lookup 2.0.0.2 80 9.9.9.9 1024, print rw.patterns, print rw.nmappings,"
            " write rw.pattern1 pattern 1.1.1.1 - - 0 2, stop)" % json.dumps(data))
    rc, out, err = click(env, "--simtime", "-e", conf)
    lines = [x for x in out.splitlines() if not x.startswith("!")]
    chk.eq((rc, lines), (0, ["9.9.9.9 1024 2.0.0.2 80", "9.9.9.9 1025 2.0.0.2 80",
                             "7.7.7.7 2000 2.0.0.2 80",
                             "7.7.7.7 2000 2.0.0.2 80", "2.0.0.2 80 1.0.0.1 5", "",
                             "", "7.7.7.7 2000-2010 - - [1]", "<drop>", "1"]),
           "pattern0 written: new flows take the new pattern, its old mappings are gone, "
           "tcp_lookup finds a flow's rewritten form (nothing for an unknown flow)")
    chk.eq(err, "While calling 'rw.pattern1 pattern 1.1.1.1 - - 0 2':\n"
           "  INPUTSPEC 1: bad reply output '2' (2 outputs)\n",
           "a bad INPUTSPEC written is refused with the reason")


def rewriter_clear_capacity(env, chk):
    # Click's clear and capacity writes (COUNT_CALL writes after the third of
    # four UDP flows is mapped): clear frees every mapping, capacity N frees
    # those beyond N, the one expiring first first; either way only the fourth
    # flow is left, and nmappings, as Click's, counts the one mapping held
    data = "!data src sport dst dport proto\n" + "".join(
        "1.0.0.1 %d 2.0.0.2 80 U\n" % sport for sport in (1, 2, 3, 4))
    last = "(1.0.0.1, 4, 2.0.0.2, 80, udp) => (9.9.9.9, 1027, 2.0.0.2, 80) [*0 1] i0 exp300"
    for call, cap in (("rw.clear", "65536"), ("rw.capacity 1", "1")):
        conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
                "rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 1, UDP_GUARANTEE 0) -> "
                "Counter(COUNT_CALL 3 %s) -> Discard; rw[1] -> Discard" % (json.dumps(data), call))
        rc, out, err = click(env, "--simtime", "-e", conf, "-h", "rw.size", "-h", "rw.capacity",
                             "-h", "rw.nmappings", "-h", "rw.mapping_failures", "-h", "rw.table")
        chk.eq((rc, handlers(out)), (0, {"rw.size": "1", "rw.capacity": cap, "rw.nmappings": "1",
                                         "rw.mapping_failures": "0", "rw.table": last}),
               f"{call}: only the last flow's mapping left")
    # a capacity larger than the configured one holds more mappings
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
            "rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 1, MAPPING_CAPACITY 2) -> "
            "Counter(COUNT_CALL 1 rw.capacity 4) -> Discard; rw[1] -> Discard" % json.dumps(data))
    rc, out, err = click(env, "--simtime", "-e", conf, "-h", "rw.size", "-h", "rw.capacity",
                         "-h", "rw.mapping_failures")
    chk.eq((rc, handlers(out)), (0, {"rw.size": "4", "rw.capacity": "4",
                                     "rw.mapping_failures": "0"}),
           "capacity 4 written over MAPPING_CAPACITY 2: four mappings held")


def rewriter_full(env, chk):
    # A full table with GUARANTEE 0: as Click's heap, the new flow competes with
    # the mappings. Two flows with payload both ways keep TCP_TIMEOUT (24 h); a
    # third flow, which would expire after TCP_NODATA_TIMEOUT (300 s), is the
    # one refused and the two keep working. With TCP_TIMEOUT 100 the first flow
    # expires before a new one would (300 s) and is evicted for it (its reply,
    # unmapped then, makes a new flow, which evicts the second).
    rows = ["1.0.0.1 11 2.0.0.2 21", "2.0.0.2 21 9.9.9.9 1024", "1.0.0.2 12 2.0.0.2 22",
            "2.0.0.2 22 9.9.9.9 1025", "1.0.0.3 13 2.0.0.2 23", "2.0.0.2 21 9.9.9.9 1024"]
    data = "!data src sport dst dport proto payload\n" + "".join(r + " T abc\n" for r in rows)
    kept = ["9.9.9.9 1024 2.0.0.2 21", "2.0.0.2 21 1.0.0.1 11", "9.9.9.9 1025 2.0.0.2 22",
            "2.0.0.2 22 1.0.0.2 12"]
    for extra, want, fails, what in (
            ("", kept + ["2.0.0.2 21 1.0.0.1 11"], "1", "the new flow refused"),
            (", TCP_TIMEOUT 100", kept + ["9.9.9.9 1026 2.0.0.2 23", "9.9.9.9 1027 9.9.9.9 1024"],
             "0",
             "the first flow evicted for the new one")):
        conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
                "rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 0, MAPPING_CAPACITY 2, "
                "GUARANTEE 0%s) -> ToIPSummaryDump(-, FIELDS src sport dst dport, HEADER false)"
                % (json.dumps(data), extra))
        rc, out, err = click(env, "--simtime", "-e", conf, "-h", "rw.mapping_failures",
                             "-h", "rw.size")
        dump, _, rest = out.partition("rw.mapping_failures:")
        chk.eq((rc, dump.splitlines(), handlers("rw.mapping_failures:" + rest)),
               (0, want, {"rw.mapping_failures": fails, "rw.size": "2"}), what)


def dump_protocols(env, chk):
    # As Click's FromIPSummaryDump: "!proto", PROTO and the ip_proto field take
    # T, U, I, a protocol name (icmp, igmp, ipip, tcp, udp) or a number; a bad
    # field keeps the default. icmp_flowid and icmp_seq fill an echo's
    # identifier and sequence number (network order).
    cases = (("!proto icmp\n", "", "-", "I"), ("!proto udp\n", "", "-", "U"),
             ("!proto ipip\n", "", "-", "4"), ("", ", PROTO icmp", "-", "I"),
             ("", ", PROTO igmp", "-", "2"), ("!proto I\n", "", "tcp", "T"),
             ("!proto 47\n", "", "bogus", "47"))
    for bang, kw, field, want in cases:
        data = bang + "!data src dst ip_proto\n1.0.0.1 2.0.0.2 %s\n" % field
        conf = ("FromIPSummaryDump(DATA %s, STOP true%s) -> "
                "ToIPSummaryDump(-, FIELDS ip_proto, HEADER false)" % (json.dumps(data), kw))
        rc, out, err = click(env, "-e", conf)
        chk.eq((rc, out.strip()), (0, want), f"{bang.strip() or kw[2:]}, field {field}: {want}")
    data = ("!proto icmp\n!data src dst icmp_type_name icmp_flowid icmp_seq\n"
            "1.0.0.1 2.0.0.2 echo 10 258\n1.0.0.1 2.0.0.2 unreachable 10 258\n")
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
            "ToIPSummaryDump(-, FIELDS icmp_type payload, HEADER false)" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    # echo: type 8, checksum ~(0x0800 + 10 + 258) = 0xf6f3, id 00 0a, seq 01 02;
    # unreachable: no identifier, checksum ~0x0300 = 0xfcff
    chk.eq((rc, out.splitlines(), err),
           (0, ['8 "\\010\\000\\366\\363\\000\\n\\001\\002"',
                '3 "\\003\\000\\374\\377\\000\\000\\000\\000"'], ""),
           "icmp_flowid and icmp_seq in an echo, not in an unreachable")


def ping_rewriter_zero(env, chk):
    # An echo reply whose ICMP message is all zeros once rewritten (identifier
    # 1 back to 0, sequence 0, no payload) must carry checksum FFFF: the
    # incremental update alone gives 0, which does not sum right
    data = "!proto 1\n!data src dst icmp_type_name\n1.0.0.2 5.0.0.5 echo\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> "
            "icmp :: ICMPPingRewriter(pattern 2.0.0.2 - 1 0 1, drop) -> ICMPPingResponder -> "
            "[1]icmp[1] -> c :: CheckICMPHeader -> ToIPSummaryDump(-, FIELDS src dst "
            "icmp_type_name icmp_flowid icmp_seq payload, HEADER false)" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.strip(), err),
           (0, '5.0.0.5 1.0.0.2 echo-reply 0 0 "\\000\\000\\377\\377\\000\\000\\000\\000"',
            ""), "the reply back to 1.0.0.2, checksum FFFF, CheckICMPHeader passes it")


def global_handlers(env, chk):
    # Click's global read handlers config (the text as given), classes (a class
    # a line) and handlers (the global handlers, NAME TAB r/w, in Click's order)
    conf = "Idle -> c :: Counter -> Discard; // comment\n"
    rc, out, err = click(env, "-q", "-e", conf, "-h", "config", "-h", "handlers", "-h", "classes")
    h = handlers(out)
    chk.eq((rc, h.get("config")), (0, conf.rstrip("\n")), "config: the configuration text")
    chk.eq(h.get("handlers"), "version\tr\nconfig\tr\nrequirements\tr\nhandlers\tr\nlist\tr\n"
           "stop\tw\nclasses\tr", "handlers: the global handlers")
    # requirements: Click keeps a type and a value a line each ("package", NAME)
    rc, out, err = click(env, "-q", "-e", 'require(foo, package "bar"); Idle -> Discard',
                         "-h", "requirements")
    chk.eq((rc, out), (0, "package\nfoo\npackage\nbar\n"), "requirements: package and name")
    classes = (h.get("classes") or "").split("\n")
    chk.ok({"Discard", "Counter", "IPRewriter", "InfiniteSource", "Queue"} <= set(classes)
           and "Meter" not in classes and len(classes) == len(set(classes)),
           "classes: the classes implemented, one a line", classes[:5])


def csum(data):
    """The Internet checksum of @data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ipprint_lines(env, chk):
    # IPPrint's ICMP lines and CONTENTS as Click's: an error names its type and
    # code, an unreachable the quoted packet's destination; PAINT before the
    # addresses; CONTENTS hex 4-byte groups, 24 bytes a line
    conf = ('FromIPSummaryDump(DATA "!data src dst sport dport proto ttl\\n1.0.0.1 5.0.0.5 7 53 '
            'U 1\\n", STOP true, CHECKSUM true) -> CheckIPHeader -> t :: Tee(3);'
            't[0] -> ICMPError(9.9.9.9, timeexceeded) -> IPPrint(TIMESTAMP false, PAINT true)'
            ' -> Discard; t[1] -> ICMPError(9.9.9.9, unreachable, port) -> IPPrint(TIMESTAMP false)'
            ' -> Discard; t[2] -> IPPrint(x, TIMESTAMP false, CONTENTS hex, MAXLENGTH 26) -> Discard')
    rc, out, err = click(env, "-e", conf)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 1, 17, 0,
                               bytes([1, 0, 0, 1]), bytes([5, 0, 0, 5])))
    ip[10:12] = struct.pack("!H", csum(bytes(ip)))
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, 8)
    udp = bytearray(struct.pack("!HHHH", 7, 53, 8, 0))
    udp[6:8] = struct.pack("!H", csum(bytes(pseudo + udp)))
    hexs = (bytes(ip) + bytes(udp))[:26].hex()
    groups = [hexs[i:i + 8] for i in range(0, len(hexs), 8)]
    dump = ["  " + " ".join(groups[:6]), "  " + " ".join(groups[6:])]
    chk.eq((rc, err.splitlines()), (0, [
        "paint 0: 9.9.9.9 > 1.0.0.1: icmp timeexceeded transit",
        "9.9.9.9 > 1.0.0.1: icmp 5.0.0.5 unreachable port udp/53",
        "x: 1.0.0.1.7 > 5.0.0.5.53: udp 8"] + dump),
        "ICMP errors named, PAINT's place, CONTENTS hex laid out")


def ip_packet(src, dst, proto, payload, ihl_opts=b""):
    """An IPv4 packet from dotted @src to @dst (TTL 64, ID 0), checksum worked out here."""
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45 + len(ihl_opts) // 4, 0,
                                20 + len(ihl_opts) + len(payload), 0, 0, 64, proto, 0,
                                bytes(map(int, src.split("."))),
                                bytes(map(int, dst.split(".")))) + ihl_opts)
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + payload


def udp_packet(src, dst):
    """A UDP packet port 7 to 53, 4 payload bytes, UDP checksum 0 (none)."""
    return ip_packet(src, dst, 17, struct.pack("!HHHH", 7, 53, 12, 0) + b"abcd")


def icmp_error(src, ttl, ident, typ, code, quoted, extra=b"\0\0\0\0", opts=b""):
    """The ICMP error Click's ICMPError builds from @src quoting @quoted, with IP
    options @opts."""
    icmp = bytearray(struct.pack("!BBH", typ, code, 0) + extra + quoted)
    icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
    dst = quoted[12:16]
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45 + len(opts) // 4, 0,
                                20 + len(opts) + len(icmp), ident, 0, ttl, 1, 0,
                                bytes(map(int, src.split("."))), dst) + opts)
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + bytes(icmp)


def print_lines(label, data):
    """Print(LABEL, MAXLENGTH big)'s line for @data: length, 4-byte hex groups."""
    hexs = data.hex()
    return f"{label}: {len(data):4d} | " + " ".join(hexs[i:i + 8] for i in range(0, len(hexs), 8))


def icmperror(env, chk):
    # Click's ICMPError: TTL 200, IDs from 1; fix_ip_src set unless
    # USE_FIX_ANNO (SET_FIX_ANNO in Click's code) is false
    pkt = udp_packet("10.0.0.2", "10.0.0.1")
    src = f"InfiniteSource(DATA \\<{pkt.hex()}>, LIMIT 1, STOP true) -> MarkIPHeader"
    rc, out, err = click(env, "-e", src + " -> ICMPError(9.9.9.9, unreachable, port) "
                         "-> Print(e, 200) -> Discard")
    want = icmp_error("9.9.9.9", 200, 1, 3, 3, pkt)
    chk.eq((rc, err.strip()), (0, print_lines("e", want)),
           "an unreachable port: TTL 200, ID 1, the packet quoted, checksums right")
    for opt, want in (("", "1.1.1.1"), (", USE_FIX_ANNO false", "9.9.9.9"),
                      (", SET_FIX_ANNO false", "9.9.9.9"), (", USE_FIX_ANNO true", "1.1.1.1")):
        rc, out, err = click(env, "-e", src + f" -> ICMPError(9.9.9.9, unreachable, port{opt}) "
                             "-> FixIPSrc(1.1.1.1) -> IPPrint(e, TIMESTAMP false) -> Discard")
        chk.eq((rc, err.strip()),
               (0, f"e: {want} > 10.0.0.2: icmp 10.0.0.1 unreachable port udp/53"),
               f"ICMPError(...{opt}) -> FixIPSrc: source {want}")
    # no error for a destination that is not unicast, an invalid source, an
    # ICMP error (types 3, 4, 5, 11, 12); other ICMP types are answered
    cases = [("255.255.255.255 destination", udp_packet("10.0.0.2", "255.255.255.255"), 0),
             ("224/4 destination", udp_packet("10.0.0.2", "239.1.1.1"), 0),
             ("BADADDRS destination", udp_packet("10.0.0.2", "10.0.0.255"), 0),
             ("BADADDRS source", udp_packet("10.0.0.255", "10.0.0.1"), 0),
             ("net 0 source", udp_packet("0.1.2.3", "10.0.0.1"), 0),
             ("net 127 source", udp_packet("127.0.0.1", "10.0.0.1"), 0),
             ("240/4 source", udp_packet("240.0.0.1", "10.0.0.1"), 0),
             ("224/4 source", udp_packet("224.0.0.1", "10.0.0.1"), 0),
             ("unicast source and destination", udp_packet("10.0.0.2", "10.0.0.1"), 1)]
    for typ, n in ((3, 0), (4, 0), (5, 0), (11, 0), (12, 0), (0, 1), (8, 1), (9, 1), (10, 1)):
        cases.append((f"ICMP type {typ}", ip_packet("10.0.0.2", "10.0.0.1", 1,
                                                    bytes([typ, 0, 0, 0, 0, 0, 0, 0])), n))
    for what, data, n in cases:
        rc, out, err = click(env, "-e", f"InfiniteSource(DATA \\<{data.hex()}>, LIMIT 1, "
                             "STOP true) -> MarkIPHeader -> ICMPError(9.9.9.9, unreachable, "
                             "host, BADADDRS 10.0.0.255) -> c :: Counter -> Discard",
                             "-h", "c.count")
        chk.eq((rc, out.strip()), (0, str(n)), f"{what}: {n} error(s)")
    # every BADADDRS address counts, however many there are
    many = " ".join(f"10.0.1.{i}" for i in range(1, 41))
    for dst, n in (("10.0.1.40", 0), ("10.0.1.41", 1)):
        rc, out, err = click(env, "-e", f"InfiniteSource({data_arg(udp_packet('10.0.0.2', dst))}"
                             ", LIMIT 1, STOP true) -> MarkIPHeader -> ICMPError(9.9.9.9, "
                             f"unreachable, host, BADADDRS {many}) -> c :: Counter -> Discard",
                             "-h", "c.count")
        chk.eq((rc, out.strip()), (0, str(n)), f"40 BADADDRS, destination {dst}: {n} error(s)")
    rc, out, err = click(env, "-q", "-e", "Idle -> ICMPError(9.9.9.9, echo) -> Discard")
    chk.ok(rc == 1 and "ICMP type 8 is not an error type" in err,
           "TYPE echo: refused as Click does", err)
    # the parameter problem pointer only for code 0 (erroratptr): IPGWOptions
    # finds a Record Route option too short (length 2) and sets it
    bad = ip_packet("10.0.0.2", "10.0.0.1", 17, struct.pack("!HHHH", 7, 53, 8, 0),
                    bytes([7, 2, 0, 0]))
    for code, nonzero in (("erroratptr", True), ("missingopt", False), ("2", False)):
        rc, out, err = click(env, "-e", f"InfiniteSource(DATA \\<{bad.hex()}>, LIMIT 1, STOP true)"
                             " -> MarkIPHeader -> g :: IPGWOptions(9.9.9.9) -> Discard; g[1] -> "
                             f"ICMPError(9.9.9.9, parameterproblem, {code}) -> Print(e, 28) "
                             "-> Discard")
        ptr = err.split("|")[-1].split()[6][:2] if "|" in err else "?"
        chk.ok(rc == 0 and (ptr != "00" if nonzero else ptr == "00"),
               f"parameterproblem {code}: pointer {'set' if nonzero else '0'}", err)
    # a source route (RFC 1812 4.3.2.6), as Click's: the error carries the hops
    # the packet passed, last first, pointer 4, then an end of list; no redirect
    # for such a packet (a parameter problem pointing into the route: unit test)
    def addr(a):
        return bytes(map(int, a.split(".")))

    hops = ["128.4.45.60", "128.4.49.61", "1.2.3.4", "5.6.7.8"]
    for kind, name in ((131, "loose"), (137, "strict")):
        for ptr, passed in ((12, hops[1::-1]), (4, []), (20, hops[::-1])):
            route = bytes([1, kind, 19, ptr]) + b"".join(addr(h) for h in hops)
            data = ip_packet("10.0.0.2", "10.0.0.1", 17, struct.pack("!HHHH", 7, 53, 8, 0),
                             route)
            back = bytes([kind, 3 + 4 * len(passed), 4]) + b"".join(addr(h) for h in passed)
            rc, out, err = click(env, "-e", f"InfiniteSource(DATA \\<{data.hex()}>, LIMIT 1,"
                                 " STOP true) -> MarkIPHeader -> ICMPError(9.9.9.9, "
                                 "timeexceeded) -> Print(e, 200) -> Discard")
            chk.eq((rc, err.strip()),
                   (0, print_lines("e", icmp_error("9.9.9.9", 200, 1, 11, 0, data,
                                                   opts=back + b"\0"))),
                   f"{name} source route, pointer {ptr}: the {len(passed)} hops passed "
                   "reversed in the error")
    route = bytes([1, 131, 11, 12]) + addr("1.1.1.1") + addr("2.2.2.2")
    data = ip_packet("10.0.0.2", "10.0.0.1", 17, struct.pack("!HHHH", 7, 53, 8, 0), route)
    rc, out, err = click(env, "-e", f"InfiniteSource(DATA \\<{data.hex()}>, LIMIT 1, STOP true)"
                         " -> MarkIPHeader -> ICMPError(9.9.9.9, redirect, host) "
                         "-> c :: Counter -> Discard", "-h", "c.count")
    chk.eq((rc, out.strip()), (0, "0"), "no redirect for a source-routed packet")
    # src, mtu, pmtu: read/write as Click's data handlers
    rc, out, err = click(env, "-e", src + " -> i :: ICMPError(9.9.9.9, unreachable, needfrag, "
                         "PMTU 1400) -> Print(e, 200) -> Discard", "-h", "i.src", "-h", "i.mtu",
                         "-h", "i.pmtu")
    chk.eq((rc, handlers(out)), (0, {"i.src": "9.9.9.9", "i.mtu": "576", "i.pmtu": "1400"}),
           "src, mtu, pmtu read")
    chk.eq(err.strip(), print_lines("e", icmp_error("9.9.9.9", 200, 1, 3, 4, pkt,
                                                    struct.pack("!HH", 0, 1400))),
           "needfrag carries PMTU")
    rc, out, err = click(env, "-e", "i :: InfiniteSource(DATA \\<" + pkt.hex() + ">, LIMIT 1, "
                         "ACTIVE false) -> MarkIPHeader -> e :: ICMPError(9.9.9.9, unreachable, "
                         "needfrag) -> Print(e, 200) -> Discard; Script(write e.src 8.8.8.8, "
                         "write e.mtu 68, write e.pmtu 1280, write i.active true, wait 0.01s, "
                         "print e.src, print e.mtu, print e.pmtu, stop)")
    quoted = pkt[:40]
    chk.eq((rc, out.split(), err.strip()),
           (0, ["8.8.8.8", "68", "1280"],
            print_lines("e", icmp_error("8.8.8.8", 200, 1, 3, 4, quoted,
                                        struct.pack("!HH", 0, 1280)))),
           "src, mtu, pmtu written: the next error from 8.8.8.8, 68 bytes, next-hop MTU 1280")


def data_arg(pkt):
    """@pkt as a \\<hex> DATA argument."""
    return "\\<" + pkt.hex() + ">"


def checkipheader(env, chk):
    # Click checks source addresses only when BADSRC, GOODDST, INTERFACES or
    # the old positional list is given: INTERFACES A/LEN makes A's broadcast
    # address, 0.0.0.0 and 255.255.255.255 bad unless the destination is A;
    # the positional list adds 0.0.0.0 and 255.255.255.255, BADSRC does not
    cases = (("", "0.0.0.0", "2.0.0.2", True),
             ("", "224.0.0.1", "2.0.0.2", True),
             ("INTERFACES 18.26.4.1/24", "18.26.4.255", "2.0.0.2", False),
             ("INTERFACES 18.26.4.1/24", "18.26.4.255", "18.26.4.1", True),
             ("INTERFACES 18.26.4.1/24", "0.0.0.0", "2.0.0.2", False),
             ("INTERFACES 18.26.4.1/24", "18.26.4.7", "2.0.0.2", True),
             ("18.26.4.255 2.255.255.255", "0.0.0.0", "2.0.0.2", False),
             ("18.26.4.255 2.255.255.255", "2.255.255.255", "2.0.0.2", False),
             ("BADSRC 18.26.4.255", "0.0.0.0", "2.0.0.2", True),
             ("BADSRC 18.26.4.255", "18.26.4.255", "2.0.0.2", False),
             ("BADSRC 18.26.4.255, GOODDST 2.0.0.2", "18.26.4.255", "2.0.0.2", True))
    for args, src, dst, passes in cases:
        conf = ("InfiniteSource(DATA %s, LIMIT 1, STOP true) -> c :: CheckIPHeader(%s) -> "
                "n :: Counter -> Discard" % (data_arg(udp_packet(src, dst)), args))
        rc, out, err = click(env, "-e", conf, "-h", "n.count")
        want = "1" if passes else "0"
        msg = "" if passes else "c: IP header check failed: bad source address"
        chk.eq((rc, out.strip(), err.strip()), (0, want, msg),
               f"CheckIPHeader({args}): {src} > {dst} {'passes' if passes else 'dropped'}")
    # Click's reasons, in its order; DETAILS counts them in drop_details
    good = udp_packet("1.0.0.1", "2.0.0.2")
    badsum = bytearray(good)
    badsum[11] ^= 1
    bigihl = bytearray(good)
    bigihl[0] = 0x4f  # 60-byte header in a 32-byte packet whose length says 32
    pkts = (good[:19], b"\x65" + good[1:], b"\x44" + good[1:], good[:2] + b"\x00\x40" + good[4:],
            bytes(badsum), bytes(bigihl))
    srcs = "; ".join("InfiniteSource(DATA %s, LIMIT 1, STOP %s) -> c"
                     % (data_arg(p), "true" if p is pkts[-1] else "false") for p in pkts)
    conf = ("c :: CheckIPHeader(VERBOSE true, DETAILS true) -> Discard; c[1] -> Discard; "
            + srcs)
    rc, out, err = click(env, "-e", conf, "-h", "c.drop_details", "-h", "c.drops")
    h = handlers(out)
    reasons = ["tiny packet", "bad IP version", "bad IP header length", "bad IP length",
               "bad IP checksum", "bad source address"]
    chk.eq(h.get("c.drop_details"), "1\ttiny packet\n1\tbad IP version\n"
           "1\tbad IP header length\n2\tbad IP length\n1\tbad IP checksum\n"
           "0\tbad source address", "drop_details: a count and a reason a line")
    chk.eq(sorted(err.splitlines()), sorted("c: IP header check failed: " + r for r in
                                             reasons[:4] + reasons[3:5]),
           "VERBOSE: every drop said, with Click's reason")
    rc, out, err = click(env, "-q", "-e", "Idle -> c :: CheckIPHeader -> Discard",
                         "-h", "c.drop_details")
    chk.ok("drop_details" in err and out == "", "no drop_details without DETAILS", err)
    # CheckIPHeader2 does not check the checksum
    conf = ("InfiniteSource(DATA %s, LIMIT 1, STOP true) -> c :: CheckIPHeader2 -> n :: Counter "
            "-> Discard" % data_arg(bytes(badsum)))
    rc, out, err = click(env, "-e", conf, "-h", "n.count")
    chk.eq((rc, out.strip(), err), (0, "1", ""), "CheckIPHeader2 passes a bad checksum")


def l4_packet(proto, l4, src="1.0.0.1", dst="2.0.0.2", cksum_at=None):
    """An IP packet carrying @l4, its transport checksum at @cksum_at worked out here."""
    l4 = bytearray(l4)
    if cksum_at is not None:
        pseudo = bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
        pseudo += struct.pack("!BBH", 0, proto, len(l4)) if proto != 1 else b""
        l4[cksum_at:cksum_at + 2] = struct.pack("!H", csum((pseudo if proto != 1 else b"")
                                                           + bytes(l4)))
    return ip_packet(src, dst, proto, bytes(l4))


def check_l4(env, chk):
    # Click's CheckTCPHeader / CheckUDPHeader / CheckICMPHeader: reasons "not
    # PROTO", "bad packet length", "bad PROTO checksum"; TCP and ICMP name the
    # element (NAME :: CLASS), UDP does not; ICMP errors must quote 28 bytes,
    # timestamps be exactly 20 bytes; DETAILS adds drop_details
    tcp = l4_packet(6, struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 0x50, 0x02, 512, 0, 0) + b"xy",
                    cksum_at=16)
    udp = l4_packet(17, struct.pack("!HHHH", 1, 2, 10, 0) + b"ab", cksum_at=6)
    badudp = bytearray(udp)
    badudp[-1] ^= 1
    echo = l4_packet(1, struct.pack("!BBHHH", 8, 0, 0, 1, 1), cksum_at=2)
    unreach = l4_packet(1, struct.pack("!BBHI", 3, 3, 0, 0) + b"12345678", cksum_at=2)
    tstamp = l4_packet(1, struct.pack("!BBHHH", 13, 0, 0, 1, 1) + bytes(12), cksum_at=2)
    short_tstamp = l4_packet(1, struct.pack("!BBHHH", 13, 0, 0, 1, 1) + bytes(8), cksum_at=2)
    badecho = bytearray(echo)
    badecho[-1] ^= 1
    for cls, pkt, want in (
            ("CheckTCPHeader", tcp, None),
            ("CheckTCPHeader", udp, "c :: CheckTCPHeader: TCP header check failed: not TCP"),
            ("CheckUDPHeader", udp, None),
            ("CheckUDPHeader", bytes(badudp), "UDP header check failed: bad UDP checksum"),
            ("CheckUDPHeader", tcp, "UDP header check failed: not UDP"),
            ("CheckICMPHeader", echo, None),
            ("CheckICMPHeader", tstamp, None),
            ("CheckICMPHeader", unreach,
             "c :: CheckICMPHeader: ICMP header check failed: bad packet length"),
            ("CheckICMPHeader", short_tstamp,
             "c :: CheckICMPHeader: ICMP header check failed: bad packet length"),
            ("CheckICMPHeader", bytes(badecho),
             "c :: CheckICMPHeader: ICMP header check failed: bad ICMP checksum")):
        conf = ("InfiniteSource(DATA %s, LIMIT 1, STOP true) -> CheckIPHeader -> c :: %s -> "
                "n :: Counter -> Discard" % (data_arg(pkt), cls))
        rc, out, err = click(env, "-e", conf, "-h", "n.count")
        chk.eq((rc, out.strip(), err.strip()), (0, "0" if want else "1", want or ""),
               f"{cls}: {want or 'passes'}")
    conf = ("c :: CheckUDPHeader(DETAILS true) -> Discard; c[1] -> Discard; "
            "InfiniteSource(DATA %s, LIMIT 2, STOP false) -> CheckIPHeader -> c; "
            "InfiniteSource(DATA %s, LIMIT 1, STOP true) -> CheckIPHeader -> c"
            % (data_arg(bytes(badudp)), data_arg(tcp)))
    rc, out, err = click(env, "-e", conf, "-h", "c.drop_details")
    chk.eq((rc, out.strip()), (0, "1\tnot UDP\n0\tbad packet length\n2\tbad UDP checksum"),
           "CheckUDPHeader drop_details")
    for cls, pkts, want in (
            ("CheckTCPHeader", (udp, udp),
             "2\tnot TCP\n0\tbad packet length\n0\tbad TCP checksum"),
            ("CheckICMPHeader", (unreach, bytes(badecho), tcp),
             "1\tnot ICMP\n1\tbad packet length\n1\tbad ICMP checksum")):
        srcs = "; ".join("InfiniteSource(DATA %s, LIMIT 1, STOP %s) -> CheckIPHeader -> c"
                         % (data_arg(p), "true" if i == len(pkts) - 1 else "false")
                         for i, p in enumerate(pkts))
        conf = "c :: %s(DETAILS true) -> Discard; c[1] -> Discard; %s" % (cls, srcs)
        rc, out, err = click(env, "-e", conf, "-h", "c.drop_details")
        chk.eq((rc, out.strip()), (0, want), f"{cls} drop_details")
    rc, out, err = click(env, "-q", "-e", "Idle -> c :: CheckTCPHeader -> Discard",
                         "-h", "c.drop_details")
    chk.ok("drop_details" in err and out == "", "no CheckTCPHeader drop_details without DETAILS",
           err)


def ipfragmenter(env, chk):
    # Click's IPFragmenter: a DF packet (HONOR_DF true) or one whose header
    # leaves under 8 data bytes goes to output 1 with "IPFragmenter(MTU) DF
    # SRC DST len=LEN" for the first five; HONOR_DF false clears DF in the
    # fragments; MTU under 8 refused in Click's words
    pkt = bytearray(ip_packet("1.0.0.1", "2.0.0.2", 17, bytes(40)))
    pkt[6:8] = struct.pack("!H", 0x4000)
    pkt[10:12] = b"\0\0"
    pkt[10:12] = struct.pack("!H", csum(bytes(pkt[:20])))
    conf = ("InfiniteSource(DATA %s, LIMIT 7, STOP true) -> CheckIPHeader -> f :: IPFragmenter(36) "
            "-> Discard; f[1] -> n :: Counter -> Discard" % data_arg(bytes(pkt)))
    rc, out, err = click(env, "-e", conf, "-h", "n.count")
    chk.eq((rc, out.strip(), err.splitlines()),
           (0, "7", ["IPFragmenter(36) DF 1.0.0.1 2.0.0.2 len=60"] * 5),
           "DF packets to output 1, Click's line for the first five")
    rc, out, err = click(env, "-e", conf.replace("IPFragmenter(36)", "IPFragmenter(27, false)"),
                         "-h", "n.count")
    chk.eq((rc, out.strip(), err.splitlines()[:1]),
           (0, "7", ["IPFragmenter(27) DF 1.0.0.1 2.0.0.2 len=60"]),
           "a header leaving under 8 data bytes: output 1 whatever HONOR_DF")
    # as Click's, LEN is the packet's length, the bytes before the IP header too
    eth = bytes(12) + b"\x08\x00"
    conf = ("InfiniteSource(DATA %s, LIMIT 1, STOP true) -> CheckIPHeader(14) -> "
            "f :: IPFragmenter(36) -> Discard; f[1] -> Discard" % data_arg(eth + bytes(pkt)))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.splitlines()), (0, ["IPFragmenter(36) DF 1.0.0.1 2.0.0.2 len=74"]),
           "the DF line's len counts an Ethernet header before the IP header")
    conf = ("InfiniteSource(DATA %s, LIMIT 1, STOP true) -> CheckIPHeader -> "
            "IPFragmenter(36, HONOR_DF false) -> Print(x, 60) -> Discard" % data_arg(bytes(pkt)))
    rc, out, err = click(env, "-e", conf)
    want = []
    for off, n, more in ((0, 16, True), (16, 16, True), (32, 8, False)):
        f = bytearray(pkt[:20] + bytes(n))
        f[2:4] = struct.pack("!H", 20 + n)
        f[6:8] = struct.pack("!H", (0x2000 if more else 0) | off // 8)
        f[10:12] = b"\0\0"
        f[10:12] = struct.pack("!H", csum(bytes(f[:20])))
        want.append(print_lines("x", bytes(f)))
    chk.eq((rc, err.splitlines()), (0, want), "HONOR_DF false: fragments without DF")
    rc, out, err = click(env, "-q", "-e", "Idle -> IPFragmenter(4) -> Discard")
    chk.ok(rc == 1 and "MTU must be at least 8" in err, "MTU 4 refused as Click says", err)


def filter_errors(env, chk):
    # IPFilter / IPClassifier errors carry Click's "pattern N: " prefix and
    # Click's slot messages
    for conf, want in (("f :: IPFilter(5 tcp); f[0] -> Discard",
                        "pattern 0: slot '5' out of range"),
                       ("f :: IPFilter(allow tcp, bogus udp); f[0] -> Discard",
                        "pattern 1: unknown slot ID 'bogus'"),
                       ("f :: IPClassifier(tcp, udp port 70000); f[0] -> Discard; f[1] -> Discard",
                        "pattern 1: "),
                       # no outputs: only drop rules; IPClassifier: a pattern per output
                       ("f :: IPFilter(drop udp, allow tcp)",
                        "pattern 1: 'allow' is meaningless"),
                       ("f :: IPFilter(0 tcp)", "pattern 0: slot '0' out of range"),
                       ("f :: IPClassifier(tcp); f[0] -> Discard; f[1] -> Discard",
                        "need 2 arguments, one per output port"),
                       ("f :: IPClassifier(tcp, udp); f[0] -> Discard",
                        "need 1 arguments, one per output port")):
        rc, out, err = click(env, "-q", "-e", "Idle -> " + conf)
        cls = conf.split("(")[0].split(":: ")[1]
        line = err.splitlines()[0] if err else ""
        chk.ok(rc == 1 and f"While configuring 'f :: {cls}': {want}" in line
               and "rule" not in line and "outputs)" not in line, f"{conf}: {want}...", err)
    rc, out, err = click(env, "-q", "-e", "Idle -> f :: IPFilter(drop udp, deny tcp)")
    chk.eq((rc, err), (0, ""), "IPFilter with no outputs and only drop rules")


def small_elements(env, chk):
    # SetIPChecksum, SetTCPChecksum and SetUDPChecksum make the sums
    # CheckIPHeader and CheckTCP/UDPHeader accept (FromIPSummaryDump set none);
    # StripToNetworkHeader; PushNull, PullNull; AlignmentInfo accepted
    data = ('!data src dst sport dport proto payload\n1.0.0.1 2.0.0.2 1 2 T "abc"\n'
            '1.0.0.1 2.0.0.2 3 4 U "de"\n')
    conf = ("AlignmentInfo(c 4 0); FromIPSummaryDump(DATA %s, STOP true) -> SetIPChecksum -> "
            "c :: CheckIPHeader -> cl :: IPClassifier(tcp, udp); "
            "cl[0] -> SetTCPChecksum -> ct :: CheckTCPHeader -> PushNull -> n :: Counter -> "
            "Unstrip(14) -> StripToNetworkHeader -> q :: Queue -> PullNull -> u :: Unqueue -> "
            "Print(MAXLENGTH 0) -> Discard; "
            "cl[1] -> SetUDPChecksum -> cu :: CheckUDPHeader -> Discard" % json.dumps(data))
    rc, out, err = click(env, "-e", conf, "-h", "c.drops", "-h", "ct.drops", "-h", "cu.drops",
                         "-h", "n.count")
    h = handlers(out)
    chk.eq((rc, h.get("c.drops"), h.get("ct.drops"), h.get("cu.drops"), h.get("n.count"),
            err.strip()), (0, "0", "0", "0", "1", "43"),
           "checksums set; the IP header annotation's offset stripped again")


def udpipencap_ports(env, chk):
    # UDPIPEncap's ports as Click's IPPortArg: a number, a well-known name
    # (the filter language's list) or a UDP name of the services database
    names = [("domain", 53), ("www", 80), ("ntp", 123)]
    try:
        names.append(("syslog", socket.getservbyname("syslog", "udp")))
    except OSError:
        pass  # no services database here: the list alone
    for (sname, sport), (dname, dport) in zip(names, names[1:] + names[:1]):
        rc, out, err = click(env, "-e", "InfiniteSource(DATA ab, LIMIT 1, STOP true) -> "
                             f"UDPIPEncap(1.0.0.1, {sname}, 2.0.0.2, {dname}) -> CheckIPHeader "
                             "-> CheckUDPHeader -> ToIPSummaryDump(-, FIELDS sport dport)")
        chk.eq((rc, out.splitlines()[-1:], err), (0, [f"{sport} {dport}"], ""),
               f"UDPIPEncap(1.0.0.1, {sname}, 2.0.0.2, {dname}): ports {sport}, {dport}")
    for bad in ("nosuchport", "65536"):
        rc, out, err = click(env, "-q", "-e", f"Idle -> UDPIPEncap(1.0.0.1, {bad}, 2.0.0.2, 53)"
                             " -> Discard")
        chk.ok(rc == 1 and f"SPORT: expected port number, got '{bad}'" in err,
               f"port {bad} refused", err)


def ip_fields(env, chk):
    # SetIPDSCP, MarkIPCE (non-ECT dropped unless FORCE), StoreIPAddress; the
    # checksum stays right (CheckIPHeader after them drops nothing)
    data = ("!data src dst ip_ecn\n!proto 9\n1.0.0.1 1.0.0.2 no\n1.0.0.2 1.0.0.3 ect1\n"
            "1.0.0.3 1.0.0.4 ect2\n1.0.0.4 1.0.0.5 ce\n")
    for force, want in (("false", ["1.0.0.2 ce 5", "1.0.0.3 ce 5", "1.0.0.4 ce 5"]),
                        ("true", ["1.0.0.1 ce 5", "1.0.0.2 ce 5", "1.0.0.3 ce 5",
                                  "1.0.0.4 ce 5"])):
        conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> CheckIPHeader -> "
                "m :: MarkIPCE(FORCE %s) -> SetIPDSCP(5) -> StoreIPAddress(9.9.9.9, dst) -> "
                "c :: CheckIPHeader -> ToIPSummaryDump(-, FIELDS src ip_ecn ip_dscp, HEADER false)"
                % (json.dumps(data), force))
        rc, out, err = click(env, "-e", conf, "-h", "c.drops")
        lines = out.splitlines()
        chk.eq((rc, lines[:-1], lines[-1:]), (0, want, ["0"]),
               f"MarkIPCE(FORCE {force}), SetIPDSCP(5), StoreIPAddress: checksums right")
    # as Click's, StoreIPAddress into src or dst updates the TCP and UDP
    # checksums too (a UDP checksum of 0 stays 0)
    data = ("!data src sport dst dport proto payload\n1.0.0.1 5 2.0.0.2 80 T abc\n"
            "1.0.0.1 5 2.0.0.2 53 U abc\n")
    for field in ("src", "dst"):
        conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> CheckIPHeader -> "
                "StoreIPAddress(9.9.9.9, %s) -> c :: IPClassifier(tcp, udp);"
                " c[0] -> ct :: CheckTCPHeader -> t :: ToIPSummaryDump(-, FIELDS src dst proto,"
                " HEADER false); c[1] -> cu :: CheckUDPHeader -> t" % (json.dumps(data), field))
        rc, out, err = click(env, "-e", conf, "-h", "ct.drops", "-h", "cu.drops")
        want = "9.9.9.9 2.0.0.2" if field == "src" else "1.0.0.1 9.9.9.9"
        chk.eq((rc, out.splitlines()), (0, [want + " T", want + " U", "ct.drops:", "0", "",
                                            "cu.drops:", "0", ""]),
               f"StoreIPAddress(9.9.9.9, {field}): TCP and UDP checksums right")
    data = "!data src dst proto\n1.0.0.1 2.0.0.2 U\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> SetIPChecksum -> CheckIPHeader -> "
            "StoreIPAddress(9.9.9.9, src) -> Print(u, 28) -> CheckUDPHeader -> Discard"
            % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.split("|")[-1].split()[-1:]), (0, ["00080000"]),
           "a UDP checksum of 0 stays 0 (UDP length 8, checksum 0)")
    # as Click's, no address to store (no ADDR, no destination-IP annotation)
    # or a packet too short for OFFSET: output 1
    conf = ("InfiniteSource(LIMIT 2, STOP true) -> s :: StoreIPAddress(0) -> a :: Counter"
            " -> t :: StoreIPAddress(1.2.3.4, 70) -> Discard; s[1] -> b :: Counter -> Discard;"
            " t[1] -> c :: Counter -> Discard")
    rc, out, err = click(env, "-e", conf, "-h", "a.count", "-h", "b.count", "-h", "c.count")
    chk.eq((rc, handlers(out)), (0, {"a.count": "0", "b.count": "2", "c.count": "0"}),
           "StoreIPAddress(0) without an address annotation: output 1")
    conf = ("InfiniteSource(LIMIT 2, STOP true) -> t :: StoreIPAddress(1.2.3.4, 70) -> Discard;"
            " t[1] -> c :: Counter -> Discard")
    rc, out, err = click(env, "-e", conf, "-h", "c.count", "-h", "t.drops")
    chk.eq((rc, handlers(out)), (0, {"c.count": "2", "t.drops": "2"}),
           "StoreIPAddress(1.2.3.4, 70) on 69 bytes: output 1")


def etherencap_handlers(env, chk):
    # EtherEncap's ethertype, src and dst handlers (Click's; addresses with dashes)
    conf = ("Idle -> e :: EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> Idle;"
            "DriverManager(print e.ethertype, write e.ethertype 0x0801, print e.ethertype,"
            " write e.dst 0:a:b:c:d:e, print e.dst, print e.src, stop)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()), (0, ["2048", "2049", "00-0A-0B-0C-0D-0E",
                                        "01-01-01-01-01-01"]),
           "EtherEncap ethertype, src, dst read and written")


def dump_handlers(env, chk):
    # FromIPSummaryDump's active, stop and encap handlers (Click's): f2 starts
    # inactive and runs once DriverManager writes active after f1's stop;
    # without the handler the second wait_stop never ended
    d1 = '!data sport\n1\n2\n'
    d2 = '!data sport\n3\n4\n'
    conf = ("f1 :: FromIPSummaryDump(DATA %s, STOP true) -> t :: ToIPSummaryDump(-, FIELDS sport, "
            "HEADER false); f2 :: FromIPSummaryDump(DATA %s, ACTIVE false, STOP true) -> t; "
            "DriverManager(wait_stop, write f2.active true, wait_stop)"
            % (json.dumps(d1), json.dumps(d2)))
    rc, out, err = click(env, "-e", conf, "-h", "f2.active", "-h", "f2.encap", "-h", "f1.count")
    at = out.find("f2.active:")
    chk.eq((rc, out[:at].split()), (0, ["1", "2", "3", "4"]),
           "write f2.active true: f2's packets after f1's, the run ends")
    h = handlers(out[at:])
    chk.eq((h.get("f2.active"), h.get("f2.encap"), h.get("f1.count")), ("true", "IP", "2"),
           "active, encap and count read")
    # a TimedSource would keep the driver running for ever
    conf = ("f :: FromIPSummaryDump(DATA %s, STOP false) -> ToIPSummaryDump(-, FIELDS sport, "
            "HEADER false); TimedSource(0.05) -> Discard; Script(wait 0.2, write f.stop)"
            % json.dumps(d1))
    rc, out, err = click(env, "-e", conf, timeout=20)
    chk.eq((rc, out.split()), (0, ["1", "2"]), "write stop: the driver stops (STOP false)")


def ftp_deltas(env, chk):
    # FTPPortMapper shortens the PORT command (10,0,0,5,100,200 -> 1,0,0,1,4,1:
    # 5 bytes less); TCPRewriter moves the client's later sequence numbers by
    # -5 and the server's acks from the end of the rewritten command on by +5.
    # Acks of bytes before the command stay (they were moved to 12 and 13).
    port = "PORT 10,0,0,5,100,200\\r\\n"
    fwd = ("!data src sport dst dport proto tcp_seq tcp_flags payload\n"
           '10.0.0.5 1100 2.0.0.2 21 T 0 PA "x"\n'
           f'10.0.0.5 1100 2.0.0.2 21 T 1 PA "{port}"\n'
           '10.0.0.5 1100 2.0.0.2 21 T 24 PA "fubar\\n"\n')
    acks = [0, 1, 18, 19, 25]
    rev = "!data src sport dst dport proto tcp_ack tcp_flags\n" + "".join(
        f"2.0.0.2 21 1.0.0.1 1024 T {a} A\n" for a in acks)
    conf = ("rw :: TCPRewriter(pattern 1.0.0.1 1024-65535# - - 0 1, drop);"
            "FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> FTPPortMapper(rw, rw, 0)"
            " -> [0]rw[0] -> ToIPSummaryDump(%s, FIELDS tcp_seq payload);"
            "f2 :: FromIPSummaryDump(DATA %s, ACTIVE false, STOP true, CHECKSUM true) -> [1]rw[1]"
            " -> ToIPSummaryDump(%s, FIELDS dport tcp_ack);"
            "DriverManager(wait_stop, write f2.active true, wait_stop)"
            % (json.dumps(fwd), json.dumps(env.path("fwd")), json.dumps(rev),
               json.dumps(env.path("rev"))))
    rc, out, err = click(env, "-e", conf, timeout=30)
    try:
        with open(env.path("fwd")) as f:
            got_fwd = f.read().splitlines()[2:]
        with open(env.path("rev")) as f:
            got_rev = f.read().splitlines()[2:]
    except OSError:
        got_fwd = got_rev = None
    delta = len("1,0,0,1,4,1") - len("10,0,0,5,100,200")
    end_new = 1 + len("PORT 10,0,0,5,100,200\r\n") + delta
    chk.eq((rc, got_fwd), (0, ['0 "x"', '1 "PORT 1,0,0,1,4,1\\r\\n"', f'{24 + delta} "fubar\\n"']),
           "the client's bytes after the PORT command move by the delta")
    chk.eq(got_rev, [f"1100 {a if a < end_new else a - delta}" for a in acks],
           "the server's acks: before the command's new end unchanged, from it on moved back")


def tcp_segment(src, dst, sport, dport, ack, flags, opts=b""):
    """A TCP segment (seq 0, window 0, no payload) in an IPv4 packet, checksums
    worked out here."""
    tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, 0, ack, (5 + len(opts) // 4) << 4,
                                flags, 0, 0, 0) + opts)
    pkt = bytearray(ip_packet(src, dst, 6, bytes(tcp)))
    pseudo = pkt[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    pkt[36:38] = struct.pack("!H", csum(bytes(pseudo + tcp)))
    return bytes(pkt)


def ftp_ack_sack(env, chk):
    # As Click's TCPRewriter: the server's ack moves back whatever its flags (no
    # ACK flag here), and so do the edges of its SACK blocks (here at an odd
    # offset, after one NOP); the TCP checksum stays right (worked out here).
    port = "PORT 10,0,0,5,100,200\\r\\n"
    fwd = ("!data src sport dst dport proto tcp_seq tcp_flags payload\n"
           '10.0.0.5 1100 2.0.0.2 21 T 0 PA "x"\n'
           f'10.0.0.5 1100 2.0.0.2 21 T 1 PA "{port}"\n')
    delta = len("1,0,0,1,4,1") - len("10,0,0,5,100,200")
    trigger = 1 + len("PORT 10,0,0,5,100,200\r\n")

    def moved(a):
        return a - delta if a - delta >= trigger else a

    def sack(edges):
        return b"\x01\x05" + bytes([2 + 4 * len(edges)]) + struct.pack(
            "!%dI" % len(edges), *edges) + b"\x01"

    edges = [1, trigger + delta, trigger + delta, 30]
    sent = [tcp_segment("2.0.0.2", "1.0.0.1", 21, 1024, trigger + delta, 0),
            tcp_segment("2.0.0.2", "1.0.0.1", 21, 1024, 25, 0x10, sack(edges))]
    want = [tcp_segment("2.0.0.2", "10.0.0.5", 21, 1100, trigger, 0),
            tcp_segment("2.0.0.2", "10.0.0.5", 21, 1100, moved(25), 0x10,
                        sack([moved(e) for e in edges]))]
    srcs = "".join(f"s{i} :: InfiniteSource(DATA \\<{p.hex()}>, LIMIT 1, ACTIVE false, STOP true)"
                   " -> MarkIPHeader -> [1]rw;" for i, p in enumerate(sent))
    conf = ("rw :: TCPRewriter(pattern 1.0.0.1 1024-65535# - - 0 1, drop);"
            "FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> FTPPortMapper(rw, rw, 0)"
            " -> [0]rw[0] -> Discard; %s rw[1] -> Print(r, MAXLENGTH 200) -> Discard;"
            "DriverManager(wait_stop, write s0.active true, wait_stop, write s1.active true,"
            " wait_stop)" % (json.dumps(fwd), srcs))
    rc, out, err = click(env, "-e", conf, timeout=30)
    chk.eq((rc, err.splitlines()), (0, [print_lines("r", w) for w in want]),
           "ack without the ACK flag and SACK edges moved back, TCP checksum right")


def options(env, chk):
    # Click's driver's option forms: bundled, attached, long with '='
    conf = "InfiniteSource(LIMIT 3, STOP true) -> c :: Counter -> Discard"
    for args, want in ((["-qh", "c.count", "-e", conf], "0"), (["-qe", conf, "-hc.count"], "0"),
                       (["--handler=c.count", "--expression=" + conf], "3"),
                       (["-e", conf, "-h", "c.count"], "3")):
        rc, out, err = click(env, *args)
        chk.eq((rc, out.strip()), (0, want), f"netvm-click {' '.join(args[:2])} ...")
    rc, out, err = click(env, "-qx", "-e", conf)
    chk.ok(rc == 1 and "unknown or incomplete option '-qx'" in err, "-qx: refused", err)
    # --help: the usage on stdout, every option click.md's synopsis gives, nothing run
    rc, out, err = click(env, "--help", "-e", "InfiniteSource(LIMIT 1) -> Print(ran) -> Discard")
    want = ["--offline", "-f", "-e", "NAME=VALUE", "-h", "-q", "--simtime", "--port",
            "--from-pcap", "--to-pcap", "--help"]
    chk.ok(rc == 0 and out.startswith("usage: netvm-click --offline") and err == ""
           and all(re.search(r"(^|[\s\[,])" + re.escape(o) + r"\b", out) for o in want),
           "--help: the usage on stdout with every option, exit 0, nothing run",
           f"rc {rc}: {out[:300]!r} {err[:200]!r}")
    # an unknown global handler: an error on stderr, no header on stdout
    rc, out, err = click(env, "-q", "-e", conf, "-h", "nosuch", "-h", "c.count")
    chk.eq((rc, out, err.strip()), (1, "c.count:\n0\n\n", "no global handler named 'nosuch'"),
           "-h nosuch -h c.count: only c.count's block on stdout")
    # a second configuration (-f, -e or a FILE after one) is refused, as Click's
    # driver refuses it, not one of them silently run
    for args in (["-e", conf, "-e", "Idle"], ["-f", "-", "-e", conf], ["-e", conf, "x.click"],
                 ["-e", conf, "-"]):
        rc, out, err = click(env, "-q", *args)
        chk.eq((rc, err.strip()), (1, "netvm-click: router configuration specified twice"),
               f"netvm-click {' '.join(args[::2])}: a second configuration refused")
    # a configuration file that does not read (a directory) is no empty configuration
    rc, out, err = click(env, "-q", "-f", env.source_dir)
    chk.eq((rc, err.strip()), (1, f"{env.source_dir}: Is a directory"),
           "-f DIRECTORY: refused")


def count_call(env, chk):
    # Counter COUNT_CALL: the write happens as the 5th packet is counted,
    # before it goes on (it takes the Switch's new output); BYTE_COUNT_CALL at
    # 3 packets of 64 bytes (192); an unknown handler is refused
    conf = ("InfiniteSource(LIMIT 100, STOP true, LENGTH 64) -> Counter(COUNT_CALL 5 s.switch 1, "
            "BYTE_COUNT_CALL 192 t.switch 1) -> s :: Switch -> c :: Counter -> t :: Switch "
            "-> d :: Discard; s[1] -> d; t[1] -> e :: Counter -> d")
    rc, out, err = click(env, "-e", conf, "-h", "c.count", "-h", "e.count")
    h = handlers(out)
    chk.eq((rc, h.get("c.count"), h.get("e.count")), (0, "4", "2"),
           "COUNT_CALL 5: packets 1-4 before the switch; BYTE_COUNT_CALL 192: 2 after it")
    rc, out, err = click(env, "-q", "-e", "Idle -> Counter(COUNT_CALL 5 nosuch.x) -> Discard")
    chk.ok(rc == 1 and "COUNT_CALL: no element named 'nosuch'" in err,
           "COUNT_CALL of an unknown element: refused, in the words of a read", err)
    rc, out, err = click(env, "-q", "-e", "Idle -> c :: Counter(COUNT_CALL 5 c.x) -> Discard")
    chk.ok(rc == 1 and "COUNT_CALL: no 'x' handler for element 'c'" in err,
           "COUNT_CALL of an unknown handler: refused", err)
    # InfiniteSource END_CALL: the write when LIMIT packets have gone (the
    # global `stop` ends the run: no STOP needed)
    rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 3, END_CALL s.switch 1) -> s :: Switch "
                         "-> Discard; s[1] -> Discard; InfiniteSource(LIMIT 5, END_CALL stop) -> "
                         "Discard", "-h", "s.switch", timeout=30)
    chk.eq((rc, out.strip()), (0, "1"), "InfiniteSource END_CALL writes the handler")
    # count_call / byte_count_call written (Click's write handlers): the new
    # call armed; count_call reads N; a bad count or handler is refused
    conf = ("i :: InfiniteSource(LIMIT 6, ACTIVE false, LENGTH 64) -> c :: Counter -> t :: Switch "
            "-> s :: Switch -> Discard; s[1] -> d :: Counter -> Discard; t[1] -> f :: Counter "
            "-> Discard; Script(print c.count_call, write c.count_call 2 s.switch 1, "
            "write c.byte_count_call 192 t.switch 1, write i.active true, wait 0.01s, "
            "print c.count_call, print d.count, print f.count, write c.count_call x, "
            "write c.byte_count_call 5 nosuch.x, stop)")
    rc, out, err = click(env, "--simtime", "-e", conf, timeout=30)
    chk.eq((rc, out.split("\n")[:4]), (0, ["", "2", "1", "4"]),
           "count_call 2 written: packet 2 to s[1]; byte_count_call 192: 3-6 (64 bytes each) "
           "to t[1]")
    chk.ok("'count_call' first word should be unsigned (count)" in err
           and "no element named 'nosuch'" in err,
           "count_call with no count, byte_count_call of an unknown handler: refused", err)


def queue_full(env, chk):
    # A push InfiniteSource sleeps while the Queue it feeds is full (Click's
    # nonfull notifier): 1000 packets, not one per round dropped; a smaller
    # capacity drops the packets beyond it, a larger one wakes the source
    conf = ("i :: InfiniteSource -> c :: Counter -> q :: Queue -> Idle;"
            "DriverManager(wait 0.02s, print i.count, write q.capacity 10, print q.config,"
            " print q.length, wait 0.02s, print i.count, write q.capacity 1000, wait 0.02s,"
            " print i.count, print q.drops)")
    rc, out, err = click(env, "--simtime", "-e", conf, timeout=30)
    chk.eq((rc, out.split("\n")[:6]), (0, ["1000", "CAPACITY 10", "10", "1000", "1990", "990"]),
           "full Queue: the source sleeps; capacity 10 drops 990, 1000 lets 990 more in")
    # SimpleQueue has no notifiers, as Click's: the source keeps pushing into
    # it full, and what does not fit is dropped
    conf = ("i :: InfiniteSource -> q :: SimpleQueue(10) -> Idle;"
            " DriverManager(wait 0.001s, print q.drops, print i.count, stop)")
    rc, out, err = click(env, "--simtime", "-e", conf, timeout=30)
    n = [int(v) for v in out.split()[:2]] if rc == 0 else [0, 0]
    chk.ok(rc == 0 and n[0] > 0 and n[1] == n[0] + 10,
           "full SimpleQueue: the source does not sleep, the rest dropped", f"rc={rc} {out!r}")
    # the first drop prints Click's one overflow line ("%p{element}: overflow",
    # the element's declaration) on stderr; later drops print nothing
    for cls, name in (("Queue", "q"), ("SimpleQueue", "q"), ("Queue", "")):
        decl = f"{name} :: {cls}" if name else cls
        rc, out, err = click(env, "-e", f"InfiniteSource(LIMIT 10, BURST 10, STOP true) -> "
                             f"{decl}(3) -> Unqueue -> Discard", "-h", "*.drops")
        shown = name or f"{cls}@2"
        chk.eq((rc, handlers(out).get(f"{shown}.drops"), err.strip()),
               (0, "7", f"{shown} :: {cls}: overflow"),
               f"{decl}(3), 10 packets: one overflow line")
    # reset: as Click's, the queued packets leave by output 1 (not drops); a
    # reset Queue whose output 1 leads back into it takes them again, no loop
    for back, length in (("Discard", "0"), ("q", "3")):
        rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 3, BURST 3) -> q :: Queue -> Idle;"
                             f" q[1] -> c :: Counter -> {back}; Script(wait 0.01, write q.reset,"
                             " print q.length, print c.count, print q.drops, stop)")
        chk.eq((rc, out.split("\n")[:3]), (0, [length, "3", "0"]),
               f"Queue reset: the packets leave by output 1 (to {back})")
    # Discard's BURST 0 pulls until nothing comes back (one run empties the
    # Queue), as Click's; ACTIVE false on a push input is refused in its words
    rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 20, BURST 20, STOP true) -> "
                         "q :: Queue -> d :: Discard(BURST 0)", "-h", "d.count", "-h", "q.length")
    chk.eq((rc, handlers(out)), (0, {"d.count": "20", "q.length": "0"}),
           "Discard(BURST 0): 20 packets in one run")
    rc, out, err = click(env, "-q", "-e", "Idle -> d :: Discard(ACTIVE false)")
    chk.ok(rc == 1 and "While configuring 'd :: Discard': ACTIVE is meaningless in push context"
           in err, "Discard(ACTIVE false) pushed to: refused", f"rc={rc} {err!r}")
    # ToDevice's BURST is its second positional argument too, as Click's, and
    # DEVNAME a keyword too
    for conf in ("eth0, 4", "eth0, BURST 4", "DEVNAME eth0, BURST 4", "BURST 4, DEVNAME eth0"):
        rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 8, BURST 8, STOP true) -> Queue -> "
                             f"t :: ToDevice({conf})", "-h", "t.count", "-h", "t.task_runs")
        chk.eq((rc, handlers(out)), (0, {"t.count": "4", "t.task_runs": "1"}),
               f"ToDevice({conf}): 4 packets in its one run")
    # Unqueue's BURST: a negative one pulls until nothing comes back (one run
    # empties the Queue before STOP ends the router), BURST N pulls N
    for burst, through in (("-1", 10), ("5", 5)):
        rc, out, err = click(env, "-e", "InfiniteSource(LIMIT 10, BURST 10, STOP true) -> "
                             f"q :: Queue -> Unqueue(BURST {burst}) -> c :: Counter -> Discard",
                             "-h", "c.count", "-h", "q.length")
        chk.eq((rc, handlers(out)), (0, {"c.count": str(through), "q.length": str(10 - through)}),
               f"Unqueue(BURST {burst}): {through} packets in one run")


def timing_reply_anno(env, chk):
    # FromIPSummaryDump TIMING true: packets leave spaced as their timestamps
    # (SetTimestamp stamps them with the simulated clock, 1 us per request)
    data = "!data timestamp sport\n1.5 1\n3.5 2\n3.5 3\n10 4\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true, TIMING true) -> SetTimestamp -> "
            "ToIPSummaryDump(-, FIELDS timestamp sport, HEADER false)" % json.dumps(data))
    rc, out, err = click(env, "--simtime", "-e", conf)
    got = [line.split() for line in out.splitlines()]
    try:
        t0 = float(got[0][0])
        gaps = [(round(float(t) - t0, 3), s) for t, s in got]
    except (IndexError, ValueError):
        gaps = got
    chk.eq((rc, gaps), (0, [(0.0, "1"), (2.0, "2"), (2.0, "3"), (8.5, "4")]),
           "TIMING true: 0, 2, 2 and 8.5 s after the first")
    # REPLY_ANNO PAINT: a reply gets the paint of its flow's first packet
    data = ("!data direction src sport dst dport proto\n> 1.0.0.1 5 2.0.0.2 80 T\n"
            "< 2.0.0.2 80 9.9.9.9 1024 T\n")
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> ps :: PaintSwitch -> Paint(7) -> "
            "[0]rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 1, drop, REPLY_ANNO PAINT, "
            "GUARANTEE 0); ps[1] -> [1]rw; rw[0] -> t :: ToIPSummaryDump(-, FIELDS paint src sport "
            "dst dport, HEADER false); rw[1] -> t" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()), (0, ["7 9.9.9.9 1024 2.0.0.2 80", "7 2.0.0.2 80 1.0.0.1 5"]),
           "IPRewriter REPLY_ANNO PAINT (and GUARANTEE taken)")
    # ICMPRewriter REPLY_ANNO PAINT: an error about a rewritten packet goes back
    # to its sender with the paint of the flow's first packet
    data = "!data src sport dst dport proto\n1.0.0.1 5 2.0.0.2 80 U\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> Paint(7) -> "
            "rw :: IPRewriter(pattern 9.9.9.9 1024-65535# - - 0 1, REPLY_ANNO PAINT) -> "
            "ICMPError(3.3.3.3, unreachable, port) -> Paint(0) -> "
            "ICMPRewriter(rw, REPLY_ANNO PAINT) -> "
            "ToIPSummaryDump(-, FIELDS paint src dst icmp_type_name, HEADER false); "
            "rw[1] -> Discard" % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.strip()), (0, "7 3.3.3.3 1.0.0.1 unreachable"),
           "ICMPRewriter REPLY_ANNO PAINT")


def short_patterns(env, chk):
    # Click's shorter rewriter patterns: SADDR DADDR (ports kept) and
    # SADDR DADDR SPORT
    data = "!data src sport dst dport proto\n1.0.0.1 5 2.0.0.2 80 T\n"
    for pat, want in (("9.9.9.9 -", "9.9.9.9 5 2.0.0.2 80"),
                      ("8.8.8.8 7.7.7.7 2000-2010#", "8.8.8.8 2000 7.7.7.7 80")):
        conf = ("FromIPSummaryDump(DATA %s, STOP true) -> rw :: IPRewriter(pattern %s 0 1); "
                "rw[0] -> ToIPSummaryDump(-, FIELDS src sport dst dport, HEADER false); "
                "rw[1] -> Discard" % (json.dumps(data), pat))
        rc, out, err = click(env, "-e", conf)
        chk.eq((rc, out.strip()), (0, want), f"pattern {pat}")


def udprewriter(env, chk):
    # UDPRewriter maps TCP and UDP alike, with UDP's timeout keywords only
    data = "!data src sport dst dport proto\n10.0.0.4 40 18.26.4.44 30 T\n" \
           "10.0.0.4 41 18.26.4.44 30 U\n10.0.0.8 80 18.26.4.44 20 T\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> rw :: UDPRewriter(pattern 1.0.0.1 "
            "1024-65535# - - 0 1, TIMEOUT 10, STREAMING_TIMEOUT 20, UDP_GUARANTEE 1)"
            " -> ToIPSummaryDump(-, FIELDS src sport dst dport proto); rw[1] -> Discard"
            % json.dumps(data))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()[2:]), (0, ["1.0.0.1 1024 18.26.4.44 30 T",
                                            "1.0.0.1 1025 18.26.4.44 30 U",
                                            "1.0.0.1 1026 18.26.4.44 20 T"]),
           "UDPRewriter: TCP and UDP flows mapped")
    rc, out, err = click(env, "-q", "-e", "Idle -> UDPRewriter(drop, TCP_TIMEOUT 5) -> Discard")
    chk.ok(rc == 1 and "TCP_TIMEOUT" in err, "UDPRewriter: a TCP timeout keyword refused", err)


def route_names(env, chk):
    # As Click: a route's NAME is its address (/32), NAME:ipnet its prefix,
    # NAME:bcast its broadcast address; the table lists routes as added
    conf = ("AddressInfo(foo 1.2.3.4/20); rt :: LinearIPLookup(foo 0, foo:ipnet 1, foo:bcast 2);"
            "Idle -> rt; rt[0] -> Discard; rt[1] -> Discard; rt[2] -> Discard")
    rc, out, err = click(env, "-q", "-e", conf, "-h", "rt.table")
    chk.eq((rc, [line.split() for line in out.splitlines()]),
           (0, [["1.2.3.4/32", "-", "0"], ["1.2.0.0/20", "-", "1"], ["1.2.15.255/32", "-", "2"]]),
           "NAME, NAME:ipnet, NAME:bcast in routes, listed in their order")


def addressinfo_again(env, chk):
    # As Click's AddressInfo: a name given again keeps the later value of
    # each kind (address, prefix, Ethernet address) and says where they
    # conflict; the same value again, or an address inside the prefix, is fine
    conf = ("AddressInfo(a 10.0.0.1, a 10.0.0.2, b 10.0.0.0/8, b 10.0.0.0/16, "
            "c 0:1:2:3:4:5, c 0:1:2:3:4:6, d 10.0.0.0/8 11.0.0.1, f 10.0.0.1 10.0.0.0/8 "
            "10.0.0.1); rt :: LinearIPLookup(a 0, b 1, d:ipnet 1); Idle -> rt; "
            "rt[0] -> Discard; rt[1] -> Discard; "
            "Idle -> ARPResponder(1.1.1.1 c) -> Discard")
    rc, out, err = click(env, "-q", "-e", conf, "-h", "rt.table")
    warned = [line.split("warning: ", 1)[1] for line in err.splitlines() if "warning: " in line]
    chk.eq((rc, [line.split() for line in out.splitlines()]),
           (0, [["10.0.0.2/32", "-", "0"], ["10.0.0.0/16", "-", "1"], ["10.0.0.0/8", "-", "1"]]),
           "AddressInfo: a name given again is its later address and its later prefix")
    chk.eq(warned, ['"a" IP addresses conflict', '"b" IP address prefixes conflict',
                    '"c" Ethernet addresses conflict',
                    '"d" IP address and IP address prefix conflict'],
           "... with Click's warning where the values conflict, none for f")


def route_table(env, chk):
    conf = ("rt :: StaticIPLookup(1.0.0.0/8 0, 18.26.4.0/24 18.26.4.1 1, "
            "10.0.0.0/255.0.255.0 1); Idle -> rt; rt[0] -> Discard; rt[1] -> Discard;")
    rc, out, err = click(env, "-h", "rt.table", "-e", conf)
    # as Click aligns it: a second tab after a prefix shorter than 16
    # characters and after a gateway shorter than 8
    chk.eq(out.splitlines(), ["1.0.0.0/8\t\t-\t\t0", "18.26.4.0/24\t\t18.26.4.1\t1",
                              "10.0.0.0/255.0.255.0\t-\t\t1"],
           "table: a prefix mask as its length, another mask in full, in order, aligned")


def route_handlers(env, chk):
    # lookup ADDR answers "PORT GW" (or "PORT", "-1"); add refuses a prefix
    # already routed, set replaces it, remove with GW OUT must match them;
    # ctrl applies all its lines or none
    for cls in ("LinearIPLookup", "RadixIPLookup"):
        conf = (f"Idle -> r :: {cls}(10.0.0.0/8 1, 10.1.0.0/16 10.1.0.254 2); r[0] -> Idle;"
                " r[1] -> Idle; r[2] -> Idle; DriverManager("
                " print r.lookup 10.1.2.3, print r.lookup 10.9.9.9, print r.lookup 11.0.0.1,"
                " write r.add 10.1.0.0/16 9.9.9.9 0, write r.set 10.1.0.0/16 9.9.9.9 0,"
                " print r.lookup 10.1.2.3, write r.remove 10.1.0.0/16 1.1.1.1 0,"
                " write r.remove 10.0.0.0/8, print r.lookup 10.9.9.9,"
                " writeq r.ctrl \"add 12.0.0.0/8 0\nremove 13.0.0.0/8\","
                " print r.lookup 12.0.0.1, print r.table, stop)")
        rc, out, err = click(env, "-e", conf)
        chk.eq((rc, out.splitlines()),
               (0, ["2 10.1.0.254", "1", "-1", "0 9.9.9.9", "-1", "-1",
                    "10.1.0.0/16\t\t9.9.9.9\t\t0"]),
               f"{cls}: lookup after add, set, remove and a failed ctrl")
        chk.eq(err.splitlines(),
               ["While calling 'r.add 10.1.0.0/16 9.9.9.9 0':",
                "  conflict with existing route '10.1.0.0/16 10.1.0.254 2'",
                "While calling 'r.remove 10.1.0.0/16 1.1.1.1 0':",
                "  route '10.1.0.0/16 1.1.1.1 0' not found",
                "While calling 'r.ctrl add 12.0.0.0/8 0", "remove 13.0.0.0/8':",
                "  route '13.0.0.0/8 - -1' not found"],
               f"{cls}: Click's messages under the call")
    conf = ("Idle -> r :: StaticIPLookup(0.0.0.0/0 3.3.3.3 0) -> Idle;"
            " DriverManager(read r.lookup 1.2.3.4, read r.lookup bad, read r.table 1, stop)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.splitlines()[:3]), (0, ["r.lookup:", "0 3.3.3.3",
                                             "While calling 'r.lookup bad':"]),
           "StaticIPLookup: read r.lookup ADDR; a bad address is an error")
    chk.ok("does not take parameters" in err, "a parameter to table is refused", err)


def arp_responder(env, chk):
    # ARPResponder's table lists the most specific entry first; lookup picks
    # the first entry holding the address; config replaces the table (a
    # repeated prefix keeps its last entry, with a warning); add, remove
    conf = ("AddressInfo(h 10.0.0.5/24 0:0:0:0:0:5, n 0:0:0:0:0:6);"
            " Idle -> ar :: ARPResponder(h:ipnet n:eth) -> Idle; DriverManager("
            " print ar.table, writeq ar.config \"h:ipnet n:eth, h\", print ar.table,"
            " print \"[$(ar.lookup 10.0.0.5)] [$(ar.lookup 10.0.0.6)] [$(ar.lookup 9.9.9.9)]\","
            " writeq ar.config \"h, h 0:0:0:0:0:7\", print ar.table, print ar.config,"
            " write ar.remove 10.0.0.5, write ar.remove 10.0.0.5, write ar.add 9.0.0.0/8 n,"
            " print ar.table, stop)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()),
           (0, ["10.0.0.0/24 00-00-00-00-00-06",
                "10.0.0.5/32 00-00-00-00-00-05", "10.0.0.0/24 00-00-00-00-00-06",
                "[00-00-00-00-00-05] [00-00-00-00-00-06] []",
                "10.0.0.5/32 00-00-00-00-00-07", "h, h 0:0:0:0:0:7",
                "9.0.0.0/8 00-00-00-00-00-06"]),
           "table, lookup, config, remove and add as Click")
    chk.eq(err.splitlines(),
           ["While calling 'ar.config h, h 0:0:0:0:0:7':",
            "  warning: multiple entries for 10.0.0.5/32",
            "While calling 'ar.remove 10.0.0.5':", "  10.0.0.5/32 not found"],
           "a repeated prefix warns; removing a missing entry is an error")
    # a reply is a fresh 42-byte packet, as Click's: a request padded to 60
    # bytes does not lend it its padding or its annotations (paint)
    req = (b"\xff" * 6 + bytes([0, 0, 0, 0, 0, 9]) + b"\x08\x06"
           + bytes([0, 1, 8, 0, 6, 4, 0, 1]) + bytes([0, 0, 0, 0, 0, 9, 10, 0, 0, 9])
           + bytes(6) + bytes([10, 0, 0, 5]) + b"\xee" * 18)
    conf = (f"InfiniteSource({data_arg(req)}, LIMIT 1, STOP true) -> Paint(7) -> "
            "ARPResponder(10.0.0.5 0:0:0:0:0:5) -> ToIPSummaryDump(-, FIELDS paint wire_len)"
            " -> Print(r, 80) -> Discard")
    rc, out, err = click(env, "-e", conf)
    reply = (bytes([0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 5]) + b"\x08\x06"
             + bytes([0, 1, 8, 0, 6, 4, 0, 2]) + bytes([0, 0, 0, 0, 0, 5, 10, 0, 0, 5])
             + bytes([0, 0, 0, 0, 0, 9, 10, 0, 0, 9]))
    chk.eq((rc, out.splitlines()[2:], err.splitlines()),
           (0, ["0 42"], [print_lines("r", reply)]),
           "a padded request: a 42-byte reply without the request's paint")


def script_params(env, chk):
    # handler parameters: $(s.run ARGS) gives $1, $2, $#; readq unquotes the
    # parameter; a name without a dot is the script's own handler
    conf = ('s0 :: Script(print $(s.run a "b c" d), print $(t.run a "b c" d),'
            ' readq length "x y", print $(s0.add 2 3), read max 4 9, stop);'
            ' s :: Script(TYPE PASSIVE, returnq $2); t :: Script(TYPE PASSIVE, return $#-$3)')
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, "b c\n3-d\n5\n", "s0.length:\n3\ns0.max:\n9\n"),
           "run ARGS, readq length, operators as handlers")


def script_return_wait(env, chk):
    # as Click: `return` keeps the quotes of its value, `returnq` removes them;
    # `wait` with no time is `pause` (a DriverManager's: until the driver stops)
    conf = ('s0 :: Script(print r.run a "b c", print q.run a "b c", print w.run, stop);'
            ' r :: Script(TYPE PASSIVE, return $2); q :: Script(TYPE PASSIVE, returnq $2);'
            ' w :: Script(TYPE PASSIVE, return "x y")')
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, '"b c"\nb c\n"x y"\n', ""),
           "return keeps quotes, returnq removes them")
    conf = ("InfiniteSource(LIMIT 3, STOP true) -> c :: Counter -> Discard;"
            " DriverManager(wait, print c.count, wait, print never)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, "3\n", ""),
           "DriverManager(wait, ...): the first wait lasts until the source stops the driver")
    # a step ends a `wait TIME` at once, as Click's own example: "before" at
    # 0.5 s (before the third script's 0.7 s), then the pause waits for a step
    conf = ('s :: Script(wait 1s, print "before", pause, print "after");'
            " Script(wait 0.5s, write s.step); Script(wait 0.7s, print 0.7)")
    rc, out, err = click(env, "--simtime", "-e", conf)
    chk.eq((rc, out, err), (0, "before\n0.7\n", ""), "a step write ends a wait TIME")
    # $? is the last write's status, as Click's: 0, or the handler's negative
    # errno (-22, EINVAL, for a value it refuses); a missing handler leaves it
    conf = ("Idle -> c :: Counter -> Idle; Script(print $?, write c.count_call x, print $?,"
            " write c.nosuch, print ${?}, write c.reset, print $?)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out), (0, "0\n-22\n-22\n0\n"), "$?: the status of the last write")
    # a run write's status, as Click's: -1 after `error`, 1 after `stop`, else 0
    conf = ("e :: Script(TYPE PASSIVE, error oops); o :: Script(TYPE PASSIVE, end);"
            " s :: Script(TYPE PASSIVE, stop);"
            " Script(write e.run, print $?, write o.run, print $?, write s.run, print $?)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out), (0, "-1\n0\n1\n"), "$? of a run write: -1 after error, 1 after stop")
    # an empty value, as Click's: read and print give an empty line, printn nothing
    conf = ("s :: Script(read e.run, read r.table, print e.run, printn e.run, print r.table,"
            " print \"end\", stop); e :: Script(TYPE PASSIVE, end);"
            " r :: IPRewriter(pass 0); Idle -> r -> Idle")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, "\n\nend\n", "e.run:\n\nr.table:\n\n"),
           "read, print and printn of a handler whose value is empty")


def script_packet(env, chk):
    # TYPE PACKET, as Click's Script-01 test: the script runs for each packet;
    # `end` (or the last instruction) sends it to output 0, `exit` drops it,
    # `return N` sends it to output N (dropped when there is none)
    rows = [(0, 0), (1, 1), (2, 2), (3, 3), (0, 4), (1, 5), (2, 6), (3, 7), (3, 8), (3, 9)]
    rows += [(4, sport) for sport in range(10, 16)]
    src = env.path("script01.in")
    dst = env.path("script01.out")
    with open(src, "w") as f:
        f.write("!data link sport\n" + "".join(f"{l} {p}\n" for l, p in rows))
    conf = (f"FromIPSummaryDump({src}, STOP true) -> ps :: PaintSwitch;"
            f" t :: ToIPSummaryDump({dst}, FIELDS link sport);"
            " ps[0] -> Script(TYPE PACKET) -> Paint(0) -> t;"
            " ps[1] -> Script(TYPE PACKET, end) -> Paint(1) -> t;"
            " ps[2] -> Script(TYPE PACKET, exit) -> Paint(2) -> t;"
            " ps[3] -> sx :: Script(TYPE PACKET, init i 0, set j $i,"
            " set i $(if $(eq $i 0) 1 0), return $j) -> Paint(3) -> t; sx[1] -> Paint(4) -> t;"
            " ps[4] -> sy :: Script(TYPE PACKET, init i 0, set j $i, set i $(add $i 1),"
            " set i $(if $(eq $i 3) 0 $i), return $j) -> Paint(5) -> t; sy[1] -> Paint(6) -> t")
    # the model: sx returns 0, 1, 0, ...; sy 0, 1, 2, ... and has no output 2
    want, sx, sy = [], 0, 0
    for link, sport in rows:
        if link in (0, 1):
            want.append(f"{link} {sport}")
        elif link == 3:
            want.append(f"{3 + sx} {sport}")
            sx = 1 - sx
        elif link == 4:
            if sy < 2:
                want.append(f"{5 + sy} {sport}")
            sy = (sy + 1) % 3
    testie = ["0 0", "1 1", "3 3", "0 4", "1 5", "4 7", "3 8", "4 9", "5 10", "6 11", "5 13",
              "6 14"]
    chk.eq(want, testie, "the model gives Script-01's expected lines")
    rc, out, err = click(env, "-e", conf)
    got = []
    if os.path.exists(dst):
        with open(dst) as f:
            got = [l.rstrip("\n") for l in f if not l.startswith("!")]
    chk.eq((rc, err, got), (0, "", want), "Script-01: end, exit, return N per packet")

    # Script-05: a Script with ports and no TYPE is a PACKET one; each packet
    # to ip[0] or ip[1] sets the switch as it passes, so 5 and 6 are dropped
    data = [("1.0.0.1", 1), ("1.0.0.3", 2), ("1.0.0.3", 3), ("1.0.0.2", 4), ("1.0.0.3", 5),
            ("1.0.0.3", 6), ("1.0.0.1", 7), ("1.0.0.3", 8)]
    want, switch = [], 0
    for ip, ts in data:
        if ip != "1.0.0.3":
            switch = 0 if ip == "1.0.0.1" else -1
        if ip != "1.0.0.3" or switch == 0:
            want.append(str(ts))
    chk.eq(want, ["1", "2", "3", "4", "7", "8"], "the model gives Script-05's expected lines")
    conf = ('FromIPSummaryDump(STOP true, DATA "!data ip_dst timestamp\n'
            + "\n".join(f"{ip} {ts}" for ip, ts in data) + '")'
            " -> ip :: IPClassifier(dst 1.0.0.1, dst 1.0.0.2, dst 1.0.0.3);"
            " td :: ToIPSummaryDump(-, FIELDS ts_sec);"
            " ip[0] -> Script(write sw.switch 0) -> td; ip[1] -> Script(write sw.switch -1) -> td;"
            " ip[2] -> sw :: Switch -> td")
    rc, out, err = click(env, "-e", conf)
    got = [l for l in out.splitlines() if not l.startswith("!")]
    chk.eq((rc, err, got), (0, "", want), "Script-05: a Script with ports runs per packet")

    # Unqueue-01: the script resets Unqueue's LIMIT 1 after each packet, so all
    # 5 come through, and its exported count says so
    conf = ("InfiniteSource(LIMIT 5, STOP true) -> SimpleQueue -> unqueue :: Unqueue(LIMIT 1)"
            " -> s :: Script(TYPE PACKET, export count 0, set count $(add $count 1),"
            " write unqueue.reset); DriverManager(pause, wait 0.1s, print s.count)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, "5\n", ""), "Unqueue-01: a PACKET script with no output")

    # $input is the input port; goto end / exit / error as their instructions;
    # a return value that is no number drops the packet
    conf = ("i :: InfiniteSource(LIMIT 2, STOP true); j :: InfiniteSource(LIMIT 3, STOP true);"
            " i -> [0]s :: Script(return $(sub 1 $input)); j -> [1]s;"
            " s[0] -> a :: Counter -> Discard; s[1] -> b :: Counter -> Discard;"
            " k :: InfiniteSource(LIMIT 5, STOP true) -> g :: Script(TYPE PUSH, init n 0,"
            " set n $(add $n 1), goto end $(eq $n 1), goto exit $(eq $n 2), goto x $(eq $n 3),"
            " return zero, label x, goto error) -> c :: Counter -> Discard;"
            " DriverManager(pause 3, print \"$(a.count) $(b.count) $(c.count)\")")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out), (0, "3 2 1\n"), "$input; goto end, exit, error; return of no number")
    # with no such label, goto begin is the first instruction, goto stop is stop
    conf = ('Script(init i 0, set i $(add $i 1), printn $i, goto begin $(lt $i 3), print "",'
            ' goto stop, print never); Script(wait 1, print late)')
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out, err), (0, "123\n", ""), "goto begin, goto stop")
    # ports only on PACKET scripts, and they need an input (Click's words)
    for conf, msg in (("Idle -> Script(TYPE ACTIVE, end) -> Discard",
                       "ports allowed only on PACKET scripts"),
                      ("Script(TYPE PACKET, end)", "PACKET script must have inputs")):
        rc, out, err = click(env, "-e", conf)
        chk.ok(rc != 0 and msg in err, f"{conf}: refused, {msg}", err)


def script_vars_cat(env, chk):
    # Click's variable handlers: `write set VAR VALUE` (a name without a dot
    # is the script's own handler), $(shift VAR) takes VAR's first word off,
    # $(get VAR) reads what is left; a quoted word is one word, quotes kept
    conf = ('s0 :: Script(write set v foo "b c" baz, print $(shift v),'
            ' print $(length $(shift v)), print $(get v), write s0.set w, print [$(get w)],'
            ' print $(get nosuch), stop)')
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out), (0, "foo\n5\nbaz\n[]\n\n"), "set, shift and get, as Click's")
    chk.ok("undefined variable 'nosuch'" in err, "get of an unset variable is an error", err)
    # `cat FILE` is the file's text, as Click's (a routing table's ctrl from a file)
    routes = env.path("routes")
    with open(routes, "w") as f:
        f.write("add 1.0.0.0/8 1\nadd 0.0.0.0/0 2\n")
    conf = (f"r :: RadixIPLookup(9.0.0.0/8 0); Idle -> r; r[0,1,2] -> Idle;"
            f" Script(write r.ctrl $(cat {routes}), print r.lookup 1.2.3.4,"
            f" print r.lookup 5.6.7.8, print \"<$(cat {routes}x)>\", stop)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out), (0, "1\n2\n<>\n"), "$(cat FILE) gives the file's routes to ctrl")
    chk.ok(f"{routes}x: No such file or directory" in err, "cat of a missing file is reported",
           err)


class Running:
    """netvm-click --offline -e CONF running, its standard output read line by line."""

    def __init__(self, env, conf):
        self.p = subprocess.Popen([env.binary(CLICK), "--offline", "-e", conf],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        env.add_cleanup(self.kill)
        self.buf = b""
        self.lines = []

    def line(self, timeout=10):
        """The next line of standard output ('' at its end or after @timeout s)."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.p.stdout], [], [], max(left, 0))
            got = os.read(self.p.stdout.fileno(), 4096) if ready else b""
            if not got:
                return ""
            self.buf += got
        got, self.buf = self.buf.split(b"\n", 1)
        self.lines.append(got.decode() + "\n")
        return self.lines[-1]

    def signal(self, sig):
        self.p.send_signal(sig)

    def end(self, timeout=10):
        """(exit status, the rest of standard output, standard error); status None
        when it did not end within @timeout s."""
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, "".join(self.lines), "did not end"
        return self.p.returncode, "".join(self.lines) + (self.buf + out).decode(), err.decode()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def script_signal(env, chk):
    # TYPE SIGNAL, as Click's Script documents it: the script runs when one of
    # its signals comes, instead of the signal's default action; after `end`
    # it is ready again, and a signal that came during its run runs it once
    # more after it (here the script sits in $(cat FIFO) until the test
    # writes the FIFO, so the second SIGUSR1 surely comes during the run)
    fifo = env.path("signal.fifo")
    os.mkfifo(fifo)
    conf = ('Script(print "ready");'
            ' s :: Script(TYPE SIGNAL SIGUSR1, init n 0, set n $(add $n 1), print "run $n",'
            f' set x $(cat {fifo}), print "run $n read $x", end);'
            ' Script(TYPE SIGNAL USR2, print "bye", stop)')
    run = Running(env, conf)
    run.line()
    run.signal(signal.SIGUSR1)
    if run.line() == "run 1\n":
        run.signal(signal.SIGUSR1)
        with open(fifo, "w") as f:
            f.write("one")
        if run.line() == "run 1 read one\n" and run.line() == "run 2\n":
            with open(fifo, "w") as f:
                f.write("two")
            run.line()
            run.signal(signal.SIGUSR2)
    chk.eq(run.end(), (0, "ready\nrun 1\nrun 1 read one\nrun 2\nrun 2 read two\nbye\n", ""),
           "SIGUSR1 runs the script; one during the run runs it again after; SIGUSR2 stops")

    # `exit`: the script no longer takes the signal; the next one has its
    # default action (SIGUSR1's ends the process); the USR2 script keeps the
    # run going (offline, a run with nothing left that can happen ends)
    run = Running(env, 'Script(print "ready"); Script(TYPE SIGNAL USR1, print "once", exit);'
                       ' Script(TYPE SIGNAL USR2, print "bye", stop)')
    run.line()
    run.signal(signal.SIGUSR1)
    if run.line() == "once\n":
        run.signal(signal.SIGUSR1)
    chk.eq(run.end(), (-signal.SIGUSR1, "ready\nonce\n", ""),
           "after exit the next SIGUSR1 has its default action")

    # `error`: the signal was not handled, its default action follows
    run = Running(env, 'Script(print "ready");'
                       ' Script(TYPE SIGNAL USR1, print "before", error oops)')
    run.line()
    run.signal(signal.SIGUSR1)
    chk.eq(run.end(), (-signal.SIGUSR1, "ready\nbefore\n", "config:1: Script@2: oops\n"),
           "a script that ends in error leaves SIGUSR1 its default action")

    # a signal no script names keeps its default action; a SIGNAL script
    # alone keeps the run going until its signal comes
    run = Running(env, 'Script(print "ready"); Script(TYPE SIGNAL USR1 HUP 2, print "mine")')
    run.line()
    run.signal(signal.SIGINT)
    if run.line() == "mine\n":
        run.signal(signal.SIGTERM)
    chk.eq(run.end(), (-signal.SIGTERM, "ready\nmine\n", ""),
           "INT (2) runs the script, TERM keeps its default action")

    # while the script waits it does not take its signals (Click: not from the
    # blocking point until it completes); after `end` it does again
    run = Running(env, 'Script(print "ready");'
                       ' Script(TYPE SIGNAL USR1, print "a", wait 0.3, print "b", end)')
    run.line()
    run.signal(signal.SIGUSR1)
    if run.line() == "a\n" and run.line() == "b\n":
        time.sleep(0.5)
        run.signal(signal.SIGUSR1)
        if run.line() == "a\n":
            run.signal(signal.SIGUSR1)
    chk.eq(run.end(), (-signal.SIGUSR1, "ready\na\nb\na\n", ""),
           "SIGUSR1 during the script's wait has its default action")

    # a signal a script cannot have: a clear error
    for conf, msg in (
            ("Script(TYPE SIGNAL USR1 SIGFOO, print x)",
             "unknown signal 'SIGFOO' (a name such as INT, SIGTERM or USR1, or a number"
             " from 1 to 31)"),
            ("Script(TYPE SIGNAL, print x)", "TYPE SIGNAL needs a signal"),
            ("Script(TYPE SIGNAL KILL, print x)", "signal 'KILL' cannot be taken by a script")):
        rc, out, err = click(env, "-e", conf, timeout=20)
        chk.eq((rc, out, err),
               (1, "", f"config:1: While configuring 'Script@1 :: Script': {msg}\n"
                       "Router could not be initialized!\n"), f"{conf}: refused")


def simtime(env, chk):
    # Click's simulated clock starts at 1000000000 s and moves on by 1 µs at
    # every request of the time: no two packets get the same stamp
    rc, out, err = click(env, "--simtime", "-e", "InfiniteSource(LIMIT 3, STOP true) "
                         "-> ToIPSummaryDump(-, FIELDS timestamp)")
    stamps = [float(x) for x in out.splitlines()[2:]]
    chk.ok(rc == 0 and len(stamps) == 3 and all(1000000000 <= t < 1000000001 for t in stamps)
           and stamps == sorted(set(stamps)),
           "--simtime: 3 packets stamped just after 1000000000 s, each later than the one "
           "before", f"rc={rc} {out!r} {err!r}")


def pcap_typo(env, chk):
    # a --from-pcap/--to-pcap device no element names is refused (a typo fed
    # or recorded nothing, exit 0)
    trace = env.path("in.pcap")
    with open(trace, "wb") as f:  # a pcap header and one 60-byte frame
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 1, 0, 60, 60) + bytes(60))
    conf = "FromDevice(eth0) -> c :: Counter -> Queue -> ToDevice(eth1)"
    rc, out, err = click(env, "--from-pcap", f"eth0={trace}", "--to-pcap",
                         f"eth1={env.path('out.pcap')}", "-h", "c.count", "-e", conf)
    chk.ok(rc == 0 and out.strip() == "1", "the devices the configuration names: the frame "
           "goes through", f"rc={rc} {out!r} {err!r}")
    rc, out, err = click(env, "--from-pcap", f"eth9={trace}", "-e", conf)
    chk.ok(rc != 0 and f"--from-pcap 'eth9={trace}': no device element" in err,
           "--from-pcap of a device no element names: refused", f"rc={rc} {err!r}")
    rc, out, err = click(env, "--from-pcap", f"eth0={trace}", "--to-pcap",
                         f"eth2={env.path('out2.pcap')}", "-e", conf)
    chk.ok(rc != 0 and "--to-pcap 'eth2=" in err and "no device element" in err,
           "--to-pcap of a device no element names: refused", f"rc={rc} {err!r}")


def unstrip(env, chk):
    rc, out, err = click(env, "-h", "u.drops", "-h", "c.count", "-e",
                         "InfiniteSource(LIMIT 2, STOP true) -> u :: Unstrip(1000) "
                         "-> c :: Counter -> Discard")
    chk.eq(handlers(out), {"u.drops": "2", "c.count": "0"},
           "Unstrip past the headroom: both packets dropped and counted (drops)")


def big(env, chk):
    # the documented limit is 200 000 elements: with a linear scan of the
    # names per declaration, 100 000 took minutes to parse
    path = env.path("big.click")
    for n, ok in ((200000, True), (200001, False)):
        with open(path, "w") as f:
            f.write("InfiniteSource(LIMIT 10, STOP true)\n")
            for i in range(n - 2):
                f.write(f"-> n{i} :: Null\n")
            f.write("-> d :: Discard;\n")
        rc, out, err = click(env, "-h", "d.count", path)
        if ok:
            chk.ok(rc == 0 and out.strip() == "10",
                   f"a chain of {n} elements (the limit) runs: 10 packets through",
                   f"rc={rc} out={out[:80]!r} err={err[-300:]!r}")
        else:
            chk.ok(rc != 0 and "configuration too large" in err,
                   f"{n} elements: refused, too large", f"rc={rc} err={err[-300:]!r}")


def arpquerier(env, chk):
    # ARPQuerier(IP/LEN, ETH): the prefix's broadcast address and multicast
    # addresses need no query; an unanswered address is asked every 100 ms
    # for 10 queries, then every 2 s (Click's ARPTable); every held packet
    # stays held (no per-address limit unless ENTRY_PACKET_CAPACITY)
    rows = "".join(f"{0.15 * i:.2f} 10.1.0.9\n" for i in range(15))
    dump = "!data timestamp ip_dst\n0 10.1.255.255\n0 239.1.2.3\n" + rows
    conf = (f'FromIPSummaryDump(DATA "{dump}", TIMING true, STOP true)'
            " -> a :: ARPQuerier(10.1.0.1/16, 2:0:0:0:0:1) -> Print(o, MAXLENGTH 6) -> Discard;"
            " a[1] -> Discard; Idle -> [1]a;")
    rc, out, err = click(env, "--simtime", "-e", conf, "-h", "a.stats", "-h", "a.count",
                         "-h", "a.length", "-h", "a.table", timeout=30)
    h = handlers(out)
    chk.eq((rc, err.splitlines()), (0, ["o:   54 | ffffffff ffff", "o:   54 | 01005e01 0203"]),
           "10.1.255.255 to the Ethernet broadcast, 239.1.2.3 to 01:00:5e:01:02:03")
    chk.eq(h.get("a.stats"), "0 packets killed\n10 ARP queries sent",
           "15 packets 150 ms apart to one silent address: 10 queries, nothing killed")
    chk.eq((h.get("a.count"), h.get("a.length")), ("1", "15"),
           "one entry holding all 15 packets")
    chk.ok(re.fullmatch(r"10\.1\.0\.9 0 FF-FF-FF-FF-FF-FF \d+\.\d{6}", h.get("a.table", "")),
           "table: address, not known, no Ethernet address, age", h.get("a.table"))


def classifier_patterns(env, chk):
    # Click's Classifier: VALUE an even number (>= 2) of hex digits or '?', MASK
    # as long as VALUE, spaces allowed after '!'
    src = "InfiniteSource(DATA \\<08004500 0001>, LIMIT 1, STOP true)"
    for pat, want in (("! 0/0801", "m:    6"), ("!0/0800", "no:    6"),
                      ("4/0001%00ff 0/??00", "m:    6"), ("0/08?1", "no:    6")):
        conf = (f"{src} -> c :: Classifier({pat}, -) -> Print(m, MAXLENGTH 0) -> Discard; "
                "c[1] -> Print(no, MAXLENGTH 0) -> Discard")
        rc, out, err = click(env, "-e", conf)
        chk.ok(rc == 0 and err.strip() == want, f"Classifier({pat}): {want}", f"rc={rc} {err!r}")
    for pat, msg in (("0/080", "pattern 0: value has odd number of hex digits"),
                     ("0/0", "pattern 0: value has less than 2 hex digits"),
                     ("0/0800%ff", "pattern 0: mask has too few hex digits"),
                     ("0/08%ffff", "pattern 0: mask has too many hex digits"),
                     ("0/0800x", "pattern 0: expected a digit"),
                     ("0 /08", "pattern 0: expected '/'")):
        conf = f"Idle -> c :: Classifier({pat}, -) -> Discard; c[1] -> Discard"
        rc, out, err = click(env, "-q", "-e", conf)
        chk.ok(rc != 0 and msg in err, f"Classifier({pat}) refused: {msg}", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-q", "-e", "Idle -> c :: Classifier(0/08, 0/09, -) -> Discard; "
                         "c[1] -> Discard")
    chk.ok(rc != 0 and "need 2 arguments, one per output port" in err,
           "three patterns for two outputs refused in Click's words", f"rc={rc} {err!r}")


def print_ascii_active(env, chk):
    # Click's Print: CONTENTS ASCII puts a space before every 8 characters (so
    # two after the bar); an active handler (rw); its CONTENTS message
    conf = ("InfiniteSource(DATA \\<41424344 45464748 494a0a>, LIMIT 2, STOP true) -> "
            "p :: Print(y, CONTENTS ASCII) -> Counter(COUNT_CALL 1 p.active false) -> Discard")
    rc, out, err = click(env, "-e", conf, "-h", "p.active")
    chk.eq((rc, err, out), (0, "y:   11 |  ABCDEFGH IJ.\n", "false\n"),
           "Print ASCII: ' |  ABCDEFGH IJ.'; active written false prints no more")
    rc, out, err = click(env, "-q", "-e", "Idle -> Print(CONTENTS hexa) -> Discard")
    chk.ok(rc != 0 and "bad contents value 'HEXA'; should be 'NONE', 'HEX', or 'ASCII'" in err,
           "Print(CONTENTS hexa) refused in Click's words", f"rc={rc} {err!r}")


def route_config_errors(env, chk):
    # Click's IPRouteTable::configure: "argument N should be 'ADDR/MASK [GATEWAY]
    # OUTPUT'", "argument N bad OUTPUT" (N from 1)
    for cls in ("StaticIPLookup", "LinearIPLookup", "RadixIPLookup"):
        for routes, msg in (("1.0.0.0/8 0, 0/0 2.0.0.1 2", "argument 2 bad OUTPUT"),
                            ("1.0.0.0/8 -1, 0/0 1", "argument 1 bad OUTPUT"),
                            ("1.0.0.0/8 0, 0/0 1, 2.0.0.0/8 x 1",
                             "argument 3 should be 'ADDR/MASK [GATEWAY] OUTPUT'")):
            conf = f"Idle -> r :: {cls}({routes}) -> Discard; r[1] -> Discard"
            rc, out, err = click(env, "-q", "-e", conf)
            chk.ok(rc != 0 and f"While configuring 'r :: {cls}': {msg}\n" in err,
                   f"{cls}({routes}): {msg}", f"rc={rc} {err!r}")


def todump(env, chk):
    # Click's ToDump: SNAPLEN 0 is no limit (header snaplen 0xFFFFFFFF); a packet
    # without a timestamp gets the current time; handlers filename, count,
    # reset_counts; a bad ENCAP is "bad encapsulation type"
    path = env.path("todump.pcap")
    conf = f"InfiniteSource(LIMIT 2, STOP true) -> t :: ToDump({path}, SNAPLEN 0)"
    rc, out, err = click(env, "-e", conf)
    with open(path, "rb") as f:
        data = f.read().ljust(40, b"\0")
    snaplen, = struct.unpack("<I", data[16:20])
    caplen, wirelen = struct.unpack("<II", data[32:40])
    chk.eq((snaplen, caplen, wirelen, os.path.getsize(path)),
           (0xFFFFFFFF, 69, 69, 24 + 2 * (16 + 69)),
           "SNAPLEN 0: no limit, whole 69-byte packets written")
    dump = '!data ip_src ip_dst\n1.0.0.1 2.0.0.2\n'
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> ToDump(%s, ENCAP IP)"
            % (json.dumps(dump), path))
    rc, out, err = click(env, "--simtime", "-e", conf)
    with open(path, "rb") as f:
        data = f.read().ljust(28, b"\0")
    chk.eq((rc, struct.unpack("<I", data[20:24])[0], struct.unpack("<I", data[24:28])[0]),
           (0, 12, 1000000000),
           "a packet without a timestamp is written with the (simulated) time; ENCAP IP raw")
    conf = (f"InfiniteSource(LIMIT 3, STOP true) -> t :: ToDump({path}) -> "
            "c :: Counter(COUNT_CALL 2 t.reset_counts) -> Discard")
    rc, out, err = click(env, "-e", conf, "-h", "t.filename", "-h", "t.count")
    chk.eq((rc, handlers(out)), (0, {"t.filename": path, "t.count": "1"}),
           "ToDump: filename, count (reset by reset_counts after the second)")
    rc, out, err = click(env, "-q", "-e", f"Idle -> ToDump({path}, ENCAP FOO)")
    chk.ok(rc != 0 and "bad encapsulation type" in err, "ToDump(ENCAP FOO) refused as Click",
           f"rc={rc} {err!r}")
    # FromDump's handlers as Click's: count, encap, filename, filesize, filepos,
    # active (rw: written true starts it), stop (w)
    conf = f"f :: FromDump({path}, STOP true) -> c :: Counter -> Discard"
    size = os.path.getsize(path)
    rc, out, err = click(env, "-e", conf, *[a for h in ("count", "encap", "filename", "filesize",
                                                           "filepos", "active")
                                             for a in ("-h", "f." + h)])
    chk.eq((rc, handlers(out)), (0, {"f.count": "3", "f.encap": "ETHER", "f.filename": path,
                                     "f.filesize": str(size), "f.filepos": str(size),
                                     "f.active": "true"}),
           "FromDump: count, encap, filename, filesize, filepos, active")
    conf = (f"f :: FromDump({path}, STOP true, ACTIVE false) -> c :: Counter -> Discard; "
            "Script(write f.active true)")
    rc, out, err = click(env, "-e", conf, "-h", "c.count")
    chk.eq((rc, out), (0, "3\n"), "FromDump(ACTIVE false): writing active true starts it")
    conf = (f"f :: FromDump({path}) -> c :: Counter(COUNT_CALL 1 f.stop) -> Discard")
    rc, out, err = click(env, "-e", conf, "-h", "c.count")
    chk.eq((rc, out), (0, "1\n"), "FromDump: stop written ends the run")
    # a record whose captured length is over its length is cut to it, the rest
    # skipped (as Click's, tcpdump's); a record cut short by the end of the file
    # and one over 65535 bytes are said, as Click's, not passed over in silence
    hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    frame = bytes(range(60))
    past = bytes([0xee] * 4)  # captured beyond the record's length: never packet data
    rec = struct.pack("<IIII", 1, 0, 64, 60) + frame + past
    bad = env.path("bad.pcap")
    conf = f"FromDump({bad}) -> Print(p, MAXLENGTH 64) -> c :: Counter -> Discard"
    for tail, want, what in (
            (rec, "", "a record's captured length over its length: cut to it"),
            (rec[:16] + frame[:20], f"{bad}: short packet", "a record cut short: said"),
            (struct.pack("<IIII", 1, 0, 70000, 70000) + frame,
             f"{bad}: bad packet header; giving up", "a record of 70000 bytes: said")):
        with open(bad, "wb") as f:
            f.write(hdr + rec + tail)
        rc, out, err = click(env, "-e", conf, "-h", "c.count")
        lines = err.splitlines()
        n = 2 if tail is rec else 1
        chk.eq((rc, out, [ln.split("|")[0] for ln in lines if ln.startswith("p:")],
                [ln for ln in lines if not ln.startswith("p:")]),
               (0, f"{n}\n", ["p:   60 "] * n, [want] if want else []), what)
    # Kuznetzov's modified pcap (magic A1B2CD34, 8 more bytes after each record
    # header), in either byte order, read as Click's FromDump reads it
    for order in "<>":
        with open(bad, "wb") as f:
            f.write(struct.pack(order + "IHHiIII", 0xa1b2cd34, 2, 4, 0, 0, 65535, 1))
            for i in range(2):
                f.write(struct.pack(order + "IIII", 1, 0, 60, 60) + b"\1" * 8 + frame)
        rc, out, err = click(env, "-e", conf, "-h", "c.count")
        chk.eq((rc, out, [ln[:18] for ln in err.splitlines()]),
               (0, "2\n", ["p:   60 | 00010203"] * 2), f"modified pcap, byte order {order}")
    # Click's END_CALL: the handler written at the end of the file (here a
    # DriverManager's step, so the run ends as the driver goes on); not with STOP;
    # TIMING as the second positional argument
    conf = (f"f :: FromDump({path}, false, END_CALL d.step) -> c :: Counter -> Discard; "
            "d :: DriverManager(pause, read c.count, stop)")
    rc, out, err = click(env, "-e", conf, timeout=20)
    chk.eq((rc, err), (0, "c.count:\n3\n"), "FromDump END_CALL: written at the end")
    rc, out, err = click(env, "-q", "-e", f"FromDump({path}, END_CALL x.step) -> Discard")
    chk.ok(rc == 1 and "END_CALL" in err, "FromDump END_CALL of no handler refused",
           f"rc={rc} {err!r}")
    rc, out, err = click(env, "-q", "-e", f"f :: FromDump({path}, STOP true, "
                                          "END_CALL f.stop) -> Discard")
    chk.ok(rc == 1 and "END_CALL and STOP are mutually exclusive" in err,
           "FromDump END_CALL with STOP true refused, as Click", f"rc={rc} {err!r}")
    todump_nano(env, chk)
    todump_errors(env, chk)
    todump_encap_from(env, chk)
    fromdump_sample(env, chk)
    fromdump_window(env, chk)
    fromdump_timing(env, chk)


def fromdump_window(env, chk):
    # Click's START/START_AFTER (earlier records skipped) and END/END_AFTER/
    # INTERVAL (the first record at or after the end ends the file, STOP then
    # stopping the driver); the exclusive pairs refused in Click's words
    src, out_path = env.path("window.pcap"), env.path("windowed.pcap")
    with open(src, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(10):
            f.write(struct.pack("<IIII", 100 + i, 500000, 60, 60) + bytes(60))
    conf = f"f :: FromDump({src}, STOP true, %s) -> c :: Counter -> ToDump({out_path})"
    for kw, want in (("START 103", range(103, 110)), ("START_AFTER 3", range(103, 110)),
                     ("END 105", range(100, 105)), ("END_AFTER 2.5", range(100, 103)),
                     ("INTERVAL 2", range(100, 102)), ("START 103, INTERVAL 2", (103, 104)),
                     ("START_AFTER 1, END_AFTER 3", (101, 102)),
                     ("START 104.5, END 106.5", (104, 105))):
        rc, out, err = click(env, "-e", conf % kw, "-h", "c.count", timeout=30)
        secs = [sec for sec, _, _ in pcap_records(out_path)[2]]
        chk.eq((rc, err, out, secs), (0, "", f"{len(want)}\n", list(want)),
               f"FromDump({kw}): the records of seconds {list(want)} (each at .5)")
    for kw, msg in (("START 1, START_AFTER 2", "'START' and 'START_AFTER' are mutually exclusive"),
                    ("END 1, INTERVAL 2",
                     "'END', 'END_AFTER', and 'INTERVAL' are mutually exclusive")):
        rc, out, err = click(env, "-q", "-e", conf % kw)
        chk.ok(rc != 0 and msg in err, f"FromDump({kw}) refused in Click's words",
               f"rc={rc} {err!r}")


def fromdump_timing(env, chk):
    # Click's TIMING (keyword or second positional): the first packet at once,
    # each later one when as much time has passed as between the timestamps;
    # a push FromDump and a pulled one (Unqueue). 5 packets 0.2 s apart take at
    # least 0.8 s (only the lower bound is checked: a loaded host is slower)
    src = env.path("timing.pcap")
    with open(src, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(5):
            f.write(struct.pack("<IIII", 100, 200000 * i, 60, 60) + bytes(60))
    for what, conf in (
            ("TIMING true, pushed", f"FromDump({src}, STOP true, TIMING true) -> "
                                    "c :: Counter -> Discard"),
            ("second argument true, pulled", f"FromDump({src}, true, STOP true) -> "
                                             "Unqueue -> c :: Counter -> Discard")):
        t0 = time.monotonic()
        rc, out, err = click(env, "-e", conf, "-h", "c.count", timeout=30)
        secs = time.monotonic() - t0
        chk.ok(rc == 0 and out == "5\n" and secs >= 0.79,
               f"FromDump({what}): 5 packets over the 0.8 s of their timestamps",
               f"rc={rc} count={out.strip()} {secs:.3f} s {err!r}")
    t0 = time.monotonic()
    rc, out, err = click(env, "-e", f"FromDump({src}, STOP true) -> c :: Counter -> Discard",
                         "-h", "c.count", timeout=30)
    chk.eq((rc, out), (0, "5\n"), "FromDump without TIMING: the same 5 packets "
           f"({time.monotonic() - t0:.3f} s)")


def fromdump_sample(env, chk):
    # Click's SAMPLE: each record emitted with that probability (the others
    # skipped, not counted), in file order; over 1 reduced to 1 and 0 emitting
    # nothing, both with Click's warning; the sampling_prob handler
    src, out_path = env.path("sample.pcap"), env.path("sampled.pcap")
    n = 4000
    with open(src, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            f.write(struct.pack("<IIII", 7, i, 60, 60) + i.to_bytes(2, "big") + bytes(58))
    conf = f"f :: FromDump({src}, STOP true, SAMPLE %s) -> c :: Counter -> ToDump({out_path})"
    rc, out, err = click(env, "-e", conf % "0.25", "-h", "c.count", "-h", "f.count",
                         "-h", "f.sampling_prob")
    got = handlers(out)
    kept = [usec for _, usec, _ in pcap_records(out_path)[2]]
    chk.ok(rc == 0 and err == "" and 800 <= int(got.get("c.count", -1)) <= 1200
           and got.get("f.count") == got.get("c.count") and got.get("f.sampling_prob") == "0.25"
           and len(kept) == int(got["c.count"]) and kept == sorted(set(kept)),
           f"FromDump(SAMPLE 0.25): about a quarter of {n} records, in order, counted; "
           "sampling_prob 0.25", f"rc={rc} {got} {err!r}")
    for sample, want, warn in (("0", 0, "SAMPLE probability is 0; emitting no packets"),
                               ("2", n, "SAMPLE probability reduced to 1")):
        rc, out, err = click(env, "-e", conf % sample, "-h", "c.count")
        chk.ok(rc == 0 and out == f"{want}\n" and f"warning: {warn}" in err,
               f"FromDump(SAMPLE {sample}): {want} packets, with Click's warning",
               f"rc={rc} {out!r} {err!r}")
    rc, out, err = click(env, "-q", "-e", conf % "-0.5")
    chk.ok(rc != 0 and "SAMPLE" in err, "FromDump(SAMPLE -0.5) refused", f"rc={rc} {err!r}")


def pcap_records(path):
    """(magic, link type, [(sec, subsec, caplen)]) of the pcap file @path."""
    with open(path, "rb") as f:
        data = f.read()
    magic, linktype = struct.unpack("<I", data[:4])[0], struct.unpack("<I", data[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, sub, cap, _ = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec, sub, cap))
        off += 16 + cap
    return magic, linktype, recs


def todump_nano(env, chk):
    # Click's NANO: the nanosecond pcap magic and timestamps; FromDump reads
    # such a file back to the same times
    src, ns, back = env.path("us.pcap"), env.path("ns.pcap"), env.path("back.pcap")
    with open(src, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for sec, usec in ((1000, 123456), (1001, 999999)):
            f.write(struct.pack("<IIII", sec, usec, 60, 60) + bytes(60))
    rc, out, err = click(env, "-e", f"FromDump({src}, STOP true) -> ToDump({ns}, NANO true)")
    chk.eq((rc, err, pcap_records(ns)),
           (0, "", (0xa1b23c4d, 1, [(1000, 123456000, 60), (1001, 999999000, 60)])),
           "ToDump(NANO true): nanosecond magic and timestamps")
    rc, out, err = click(env, "-e", f"FromDump({ns}, STOP true) -> ToDump({back})")
    chk.eq((rc, err, pcap_records(back)),
           (0, "", (0xa1b2c3d4, 1, [(1000, 123456, 60), (1001, 999999, 60)])),
           "the nanosecond file read back by FromDump: the same times in microseconds")
    rc, out, err = click(env, "--simtime", "-e",
                         f"InfiniteSource(LIMIT 1, STOP true) -> ToDump({ns}, NANO true)")
    magic, _, recs = pcap_records(ns)
    chk.ok(rc == 0 and magic == 0xa1b23c4d and len(recs) == 1 and recs[0][0] == 1000000000
           and recs[0][1] < 1000000000,
           "NANO: a packet without a timestamp gets the (simulated) time in nanoseconds",
           f"rc={rc} {recs} {err!r}")


def todump_errors(env, chk):
    # Click's ToDump on a full disk (/dev/full): buffered, the header goes into
    # the buffer and a later write fails: said once on the chatter stream
    # ("ToDump(FILE): ERROR"), nothing more is written or counted, the router
    # goes on; UNBUFFERED true, the header's write fails at once and the router
    # is not initialized
    conf = "InfiniteSource(LIMIT 200, STOP true) -> t :: ToDump(/dev/full%s)"
    rc, out, err = click(env, "-e", conf % "", "-h", "t.count")
    said = [ln for ln in err.splitlines() if ln.startswith("ToDump(")]
    chk.ok(rc == 0 and said == ["ToDump(/dev/full): No space left on device"]
           and out.strip().isdigit() and 0 < int(out) < 200,
           "ToDump to a full disk: the failed write said once, the packets after it "
           "not counted", f"rc={rc} count={out.strip()} {err!r}")
    rc, out, err = click(env, "-q", "-e", conf % ", UNBUFFERED true")
    chk.ok(rc != 0 and "/dev/full: unable to write file header" in err,
           "ToDump(UNBUFFERED true) to a full disk: the header's write refused at once",
           f"rc={rc} {err!r}")
    path = env.path("unbuf.pcap")
    rc, out, err = click(env, "-e", f"InfiniteSource(LIMIT 3, STOP true) -> "
                                    f"t :: ToDump({path}, UNBUFFERED true)", "-h", "t.count")
    chk.eq((rc, out, len(pcap_records(path)[2])), (0, "3\n", 3),
           "ToDump(UNBUFFERED true) to a file: every packet written")


def todump_encap_from(env, chk):
    # Click's USE_ENCAP_FROM: the link type the named elements' encap handlers
    # agree on; at most one of ENCAP and USE_ENCAP_FROM; an element with no
    # encap handler, and sources that disagree, refused
    ip, eth, out_path = env.path("ip.pcap"), env.path("eth.pcap"), env.path("encap.pcap")
    for path, linktype in ((ip, 12), (eth, 1)):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
            f.write(struct.pack("<IIII", 1, 0, 20, 20) + bytes([0x45]) + bytes(19))
    rc, out, err = click(env, "-e", f"f :: FromDump({ip}, STOP true) -> "
                                    f"ToDump({out_path}, USE_ENCAP_FROM f)")
    chk.eq((rc, err, pcap_records(out_path)[1]), (0, "", 12),
           "ToDump(USE_ENCAP_FROM f): the raw IP link type of f's file")
    for conf, want, what in (
            (f"f :: FromDump({ip}) -> ToDump({out_path}, ENCAP ETHER, USE_ENCAP_FROM f)",
             "specify at most one of 'ENCAP' and 'USE_ENCAP_FROM'", "with ENCAP"),
            (f"f :: FromDump({ip}) -> ToDump({out_path}, USE_ENCAP_FROM g)",
             "USE_ENCAP_FROM: no element named 'g'", "naming no element"),
            (f"f :: FromDump({ip}) -> c :: Counter -> ToDump({out_path}, USE_ENCAP_FROM c)",
             "'c' has no 'encap' read handler", "naming a Counter"),
            (f"f :: FromDump({ip}) -> Discard; g :: FromDump({eth}) -> "
             f"ToDump({out_path}, USE_ENCAP_FROM f g)",
             "source encapsulation types disagree", "of sources that disagree")):
        rc, out, err = click(env, "-q", "-e", conf)
        chk.ok(rc != 0 and want in err, f"ToDump USE_ENCAP_FROM {what}: refused",
               f"rc={rc} {err!r}")


def tee_arms(env, chk):
    # Click's Tee and PullTee: an N that is not the number of outputs used is
    # "N outputs implies N arms"; N equal to it is fine
    for cls, conf in (("Tee", "Idle -> t :: Tee(%d) -> Discard; t[1] -> Discard"),
                      ("PullTee", "Idle -> Queue -> t :: PullTee(%d) -> Discard; "
                                  "t[1] -> Discard")):
        rc, out, err = click(env, "-q", "-e", conf % 3)
        chk.ok(rc != 0 and f"While configuring 't :: {cls}': 2 outputs implies 2 arms" in err,
               f"{cls}(3) with 2 outputs refused in Click's words", f"rc={rc} {err!r}")
        rc, out, err = click(env, "-q", "-e", conf % 2)
        chk.ok(rc == 0 and err == "", f"{cls}(2) with 2 outputs", f"rc={rc} {err!r}")


def arpquerier_handlers(env, chk):
    # Click's ARPQuerier write handlers: insert "IP ETH" (the held packets leave
    # with it), delete "IP" (unknown again), clear (no entries, counts zeroed);
    # ipaddr and broadcast read and written
    dump = "!data ip_src ip_dst\n1.0.0.1 1.0.0.9\n1.0.0.1 1.0.0.9\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> GetIPAddress(16) -> "
            "a :: ARPQuerier(1.0.0.1/24, 1:2:3:4:5:6) -> Print(o, MAXLENGTH 14) -> Discard; "
            "Idle -> [1]a; DriverManager(wait_stop, read a.length, "
            "write a.insert 1.0.0.9 0:a:b:c:d:e, read a.length, read a.count, "
            "write a.delete 1.0.0.9, read a.table, write a.ipaddr 1.0.0.2, "
            "write a.broadcast 1.0.0.127, write a.clear, read a.count, read a.queries, stop)"
            % json.dumps(dump))
    rc, out, err = click(env, "-e", conf, "-h", "a.ipaddr", "-h", "a.broadcast")
    lines = err.splitlines()
    query = "o:   42 | ffffffff ffff0102 03040506 0806"
    sent = "o:   54 | 000a0b0c 0d0e0102 03040506 0800"
    chk.eq(lines[:9], [query, "a.length:", "2", sent, sent, "a.length:", "0", "a.count:", "1"],
           "insert: the two held packets leave to 00:0a:0b:0c:0d:0e")
    chk.ok(len(lines) > 10 and re.fullmatch(r"1\.0\.0\.9 0 FF-FF-FF-FF-FF-FF \d+\.\d{6}",
                                            lines[10]),
           "delete: the entry unknown again", str(lines[9:11]))
    chk.eq(lines[11:], ["", "a.count:", "0", "a.queries:", "0"],
           "clear: no entries, counts zeroed")
    chk.eq((rc, handlers(out)), (0, {"a.ipaddr": "1.0.0.2", "a.broadcast": "1.0.0.127"}),
           "ipaddr and broadcast written")


def arpquerier_replies(env, chk):
    # Click's ARPQuerier learns from an ARP reply of hardware type Ethernet and
    # protocol IP whose sender is no group address; every frame of at least 42
    # bytes on input 1 counts in responses, a shorter one does not
    me, peer = bytes.fromhex("010203040506"), bytes.fromhex("000a0b0c0d0e")

    def arp(op, sha, hrd=1, pro=0x0800):
        return (me + sha + b"\x08\x06" + struct.pack("!HHBBH", hrd, pro, 6, 4, op) + sha
                + bytes([1, 0, 0, 9]) + me + bytes([1, 0, 0, 1]))

    frames = [peer + me + b"\x08\x00" + udp_packet("1.0.0.1", "1.0.0.9"),
              arp(2, b"\xff" * 6),                       # the broadcast address
              arp(2, bytes.fromhex("01005e000001")),       # a multicast address
              arp(2, peer, hrd=6),                         # not Ethernet
              arp(2, peer, pro=0x86dd),                    # not IP
              arp(1, peer),                                # a request
              arp(2, peer)[:41],                           # too short: not counted
              arp(2, peer)]
    trace = env.path("arpreplies.pcap")
    with open(trace, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i + 1, 0, len(fr), len(fr)) + fr)
    conf = (f"FromDump({trace}, STOP true) -> c :: Classifier(12/0806, 12/0800); "
            "c[1] -> Strip(14) -> CheckIPHeader -> GetIPAddress(16) -> "
            "a :: ARPQuerier(1.0.0.1/24, 1:2:3:4:5:6) -> Print(o, MAXLENGTH 14) -> Discard; "
            "c[0] -> [1]a")
    rc, out, err = click(env, "-e", conf, "-h", "a.responses", "-h", "a.table")
    h = handlers(out)
    chk.eq((rc, err.splitlines()), (0, ["o:   42 | ffffffff ffff0102 03040506 0806",
                                        "o:   46 | 000a0b0c 0d0e0102 03040506 0800"]),
           "the held packet leaves on the one good reply, to its sender")
    chk.eq(h.get("a.responses"), "6", "responses: every frame of 42 bytes or more")
    chk.ok(re.fullmatch(r"1\.0\.0\.9 1 00-0A-0B-0C-0D-0E \d+\.\d{6}", h.get("a.table", "")),
           "table: the good reply's sender", h.get("a.table"))


def ipgwoptions_names(env, chk):
    # IPGWOptions's OTHERADDRS take AddressInfo names, as Click's: a flag 3
    # Timestamp naming one of them gets the time (--simtime: 1000000000 s is
    # 6400 s after midnight UT, 6 400 000 ms) and the pointer moves on by 8
    opt = bytes([68, 12, 5, 3, 9, 9, 9, 9, 0, 0, 0, 0])
    pkt = udp_packet("1.0.0.1", "2.0.0.2")
    pkt = ip_packet("1.0.0.1", "2.0.0.2", 17, pkt[20:], ihl_opts=opt)
    conf = ("AddressInfo(other 9.9.9.9); "
            f"InfiniteSource(DATA \\<{pkt.hex()}>, LIMIT 1, STOP true) -> CheckIPHeader -> "
            "IPGWOptions(1.0.0.9, 8.8.8.8 other) -> Print(o, MAXLENGTH 64) -> Discard")
    rc, out, err = click(env, "--simtime", "-e", conf)
    want = bytearray(pkt)
    want[22] = 13
    want[28:32] = struct.pack("!I", 6400000)
    want[10:12] = b"\0\0"
    want[10:12] = struct.pack("!H", csum(bytes(want[:32])))
    chk.eq((rc, err), (0, print_lines("o", bytes(want)) + "\n"),
           "OTHERADDRS by name: the Timestamp for 'other' (9.9.9.9) filled in")


def arpquerier_no_anno(env, chk):
    # Click's ARPQuerier takes the next hop from the destination-IP annotation
    # alone: a packet without it (MarkIPHeader sets none) is dropped, counted
    # and said once; no query for the IP header's destination
    pkt = udp_packet("1.0.0.1", "1.0.0.9")
    conf = (f"InfiniteSource(DATA \\<{pkt.hex()}>, LIMIT 2, STOP true) -> MarkIPHeader -> "
            "a :: ARPQuerier(1.0.0.1/24, 1:2:3:4:5:6) -> Print(o) -> Discard; Idle -> [1]a")
    rc, out, err = click(env, "-e", conf, "-h", "a.drops", "-h", "a.queries", "-h", "a.count")
    chk.eq((rc, err, handlers(out)),
           (0, "a :: ARPQuerier: would query for 0.0.0.0; missing dest IP addr annotation?\n",
            {"a.drops": "2", "a.queries": "0", "a.count": "0"}),
           "no destination-IP annotation: both dropped, said once, no query, no entry")


def arpquerier_drops(env, chk):
    # Click's ARPQuerier: drops counts the querier's own (a packet without the
    # destination-IP annotation), stats's "packets killed" those and its
    # table's (a packet beyond ENTRY_PACKET_CAPACITY, the held ones clear kills);
    # clear zeroes queries, responses and the querier's drops only
    dump = "!data ip_src ip_dst\n1.0.0.1 1.0.0.9\n1.0.0.1 1.0.0.9\n"
    pkt = udp_packet("1.0.0.1", "1.0.0.9")
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> "
            "a :: ARPQuerier(1.0.0.1/24, 1:2:3:4:5:6, ENTRY_PACKET_CAPACITY 1) -> Discard; "
            "Idle -> [1]a; InfiniteSource(DATA \\<%s>, LIMIT 1) -> MarkIPHeader -> a; "
            "DriverManager(wait_stop, read a.drops, read a.stats, write a.clear, "
            "read a.drops, read a.stats, stop)" % (json.dumps(dump), pkt.hex()))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.splitlines()[1:]),
           (0, ["a.drops:", "1", "a.stats:", "2 packets killed", "1 ARP queries sent", "",
                "a.drops:", "0", "a.stats:", "2 packets killed", "0 ARP queries sent", ""]),
           "drops: the querier's; packets killed: the table's too, the held one clear killed")


def arpquerier_capacity(env, chk):
    # Click's ARPQuerier: CAPACITY 0 holds packets without limit; CAPACITY and
    # ENTRY_PACKET_CAPACITY are unsigned; BROADCAST_POLL and CAPACITY_SLIM_FACTOR
    # (not zero) taken; TABLE (an ARPTable, which NetVM lacks) refused by name
    dump = "!data ip_src ip_dst\n" + "1.0.0.1 1.0.0.9\n" * 3
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> a :: ARPQuerier(1.0.0.1/24, "
            "1:2:3:4:5:6, CAPACITY 0, BROADCAST_POLL true, CAPACITY_SLIM_FACTOR 3) -> Discard; "
            "Idle -> [1]a" % json.dumps(dump))
    rc, out, err = click(env, "-e", conf, "-h", "a.length", "-h", "a.stats")
    chk.eq((rc, handlers(out)), (0, {"a.length": "3",
                                     "a.stats": "0 packets killed\n1 ARP queries sent"}),
           "CAPACITY 0: no limit, the 3 packets held")
    for kw, msg in (("CAPACITY -1", "CAPACITY: expected unsigned integer"),
                    ("ENTRY_PACKET_CAPACITY -1",
                     "ENTRY_PACKET_CAPACITY: expected unsigned integer"),
                    ("CAPACITY_SLIM_FACTOR 0", "CAPACITY_SLIM_FACTOR cannot be zero"),
                    ("TABLE t", "TABLE not supported")):
        rc, out, err = click(env, "-q", "-e", "Idle -> a :: ARPQuerier(1.0.0.1, 1:2:3:4:5:6, "
                             f"{kw}) -> Discard; Idle -> [1]a")
        chk.ok(rc != 0 and f"config:1: While configuring 'a :: ARPQuerier': {msg}" in err,
               f"{kw} refused: {msg}", f"rc={rc} {err!r}")


def device_annotations(env, chk):
    # As Click's userlevel FromDevice: every frame counted, and one to the
    # Ethernet broadcast or a multicast address gets that packet type, so
    # DropBroadcasts drops it (and ICMPError sends nothing for it)
    ip = udp_packet("1.0.0.1", "2.0.0.2")
    frames = [bytes.fromhex(dst) + bytes.fromhex("000000000001") + b"\x08\x00" + ip
              for dst in ("ffffffffffff", "01005e000001", "020000000002")]
    trace = env.path("bcast.pcap")
    with open(trace, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i + 1, 0, len(fr), len(fr)) + fr)
    conf = ("f :: FromDevice(eth0) -> Strip(14) -> CheckIPHeader -> t :: Tee; "
            "t[0] -> d :: DropBroadcasts -> c :: Counter -> Discard; "
            "t[1] -> e :: ICMPError(9.9.9.9, unreachable, host) -> Discard")
    rc, out, err = click(env, "--from-pcap", f"eth0={trace}", "-e", conf, "-h", "f.count",
                         "-h", "d.drops", "-h", "c.count", "-h", "e.sent")
    chk.eq((rc, handlers(out)), (0, {"f.count": "3", "d.drops": "2", "c.count": "1",
                                     "e.sent": "1"}),
           "FromDevice counts; broadcast and multicast frames typed: dropped, no ICMP error")


def script_read_lines(env, chk):
    # Click's ARPQuerier-08 test: Script's read writes "NAME:\n" VALUE "\n"; the
    # stats value is two lines ending in a newline, so an empty line follows it;
    # a count ends in none, so none follows it (c counts what leaves arpq: its
    # two queries, no reply coming)
    conf = ("( InfiniteSource(LIMIT 50) -> IPEncap(tcp, 1.0.0.1, 2.0.0.2) -> [0];"
            "  InfiniteSource(LIMIT 50) -> IPEncap(tcp, 1.0.0.1, 2.0.0.3) -> [0];"
            "  Idle -> [1]; )"
            " => arpq :: ARPQuerier(1.0.0.3, 2:1:1:1:1:1, ENTRY_PACKET_CAPACITY 10)"
            " -> c :: Counter -> Discard;"
            "( InfiniteSource(LIMIT 100) -> IPEncap(tcp, 1.0.0.1, 2.0.0.2) -> [0];"
            "  Idle -> [1]; )"
            " => arpq2 :: ARPQuerier(1.0.0.3, 2:1:1:1:1:1, CAPACITY 10) -> Discard;"
            "Script(wait 1, read arpq.stats, read arpq2.stats, read c.count, write stop);")
    rc, out, err = click(env, "--simtime", "-e", conf)
    chk.eq((rc, err.splitlines()),
           (0, ["arpq.stats:", "80 packets killed", "2 ARP queries sent", "",
                "arpq2.stats:", "90 packets killed", "1 ARP queries sent", "",
                "c.count:", "2"]),
           "read: a table's lines, then an empty line; a count alone")


def unqueue_handlers(env, chk):
    # Click's Unqueue: active, limit, burst (rw), reset (w); active written true
    # starts it, a larger limit lets more through, reset restarts the count
    conf = ("InfiniteSource(LIMIT 5) -> Queue -> u :: Unqueue(ACTIVE false, LIMIT 2) -> "
            "c :: Counter -> Discard; DriverManager(wait 0.1, read c.count, "
            "write u.active true, wait 0.1, read c.count, write u.limit 4, wait 0.1, "
            "read c.count, write u.reset, wait 0.1, read c.count, read u.count, stop)")
    rc, out, err = click(env, "--simtime", "-e", conf, "-h", "u.active", "-h", "u.limit",
                         "-h", "u.burst")
    counts = [v for k, v in zip(err.splitlines()[::2], err.splitlines()[1::2])]
    chk.eq((rc, counts), (0, ["0", "2", "4", "5", "1"]),
           "inactive: nothing; active: LIMIT 2; limit 4: two more; reset: the last one")
    chk.eq(handlers(out), {"u.active": "true", "u.limit": "4", "u.burst": "1"},
           "active, limit and burst read")


def decipttl_active(env, chk):
    # Click's DecIPTTL: the active handler (rw); inactive, packets pass untouched
    dump = "!data ip_src ip_dst ip_ttl\n1.0.0.1 2.0.0.2 9\n1.0.0.1 2.0.0.2 9\n"
    conf = ("FromIPSummaryDump(DATA %s, STOP true, CHECKSUM true) -> d :: DecIPTTL -> "
            "Counter(COUNT_CALL 1 d.active false) -> CheckIPHeader -> "
            "ToIPSummaryDump(-, FIELDS ip_ttl)" % json.dumps(dump))
    rc, out, err = click(env, "-e", conf, "-h", "d.active")
    chk.eq((rc, out.splitlines()[2:]), (0, ["8", "9", "false"]),
           "DecIPTTL: TTL 9 to 8, then active written false: 9 passes")


def counter_rates(env, chk):
    # Click's Counter: rate, byte_rate and bit_rate; 10 packets of 69 bytes read
    # about 1 s later (simulated time): about 10, 690 and 5520 per second
    conf = ("InfiniteSource(LIMIT 10) -> c :: Counter -> Discard; "
            "DriverManager(wait 1, read c.rate, read c.byte_rate, read c.bit_rate, stop)")
    rc, out, err = click(env, "--simtime", "-e", conf)
    vals = dict(zip(err.splitlines()[::2], err.splitlines()[1::2]))
    try:
        got = [float(vals[k + ":"]) for k in ("c.rate", "c.byte_rate", "c.bit_rate")]
    except (KeyError, ValueError):
        got = []
    chk.ok(rc == 0 and len(got) == 3 and all(abs(g / w - 1) < 0.01 for g, w in
                                             zip(got, (10, 690, 5520))),
           "Counter: rate, byte_rate, bit_rate", f"rc={rc} {err!r}")


def handlers_lists(env, chk):
    # the handlers handler lists every handler the element answers to, as
    # Click's: a rewriter's patternN per input and its class's own handlers,
    # a checker's drop_details (DETAILS true), a Script's exported variables
    conf = ("Idle -> r :: IPRewriter(pattern 1.0.0.1 1024-2000 - - 0 1, drop) -> Discard; "
            "Idle -> [1]r[1] -> Discard; Idle -> t :: TCPRewriter(drop) -> Discard; "
            "Idle -> c :: CheckIPHeader(DETAILS true) -> Discard; "
            "Idle -> u :: CheckUDPHeader(DETAILS true) -> Discard")
    rc, out, err = click(env, "-q", "-e", conf, "-h", "r.handlers", "-h", "t.handlers",
                         "-h", "c.handlers", "-h", "u.handlers")
    h = handlers(out)

    def names(k):
        return set(line.split("\t")[0] + "\t" + line.split("\t")[-1]
                   for line in h.get(k, "").splitlines())
    chk.ok({"pattern0\trw", "pattern1\trw", "tcp_lookup\tr", "tcp_mappings\tr",
            "udp_mappings\tr"} <= names("r.handlers"),
           "IPRewriter: pattern0, pattern1, tcp_lookup, tcp_mappings, udp_mappings listed",
           h.get("r.handlers"))
    chk.ok({"pattern0\trw", "lookup\tr"} <= names("t.handlers") and
           "pattern1\trw" not in names("t.handlers"),
           "TCPRewriter: pattern0 and lookup listed", h.get("t.handlers"))
    chk.ok("drop_details\tr" in names("c.handlers") and "drop_details\tr" in names("u.handlers"),
           "CheckIPHeader, CheckUDPHeader (DETAILS true): drop_details listed",
           str((h.get("c.handlers"), h.get("u.handlers"))))
    rc, out, err = click(env, "-q", "-e", "s :: Script(TYPE PASSIVE, export x 3, set z 1)",
                         "-h", "s.handlers")
    chk.ok("x\trw" in out.splitlines() and "z\trw" not in out.splitlines(),
           "Script: an exported variable listed, a set one not", out)


def ipprint_no_header(env, chk):
    # Click's IPPrint prints nothing for a packet without a network header and
    # "truncated-ip" for one whose header is cut short
    conf = ("InfiniteSource(DATA \\<45 00 00 14 00 00>, LIMIT 1, STOP true, TIMESTAMP false) "
            "-> IPPrint(a) -> MarkIPHeader -> IPPrint(b) -> Discard")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err.splitlines()), (0, ["b: 0.000000: truncated-ip"]),
           "IPPrint: no annotation, no line; a short header: truncated-ip")
    rc, out, err = click(env, "-q", "-e", "Idle -> IPPrint(CONTENTS hex, PAYLOAD ascii) -> Idle")
    chk.ok(rc == 1 and "specify at most one of PAYLOAD and CONTENTS" in err,
           "IPPrint: CONTENTS and PAYLOAD both refused, as Click", err)
    # MAXLENGTH -1 shows every byte, however long the packet: each one, in
    # hex, once (the line was cut at 64 KiB, 28048 bytes of these 30000)
    size = 30000
    conf = (f"InfiniteSource(LENGTH {size}, LIMIT 1, STOP true) -> MarkIPHeader -> "
            "IPPrint(CONTENTS HEX, MAXLENGTH -1) -> Discard")
    rc, out, err = click(env, "-e", conf)
    words = [w for line in err.splitlines()[1:] for w in line.split()]
    chk.ok(rc == 0 and sum(len(w) for w in words) == 2 * size and
           all(len(w) % 2 == 0 for w in words),
           f"IPPrint MAXLENGTH -1: all {size} bytes of a {size}-byte packet in hex",
           f"rc={rc} {sum(len(w) for w in words) // 2} bytes shown")


def dump_banner(env, chk):
    # ToIPSummaryDump writes BANNER as Click's "!creator" line: cp_quote'd
    conf = ('InfiniteSource(LIMIT 1, STOP true) -> ToIPSummaryDump(-, FIELDS ip_len, '
            'BANNER "my dump $1\\\\")')
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()[:2]),
           (0, ["!IPSummaryDump 1.3", "!creator " + cp_quote(b"my dump $1\\")]),
           "BANNER: the !creator line quoted")
    # every field counts, however many: 39 ip_id, then ip_ttl
    fields = " ".join(["ip_id"] * 39 + ["ip_ttl"])
    data = "!data %s\n%s 7\n" % (fields, " ".join(["5"] * 39))
    conf = ("FromIPSummaryDump(DATA %s, STOP true) -> ToIPSummaryDump(-, FIELDS %s)"
            % (json.dumps(data), fields))
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()[1:], err),
           (0, ["!data " + fields, " ".join(["5"] * 39 + ["7"])], ""),
           "40 fields: every one read and written")


def setipaddress(env, chk):
    # SetIPAddress(IPADDR, ANNO) and FixIPSrc(IPADDR) as Click's; SetIPAddress's
    # addr handler
    conf = ("Idle -> s :: SetIPAddress(IPADDR 1.2.3.4, ANNO DST_IP) -> FixIPSrc(IPADDR 9.9.9.9)"
            " -> Discard; DriverManager(print s.addr, write s.addr 5.6.7.8, print s.addr, stop)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines(), err), (0, ["1.2.3.4", "5.6.7.8"], ""),
           "IPADDR keywords, ANNO DST_IP; the addr handler read and written")
    for bad, why in (("SetIPAddress(1.2.3.4, PAINT)", "too many arguments"),
                     ("SetIPAddress(1.2.3.4, ANNO PAINT)",
                      "only the destination-IP annotation is supported"),
                     ("FixIPSrc(1.2.3.4, DST_IP)", "too many arguments")):
        rc, out, err = click(env, "-q", "-e", f"Idle -> {bad} -> Discard")
        chk.ok(rc == 1 and why in err, f"{bad} refused: {why}", err)


def switch_output(env, chk):
    # Click's Switch: an OUTPUT past the last output is refused; a write past it
    # is -1; config reads the current output; a bad write in Click's words
    rc, out, err = click(env, "-q", "-e", "Idle -> s :: Switch(2) -> Discard; s[1] -> Discard")
    chk.ok(rc != 0 and "While configuring 's :: Switch': output must be < 2" in err,
           "Switch(2) with 2 outputs refused in Click's words", f"rc={rc} {err!r}")
    conf = ("s :: Switch(OUTPUT 1); Idle -> s -> Discard; s[1] -> Discard; "
            "Script(read s.config, write s.switch 0, read s.config, write s.switch 5, "
            "read s.switch, read s.config, write s.switch x, read s.switch)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, err), (0, "s.config:\n1\ns.config:\n0\ns.switch:\n-1\ns.config:\n-1\n"
                          "While calling 's.switch x':\n  Switch output must be integer\n"
                          "s.switch:\n-1\n"),
           "Switch: config reads the output, a write past the last output is -1")


def no_arguments(env, chk):
    # a class that takes no arguments refuses them, as Click's Element::configure;
    # an empty configuration (or a comment alone) is none
    for cls, conf, msg in (("Null", "5", "too many arguments"),
                           ("StripIPHeader", "14", "too many arguments"),
                           ("Null", "FOO 1", "FOO: unknown argument"),
                           ("Queue", "5, FOO 1", "FOO: unknown argument")):
        rc, out, err = click(env, "-q", "-e", f"Idle -> x :: {cls}({conf}) -> Idle")
        chk.ok(rc != 0 and f"While configuring 'x :: {cls}': {msg}" in err,
               f"{cls}({conf}) refused: {msg}", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-q", "-e", "Idle -> Null() -> Null(/* none */) -> Idle")
    chk.eq((rc, err), (0, ""), "Null() and Null(/* none */) take no arguments")
    # Align's MODULUS is 2, 4 or 8 and its OFFSET below it, in Click's words
    for conf, msg in (("3, 0", "align modulus must be 2, 4, or 8"),
                      ("4, 4", "align offset must be smaller than modulus"),
                      ("4, -1", "align offset must be smaller than modulus")):
        rc, out, err = click(env, "-q", "-e", f"Idle -> a :: Align({conf}) -> Idle")
        chk.ok(rc != 0 and f"While configuring 'a :: Align': {msg}" in err,
               f"Align({conf}) refused: {msg}", f"rc={rc} {err!r}")
    rc, out, err = click(env, "-q", "-e", "Idle -> Align(8, 7) -> Align(2, 0) -> Idle")
    chk.eq((rc, err), (0, ""), "Align(8, 7), Align(2, 0)")


def settimestamp_first(env, chk):
    # SetTimestamp(FIRST true) sets FIRST_TIMESTAMP, the timestamp untouched
    conf = ("InfiniteSource(LIMIT 1, STOP true, TIMESTAMP false) -> SetTimestamp(5.25) -> "
            "SetTimestamp(7.5, FIRST true) -> "
            "ToIPSummaryDump(-, FIELDS timestamp first_timestamp)")
    rc, out, err = click(env, "-e", conf)
    chk.eq((rc, out.splitlines()[-1:], err), (0, ["5.250000 7.500000"], ""),
           "SetTimestamp FIRST true: the first timestamp")
    rc, out, err = click(env, "--simtime", "-e", conf.replace("7.5, ", ""))
    chk.eq((rc, out.splitlines()[-1:], err), (0, ["5.250000 1000000000.000001"], ""),
           "SetTimestamp FIRST true: now as the first timestamp")


def main():
    env = nvenv.setup("click_offline", timeout=200, description=__doc__)
    chk = check.Checker("click_offline")
    nvenv.require_binaries(env, chk, [CLICK])
    chk.section("fake-iprouter.click, unmodified")
    fake_iprouter(env, chk)
    chk.section("comments inside \\<...>")
    hex_comments(env, chk)
    chk.section("Script: 64-bit integers wrap")
    script_ints(env, chk)
    chk.section("element names")
    names(env, chk)
    chk.section("Print(CONTENTS NONE), Print(CONTENTS ASCII)")
    print_none(env, chk)
    chk.section("-h with a class name")
    class_handlers(env, chk)
    chk.section("payload through IP summary dumps")
    payload(env, chk)
    chk.section("packet lengths through IP summary dumps")
    lengths(env, chk)
    chk.section("IP summary dump fields")
    dump_fields(env, chk)
    chk.section("ToIPSummaryDump's field writers")
    dump_writer(env, chk)
    chk.section("IP summary dump options, MD5, annotations, Ethernet")
    dump_options(env, chk)
    chk.section("sources' data")
    source_data(env, chk)
    chk.section("sources' handlers")
    source_handlers(env, chk)
    chk.section("sources' active and reset writes")
    source_restart(env, chk)
    chk.section("IPPrint's lines")
    ipprint_lines(env, chk)
    chk.section("ICMPError")
    icmperror(env, chk)
    chk.section("CheckIPHeader's source checks and reasons")
    checkipheader(env, chk)
    chk.section("CheckTCPHeader, CheckUDPHeader, CheckICMPHeader")
    check_l4(env, chk)
    chk.section("IPFragmenter")
    ipfragmenter(env, chk)
    chk.section("IPFilter / IPClassifier errors")
    filter_errors(env, chk)
    chk.section("SetIPChecksum, SetTCP/UDPChecksum, StripToNetworkHeader, PushNull, PullNull")
    small_elements(env, chk)
    chk.section("UDPIPEncap's port names")
    udpipencap_ports(env, chk)
    chk.section("SetIPDSCP, MarkIPCE, StoreIPAddress")
    ip_fields(env, chk)
    chk.section("EtherEncap's handlers")
    etherencap_handlers(env, chk)
    chk.section("FromIPSummaryDump's handlers")
    dump_handlers(env, chk)
    chk.section("FTPPortMapper and TCPRewriter: sequence deltas")
    ftp_deltas(env, chk)
    ftp_ack_sack(env, chk)
    chk.section("command-line option forms")
    options(env, chk)
    chk.section("Counter COUNT_CALL, BYTE_COUNT_CALL")
    count_call(env, chk)
    chk.section("Queue's nonfull notifier")
    queue_full(env, chk)
    chk.section("FromIPSummaryDump TIMING, rewriter REPLY_ANNO")
    timing_reply_anno(env, chk)
    chk.section("rewriter patterns handlers")
    rewriter_patterns(env, chk)
    chk.section("rewriter patternN writes, tcp_lookup")
    rewriter_pattern_write(env, chk)
    chk.section("rewriter clear and capacity writes")
    rewriter_clear_capacity(env, chk)
    chk.section("rewriter full with GUARANTEE 0")
    rewriter_full(env, chk)
    chk.section("FromIPSummaryDump protocols, ICMP identifiers")
    dump_protocols(env, chk)
    chk.section("ICMPPingRewriter: a reply of zeros")
    ping_rewriter_zero(env, chk)
    chk.section("global handlers")
    global_handlers(env, chk)
    chk.section("rewriter patterns of 2 and 3 words")
    short_patterns(env, chk)
    chk.section("UDPRewriter")
    udprewriter(env, chk)
    chk.section("AddressInfo names in routes")
    route_names(env, chk)
    chk.section("AddressInfo: a name given again")
    addressinfo_again(env, chk)
    chk.section("a routing table's table handler")
    route_table(env, chk)
    chk.section("routing tables' lookup, add, set, remove and ctrl")
    route_handlers(env, chk)
    chk.section("ARPResponder's handlers")
    arp_responder(env, chk)
    chk.section("Script: handler parameters")
    script_params(env, chk)
    chk.section("Script: return's quotes, wait alone")
    script_return_wait(env, chk)
    chk.section("Script: set, get, shift and cat")
    script_vars_cat(env, chk)
    chk.section("Script: TYPE PACKET")
    script_packet(env, chk)
    chk.section("Script: TYPE SIGNAL")
    script_signal(env, chk)
    chk.section("--simtime")
    simtime(env, chk)
    chk.section("--from-pcap / --to-pcap devices")
    pcap_typo(env, chk)
    chk.section("Unstrip past the headroom")
    unstrip(env, chk)
    chk.section("ARPQuerier's broadcast, multicast, query spacing and handlers")
    arpquerier(env, chk)
    chk.section("Print's ASCII contents and active handler")
    print_ascii_active(env, chk)
    chk.section("routing tables' configuration errors")
    route_config_errors(env, chk)
    chk.section("ToDump, FromDump")
    todump(env, chk)
    chk.section("ARPQuerier's write handlers")
    arpquerier_handlers(env, chk)
    chk.section("ARPQuerier: the replies it learns from, responses")
    arpquerier_replies(env, chk)
    chk.section("ARPQuerier: no destination-IP annotation")
    arpquerier_no_anno(env, chk)
    chk.section("ARPQuerier: drops and packets killed")
    arpquerier_drops(env, chk)
    chk.section("ARPQuerier: capacities and keywords")
    arpquerier_capacity(env, chk)
    chk.section("FromDevice: count, packet type")
    device_annotations(env, chk)
    chk.section("IPGWOptions: OTHERADDRS by name")
    ipgwoptions_names(env, chk)
    chk.section("Script read of a table: an empty line after it")
    script_read_lines(env, chk)
    chk.section("Unqueue's handlers")
    unqueue_handlers(env, chk)
    chk.section("DecIPTTL's active handler")
    decipttl_active(env, chk)
    chk.section("Counter's rates")
    counter_rates(env, chk)
    chk.section("handlers lists")
    handlers_lists(env, chk)
    chk.section("Tee's arms")
    tee_arms(env, chk)
    chk.section("Classifier's patterns")
    classifier_patterns(env, chk)
    chk.section("IPPrint without an IP header")
    ipprint_no_header(env, chk)
    chk.section("ToIPSummaryDump BANNER")
    dump_banner(env, chk)
    chk.section("SetIPAddress, FixIPSrc")
    setipaddress(env, chk)
    chk.section("Switch's output")
    switch_output(env, chk)
    chk.section("classes without arguments, Align's arguments")
    no_arguments(env, chk)
    chk.section("SetTimestamp FIRST")
    settimestamp_first(env, chk)
    chk.section("200 000 elements")
    big(env, chk)
    env.done(chk)


if __name__ == "__main__":
    main()
